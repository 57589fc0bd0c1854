"""Course metadata: the repository (its one definition), the lesson map, Colab links.

If you fork the course, change REPO here and run ``python -m helpers.course sync`` to update
every notebook's Colab badge and install line (a test checks they agree).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = "tl-course/transfer-learning-course"  # GitHub owner/name
BRANCH = "main"
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BENCHMARK = ROOT / "benchmarks" / "results.json"


def colab_url(notebook: str) -> str:
    """Colab link that opens ``notebooks/<notebook>`` from GitHub."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{notebook}"


def badge_markdown(notebook: str) -> str:
    """The 'Open in Colab' badge for a lesson."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook)})")


def pip_target() -> str:
    """What Colab pip-installs: the helpers package straight from the repository."""
    return f"git+https://github.com/{REPO}@{BRANCH}"


def install_cell() -> str:
    """The first code cell of every lesson: on Colab, install the helpers from the repository."""
    return ("import sys\n\n"
            'if "google.colab" in sys.modules:  # on Colab, install the course\'s helpers first\n'
            f"    %pip install -q {pip_target()}")


SETUP_CELL = ("from helpers import environment\n\n"
              "lesson = environment.start_lesson(seed=42)  "
              "# quiets TensorFlow's logs, seeds, prints versions")
_BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def sync_notebook(path: Path) -> bool:
    """Rewrite the Colab badge and the install cell of one notebook; True if it changed."""
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and _BADGE.search(source):
            source = _BADGE.sub(badge_markdown(path.name).replace("\\", "\\\\"), source)
        elif cell["cell_type"] == "code" and '"google.colab" in sys.modules' in source:
            source = install_cell()
        cell["source"] = source.splitlines(keepends=True)
    new = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def lessons() -> list[tuple[str, str]]:
    """(file name, title) of every lesson, in order; the title is the notebook's H1."""
    found = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"]) if cells else ""
        title = next((line[2:].strip() for line in first.splitlines() if line.startswith("# ")),
                     path.stem)
        found.append((path.name, title))
    return found


def lesson_map(benchmark: Path = BENCHMARK) -> list[dict[str, str]]:
    """Every lesson with its measured CPU runtime (from the benchmark table) and Colab link."""
    measured = json.loads(benchmark.read_text()) if benchmark.exists() else {}
    rows = []
    for name, title in lessons():
        run = measured.get("notebooks", {}).get(name)
        rows.append({"lesson": name, "title": title,
                     "cpu time": f"{run['seconds'] / 60:.1f} min" if run else "not measured yet",
                     "colab": colab_url(name)})
    return rows


if __name__ == "__main__":
    if sys.argv[1:] == ["sync"]:
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            print(("updated " if sync_notebook(path) else "ok      ") + path.name)
    else:
        print("usage: python -m helpers.course sync")

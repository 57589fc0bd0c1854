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


_BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
_PIP = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+@[\w.-]+")


def sync_notebook(path: Path) -> bool:
    """Rewrite the badge and install target of one notebook; True if it changed."""
    text = path.read_text(encoding="utf-8")
    new = _BADGE.sub(badge_markdown(path.name).replace("\\", "\\\\"), text)
    new = _PIP.sub(pip_target(), new)
    if new != text:
        json.loads(new)  # never write a broken notebook
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

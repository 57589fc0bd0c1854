"""Course metadata: the repository (its one definition), the lesson map, Colab links.

If you fork the course, change REPO here and run ``python -m helpers.course sync`` to update
every notebook's Colab badge and install line (a test checks they agree).
"""
from __future__ import annotations

import importlib.resources
import json
import re
import sys
from pathlib import Path

REPO = "tl-course/transfer-learning-course"  # GitHub owner/name
BRANCH = "main"
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RUNTIMES = "lesson_runtimes.json"  # written by benchmarks/run_notebooks.py


def stored_file(name: str) -> Path:
    """A file the course made itself (``data/<name>``), in a clone or a pip-installed course."""
    local = ROOT / "data" / name
    if local.exists():
        return local
    try:
        packaged = importlib.resources.files("helpers.course_data") / name
    except ModuleNotFoundError:  # helpers imported from a folder, not installed with its data
        packaged = None
    if packaged is None or not packaged.is_file():
        raise FileNotFoundError(f"{name} is neither in {ROOT / 'data'} nor in the installed "
                                "package; reinstall the course (pip install -r requirements.txt).")
    return Path(str(packaged))


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
    """The first code cell of every lesson: on Colab, install the helpers from the repository,
    or stop with one sentence that says what to do (a fork, or a course not published yet)."""
    message = (f"Could not install the course from {REPO}: in a fork, set REPO in "
               "helpers/course.py and run python -m helpers.course sync")
    command = f'[sys.executable, "-m", "pip", "install", "-q", "{pip_target()}"]'
    return ("import subprocess, sys\n\n"
            'if "google.colab" in sys.modules:  # on Colab, install the course\'s helpers first\n'
            f"    if subprocess.run({command}).returncode:\n"
            f'        raise SystemExit("{message}")')


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


def lesson_map(runtimes: Path | None = None) -> list[dict[str, str]]:
    """Every lesson with its measured CPU runtime (from the benchmark) and Colab link. Without
    the notebooks beside the package (a pip-installed course) the lessons come from the
    benchmark's record."""
    measured = json.loads((runtimes or stored_file(RUNTIMES)).read_text())
    found = lessons() or [(name, run.get("title", name))
                          for name, run in sorted(measured.get("notebooks", {}).items())]
    rows = []
    for name, title in found:
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

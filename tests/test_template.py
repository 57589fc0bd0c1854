"""Every lesson follows the course template (GUIDE section 3): header keys, one setup section
made of the two shared cells, the closing sections in one order, and a printed key result."""
from __future__ import annotations

import json
import re

import pytest

from helpers import course

LESSONS = sorted(course.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CLOSING = ["## What the papers found", "## Summary", "## Quiz", "## Exercises",
           "## Further reading", "## Solutions"]


def cells(path):
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(path.read_text())["cells"]]


def headings(path) -> list[str]:
    return [line.strip() for kind, text in cells(path) if kind == "markdown"
            for line in text.splitlines() if line.startswith("## ")]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:2])
def test_header_has_every_key(path):
    kind, header = cells(path)[0]
    lines = [line for line in header.splitlines() if line.strip()]
    assert kind == "markdown" and re.match(rf"# {path.name[:2]} · \S", lines[0]), "H1 '# NN · Title'"
    assert not lines[1].startswith(("#", "[", "*", "-")), "a one-sentence summary under the title"
    assert course.badge_markdown(path.name) in header, "the Colab badge (python -m helpers.course sync)"
    objectives = header.split("**You will learn to**", 1)
    assert len(objectives) == 2, "learning objectives under '**You will learn to**'"
    bullets = re.findall(r"^- ", objectives[1].split("**Prerequisites", 1)[0], re.MULTILINE)
    assert 3 <= len(bullets) <= 5, f"3-5 learning objectives, found {len(bullets)}"
    assert "**Prerequisites:**" in header and "**Runtime:**" in header


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:2])
def test_one_setup_section_with_the_shared_cells(path):
    assert headings(path).count("## Setup") == 1
    all_cells = cells(path)
    at = next(i for i, (_, text) in enumerate(all_cells) if text.startswith("## Setup"))
    code = [text for kind, text in all_cells[at + 1:at + 4] if kind == "code"]
    assert code[:2] == [course.install_cell(), course.SETUP_CELL], \
        "the setup section starts with course.install_cell() and course.SETUP_CELL"
    later = "\n".join(text for kind, text in all_cells[at + 3:] if kind == "code")
    assert "seed_everything(42)" not in later and "environment_report()" not in later


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:2])
def test_closing_sections_in_order(path):
    found = headings(path)
    closing = [h for h in found if h in CLOSING]
    expected = CLOSING[1:] if path.name.startswith("00") is False else ["## Summary"]
    required = [h for h in expected if h != "## What the papers found"]
    assert [h for h in closing if h != "## What the papers found"] == required
    assert found[-len(closing):] == closing, "nothing after the closing sections"
    assert closing == sorted(closing, key=CLOSING.index)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem[:2])
def test_prints_one_key_result(path):
    code = "\n".join(text for kind, text in cells(path) if kind == "code")
    assert code.count('"Key result: ') + code.count("'Key result: ") == 1

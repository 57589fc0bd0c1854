import json

import pytest

from helpers import course

NOTEBOOKS = sorted(course.NOTEBOOKS.glob("*.ipynb"))


def test_notebooks_have_no_outputs():
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, (
                    f"{path.name} has outputs: clear them before committing")


def test_badges_and_install_lines_use_the_one_repository():
    for path in NOTEBOOKS:
        text = path.read_text()
        assert course.colab_url(path.name) in text, f"{path.name}: run python -m helpers.course sync"
        if "pip" in text:
            assert course.pip_target() in text, f"{path.name}: run python -m helpers.course sync"


def test_sync_rewrites_badge_and_install_cell(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": [
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://x/y)"]},
        {"cell_type": "code", "source": ['import sys\nif "google.colab" in sys.modules:\n',
                                         "    !pip install git+https://github.com/old/repo@dev"]},
        {"cell_type": "code", "source": ["print('pip install git+https://github.com/a/b@c')"]}]}
    path = tmp_path / "07_x.ipynb"
    path.write_text(json.dumps(nb))
    assert course.sync_notebook(path) and not course.sync_notebook(path)
    cells = json.loads(path.read_text())["cells"]
    assert course.colab_url("07_x.ipynb") in "".join(cells[0]["source"])
    assert "".join(cells[1]["source"]) == course.install_cell()
    assert "".join(cells[2]["source"]) == "print('pip install git+https://github.com/a/b@c')"


def test_lessons_are_listed_in_order_with_titles():
    found = course.lessons()
    assert [name for name, _ in found] == sorted(name for name, _ in found)
    assert all(title for _, title in found)


def test_lesson_map_reads_measured_runtimes(tmp_path):
    first = course.lessons()[0][0]
    bench = tmp_path / "results.json"
    bench.write_text(json.dumps({"notebooks": {first: {"seconds": 90.0}}}))
    rows = course.lesson_map(bench)
    assert rows[0]["cpu time"] == "1.5 min" and rows[0]["colab"].endswith(first)
    assert rows[1]["cpu time"] == "not measured yet"


def test_lesson_map_without_notebooks_uses_the_record(tmp_path, monkeypatch):
    """A pip-installed course (Colab) has no notebooks folder beside the package."""
    monkeypatch.setattr(course, "NOTEBOOKS", tmp_path / "absent")
    bench = tmp_path / "runtimes.json"
    bench.write_text(json.dumps({"notebooks": {"01_a.ipynb": {"seconds": 60, "title": "01 · A"}}}))
    assert course.lesson_map(bench) == [{"lesson": "01_a.ipynb", "title": "01 · A",
                                         "cpu time": "1.0 min",
                                         "colab": course.colab_url("01_a.ipynb")}]


def test_stored_files_are_found_and_missing_ones_named():
    assert course.stored_file("strategy_grid.json").is_file()
    with pytest.raises(FileNotFoundError, match="nothing.json"):
        course.stored_file("nothing.json")

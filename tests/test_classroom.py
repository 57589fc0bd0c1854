"""Unit tests for helpers.classroom: the status and download-all commands, offline."""
from __future__ import annotations

import pytest

from helpers import assets, classroom
from tests.test_assets import write_h5


def test_status_says_where_it_looks_and_lists_every_asset(empty_caches, capsys):
    assert classroom.main(["status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Where the course looks")
    assert "DOES NOT EXIST - misspelled?" in out  # TL_COURSE_ASSETS points at a missing folder
    assert all(name in out for name in assets.REGISTRY)
    assert f"0 of {len(assets.REGISTRY)} on disk" in out


def test_download_all_offline_creates_the_folder_and_reports_each_failure(
        empty_caches, capsys, monkeypatch):
    monkeypatch.setattr(classroom, "_fetch_into", _offline)
    dest = empty_caches / "new" / "course-assets"
    assert classroom.main(["download-all", str(dest)]) == 1
    out = capsys.readouterr().out
    assert dest.is_dir()
    assert out.count("FAILED (OSError: network is unreachable") == len(assets.REGISTRY)
    assert "run the same command again: it resumes" in out and "Traceback" not in out


def test_download_all_skips_what_is_there(empty_caches, capsys, monkeypatch):
    fetched = []
    monkeypatch.setattr(classroom, "_fetch_into", lambda asset, dest: fetched.append(asset.name))
    dest = empty_caches / "assets"
    write_h5(dest / "models" / assets.get("mobilenet_v2_0.35_224").filename)
    (dest / "fsdd" / "recordings").mkdir(parents=True)
    assert classroom.download_all(dest) == 0
    assert "mobilenet_v2_0.35_224" not in fetched and "fsdd" not in fetched
    assert len(fetched) == len(assets.REGISTRY) - 2
    assert "Done. On each machine: export TL_COURSE_ASSETS=" in capsys.readouterr().out


def _offline(asset, dest):
    raise OSError("network is unreachable (test)")


def test_python_m_helpers_assets_runs_the_commands():
    import runpy

    with pytest.raises(SystemExit) as done:
        runpy.run_module("helpers.assets", run_name="__main__", alter_sys=True)
    assert done.value.code == 2  # argparse: a command is required

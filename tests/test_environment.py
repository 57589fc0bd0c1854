import numpy as np
import pytest

from helpers import environment


def test_quick_mode_reads_the_variable(monkeypatch):
    monkeypatch.setenv(environment.QUICK_ENV, "1")
    assert environment.quick_mode() and environment.pick(full=20, quick=2) == 2
    monkeypatch.setenv(environment.QUICK_ENV, "0")
    assert not environment.quick_mode() and environment.pick(full=20, quick=2) == 20
    monkeypatch.delenv(environment.QUICK_ENV)
    assert environment.pick(full="full", quick="quick") == "full"


def test_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert not environment.in_colab()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20260101")
    assert environment.in_colab()


def test_seeding_repeats_random_draws():
    environment.seed_everything(7)
    first = np.random.rand(3)
    environment.seed_everything(7)
    assert np.array_equal(first, np.random.rand(3))


def test_environment_report_names_versions(capsys):
    report = environment.environment_report()
    assert report["tensorflow"][0].isdigit() and report["keras"].startswith("3.")
    assert "tensorflow" in capsys.readouterr().out


def test_start_lesson_seeds_reports_and_times(capsys):
    lesson = environment.start_lesson(seed=3)
    first = np.random.rand(2)
    assert "quick mode" in capsys.readouterr().out and lesson.report["keras"].startswith("3.")
    environment.start_lesson(seed=3, report=False)
    assert np.array_equal(first, np.random.rand(2))
    assert capsys.readouterr().out == ""
    assert 0 <= lesson.elapsed() < 600


def test_native_stderr_is_hidden_unless_the_block_fails(capfd):
    import os

    with environment.native_stderr_hidden():
        os.write(2, b"I0000 a C++ notice\n")
    assert "C++ notice" not in capfd.readouterr().err
    with pytest.raises(RuntimeError), environment.native_stderr_hidden():
        os.write(2, b"E0000 the reason it failed\n")
        raise RuntimeError("import failed")
    assert "the reason it failed" in capfd.readouterr().err


def test_provenance_names_command_machine_and_versions():
    import keras

    prov = environment.provenance("python benchmarks/x.py --seeds 0")
    assert prov["made_by"] == "python benchmarks/x.py --seeds 0"
    assert prov["keras"] == keras.__version__ and "CPU cores" in prov["machine"]
    assert prov["date"].endswith("+00:00") and prov["load_average_1min"] >= 0

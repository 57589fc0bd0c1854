"""Unit tests for helpers.image_project (with tests/messy_folders.py): the lesson 18 pipeline on a
generated messy folder (real fixture photos when ../shared/fixtures exists, else made-up PNGs)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from helpers import data, image_project
from tests import messy_folders
from tests.tiny_models import tiny_base

FLOWERS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "datasets" / "flower_photos_small"


def source_folder(tmp_path: Path) -> Path:
    """The real flower photos if present, else three classes of small generated PNGs."""
    if FLOWERS.is_dir():
        return FLOWERS
    rng = np.random.default_rng(0)
    for c, name in enumerate(["a", "b", "c"]):
        (tmp_path / "src" / name).mkdir(parents=True)
        for i in range(8):
            image = rng.integers(0, 80, (20, 20, 3)) + 80 * c
            (tmp_path / "src" / name / f"{i}.png").write_bytes(
                tf.io.encode_png(image.astype(np.uint8)).numpy())
    return tmp_path / "src"


@pytest.fixture
def messy(tmp_path) -> Path:
    return messy_folders.make_messy_folder(source_folder(tmp_path), tmp_path / "messy", per_class=6)


def test_messy_folder_is_reported(messy):
    scan = data.scan_image_folder(messy, on_bad="skip", verbose=False)
    report = scan.report()
    assert len(scan.paths) == 18 and scan.nested == 2
    for name in ("notes.txt", "Thumbs.db", "broken.jpg"):
        assert name in report
    assert ".DS_Store" not in report
    with pytest.raises(data.DataError, match="broken.jpg"):
        data.scan_image_folder(messy, verbose=False)


def test_messy_folder_refuses_a_full_target(messy, tmp_path):
    with pytest.raises(FileExistsError, match="not empty"):
        messy_folders.make_messy_folder(source_folder(tmp_path), messy)


def test_pipeline_runs_on_the_messy_folder(messy):
    project = image_project.load_project(messy, image_size=32, test_fraction=0.25, seed=0)
    assert project.images.shape == (18, 32, 32, 3) and project.images.dtype == np.uint8
    parts = [project.train, project.val, project.test]
    assert sum(map(len, parts)) == 18
    assert len(np.unique(np.concatenate(parts))) == 18  # disjoint
    for part in parts:  # every class in every part
        assert set(project.labels[part]) == {0, 1, 2}
    assert all("broken" not in p.name for p in project.paths)


def test_pipeline_needs_three_images_per_class(messy):
    with pytest.raises(data.DataError, match="at least 3"):
        image_project.load_project(messy, image_size=16, max_per_class=2)


def test_cap_per_class():
    labels = np.array([0] * 5 + [1] * 2)
    kept = image_project.cap_per_class(labels, 3, seed=1)
    assert list(np.bincount(labels[kept])) == [3, 2]
    assert len(image_project.cap_per_class(labels, None)) == 7
    with pytest.raises(ValueError):
        image_project.cap_per_class(labels, 0)


@pytest.mark.parametrize("per_class, train, val, expected", [
    (200, 0.99, 0.80, True), (30, 0.99, 0.80, False), (200, 0.90, 0.88, False)])
def test_fine_tune_rule(per_class, train, val, expected):
    decision = image_project.fine_tune_rule(per_class, train, val, min_per_class=100,
                                            min_gap=0.05)
    assert decision.fine_tune is expected and f"{per_class} training images" in decision.reason


def test_assemble_copies_the_head():
    base = tiny_base()
    base.preprocessing = "none"
    head_source = image_project.assemble(base, _head(6, 2), 2)
    x = np.random.default_rng(0).normal(size=(4, 8, 8, 3)).astype("float32")
    pooled = base.predict(x, verbose=0).mean(axis=(1, 2))
    np.testing.assert_allclose(head_source.predict(x, verbose=0),
                               _head(6, 2).predict(pooled, verbose=0), atol=1e-5)


def _head(features, classes):
    import keras

    from helpers import models

    keras.utils.set_random_seed(3)
    return models.build_head(features, classes)


def test_probe_needs_a_backbone():
    with pytest.raises(ValueError, match="available_backbones"):
        image_project.probe_backbones(np.zeros((4, 8, 8, 3)), np.array([0, 0, 1, 1]), [])

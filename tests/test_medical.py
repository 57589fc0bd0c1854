"""Tests for helpers.medical: loading with clear errors, threshold choice, clinical metrics."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assets, medical


def _write_npz(path, n=6, labels=None, drop=None):
    rng = np.random.default_rng(0)
    arrays = {}
    for split in medical.SPLITS:
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % 2).reshape(-1, 1).astype(np.uint8) \
            if labels is None else labels
    if drop:
        del arrays[drop]
    np.savez(path, **arrays)
    return path


def test_load_scales_images_and_flattens_labels(tmp_path):
    loaded = medical.load_pneumoniamnist(_write_npz(tmp_path / "p.npz"))
    x, y = loaded["val"]
    assert x.shape == (6, 28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5
    assert y.shape == (6,) and y.tolist() == [0, 1, 0, 1, 0, 1]


def test_load_names_missing_file_and_arrays(tmp_path):
    with pytest.raises(assets.AssetError, match="does not exist"):
        medical.load_pneumoniamnist(tmp_path / "absent.npz")
    with pytest.raises(assets.AssetError, match="test_labels"):
        medical.load_pneumoniamnist(_write_npz(tmp_path / "p.npz", drop="test_labels"))


def test_load_rejects_labels_other_than_0_and_1(tmp_path):
    bad = np.array([[0], [1], [2], [0], [1], [2]], dtype=np.uint8)
    with pytest.raises(assets.AssetError, match="0 \\(normal\\)"):
        medical.load_pneumoniamnist(_write_npz(tmp_path / "p.npz", labels=bad))


def test_clinical_metrics_counts_by_hand():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.4, 0.6, 0.7, 0.9, 0.95, 0.99])
    m = medical.clinical_metrics(y, scores, threshold=0.5)
    assert (m["tp"], m["fn"], m["tn"], m["fp"]) == (5, 1, 3, 1)
    assert m["sensitivity"] == pytest.approx(5 / 6)
    assert m["specificity"] == pytest.approx(3 / 4)
    assert m["balanced accuracy"] == pytest.approx((5 / 6 + 3 / 4) / 2)
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["auc"] == pytest.approx(21 / 24)  # 21 of the 24 (pos, neg) pairs ranked right


def test_threshold_reaches_the_target_sensitivity_and_no_higher_threshold_does():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    y[:2] = [0, 1]
    scores = np.clip(0.3 * y + rng.normal(0.35, 0.2, 200), 0, 1)
    for target in (0.5, 0.9, 0.99):
        t = medical.threshold_for_sensitivity(y, scores, target)
        assert medical.clinical_metrics(y, scores, t)["sensitivity"] >= target
        higher = np.min(scores[scores > t], initial=np.inf)
        if np.isfinite(higher):
            assert medical.clinical_metrics(y, scores, higher)["sensitivity"] < target


def test_metric_errors_name_the_problem():
    with pytest.raises(ValueError, match="both 0"):
        medical.clinical_metrics(np.ones(4, int), np.full(4, 0.7))
    with pytest.raises(ValueError, match="3 labels but 2 scores"):
        medical.clinical_metrics(np.array([0, 1, 1]), np.array([0.1, 0.9]))
    with pytest.raises(ValueError, match="fraction"):
        medical.threshold_for_sensitivity(np.array([0, 1]), np.array([0.2, 0.8]), 95)


def test_balanced_class_weight_equalises_class_totals():
    labels = np.array([0] * 10 + [1] * 90)
    weights = medical.balanced_class_weight(labels)
    assert weights[0] * 10 == pytest.approx(weights[1] * 90)
    assert weights[0] == pytest.approx(5.0)

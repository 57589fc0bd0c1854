import keras
import numpy as np
import pytest

from helpers import probe


def _blobs(separation: float, n_per_class: int = 20, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(3, dim)) * separation
    labels = np.repeat(np.arange(3), n_per_class)
    return centers[labels] + rng.normal(size=(len(labels), dim)), labels


@pytest.mark.parametrize("estimate", [probe.linear_probe, probe.knn_probe])
def test_probes_separate_good_features_from_noise(estimate):
    good, labels = _blobs(separation=3.0)
    noise, _ = _blobs(separation=0.0)
    good_scores, noise_scores = estimate(good, labels), estimate(noise, labels)
    assert len(good_scores) == 5
    assert good_scores.mean() >= 0.95
    assert noise_scores.mean() <= 0.6  # chance is 1/3


def test_probes_are_deterministic_for_a_seed():
    features, labels = _blobs(separation=0.7)
    np.testing.assert_array_equal(probe.linear_probe(features, labels, seed=3),
                                  probe.linear_probe(features, labels, seed=3))


def test_linear_probe_scores_on_eval_features():
    features, labels = _blobs(separation=3.0)
    assert probe.linear_probe(features, labels, eval_features=features).mean() >= 0.95
    shuffled = features[np.random.default_rng(1).permutation(len(features))]
    assert probe.linear_probe(features, labels, eval_features=shuffled).mean() <= 0.6


def test_latency_reports_consistent_numbers():
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.GlobalAveragePooling2D()])
    result = probe.latency(model, batch_size=4, repeats=2)
    assert set(result) == {"ms per image (batch)", "ms single image", "images/s"}
    assert all(value > 0 for value in result.values())
    assert result["images/s"] == pytest.approx(1000 / result["ms per image (batch)"])


def test_depth_probe_scores_every_depth_on_the_same_folds():
    good, labels = _blobs(separation=3.0)
    noise, _ = _blobs(separation=0.0)
    scores = probe.depth_probe([noise, good], labels, folds=5, seeds=(0, 1))
    assert scores.shape == (2, 10)
    assert scores[1].mean() >= 0.95
    assert scores[0].mean() <= 0.6  # chance is 1/3
    with pytest.raises(ValueError, match="one feature row per label"):
        probe.depth_probe([good[:-1]], labels)


def test_depth_verdict_tells_a_peak_below_the_top_from_noise():
    rising = np.array([[0.5, 0.52, 0.48], [0.7, 0.72, 0.69], [0.9, 0.88, 0.91]])
    assert probe.depth_verdict(rising, ["a", "b", "c"])["shape"] == "best at the top"
    peaked = np.array([[0.5, 0.52, 0.48], [0.8, 0.82, 0.79], [0.6, 0.61, 0.58]])
    verdict = probe.depth_verdict(peaked, ["a", "b", "c"])
    assert verdict["shape"] == "peaks below the top" and verdict["peak"] == "b"
    assert abs(verdict["drop"] - 0.2067) < 1e-3
    noisy = np.array([[0.5, 0.5, 0.5], [0.8, 0.5, 0.71], [0.6, 0.7, 0.66]])
    assert probe.depth_verdict(noisy, ["a", "b", "c"])["shape"] == "top within noise of the peak"
    with pytest.raises(ValueError, match="one row of scores per depth"):
        probe.depth_verdict(rising, ["a", "b"])

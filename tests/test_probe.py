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

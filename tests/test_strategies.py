"""Unit tests for helpers.strategies (lesson 10): spectrograms, splits, grid reading."""
from __future__ import annotations

import keras
import numpy as np
import pytest
from scipy.io import wavfile

from helpers import strategies


def tone(freq: float, seconds: float = 0.5, rate: int = 8000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)


def test_log_spectrogram_finds_the_tone_and_pads():
    spec = strategies.log_spectrogram(tone(1000.0), rate=8000, seconds=1.0)
    assert spec.shape[0] == 129  # nperseg 256 -> 129 frequency bins
    assert spec.min() >= 0.0 and spec.max() == pytest.approx(1.0)
    # rows run from high to low frequency; 1000 Hz of 4000 Hz -> bin 32 from the bottom
    loudest_row = int(np.argmax(spec[:, : spec.shape[1] // 4].mean(axis=1)))
    assert abs((spec.shape[0] - 1 - loudest_row) - 32) <= 1
    # the second half of the 1-s window is padding (silence) -> near 0
    assert spec[:, -spec.shape[1] // 4:].mean() < 0.05


def test_log_spectrogram_separates_two_tones():
    low = strategies.log_spectrogram(tone(300.0))
    high = strategies.log_spectrogram(tone(3000.0))
    assert np.abs(low - high).mean() > 0.05


def test_to_image_shape_and_grey():
    spec = np.zeros((129, 126), np.float32)
    spec[:64] = 1.0  # top half loud, bottom half silent
    image = strategies.to_image(spec, 32)
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert np.array_equal(image[..., 0], image[..., 2])
    assert image[2, :, 0].min() > 240 and image[-3, :, 0].max() < 15


def test_fsdd_index_and_images(tmp_path):
    rec = tmp_path / "recordings"
    rec.mkdir()
    for digit, speaker, i in [(3, "jackson", 0), (7, "theo", 1), (3, "theo", 2)]:
        wavfile.write(rec / f"{digit}_{speaker}_{i}.wav", 8000, tone(200.0 * (digit + 1)))
    paths, digits, speakers = strategies.fsdd_index(tmp_path)
    assert sorted(digits.tolist()) == [3, 3, 7]
    assert set(speakers) == {"jackson", "theo"}
    images = strategies.spectrogram_images(paths, (16, 8))
    assert images[16].shape == (3, 16, 16, 3) and images[8].shape == (3, 8, 8, 3)
    with pytest.raises(FileNotFoundError):
        strategies.fsdd_index(tmp_path / "nothing")


def test_split_pool_test_is_disjoint_and_balanced():
    labels = np.repeat(np.arange(3), 10)
    pool, test = strategies.split_pool_test(labels, test_per_class=2, pool_per_class=5, seed=0)
    assert not set(pool) & set(test)
    assert np.bincount(labels[test]).tolist() == [2, 2, 2]
    assert np.bincount(labels[pool]).tolist() == [5, 5, 5]


def test_scratch_cnn_outputs_probabilities():
    model = strategies.scratch_cnn(32, 4)
    out = model.predict(np.zeros((2, 32, 32, 3), np.float32), verbose=0)
    assert out.shape == (2, 4)
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_scratch_cnn_pooling_keeps_or_drops_position():
    flat, avg = strategies.scratch_cnn(32, 4), strategies.scratch_cnn(32, 4, pooling="average")
    assert any(isinstance(layer, keras.layers.Flatten) for layer in flat.layers)
    assert any(isinstance(layer, keras.layers.GlobalAveragePooling2D) for layer in avg.layers)
    assert flat.count_params() > avg.count_params()  # the head sees every position
    with pytest.raises(ValueError, match="pooling='max'"):
        strategies.scratch_cnn(32, 4, pooling="max")


RUNS = [{"a": {"accuracy": 0.8, "seconds": 10.0}, "b": {"accuracy": 0.6, "seconds": 1.0}},
        {"a": {"accuracy": 0.6, "seconds": 2.0}, "b": {"accuracy": 0.6, "seconds": 3.0}},
        {"a": {"accuracy": 0.7, "seconds": 4.0}, "b": {"accuracy": 0.6, "seconds": 2.0}}]


def test_cell_stats_mean_std_and_median_time():
    stats = strategies.cell_stats(RUNS)
    assert stats["a"]["mean"] == pytest.approx(0.7)
    assert stats["a"]["std"] == pytest.approx(np.std([0.8, 0.6, 0.7]))
    assert stats["a"]["seconds"] == pytest.approx(4.0)  # median, not the traced first run
    assert stats["b"]["std"] == pytest.approx(0.0) and stats["b"]["n"] == 3


def test_winner_and_ties():
    stats = strategies.cell_stats(RUNS)
    top, close = strategies.winner(stats, tie=0.0)
    assert top == "a" and close == ["a"]
    top, close = strategies.winner(stats, tie=0.15)
    assert top == "a" and close == ["b", "a"]  # within the tie, the cheaper one first


def test_agreement_with_the_advice():
    def stats(fe: float, full: float) -> dict:
        return {"feature extraction": {"mean": fe, "std": 0, "seconds": 1, "n": 1},
                "full fine-tuning": {"mean": full, "std": 0, "seconds": 9, "n": 1}}

    assert strategies.agreement("small", "similar", stats(0.9, 0.8), tie=0.02) == "agrees"
    assert strategies.agreement("small", "similar", stats(0.8, 0.81), tie=0.02) == \
        "agrees (within noise)"
    assert strategies.agreement("small", "similar", stats(0.6, 0.8), tie=0.02) == "disagrees"
    assert strategies.agreement("larger", "similar", stats(0.6, 0.8), tie=0.02) == "agrees"


def test_grid_round_trip(tmp_path):
    payload = {"provenance": {"seeds": [0]}, "cells": {"small/similar": {"runs": RUNS}}}
    strategies.save_grid(tmp_path / "g.json", payload)
    assert strategies.load_grid(tmp_path / "g.json") == payload
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a strategy grid"):
        strategies.load_grid(tmp_path / "bad.json")


def test_advice_covers_the_grid():
    for size in strategies.SIZES:
        for similarity in strategies.SIMILARITIES:
            assert strategies.ADVICE[size, similarity][0] in strategies.STRATEGIES

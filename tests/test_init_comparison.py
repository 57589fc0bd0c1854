"""Unit tests for helpers.init_comparison (lesson 01's same-architecture comparison)."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import init_comparison


def _run(start, seed, curve, train):
    return {"start": start, "seed": seed, "seconds": 1.0, "test_accuracy": curve,
            "train_accuracy": train}


def test_summarize_counts_epochs_to_target_and_the_gap():
    runs = [_run("imagenet", 0, [0.5, 0.7, 0.8], 1.0), _run("random", 0, [0.2, 0.3, 0.4], 0.9),
            _run("imagenet", 1, [0.65, 0.7, 0.75], 0.95), _run("random", 1, [0.3, 0.6, 0.5], 0.8)]
    table = init_comparison.summarize(runs, target=0.6)
    assert table["imagenet"]["epochs_to_target"] == [2, 1]
    assert table["random"]["epochs_to_target"] == [None, 2]
    assert table["imagenet"]["final_test"] == [0.8, 0.75]
    np.testing.assert_allclose(table["random"]["gap"], [0.5, 0.3])


def test_contest_trains_both_starts_with_one_model():
    settings = init_comparison.Settings(input_size=32, epochs=2, batch_size=4)
    contest = init_comparison.Contest(num_classes=2, settings=settings)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    y = np.arange(8) % 2
    model = contest.model
    runs = [contest.run(start, 0, (x, y), (x, y)) for start in init_comparison.STARTS]
    assert contest.model is model  # restarted, not rebuilt
    assert all(len(r["test_accuracy"]) == 2 and 0 <= r["train_accuracy"] <= 1 for r in runs)
    contest.start_weights("imagenet", 0)
    np.testing.assert_array_equal(contest.base.get_weights()[0], contest._imagenet[0])
    contest.start_weights("random", 0)
    assert not np.allclose(contest.base.get_weights()[0], contest._imagenet[0])
    with pytest.raises(ValueError, match="start must be one of"):
        contest.start_weights("pretrained", 0)

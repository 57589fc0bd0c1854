"""Unit tests for helpers.strategies (lesson 10): the scratch baseline, grid reading."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import strategies

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

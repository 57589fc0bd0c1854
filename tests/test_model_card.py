"""Unit tests for helpers.model_card."""
from __future__ import annotations

import pytest

from helpers import model_card


def test_card_holds_every_section(tmp_path):
    card = model_card.model_card("flowers", "200 photos", "sorting photos",
                                 {"test accuracy": "0.900"}, ["small test set"],
                                 {"Keras": "m.keras"})
    for part in ("# Model card: flowers", "## Data", "## Intended use", "- test accuracy: 0.900",
                 "## Limits", "- small test set", "`m.keras`"):
        assert part in card
    path = model_card.write_model_card(tmp_path / "out" / "MODEL_CARD.md", card)
    assert path.read_text(encoding="utf-8") == card


def test_card_needs_results_and_limits():
    with pytest.raises(ValueError, match="limitation"):
        model_card.model_card("m", "d", "u", {"acc": "1"}, [])
    with pytest.raises(ValueError, match="intended_use"):
        model_card.model_card("m", "d", " ", {"acc": "1"}, ["x"])

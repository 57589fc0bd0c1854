"""Unit tests for helpers.cutting on a tiny network with a residual block."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import cutting, models
from tests.tiny_models import tiny_base, toy_data


def test_cut_points_skip_the_inside_of_a_residual_block():
    assert cutting.cut_points(tiny_base()) == [0, 1, 2, 4, 5]


def test_cut_for_picks_the_highest_valid_cut_below_the_top():
    base = tiny_base()
    assert cutting.cut_for(base, 0) == 5
    assert cutting.cut_for(base, 1) == 4
    assert cutting.cut_for(base, 2) == 2  # 3 would cut the residual block
    assert cutting.cut_for(base, 5) == 0
    with pytest.raises(ValueError, match="between 0 and"):
        cutting.cut_for(base, 6)


def test_split_recomposes_the_base_and_shares_layers():
    base = tiny_base()
    x, _ = toy_data(4)
    bottom, top = cutting.split(base, "bn1")
    assert np.allclose(top(bottom(x)), base(x), atol=1e-6)
    assert base.get_layer("c3") in top.layers
    with pytest.raises(ValueError, match="skip"):
        cutting.split(base, "c2")
    bottom, top = cutting.split(base, 0)
    assert bottom is None and top is not None
    assert cutting.split(base, 5)[1] is None


def test_bottom_model_runs_preprocessing_then_the_bottom():
    base = tiny_base()
    x, _ = toy_data(4)
    model = cutting.bottom_model(base, 2, "none")
    expected = keras.Model(base.input, base.get_layer("bn1").output)(x)
    assert np.allclose(model.predict(x, verbose=0), expected, atol=1e-6)


def test_bottom_model_reads_the_base_preprocessing_or_asks_for_it():
    base = tiny_base()
    with pytest.raises(ValueError, match="pass preprocessing"):
        cutting.bottom_model(base, 2)
    base.preprocessing = "mobilenet_v2"
    assert cutting.bottom_model(base, 2).get_layer("preprocess").family == "mobilenet_v2"


def test_top_classifier_head_copies_into_a_features_head():
    base = tiny_base()
    top = cutting.top_classifier(base, 4, num_classes=3)
    head = models.build_head(6, 3)
    models_out = [layer.name for layer in top.layers[-3:]]
    assert models_out == ["pool", "dropout", "new_head"]
    from helpers import training
    training.copy_head(top, head)
    assert np.array_equal(head.get_layer("new_head").get_weights()[0],
                          top.get_layer("new_head").get_weights()[0])


def test_spread_cut_points_are_valid_and_end_at_the_top():
    base = tiny_base()
    assert cutting.spread_cut_points(base, 3) == ["c1", "add", "c3"]
    assert cutting.spread_cut_points(base, 1) == ["c3"]
    with pytest.raises(ValueError, match="count must be between 1 and 4"):
        cutting.spread_cut_points(base, 5)


def test_pooled_activations_returns_one_pooled_vector_per_depth():
    base = tiny_base()
    model = cutting.pooled_activations(base, ["bn1", "c3"], preprocessing="none")
    x, _ = toy_data(4)
    low, high = model.predict(x, verbose=0)
    assert low.shape == (4, 4) and high.shape == (4, 6)
    assert np.allclose(high, np.asarray(base(x)).mean(axis=(1, 2)), atol=1e-5)
    with pytest.raises(ValueError, match="has no layer 'nope'"):
        cutting.pooled_activations(base, ["nope"], preprocessing="none")

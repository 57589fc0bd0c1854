"""Unit tests for helpers.speech: speaker splits, batched resizing, the CNN, copying, freezing."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import speech


def test_speaker_split_is_disjoint_and_complete():
    speakers = np.array(["ann", "bob", "ann", "cy", "bob"])
    source, target = speech.speaker_split(speakers, "bob")
    assert target.tolist() == [1, 4]
    assert source.tolist() == [0, 2, 3]
    with pytest.raises(ValueError, match="'dan'.*'ann', 'bob', 'cy'"):
        speech.speaker_split(speakers, "dan")
    with pytest.raises(ValueError, match="Only one speaker"):
        speech.speaker_split(np.array(["ann", "ann"]), "ann")


def test_spectrogram_cnn_shapes_and_names():
    model = speech.spectrogram_cnn(16, num_classes=4)
    assert model.input_shape == (None, 16, 16, 1) and model.output_shape == (None, 4)
    names = [layer.name for layer in model.layers]
    assert {"block1_conv", "block3_conv", "embedding", "head"} <= set(names)
    probs = model.predict(np.zeros((2, 16, 16, 1), "float32"), verbose=0)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_train_only_freezes_the_rest():
    model = speech.spectrogram_cnn(16)
    assert speech.train_only(model, ["head"]) == 2  # kernel and bias
    assert [layer.name for layer in model.layers if layer.trainable] == ["head"]
    assert speech.train_only(model, ["embedding", "head"]) == 4
    with pytest.raises(ValueError, match="no layer.*'top'"):
        speech.train_only(model, ["top"])

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


def test_resize_spectrograms_keeps_layout_and_range():
    rng = np.random.default_rng(0)
    specs = rng.uniform(0, 1, (3, 129, 126)).astype("float32")
    specs[1] = 0.0
    specs[1, :64] = 1.0  # top half bright (high frequencies, rows run high -> low)
    out = speech.resize_spectrograms(specs, 16, batch_size=2)  # two batches
    assert out.shape == (3, 16, 16, 1) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out[1, :7].mean() > 0.95 and out[1, 9:].mean() < 0.05
    assert speech.resize_spectrograms(specs[:0], 16).shape == (0, 16, 16, 1)
    with pytest.raises(ValueError, match=r"\(n, freq, time\)"):
        speech.resize_spectrograms(specs[0], 16)
    with pytest.raises(ValueError, match="too small"):
        speech.resize_spectrograms(specs, 4)


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


def test_spectrogram_pixels_matches_audio_images():
    from helpers import data

    specs = np.random.default_rng(2).uniform(0, 1, (2, 129, 126)).astype("float32")
    pixels = speech.spectrogram_pixels(specs, 32)
    assert pixels.shape == (2, 32, 32, 3) and pixels.dtype == np.uint8
    assert np.array_equal(pixels[..., 0], pixels[..., 2])
    reference = data.to_image(specs[0], 32)  # what audio.spectrogram_images does per clip
    assert np.abs(pixels[0].astype(int) - reference.astype(int)).max() <= 1

"""Unit tests for helpers.speech: speaker splits, batched resizing, the CNN, copying, freezing."""
from __future__ import annotations

import keras
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


def test_copy_model_copies_weights_and_is_independent():
    keras.utils.set_random_seed(0)
    original = speech.spectrogram_cnn(16, num_classes=3)
    copy = speech.copy_model(original)
    x = np.random.default_rng(1).uniform(0, 1, (4, 16, 16, 1)).astype("float32")
    assert np.allclose(original.predict(x, verbose=0), copy.predict(x, verbose=0), atol=1e-6)
    before = [w.copy() for w in original.get_weights()]
    copy.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    copy.fit(x, np.array([0, 1, 2, 0]), epochs=2, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(copy.get_weights(), before))
    assert all(np.array_equal(a, b) for a, b in zip(original.get_weights(), before))


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


def test_restart_repeats_a_fresh_run():
    x = np.random.default_rng(3).uniform(0, 1, (8, 16, 16, 1)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    keras.utils.set_random_seed(0)
    model = speech.spectrogram_cnn(16, num_classes=3, dropout=0.0)
    start = [w.copy() for w in model.get_weights()]
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="not compiled"):
        speech.restart(speech.spectrogram_cnn(16), start)
    runs = []
    for _ in range(2):
        speech.restart(model, start)
        assert int(model.optimizer.iterations.numpy()) == 0
        model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
        runs.append(model.get_weights())
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    assert any(not np.array_equal(a, b) for a, b in zip(runs[0], start))
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(runs[0], runs[1]))

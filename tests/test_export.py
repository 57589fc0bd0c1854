"""Unit tests for helpers.export: every format on a tiny model, in seconds."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import export


def tiny_classifier(size: int = 8, classes: int = 3, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3), name="pixels")
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="new_head")(x)
    return keras.Model(inputs, outputs)


def pixels(n: int = 6, size: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3)).astype(np.uint8)


def test_keras_round_trip_in_safe_mode(tmp_path):
    model, x = tiny_classifier(), pixels()
    path = export.save_keras(model, tmp_path / "m.keras")
    again = export.load_keras(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert export.size_mb(path) > 0


def test_keras_needs_the_suffix(tmp_path):
    with pytest.raises(ValueError, match=".keras"):
        export.save_keras(tiny_classifier(), tmp_path / "m.h5")


def test_safe_mode_refuses_a_lambda(tmp_path):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        export.load_keras(path)


def test_saved_model_takes_uint8_and_bytes(tmp_path):
    model, x = tiny_classifier(), pixels(4)
    path = export.export_saved_model(model, tmp_path / "sm")
    loaded = tf.saved_model.load(str(path))
    expected = model.predict(x.astype(np.float32), verbose=0)
    np.testing.assert_allclose(loaded.serve(tf.constant(x)).numpy(), expected, atol=1e-5)
    files = tf.constant([tf.io.encode_png(image).numpy() for image in x])  # lossless
    np.testing.assert_allclose(loaded.serve_bytes(files).numpy(), expected, atol=1e-5)
    layer = keras.layers.TFSMLayer(str(path), call_endpoint="serve")
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-5)
    assert export.size_mb(path) > export.size_mb(path / "saved_model.pb")


def test_export_needs_a_fixed_image_input(tmp_path):
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    with pytest.raises(ValueError, match="fixed"):
        export.export_saved_model(model, tmp_path / "sm")


@pytest.mark.parametrize("mode", export.TFLITE_MODES)
def test_tflite_modes_agree_with_keras(mode):
    model, x = tiny_classifier(), pixels(12)
    content = export.to_tflite(model, mode, export.representative_data(x.astype(np.float32)))
    runner = export.TFLiteModel(content)
    probabilities = runner.predict(x)
    expected = model.predict(x.astype(np.float32), verbose=0)
    assert probabilities.shape == expected.shape
    tolerance = 1e-5 if mode == "float32" else 0.05
    assert np.abs(probabilities - expected).max() < tolerance
    assert (runner.input_dtype == np.uint8) == (mode == "int8")


def test_int8_needs_calibration_images():
    with pytest.raises(ValueError, match="representative"):
        export.to_tflite(tiny_classifier(), "int8")
    with pytest.raises(ValueError, match="mode="):
        export.to_tflite(tiny_classifier(), "int4")
    with pytest.raises(ValueError, match="calibration"):
        export.representative_data(np.empty((0, 8, 8, 3)))


def test_latency_is_a_median_of_calls():
    calls = []
    ms = export.latency_ms(lambda batch: calls.append(batch.shape), pixels(3), repeats=4)
    assert ms >= 0 and len(calls) == 5 and calls[0] == (1, 8, 8, 3)
    with pytest.raises(ValueError):
        export.latency_ms(lambda b: None, pixels(0), repeats=2)


def test_size_of_a_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="export"):
        export.size_mb(tmp_path / "nothing")

"""Shipping a trained Keras image classifier: the ``.keras`` file, a SavedModel that takes uint8
pixels or raw image bytes, TensorFlow Lite (float32, dynamic-range and full-integer quantized),
and the two numbers every format is judged by here: file size and latency per image.

Lesson 18 explains every format and measures them side by side.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import keras
import numpy as np

TFLITE_MODES = ("float32", "dynamic", "int8")


def size_mb(path: str | Path) -> float:
    """Size of a file, or of every file under a folder, in MB (10^6 bytes)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; export the model there first.")
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def save_keras(model: keras.Model, path: str | Path) -> Path:
    """Save in the Keras format; the file name must end in ``.keras``."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: the Keras format needs a file name ending in '.keras'.")
    model.save(path)
    return path


def load_keras(path: str | Path) -> keras.Model:
    """Load a ``.keras`` file with ``safe_mode=True``: a model holding a Python lambda is refused
    (use registered layers, as ``models.Preprocess``); custom layers must be imported first."""
    return keras.models.load_model(path, safe_mode=True)


def _check_image_input(model: keras.Model) -> tuple[int, int]:
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[-1] != 3 or None in shape[1:3]:
        raise ValueError(f"{model.name} takes inputs of shape {shape}; export needs a fixed "
                         "(None, height, width, 3) image input.")
    return int(shape[1]), int(shape[2])


def decode_and_resize(data, size: tuple[int, int]):
    """Raw image file bytes (JPEG, PNG, BMP, GIF, WebP) -> float32 (height, width, 3) pixels in
    [0, 255], resized, rounded and clipped exactly as ``data.load_images`` does (no EXIF turn)."""
    import tensorflow as tf

    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    resized = tf.image.resize(image, size, antialias=True)
    return tf.clip_by_value(tf.round(resized), 0.0, 255.0)


def export_saved_model(model: keras.Model, path: str | Path) -> Path:
    """Write a SavedModel with two endpoints: ``serve`` (uint8 pixels (n, h, w, 3)) and
    ``serve_bytes`` (a batch of image-file bytes, decoded and resized inside). Both return class
    probabilities. ``model.export`` writes the ``serve`` endpoint alone; this uses the
    ``keras.export.ExportArchive`` it is built on to add the second."""
    import tensorflow as tf

    height, width = _check_image_input(model)
    archive = keras.export.ExportArchive()
    archive.track(model)

    def serve(pixels):
        return model(tf.cast(pixels, tf.float32), training=False)

    def serve_bytes(files):
        images = tf.map_fn(lambda f: decode_and_resize(f, (height, width)), files,
                           fn_output_signature=tf.TensorSpec((height, width, 3), tf.float32))
        return model(images, training=False)

    archive.add_endpoint("serve", serve, [tf.TensorSpec((None, height, width, 3), tf.uint8)])
    archive.add_endpoint("serve_bytes", serve_bytes, [tf.TensorSpec((None,), tf.string)])
    archive.write_out(str(path), verbose=False)
    return Path(path)


def representative_data(images: np.ndarray, count: int = 100) -> Callable[[], Iterable]:
    """The calibration generator full-integer quantization needs: ``count`` training images, one
    at a time, as float32 pixels in [0, 255]."""
    if len(images) == 0:
        raise ValueError("Full-integer quantization needs some training images for calibration.")

    def generate():
        for image in images[:count]:
            yield [image[None].astype(np.float32)]

    return generate


def to_tflite(model: keras.Model, mode: str = "float32", representative=None) -> bytes:
    """Convert to TensorFlow Lite. ``mode``: ``float32`` (no quantization), ``dynamic`` (weights
    stored as int8, activations float) or ``int8`` (everything integer; uint8 pixels in and
    uint8 probabilities out; needs ``representative``, see :func:`representative_data`)."""
    import tensorflow as tf

    if mode not in TFLITE_MODES:
        raise ValueError(f"mode={mode!r}: use one of {TFLITE_MODES}.")
    if mode == "int8" and representative is None:
        raise ValueError("mode='int8' needs representative=export.representative_data(images).")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "int8":
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    return converter.convert()


def interpreter_class() -> tuple[type, str]:
    """The TFLite interpreter to use, and its name: LiteRT's (``ai_edge_litert``, what TF 2.21's
    deprecation notice asks for) when installed, else ``tf.lite.Interpreter``."""
    try:
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter, "ai_edge_litert.interpreter.Interpreter (LiteRT)"
    except ImportError:
        import tensorflow as tf

        return tf.lite.Interpreter, "tf.lite.Interpreter (ai_edge_litert is not installed)"


class TFLiteModel:
    """Runs a ``.tflite`` model image by image; quantized inputs and outputs are converted with
    the scale and zero point stored in the model, so it takes and returns what Keras does."""

    def __init__(self, model_content: bytes, num_threads: int | None = None):
        interpreter, self.interpreter_name = interpreter_class()
        self.interpreter = interpreter(model_content=model_content, num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    @property
    def input_dtype(self) -> type:
        """What the model takes: float32, or uint8/int8 when quantized."""
        return self.input["dtype"]

    def _quantize(self, image: np.ndarray) -> np.ndarray:
        dtype = self.input_dtype
        if dtype == np.float32:
            return image.astype(np.float32)
        scale, zero = self.input["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(image / scale + zero), info.min, info.max).astype(dtype)

    def predict_one(self, image: np.ndarray) -> np.ndarray:
        """Class probabilities for one (h, w, 3) image of pixels in [0, 255]."""
        self.interpreter.set_tensor(self.input["index"], self._quantize(image)[None])
        self.interpreter.invoke()
        out = self.interpreter.get_tensor(self.output["index"])[0]
        if out.dtype != np.float32:
            scale, zero = self.output["quantization"]
            out = (out.astype(np.float32) - zero) * scale
        return out

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities for a batch, one image at a time (as on a phone)."""
        return np.stack([self.predict_one(image) for image in images])


def latency_ms(predict_one: Callable[[np.ndarray], object], images: np.ndarray,
               repeats: int = 10) -> float:
    """Median milliseconds of single-image calls ``predict_one(images[i:i+1])`` (a batch of
    one), after one warm-up call (which traces or allocates). ``images`` may also be an object
    array of image-file bytes."""
    if len(images) == 0 or repeats < 1:
        raise ValueError("latency_ms needs at least one image and repeats >= 1.")
    predict_one(images[:1])
    times = []
    for i in range(repeats):
        one = images[i % len(images):i % len(images) + 1]
        start = time.perf_counter()
        predict_one(one)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)

import hashlib
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import conftest
from helpers import hub


def _save_tiny_module(folder: Path, with_call: bool = True) -> np.ndarray:
    """A tiny SavedModel: mean colour of each image -> 4 features (times 10 when training).

    With ``with_call`` it follows TF Hub's Reusable SavedModel API (``__call__`` with a
    ``training`` argument); without, it has only a ``serving_default`` signature returning a
    dict. Returns the kernel, to compute the expected output.
    """
    kernel = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    module = tf.train.Checkpoint()
    module.kernel = tf.Variable(kernel)
    spec = tf.TensorSpec([None, 8, 8, 3], tf.float32)

    @tf.function
    def call(images, training=False):
        out = tf.matmul(tf.reduce_mean(images, axis=[1, 2]), module.kernel)
        return out * 10.0 if training else out

    if with_call:
        for training in (False, True):
            call.get_concrete_function(spec, training=training)
        module.__call__ = call
        tf.saved_model.save(module, str(folder))
    else:
        serve = tf.function(lambda images: {"feature_vector": call(images)},
                            input_signature=[spec])
        tf.saved_model.save(module, str(folder), signatures={"serving_default": serve})
    return kernel


@pytest.fixture
def images():
    return np.random.default_rng(1).uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")


def test_cache_path_is_sha1_of_handle(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    handle = "https://tfhub.dev/google/imagenet/mobilenet_v2_035_224/feature_vector/5"
    assert hub.cache_path(handle) == tmp_path / "843217464e31dd9c870dd5b8a50e827b9c60258d"
    assert hub.cache_path(handle).name == hashlib.sha1(handle.encode()).hexdigest()


def test_reusable_module_runs_frozen_in_inference_mode(tmp_path, images):
    kernel = _save_tiny_module(tmp_path / "m")
    model = hub.feature_extractor(str(tmp_path / "m"), image_size=8)
    expected = (images / 255).mean(axis=(1, 2)) @ kernel
    # training=True from the surrounding model must not switch the module to training mode.
    for training in (False, True):
        np.testing.assert_allclose(np.asarray(model(images, training=training)), expected,
                                   rtol=1e-5)
    assert model.output_shape == (None, 4)
    assert not model.trainable_weights and len(model.non_trainable_weights) == 1


def test_signature_only_module_is_unwrapped(tmp_path, images):
    kernel = _save_tiny_module(tmp_path / "s", with_call=False)
    model = hub.feature_extractor(str(tmp_path / "s"), image_size=8, raw_pixels=False)
    np.testing.assert_allclose(np.asarray(model(images)), images.mean(axis=(1, 2)) @ kernel,
                               rtol=1e-5)


def test_layer_stays_frozen(tmp_path):
    _save_tiny_module(tmp_path / "m")
    with pytest.raises(ValueError, match="frozen"):
        hub.HubFeatures(tmp_path / "m", trainable=True)
    layer = hub.HubFeatures(tmp_path / "m")
    with pytest.warns(UserWarning, match="stays frozen"):
        layer.trainable = True
    assert layer.trainable is False and not layer.trainable_weights


def test_saved_model_reloads_only_with_safe_mode_off(tmp_path, images):
    _save_tiny_module(tmp_path / "m")
    model = hub.feature_extractor(str(tmp_path / "m"), image_size=8)
    model.save(tmp_path / "extractor.keras")
    with pytest.raises(ValueError, match="safe_mode"):
        keras.models.load_model(tmp_path / "extractor.keras")
    reloaded = keras.models.load_model(tmp_path / "extractor.keras", safe_mode=False)
    np.testing.assert_allclose(reloaded.predict(images, verbose=0),
                               model.predict(images, verbose=0), rtol=1e-6)


def test_url_handle_resolves_offline_from_cache(monkeypatch, tmp_path):
    """tensorflow_hub uses a cached download of a URL handle without touching the network."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    handle = "https://tfhub.dev/tl-course/not-a-real-module/1"
    _save_tiny_module(hub.cache_path(handle))
    assert hub.resolve(handle) == hub.cache_path(handle)


def test_missing_module_error_says_how_to_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    with pytest.raises(hub.HubError, match="TL_COURSE_ASSETS"):
        hub.resolve(str(tmp_path / "no-such-module"))


def test_conftest_seeds_the_lesson_handle():
    assert hub.MOBILENET_V3_SMALL_075_224 in conftest.HUB_FIXTURES


@pytest.mark.skipif(not conftest.FIXTURES.is_dir(), reason="needs ../shared/fixtures")
def test_real_module_loads_offline_frozen_with_1024_features():
    """Google's own MobileNetV3-small module from the fixtures, found through the handle."""
    assert hub.cache_path(hub.MOBILENET_V3_SMALL_075_224).is_dir(), "conftest should have seeded it"
    model = hub.feature_extractor()
    rng = np.random.default_rng(2)
    pixels = rng.uniform(0, 255, size=(3, 224, 224, 3)).astype("float32")
    features = model.predict(pixels, verbose=0)
    assert features.shape == (3, 1024) and np.isfinite(features).all()
    assert not model.trainable_weights and model.non_trainable_weights
    again = model.predict(pixels[:1], verbose=0)  # inference mode: no batch dependence
    np.testing.assert_allclose(again[0], features[0], atol=1e-4)

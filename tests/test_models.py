import keras
import numpy as np
import pytest

from helpers import models
from tests.tiny_models import tiny_base


@pytest.fixture(scope="module")
def random_base():
    return models.build_backbone("mobilenet_v2_0.35", weights=None)


def test_backbone_is_headless_and_frozen(random_base):
    assert random_base.output_shape == (None, 7, 7, 1280)
    assert random_base.trainable is False and not random_base.trainable_weights


def test_imagenet_weights_load():
    base = models.build_backbone("mobilenet_v2_0.35")
    assert models.count_params(base.weights) == 410_208


def test_unknown_backbone_lists_choices():
    with pytest.raises(KeyError, match="mobilenet_v2_0.35.*ResNet50"):
        models.spec("resnet")
    with pytest.raises(KeyError):
        models.spec("preprocess_input")  # a function of keras.applications, not a model


def test_any_keras_application_by_name():
    resnet, xception = models.spec("ResNet50"), models.spec("Xception")
    assert (resnet.constructor, resnet.input_size, resnet.weights_asset) == ("ResNet50", 224, "")
    assert resnet.preprocessing == "resnet"
    assert (xception.input_size, xception.preprocessing) == (299, "xception")
    assert models.application_family("DenseNet121") == "densenet"
    assert models.application_family("Dense") is None


def test_non_catalog_backbone_builds_and_explains_a_failed_download(monkeypatch):
    base = models.build_backbone("MobileNetV3Small", weights=None)
    assert base.trainable is False and base.output_shape[1:3] == (7, 7)

    def offline(*args, **kwargs):  # what keras.utils.get_file raises without a network
        raise Exception("URL fetch failure on https://example.invalid/w.h5: None -- offline")  # noqa: TRY002

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", offline)
    with pytest.raises(RuntimeError, match="Could not download the ImageNet weights of DenseNet121"):
        models.build_backbone("DenseNet121")


def test_classifier_shapes_and_only_head_trainable(random_base):
    model = models.build_classifier(random_base, num_classes=5, preprocessing="mobilenet_v2")
    assert model.output_shape == (None, 5)
    report = models.trainable_report(model, print_it=False)
    assert report["trainable params"] == 1280 * 5 + 5
    probs = model.predict(np.zeros((2, 224, 224, 3), np.float32), verbose=0)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_unfreeze_top_keeps_batchnorm_frozen(random_base):
    n = models.unfreeze_top(random_base, 10)
    top = random_base.layers[-10:]
    expected = sum(not isinstance(layer, keras.layers.BatchNormalization) for layer in top)
    assert n == expected and all(not layer.trainable for layer in random_base.layers[:-10])
    assert models.unfreeze_top(random_base, 10, keep_batchnorm_frozen=False) == 10
    with pytest.raises(ValueError, match="between 0 and"):
        models.unfreeze_top(random_base, 10_000)
    random_base.trainable = False


def test_preprocess_layer_scales_and_round_trips(tmp_path):
    layer = models.Preprocess("mobilenet_v2")
    out = np.asarray(layer(np.array([[0.0, 127.5, 255.0]], np.float32)))
    assert np.allclose(out, [[-1.0, 0.0, 1.0]])
    model = keras.Sequential([keras.Input((3,)), layer])
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    assert restored.layers[0].family == "mobilenet_v2"
    with pytest.raises(ValueError, match="preprocess_input"):
        models.Preprocess("nonsense")


def test_layer_states_and_trainable_params():
    base = tiny_base()
    states = models.layer_states(base, 4)
    assert states == ["frozen", "frozen", "batchnorm (frozen)", "trainable", "trainable",
                      "trainable"]
    assert models.layer_states(base, 4, keep_batchnorm_frozen=False)[2] == "trainable"
    c2, c3 = base.get_layer("c2").count_params(), base.get_layer("c3").count_params()
    assert models.trainable_params(base, 4) == c2 + c3
    assert models.trainable_params(base, 0) == 0
    assert not base.trainable_weights  # nothing was actually unfrozen


def test_feature_model_is_frozen_and_pooled():
    model = models.feature_model("mobilenet_v2_0.35", weights=None, preprocessing="none")
    assert model.output_shape == (None, 1280)
    assert model.get_layer("preprocess").family == "none"
    assert not model.trainable_weights


def test_scratch_cnn_outputs_probabilities():
    model = models.scratch_cnn(32, 4)
    out = model.predict(np.zeros((2, 32, 32, 3), np.float32), verbose=0)
    assert out.shape == (2, 4)
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_scratch_cnn_pooling_keeps_or_drops_position():
    flat, avg = models.scratch_cnn(32, 4), models.scratch_cnn(32, 4, pooling="average")
    assert any(isinstance(layer, keras.layers.Flatten) for layer in flat.layers)
    assert any(isinstance(layer, keras.layers.GlobalAveragePooling2D) for layer in avg.layers)
    assert flat.count_params() > avg.count_params()  # the head sees every position
    with pytest.raises(ValueError, match="pooling='max'"):
        models.scratch_cnn(32, 4, pooling="max")


def test_every_builder_uses_the_backbone_preprocessing(random_base):
    assert random_base.preprocessing == "mobilenet_v2"
    model = models.build_classifier(random_base, num_classes=2)
    assert model.get_layer("preprocess").family == "mobilenet_v2"
    on_purpose = models.build_classifier(random_base, num_classes=2, preprocessing="none")
    assert on_purpose.get_layer("preprocess").family == "none"


def test_new_head_names_and_hidden_layer():
    head = models.build_head(8, 3, hidden_units=4)
    assert [layer.name for layer in head.layers[1:]] == ["hidden", "dropout", "new_head"]
    assert head.output_shape == (None, 3)


def test_scratch_cnn_takes_an_augmentation_layer():
    flip = keras.layers.RandomFlip("horizontal")
    model = models.scratch_cnn(32, 2, pooling="average", augmentation=flip)
    assert flip in model.layers
    assert model.count_params() == models.scratch_cnn(32, 2, pooling="average").count_params()


def test_copy_model_copies_weights_and_is_independent():
    keras.utils.set_random_seed(0)
    original = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(3, activation="softmax")])
    copy = models.copy_model(original)
    x = np.random.default_rng(1).uniform(0, 1, (4, 16, 16, 1)).astype("float32")
    assert np.allclose(original.predict(x, verbose=0), copy.predict(x, verbose=0), atol=1e-6)
    before = [w.copy() for w in original.get_weights()]
    copy.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    copy.fit(x, np.array([0, 1, 2, 0]), epochs=2, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(copy.get_weights(), before))
    assert all(np.array_equal(a, b) for a, b in zip(original.get_weights(), before))


def test_heads_give_float32_probabilities_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        head = models.build_head(8, 3)
        cnn = models.scratch_cnn(32, 3)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert head.layers[-2].compute_dtype == "bfloat16"  # the dropout before it computes in 16 bits
    for model in (head, cnn):
        assert model.outputs[0].dtype == "float32"
        assert model(np.zeros((1, *model.input_shape[1:]), "float32")).dtype == "float32"


def test_resized_backbone_carries_the_224_px_imagenet_weights():
    native = models.build_backbone("mobilenet_v2_0.35")
    small = models.resized_backbone("mobilenet_v2_0.35", 96)
    assert small.input_shape == (None, 96, 96, 3) and small.output_shape == (None, 3, 3, 1280)
    assert small.trainable is False and small.preprocessing == "mobilenet_v2"
    for a, b in zip(native.get_weights(), small.get_weights()):
        np.testing.assert_array_equal(a, b)
    keras.utils.set_random_seed(0)
    random = models.resized_backbone("mobilenet_v2_0.35", 96, weights=None)
    assert not np.allclose(random.get_weights()[0], small.get_weights()[0])

"""Pretrained backbones and everything built on them: the catalog, feature extractors, the one
new-head builder, a small CNN trained from scratch, and the one rule for which layers train.

Lesson 02 explains how to choose a backbone, lesson 03 the new head, lesson 04 freezing.
A backbone built here carries its preprocessing (``base.preprocessing``), so every builder
attaches the right one unless a lesson passes another on purpose.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import keras

from helpers import assets


@dataclass(frozen=True)
class BackboneSpec:
    """How to build one ``keras.applications`` model without its ImageNet head."""

    key: str
    constructor: str  # attribute of keras.applications
    input_size: int
    preprocessing: str  # keras.applications sub-module whose preprocess_input applies, or "none"
    weights_asset: str  # name in helpers.assets.REGISTRY; "" = Keras downloads and caches them
    kwargs: dict = field(default_factory=dict)


CATALOG: dict[str, BackboneSpec] = {
    s.key: s
    for s in [
        BackboneSpec("mobilenet_v2_0.35", "MobileNetV2", 224, "mobilenet_v2",
                     "mobilenet_v2_0.35_224", {"alpha": 0.35}),
        BackboneSpec("mobilenet_v2_1.0", "MobileNetV2", 224, "mobilenet_v2",
                     "mobilenet_v2_1.0_224", {"alpha": 1.0}),
        BackboneSpec("mobilenet_v1_0.25", "MobileNet", 224, "mobilenet",
                     "mobilenet_v1_0.25_224", {"alpha": 0.25}),
        # These two rescale inside the model, so they take raw [0, 255] pixels.
        BackboneSpec("mobilenet_v3_small", "MobileNetV3Small", 224, "none",
                     "mobilenet_v3_small_224", {"include_preprocessing": True}),
        BackboneSpec("efficientnet_b0", "EfficientNetB0", 224, "none", "efficientnet_b0"),
    ]
}
DEFAULT_BACKBONE = "mobilenet_v2_0.35"
# Native input sizes of keras.applications models that are not 224 px.
NATIVE_SIZE = {"InceptionV3": 299, "InceptionResNetV2": 299, "Xception": 299, "NASNetLarge": 331}


def application_family(name: str) -> str | None:
    """The ``keras.applications`` sub-module (preprocessing family) of a model constructor such
    as ``"ResNet50"`` -> ``"resnet"``; None if ``name`` is not a keras.applications model."""
    constructor = getattr(keras.applications, name, None)
    if not name[:1].isupper() or not callable(constructor):
        return None
    family = constructor.__module__.rsplit(".", 1)[-1]  # keras.src.applications.resnet -> resnet
    return family if hasattr(getattr(keras.applications, family, None), "preprocess_input") \
        else None


def spec(key: str) -> BackboneSpec:
    """A catalog backbone by key, or any ``keras.applications`` model by its constructor name
    (e.g. ``"ResNet50"``: native input size, its own preprocessing, weights through Keras)."""
    if key in CATALOG:
        return CATALOG[key]
    family = application_family(key)
    if family is None:
        raise KeyError(f"Unknown backbone {key!r}. Choose a catalog key ({', '.join(CATALOG)}) "
                       "or a keras.applications model name such as 'ResNet50' or "
                       "'EfficientNetV2B0'.")
    return BackboneSpec(key, key, NATIVE_SIZE.get(key, 224), family, weights_asset="")


def available_backbones() -> list[str]:
    """Backbones whose ImageNet weights are already on disk (no download needed)."""
    return [key for key, s in CATALOG.items() if assets.is_available(s.weights_asset)]


@keras.saving.register_keras_serializable(package="tl_course")
class Preprocess(keras.layers.Layer):
    """Applies ``keras.applications.<family>.preprocess_input`` inside the model.

    Putting preprocessing in the model means a saved model takes raw [0, 255] pixels.
    ``family="none"`` passes pixels through unchanged.
    """

    def __init__(self, family: str, **kwargs):
        super().__init__(**kwargs)
        if family != "none" and not hasattr(getattr(keras.applications, family, None),
                                            "preprocess_input"):
            raise ValueError(f"keras.applications.{family} has no preprocess_input; use a "
                             "module name such as 'mobilenet_v2' or 'none'.")
        self.family = family

    def call(self, inputs):
        if self.family == "none":
            return inputs
        return getattr(keras.applications, self.family).preprocess_input(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "family": self.family}


def build_backbone(key: str = DEFAULT_BACKBONE, weights: str | None = "imagenet") -> keras.Model:
    """The pretrained model without its ImageNet classifier (``include_top=False``), frozen.

    ``weights=None`` builds the same architecture with random weights (training from scratch).
    """
    s = spec(key)
    if weights == "imagenet" and s.weights_asset:
        assets.weights_path(s.weights_asset)  # clear error before Keras tries the internet
    constructor = getattr(keras.applications, s.constructor)
    try:
        base = constructor(include_top=False, weights=weights,
                           input_shape=(s.input_size, s.input_size, 3), **s.kwargs)
    except Exception as error:
        if "URL fetch failure" not in str(error):
            raise
        raise RuntimeError(
            f"Could not download the ImageNet weights of {key} ({error}). Connect to the "
            "internet once (Keras keeps them in ~/.keras/models), or pick a backbone that "
            f"is already on disk: {', '.join(available_backbones()) or 'none yet'}.") from error
    base.trainable = False
    base.preprocessing = s.preprocessing  # builders read it: the backbone carries its preprocessing
    return base


def preprocessing_of(base: keras.Model, override: str | None = None) -> str:
    """The preprocessing family to put in front of ``base``: ``override`` if given, else the one
    :func:`build_backbone` recorded on it."""
    family = override or getattr(base, "preprocessing", None)
    if family is None:
        raise ValueError(f"{base.name} was not built by models.build_backbone, so it does not know "
                         "its preprocessing; pass preprocessing='mobilenet_v2' (or 'none').")
    return family


def feature_model(key: str = DEFAULT_BACKBONE, weights: str | None = "imagenet",
                  preprocessing: str | None = None) -> keras.Model:
    """Raw [0, 255] pixels -> preprocessing -> frozen base -> global average pooling.

    ``preprocessing`` overrides the backbone's own (e.g. ``"none"`` to show what a wrong input
    scale does); ``weights=None`` gives the same architecture with random weights."""
    base = build_backbone(key, weights=weights)
    inputs = keras.Input(shape=base.input_shape[1:], name="pixels")
    x = Preprocess(preprocessing_of(base, preprocessing), name="preprocess")(inputs)
    outputs = keras.layers.GlobalAveragePooling2D(name="pool")(base(x, training=False))
    return keras.Model(inputs, outputs, name=f"{key}_features")


def new_head(x, num_classes: int, dropout: float = 0.2, hidden_units: int = 0,
             pool: bool = True):
    """The one new-head recipe, applied to tensor ``x``: [pool] -> [Dense(hidden)] -> Dropout ->
    Dense(softmax). Its layers are always named ``pool``, ``hidden``, ``dropout`` and
    ``new_head``, so a head trained in one model can be copied into another
    (``training.copy_head``). The softmax computes in float32 even under a mixed-precision
    policy (lesson 19): 16-bit probabilities feeding the loss are a classic source of ``nan``."""
    if pool:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.layers.Dense(num_classes, activation="softmax", dtype="float32",
                              name="new_head")(x)


def build_head(feature_dim: int, num_classes: int, dropout: float = 0.2,
               hidden_units: int = 0) -> keras.Model:
    """A new head on its own, for cached pooled features (lesson 05)."""
    inputs = keras.Input(shape=(feature_dim,), name="features")
    outputs = new_head(inputs, num_classes, dropout, hidden_units, pool=False)
    return keras.Model(inputs, outputs, name="head")


def build_classifier(base: keras.Model, num_classes: int, preprocessing: str | None = None,
                     dropout: float = 0.2, augmentation: keras.layers.Layer | None = None,
                     name: str = "classifier") -> keras.Model:
    """Raw pixels -> [augmentation] -> preprocessing (the base's own unless given) -> base ->
    new head.

    The base is called with ``training=False``, the usual Keras recipe. Measured in lesson 04:
    Keras 3.15 ``fit()`` does not honour that argument for a nested model (keras-team/keras
    #20285), so keep BatchNormalization layers frozen when you unfreeze (``unfreeze_top`` does).
    """
    inputs = keras.Input(shape=base.input_shape[1:], name="pixels")
    x = augmentation(inputs) if augmentation is not None else inputs
    x = Preprocess(preprocessing_of(base, preprocessing), name="preprocess")(x)
    outputs = new_head(base(x, training=False), num_classes, dropout)
    return keras.Model(inputs, outputs, name=name)


def copy_model(model: keras.Model) -> keras.Model:
    """A new model with the same architecture and a copy of the weights: train the copy, and
    the original (a pre-trained or source model) stays as it is (lessons 11, 12, 15)."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def scratch_cnn(input_size: int, num_classes: int, pooling: str = "flatten",
                augmentation: keras.layers.Layer | None = None) -> keras.Model:
    """A small CNN with random initial weights, the from-scratch baseline (lessons 01, 10).

    ``pooling="flatten"`` keeps *where* a pattern sits, which a spectrogram needs (which
    frequency, which moment); ``"average"`` (global average pooling) throws it away, which suits
    photos whose object can be anywhere. ``augmentation`` (e.g. ``RandomFlip``) suits photos,
    not spectrograms: a flip would change what a spectrogram means."""
    if pooling not in ("flatten", "average"):
        raise ValueError(f"pooling={pooling!r}: use 'flatten' or 'average'.")
    return keras.Sequential([
        keras.Input((input_size, input_size, 3)),
        keras.layers.Rescaling(1 / 255),
        *([augmentation] if augmentation is not None else []),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.Flatten() if pooling == "flatten" else keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(num_classes, activation="softmax", dtype="float32"),
    ], name=f"from_scratch_{pooling}")


def layer_states(base: keras.Model, n_layers: int, keep_batchnorm_frozen: bool = True
                 ) -> list[str]:
    """The one rule for which layers train when the top ``n_layers`` are unfrozen: per layer
    'frozen', 'trainable' or 'batchnorm (frozen)'. :func:`unfreeze_top` applies it."""
    if not 0 <= n_layers <= len(base.layers):
        raise ValueError(f"n_layers must be between 0 and {len(base.layers)}, got {n_layers}.")
    cut = len(base.layers) - n_layers
    return ["frozen" if i < cut
            else "batchnorm (frozen)" if keep_batchnorm_frozen
            and isinstance(layer, keras.layers.BatchNormalization)
            else "trainable" for i, layer in enumerate(base.layers)]


def unfreeze_top(base: keras.Model, n_layers: int, keep_batchnorm_frozen: bool = True) -> int:
    """Make the last ``n_layers`` layers of ``base`` trainable (the rest frozen); return how many
    layers are trainable. Compile the model again afterwards for the change to take effect."""
    states = layer_states(base, n_layers, keep_batchnorm_frozen)
    base.trainable = True
    for layer, state in zip(base.layers, states):
        layer.trainable = state == "trainable"
    return states.count("trainable")


def trainable_params(base: keras.Model, n_layers: int) -> int:
    """Parameters that would train after ``unfreeze_top(base, n_layers)`` (BN frozen), without
    changing anything."""
    return sum(count_params(layer.weights)
               for layer, state in zip(base.layers, layer_states(base, n_layers))
               if state == "trainable")


def count_params(weights: list) -> int:
    """Total number of scalars in a list of variables."""
    return int(sum(math.prod(w.shape) for w in weights))


def trainable_report(model: keras.Model, print_it: bool = True) -> dict[str, int]:
    """Trainable and frozen parameter counts of ``model``."""
    report = {"trainable params": count_params(model.trainable_weights),
              "non-trainable params": count_params(model.non_trainable_weights)}
    report["total params"] = report["trainable params"] + report["non-trainable params"]
    if print_it:
        for key, value in report.items():
            print(f"{key:<22}{value:>12,}")
    return report


def resized_backbone(key: str = DEFAULT_BACKBONE, input_size: int = 96,
                     weights: str | None = "imagenet") -> keras.Model:
    """A catalog backbone for a smaller (or larger) input than its weights were made for, frozen.

    A fully convolutional network's weights do not depend on the input size, so the native-size
    ImageNet weights are copied into the same architecture built for ``input_size`` (Keras does
    the same when it has no file for a size). This works offline with the 224-px file only;
    ``weights=None`` gives random weights (lesson 01)."""
    s = spec(key)
    constructor = getattr(keras.applications, s.constructor)
    base = constructor(include_top=False, weights=None, input_shape=(input_size, input_size, 3),
                       **s.kwargs)
    if weights is not None:
        native = build_backbone(key, weights=weights)
        shapes = [tuple(w.shape) for w in native.weights], [tuple(w.shape) for w in base.weights]
        if shapes[0] != shapes[1]:
            raise ValueError(f"{key}'s weights depend on the input size ({s.input_size} px vs "
                             f"{input_size} px); use its native size.")
        base.set_weights(native.get_weights())
    base.trainable = False
    base.preprocessing = s.preprocessing
    return base

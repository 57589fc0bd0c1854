"""TF Hub image feature extractors inside Keras 3 models.

``hub.KerasLayer`` is a ``tf_keras`` (Keras 2) layer, so a Keras 3 model refuses it. This module
loads a TF Hub feature-vector SavedModel with ``keras.layers.TFSMLayer`` instead, frozen and in
inference mode. Lesson 02 explains the error, this route and the ``tf_keras`` alternative.

Handles are TF Hub / Kaggle Models URLs (downloaded once into ``$TFHUB_CACHE_DIR``, then loaded
offline from ``$TFHUB_CACHE_DIR/<sha1 of the handle>/``) or local SavedModel folders.
"""
from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import keras

from helpers import assets

# Google's MobileNetV3-small (width 0.75, 224 px) ImageNet feature vector: float images in
# [0, 1] of shape (batch, 224, 224, 3) -> (batch, 1024). On Kaggle Models it is
# google/mobilenet-v3/tensorFlow2/small-075-224-feature-vector/1.
MOBILENET_V3_SMALL_075_224 = (
    "https://tfhub.dev/google/imagenet/mobilenet_v3_small_075_224/feature_vector/5")


class HubError(RuntimeError):
    """A TF Hub handle could not be resolved; the message says how to fix it."""


def cache_path(handle: str) -> Path:
    """Where ``tensorflow_hub`` keeps (or looks for) the download of a URL ``handle``."""
    return assets.hub_cache_dir() / assets.hub_folder_name(handle)


def resolve(handle: str) -> Path:
    """Local folder of the SavedModel for ``handle``: a local folder as is, else the classroom
    copy (``TL_COURSE_ASSETS/tfhub/``), else tensorflow_hub's cache (downloads on first use)."""
    if Path(handle).is_dir():
        return Path(handle)
    local = assets.hub_local_copy(handle)
    if local is not None:
        return local
    import tensorflow_hub as hub

    try:
        return Path(hub.resolve(handle))
    except Exception as error:  # network and parsing errors come in many types
        raise HubError(
            f"Could not get the TF Hub module {handle!r} ({type(error).__name__}: {error}).\n"
            f"  Offline? Download it on a connected machine (python -c \"import tensorflow_hub"
            f" as hub; print(hub.resolve('{handle}'))\") and copy that folder to "
            f"{cache_path(handle)}, or point TL_COURSE_ASSETS at a folder made by "
            "`python -m helpers.assets download-all DIR`."
        ) from error


def _has_call(folder: Path) -> bool:
    """True if the SavedModel's root object has a ``__call__`` function (without loading it)."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((folder / "saved_model.pb").read_bytes())
    root = saved.meta_graphs[0].object_graph_def.nodes[0]
    return any(child.local_name == "__call__" for child in root.children)


def _accepts_training(fn) -> bool:
    try:
        return "training" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@keras.saving.register_keras_serializable(package="tl_course")
class HubFeatures(keras.layers.TFSMLayer):
    """A TF Hub feature-vector SavedModel as a frozen Keras 3 layer, run in inference mode.

    Uses the module's ``__call__`` (TF Hub's Reusable SavedModel API) with ``training=False``,
    or else its ``serving_default`` signature, unwrapping a one-output dict. The layer lists the
    module's weights (copies, for counting), and stays frozen: fine-tune ``keras.applications``
    models instead (lessons 04-06).
    """

    def __init__(self, filepath, call_endpoint: str | None = None, trainable: bool = False,
                 **kwargs):
        if trainable:
            raise ValueError("HubFeatures is frozen: a TF Hub module cannot be fine-tuned in a "
                             "Keras 3 model this way. Use a keras.applications backbone to "
                             "fine-tune.")
        kwargs.pop("call_training_endpoint", None)
        if call_endpoint is None:
            call_endpoint = "__call__" if _has_call(Path(filepath)) else "serving_default"
        super().__init__(str(filepath), call_endpoint=call_endpoint, trainable=False, **kwargs)
        self._wants_training = (call_endpoint == "__call__"
                                and _accepts_training(self.call_endpoint_fn))

    def _add_existing_weight(self, weight) -> None:
        """Track a frozen Keras copy of one module weight (for counting parameters; the module
        computes with its own). Keras 3.10+ does the same; Keras 3.8 and 3.9 (Colab's versions
        in 2025) tracked the TF variable itself and then failed to freeze it: "property
        'trainable' of 'UninitializedVariable' object has no setter"."""
        self._track_variable(keras.Variable(
            initializer=weight, trainable=False, dtype=weight.dtype, shape=weight.shape,
            name=weight.name.replace("/", "_").replace(":", "_")))

    @property
    def trainable(self) -> bool:
        return False

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if value:
            warnings.warn(f"{self.name} (a TF Hub module) stays frozen; trainable=True is "
                          "ignored.", stacklevel=2)

    def call(self, inputs, training=False):
        if self._wants_training:
            outputs = self.call_endpoint_fn(inputs, training=False)
        else:
            outputs = self.call_endpoint_fn(inputs)
        if isinstance(outputs, dict):
            if len(outputs) != 1:
                raise ValueError(f"The SavedModel returns several outputs {sorted(outputs)}; "
                                 "HubFeatures expects a single feature vector.")
            outputs = next(iter(outputs.values()))
        return outputs


def feature_extractor(handle: str = MOBILENET_V3_SMALL_075_224, image_size: int = 224,
                      raw_pixels: bool = True, name: str = "hub_feature_extractor"
                      ) -> keras.Model:
    """A Keras 3 model: images -> TF Hub feature vectors (frozen).

    TF Hub image modules expect float pixels in [0, 1]. With ``raw_pixels=True`` the model takes
    [0, 255] pixels like the rest of the course and rescales them itself. A saved model that
    contains it reloads with ``keras.models.load_model(path, safe_mode=False)`` (it runs an
    external SavedModel), as long as the module's folder still exists.
    """
    inputs = keras.Input(shape=(image_size, image_size, 3), name="pixels")
    x = keras.layers.Rescaling(1 / 255, name="to_0_1")(inputs) if raw_pixels else inputs
    features = HubFeatures(resolve(handle), name="hub_module")(x)
    return keras.Model(inputs, features, name=name)

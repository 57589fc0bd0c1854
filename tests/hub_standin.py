"""A STAND-IN for a TF Hub module, for offline tests. It is not Google's module.

The test machines reach no internet, so the TF Hub handle that lesson 02 loads,
``helpers.hub.MOBILENET_V2_035_224``, cannot be downloaded there. This script builds a SavedModel
with the same interface (TF Hub's Reusable SavedModel API: ``obj(images, training=False)``, float
images in [0, 1] of shape (batch, 224, 224, 3) -> (batch, 1280) feature vectors, traced for
training=False and True, plus ``variables``, ``trainable_variables`` and
``regularization_losses``; no serving signature) from the fixture weights of
``keras.applications.MobileNetV2(alpha=0.35)`` with global average pooling, and saves it where
``tensorflow_hub`` looks for a cached download of that handle: ``$TFHUB_CACHE_DIR/<sha1 of the
handle>/``. Its numbers are those of the Keras model, not of the module on TF Hub.

Usage (conftest.py runs it in a subprocess, with KERAS_HOME and TFHUB_CACHE_DIR set):
    python tests/hub_standin.py WEIGHTS_H5 TARGET_DIR
"""
from __future__ import annotations

import sys
from pathlib import Path


def build_standin(weights: Path, target: Path) -> Path:
    """Save the stand-in SavedModel into ``target`` (a new folder) and return it."""
    import keras
    import tensorflow as tf

    net = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=str(weights),
                                         input_shape=(224, 224, 3), pooling="avg")

    @tf.function
    def call(images, training=False):
        return net(images * 2.0 - 1.0, training=training)  # [0, 1] -> MobileNetV2's [-1, 1]

    spec = tf.TensorSpec([None, 224, 224, 3], tf.float32)
    for training in (False, True):
        call.get_concrete_function(spec, training=training)
    module = tf.train.Checkpoint()  # a plain trackable object that accepts these attributes
    module.net = net
    module.__call__ = call
    module.variables = list(net.weights)
    module.trainable_variables = list(net.trainable_weights)
    module.regularization_losses = []
    tf.saved_model.save(module, str(target))
    return target


if __name__ == "__main__":
    weights_file, target_dir = Path(sys.argv[1]), Path(sys.argv[2])
    build_standin(weights_file, target_dir)
    print(f"stand-in TF Hub module written to {target_dir}")

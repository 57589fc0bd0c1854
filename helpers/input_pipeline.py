"""Image files to training batches with ``tf.data``, and how fast a pipeline delivers them:
sequential or parallel decoding, prefetching, caching (lesson 19 measures each).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# name: (parallel map, prefetch, cache); each adds one thing to the line before.
PIPELINES = {"naive": (False, False, False), "parallel map": (True, False, False),
             "+ prefetch": (True, True, False), "+ cache": (True, True, True)}

def load_split(folder: str | Path, train_per_class: int, val_per_class: int, seed: int = 0
               ) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{"train": (paths, labels), "val": (paths, labels)}`` drawn per class from an image
    folder (``root/<class>/``); every process that calls it with the same seed gets the same."""
    from helpers import data

    folder = data.scan_image_folder(folder, check_images=False, verbose=False)
    parts = data.split_per_class(folder.labels, {"train": train_per_class,
                                                 "val": val_per_class}, seed=seed)
    return {name: ([str(folder.paths[i]) for i in idx], folder.labels[idx].astype("int32"))
            for name, idx in parts.items()}


def decode_resize(path, label, size: int = 224):
    """Read a JPEG/PNG file, decode it to RGB and resize it: (float32 image in [0, 255], label)."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = tf.image.resize(image, (size, size))
    image.set_shape((size, size, 3))
    return image, label


def image_pipeline(paths: list[str], labels: np.ndarray, size: int = 224, batch_size: int = 32,
                   parallel: bool = True, prefetch: bool = True, cache: bool = False,
                   shuffle_seed: int | None = None):
    """Files -> decoded, resized images in batches: the ``tf.data`` input pipeline.

    ``parallel`` maps with ``num_parallel_calls=AUTOTUNE`` (else one image at a time),
    ``cache`` keeps decoded images in memory after the first epoch, ``prefetch`` prepares the
    next batches while the model works on this one."""
    import tensorflow as tf

    if len(paths) != len(labels) or not len(paths):
        raise ValueError(f"image_pipeline needs one label per path and at least one path; got "
                         f"{len(paths)} paths and {len(labels)} labels.")
    ds = tf.data.Dataset.from_tensor_slices((list(map(str, paths)), np.asarray(labels, "int32")))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(paths), seed=shuffle_seed, reshuffle_each_iteration=False)
    decode = lambda p, y: decode_resize(p, y, size)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True) if parallel \
        else ds.map(decode)  # deterministic: parallel decoding keeps the file order
    if cache:
        ds = ds.cache()
    ds = ds.batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE) if prefetch else ds


def named_pipeline(name: str, paths: list[str], labels: np.ndarray, **kwargs):
    """One of :data:`PIPELINES` by name (``"naive"``, ``"parallel map"``, ...)."""
    if name not in PIPELINES:
        raise KeyError(f"Unknown pipeline {name!r}; choose one of {list(PIPELINES)}.")
    parallel, prefetch, cache = PIPELINES[name]
    return image_pipeline(paths, labels, parallel=parallel, prefetch=prefetch, cache=cache,
                          **kwargs)


def images_per_second(dataset, epochs: int = 1, step: Callable | None = None) -> list[float]:
    """Iterate ``dataset`` ``epochs`` times and return images/s for each pass; with ``step``,
    call ``step(images, labels)`` on every batch (e.g. a training step), so the pipeline and
    the model share the clock."""
    rates = []
    for _ in range(epochs):
        count, start = 0, time.perf_counter()
        for images, labels in dataset:
            if step is not None:
                step(images, labels)
            count += int(images.shape[0])
        rates.append(count / (time.perf_counter() - start))
    return rates

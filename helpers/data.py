"""Image folders to arrays and ``tf.data`` pipelines: scanning, checks, splits, few-shot subsets.

Lesson 01 explains the few-shot subsets; lesson 03 explains the pipeline.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


class DataError(ValueError):
    """A dataset folder is empty or malformed; the message names the file or folder."""


@dataclass
class ImageFolder:
    """Image files found under ``root/<class name>/``; ``labels[i]`` indexes ``class_names``."""

    root: Path
    class_names: list[str]
    paths: list[Path]
    labels: np.ndarray

    def counts(self) -> dict[str, int]:
        """Number of images per class."""
        return {n: int((self.labels == i).sum()) for i, n in enumerate(self.class_names)}

    def subset(self, indices: np.ndarray) -> ImageFolder:
        """A new ImageFolder with only the given positions."""
        idx = np.asarray(indices, dtype=int)
        return ImageFolder(self.root, self.class_names, [self.paths[i] for i in idx],
                           self.labels[idx])


def _is_readable_image(path: Path) -> str | None:
    """None if Pillow can decode ``path`` fully, else the reason."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
    except Exception as error:  # noqa: BLE001 - Pillow raises many types for bad files
        return f"{type(error).__name__}: {error}"
    return None


def scan_image_folder(root: str | Path, check_images: bool = True,
                      on_bad: str = "raise") -> ImageFolder:
    """List the images of ``root/<class>/*`` (classes sorted by name).

    ``check_images`` decodes every file once with Pillow. A bad file (not an image, truncated)
    raises a :class:`DataError` naming it, or with ``on_bad="skip"`` is skipped with a warning.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder. Pass the folder that holds one sub-folder per class.")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(class_dirs) < 2:
        raise DataError(f"{root} has {len(class_dirs)} class folder(s); a classifier needs at "
                        "least 2 (layout: root/<class name>/<image files>).")
    paths: list[Path] = []
    labels: list[int] = []
    for label, class_dir in enumerate(class_dirs):
        files = sorted(p for p in class_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
        for other in set(files) - set(images):
            _bad(other, f"not an image file (suffix {other.suffix or 'none'})", on_bad)
        if check_images:
            good = []
            for image in images:
                reason = _is_readable_image(image)
                if reason:
                    _bad(image, f"cannot be decoded ({reason})", on_bad)
                else:
                    good.append(image)
            images = good
        if not images:
            raise DataError(f"Class folder {class_dir} contains no images. Add images or remove "
                            "the folder.")
        paths += images
        labels += [label] * len(images)
    return ImageFolder(root, [p.name for p in class_dirs], paths, np.array(labels))


def _bad(path: Path, reason: str, on_bad: str) -> None:
    if on_bad == "skip":
        warnings.warn(f"Skipping {path}: {reason}", stacklevel=3)
    else:
        raise DataError(f"{path}: {reason}. Delete or move the file, or scan with on_bad='skip'.")


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Split positions into (train, test) with the same class proportions in both."""
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise DataError(f"test_fraction={test_fraction}: use a fraction between 0 and 1, "
                        "e.g. 0.25 for a quarter of the examples.")
    positions = np.arange(len(labels))
    train, test = train_test_split(positions, test_size=test_fraction, stratify=labels,
                                   random_state=seed)
    return np.sort(train), np.sort(test)


def take_per_class(labels: np.ndarray, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Positions of ``n_per_class`` random examples of every class (a few-shot subset).

    Subsets are nested: with the same seed, the 5-shot subset is inside the 10-shot one.
    """
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if len(members) < n_per_class:
            raise DataError(f"Class {label} has only {len(members)} examples; asked for "
                            f"{n_per_class} per class.")
        chosen.append(members[:n_per_class])
    return np.sort(np.concatenate(chosen))


def load_images(paths: list[Path], image_size: int | tuple[int, int]) -> np.ndarray:
    """Decode and resize images into a uint8 array of shape (n, height, width, 3)."""
    import tensorflow as tf

    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)

    def decode(path: tf.Tensor) -> tf.Tensor:
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        resized = tf.image.resize(image, size, antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)

    if not paths:
        return np.empty((0, *size, 3), dtype=np.uint8)
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise DataError(f"{len(missing)} of {len(paths)} image files do not exist, e.g. "
                        f"{missing[0]}. Scan the folder again (data.scan_image_folder) or "
                        "re-download the dataset.")
    ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(256)
    return np.concatenate([batch.numpy() for batch in ds])


def to_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int = 32,
               shuffle: bool = False, seed: int = 0):
    """A batched, prefetched ``tf.data.Dataset`` of (float32 image in [0, 255], label)."""
    import tensorflow as tf

    if len(images) != len(labels):
        raise DataError(f"{len(images)} images but {len(labels)} labels.")
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y))
    return ds.prefetch(tf.data.AUTOTUNE)


def split_per_class(labels: np.ndarray, sizes: dict[str, int | None], seed: int = 0
                    ) -> dict[str, np.ndarray]:
    """Disjoint named parts with ``sizes[name]`` examples of every class each, drawn in order
    from one random permutation per class; a size of None takes all that is left.

    ``split_per_class(y, {"test": 10, "pool": None})["test"]`` equals
    ``take_per_class(y, 10)``: the same seed draws the same examples."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in sizes}
    for label in np.unique(labels):
        members, start = rng.permutation(np.flatnonzero(labels == label)), 0
        needed = sum(n for n in sizes.values() if n is not None)
        if len(members) < needed:
            raise DataError(f"Class {label} has only {len(members)} examples; the split "
                            f"{sizes} needs {needed} per class.")
        for name, n in sizes.items():
            stop = len(members) if n is None else start + n
            parts[name].append(members[start:stop])
            start = stop
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def split_pool_test(labels: np.ndarray, test_per_class: int, pool_per_class: int,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint positions: a fixed test set and a training pool, both balanced per class (drawn
    as lessons 09 and 10 measured them; :func:`split_per_class` is the general form)."""
    both = take_per_class(labels, test_per_class + pool_per_class, seed=seed)
    test = both[take_per_class(labels[both], test_per_class, seed=seed + 1)]
    return np.setdiff1d(both, test), test


def to_image(grey: np.ndarray, size: int) -> np.ndarray:
    """A 2-D array in [0, 1] -> uint8 image (size, size, 3), grey repeated over the 3 channels
    (how a spectrogram or a digit goes into an ImageNet backbone)."""
    import keras

    resized = keras.ops.image.resize(grey[..., None] * 255.0, (size, size), antialias=True)
    pixels = np.clip(np.round(keras.ops.convert_to_numpy(resized)), 0, 255).astype(np.uint8)
    return np.repeat(pixels, 3, axis=-1)

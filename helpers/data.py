"""Image folders to arrays and ``tf.data`` pipelines: scanning, checks, splits, few-shot subsets.

Lesson 01 explains the few-shot subsets; lesson 03 explains the pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# What the loader decodes (TensorFlow's decode_image); anything else in a class folder is skipped.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")


class DataError(ValueError):
    """A dataset folder is empty or malformed; the message names the file or folder."""


@dataclass
class ImageFolder:
    """Image files found under ``root/<class name>/``; ``labels[i]`` indexes ``class_names``.

    ``skipped`` lists every file the scan left out, with the reason."""

    root: Path
    class_names: list[str]
    paths: list[Path]
    labels: np.ndarray
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    nested: int = 0  # images found in sub-folders of a class folder (they count for that class)

    def counts(self) -> dict[str, int]:
        """Number of images per class."""
        return {n: int((self.labels == i).sum()) for i, n in enumerate(self.class_names)}

    def subset(self, indices: np.ndarray) -> ImageFolder:
        """A new ImageFolder with only the given positions."""
        idx = np.asarray(indices, dtype=int)
        return ImageFolder(self.root, self.class_names, [self.paths[i] for i in idx],
                           self.labels[idx])

    def report(self) -> str:
        """What the scan used and what it left out, and why (one line per reason)."""
        used = f"{len(self.paths)} images in {len(self.class_names)} classes {self.counts()}"
        lines = [f"{self.root}: {used}"]
        if self.nested:
            lines.append(f"  {self.nested} of them are in sub-folders of a class folder; "
                         "they count for that class.")
        reasons: dict[str, list[str]] = {}
        for path, reason in self.skipped:
            reasons.setdefault(reason, []).append(str(path.relative_to(self.root)))
        for reason, names in sorted(reasons.items()):
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            lines.append(f"  skipped {len(names)} ({reason}): {shown}")
        return "\n".join(lines)


def _decode(path: Path):
    """The one decoder of the course: TensorFlow's, to RGB uint8 (first frame of a GIF)."""
    import tensorflow as tf

    return tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)


def _undecodable(path: Path) -> str | None:
    """None if the loader's decoder reads ``path``, else the reason."""
    try:
        _decode(path)
    except Exception as error:  # noqa: BLE001 - TensorFlow raises several types for bad files
        return f"cannot be decoded: {str(error).splitlines()[0][:120]}"
    return None


def _visible_files(folder: Path) -> list[Path]:
    """Files under ``folder`` (any depth), sorted, without hidden files or folders."""
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def scan_image_folder(root: str | Path, check_images: bool = True, on_bad: str = "raise",
                      verbose: bool = True) -> ImageFolder:
    """List the images of ``root/<class>/`` (classes sorted by name; images in sub-folders of a
    class folder count for that class) and print what was used and skipped.

    Files that are not images (``notes.txt``, ``Thumbs.db``) are skipped. With ``check_images``
    every image is decoded once with the loader's own decoder; files that fail are all named
    in one :class:`DataError`, or skipped with ``on_bad="skip"``.
    """
    if on_bad not in ("raise", "skip"):
        raise ValueError(f"on_bad={on_bad!r}: use 'raise' or 'skip'.")
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root} is not a folder. Pass the folder that holds one sub-folder per class.")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(class_dirs) < 2:
        raise DataError(f"{root} has {len(class_dirs)} class folder(s); a classifier needs at "
                        "least 2 (layout: root/<class name>/<image files>).")
    skipped = [(p, "not inside a class folder") for p in sorted(root.iterdir())
               if p.is_file() and not p.name.startswith(".")]
    found: list[tuple[Path, int]] = []
    bad: list[tuple[Path, str]] = []
    for label, class_dir in enumerate(class_dirs):
        for path in _visible_files(class_dir):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append((path, f"not an image file ({path.suffix.lower() or 'no suffix'})"))
            elif check_images and (reason := _undecodable(path)):
                bad.append((path, reason))
            else:
                found.append((path, label))
    if bad and on_bad == "raise":
        listed = "\n".join(f"  {path}: {reason}" for path, reason in bad)
        raise DataError(f"{len(bad)} image file(s) cannot be read:\n{listed}\nDelete or move "
                        "them, or scan with on_bad='skip'.")
    labels = np.array([label for _, label in found], dtype=int)
    empty = [d for i, d in enumerate(class_dirs) if not (labels == i).any()]
    if empty:
        raise DataError(f"Class folder {empty[0]} contains no usable images. Add images or "
                        "remove the folder.")
    folder = ImageFolder(root, [d.name for d in class_dirs], [p for p, _ in found], labels,
                         skipped + bad,
                         sum(p.parent != class_dirs[label] for p, label in found))
    if verbose and (folder.skipped or folder.nested):
        print(folder.report())
    return folder


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


def take_per_class(labels: np.ndarray, n_per_class: int, seed: int = 0,
                   class_names: list[str] | None = None) -> np.ndarray:
    """Positions of ``n_per_class`` random examples of every class (a few-shot subset).

    Subsets are nested: with the same seed, the 5-shot subset is inside the 10-shot one.
    """
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if len(members) < n_per_class:
            name = repr(class_names[label]) if class_names else str(label)
            raise DataError(f"Class {name} has only {len(members)} examples; asked for "
                            f"{n_per_class} per class.")
        chosen.append(members[:n_per_class])
    return np.sort(np.concatenate(chosen))


def exif_orientation(path: Path) -> int:
    """The EXIF orientation tag of an image (1 = upright, 2-8 = flipped or turned), read from
    the header only. Phone cameras store photos sideways and set this tag."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            value = int(image.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - no EXIF or an unreadable header: nothing to turn
        return 1
    return value if 1 <= value <= 8 else 1


def _upright(image, orientation):
    """Turn a decoded image the way its EXIF orientation says (as Pillow's exif_transpose)."""
    import tensorflow as tf

    def transpose(x):
        return tf.transpose(x, [1, 0, 2])

    return tf.switch_case(orientation - 1, [
        lambda: image,
        lambda: tf.image.flip_left_right(image),
        lambda: tf.image.rot90(image, 2),
        lambda: tf.image.flip_up_down(image),
        lambda: transpose(image),
        lambda: tf.image.rot90(image, 3),
        lambda: tf.image.rot90(transpose(image), 2),
        lambda: tf.image.rot90(image, 1),
    ])


def load_images(paths: list[Path], image_size: int | tuple[int, int]) -> np.ndarray:
    """Decode (with the decoder the scan checks with), turn upright by EXIF orientation and
    resize images into a uint8 array of shape (n, height, width, 3)."""
    import tensorflow as tf

    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)

    def decode(path: tf.Tensor, orientation: tf.Tensor) -> tf.Tensor:
        image = _upright(tf.io.decode_image(tf.io.read_file(path), channels=3,
                                            expand_animations=False), orientation)
        resized = tf.image.resize(image, size, antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)

    if not paths:
        return np.empty((0, *size, 3), dtype=np.uint8)
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise DataError(f"{len(missing)} of {len(paths)} image files do not exist, e.g. "
                        f"{missing[0]}. Scan the folder again (data.scan_image_folder) or "
                        "re-download the dataset.")
    orientations = [exif_orientation(Path(p)) for p in paths]
    ds = tf.data.Dataset.from_tensor_slices(([str(p) for p in paths], orientations))
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(256)
    try:
        return np.concatenate([batch.numpy() for batch in ds])
    except tf.errors.InvalidArgumentError as error:
        raise DataError(f"An image cannot be decoded ({str(error).splitlines()[0][:200]}). "
                        "Scan the folder with data.scan_image_folder, which names every bad "
                        "file.") from error


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

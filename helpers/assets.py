"""One resolver for everything the course downloads: Keras weights, datasets, TF Hub modules.

Order of lookup for each asset:
1. a local copy in the folder named by ``TL_COURSE_ASSETS`` (a classroom share, see README);
2. the library's own cache (``$KERAS_HOME`` or ``~/.keras``; ``$TFHUB_CACHE_DIR`` for TF Hub);
3. a download from the original URL, checked against a sha256 where one is known.
If all fail you get an :class:`AssetError` that says what is missing, where it comes from and how to
provide it offline. A corrupt or partial file is never used silently.

Command line (run from the repository root; ``helpers.classroom`` implements it)::

    python -m helpers.assets status              # where it looks, what is there, what is not
    python -m helpers.assets download-all DIR    # fetch everything once, e.g. for a classroom;
                                                 # run it again to resume after a failure

A classroom folder made by ``download-all`` (point ``TL_COURSE_ASSETS`` at it)::

    DIR/models/<file>              Keras weights and files (as in ~/.keras/models)
    DIR/<dataset name>/...         each dataset, extracted (e.g. DIR/flower_photos/daisy/...)
    DIR/tfhub/<sha1 of handle>/    each TF Hub module (as in $TFHUB_CACHE_DIR)
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

ASSETS_ENV = "TL_COURSE_ASSETS"


class AssetError(RuntimeError):
    """An asset is missing or corrupt; the message says how to fix it."""


@dataclass(frozen=True)
class Asset:
    """A download. ``kind``: 'weights' (an HDF5 file in the Keras cache 'models/'), 'file' (any
    other file there), 'dataset', or 'tfhub' (a TF Hub module; ``url`` is its handle).

    A dataset is an archive extracted into ``datasets/<name>/`` or, with ``archive=False``, one
    data file kept as it is in ``datasets/<name>/<filename>``."""

    name: str
    kind: str
    url: str
    description: str
    size_mb: float | None  # None: not known (not measured offline)
    sha256: str | None = None
    # For datasets: entries (or glob patterns) that must exist inside the extracted root.
    expected: tuple[str, ...] = field(default_factory=tuple)
    archive: bool = True
    saved_as: str = ""  # file name on disk when the URL does not end in it
    optional: bool = False  # lessons use it only if it is on disk (extra backbones in lesson 02)

    @property
    def size(self) -> str:
        """The download size for messages, e.g. '~2 MB'."""
        return f"~{self.size_mb:g} MB" if self.size_mb else "size not known"

    @property
    def filename(self) -> str:
        return self.saved_as or self.url.rsplit("/", 1)[-1].split("?")[0]


_KA = "https://storage.googleapis.com/tensorflow/keras-applications"
REGISTRY: dict[str, Asset] = {
    a.name: a
    for a in [
        Asset("mobilenet_v2_0.35_224", "weights",
              f"{_KA}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
              "MobileNetV2 alpha 0.35, ImageNet, no top", 2.0),
        Asset("mobilenet_v2_1.0_224", "weights",
              f"{_KA}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
              "MobileNetV2 alpha 1.0, ImageNet, no top", 9.4, optional=True),
        Asset("mobilenet_v1_0.25_224", "weights", f"{_KA}/mobilenet/mobilenet_2_5_224_tf_no_top.h5",
              "MobileNet (V1) alpha 0.25, ImageNet, no top", 0.9,
              sha256="dbdb03ee2a22fd895301636cd328b234bb3a9952358f436d82f46b81e0d5b0bf"),
        Asset("mobilenet_v3_small_224", "weights",
              f"{_KA}/mobilenet_v3/weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
              "MobileNetV3Small, ImageNet, no top", 4.3, optional=True),
        Asset("efficientnet_b0", "weights",
              "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
              "EfficientNetB0, ImageNet, no top", 16.0, optional=True),
        Asset("imagenet_class_index", "file",
              "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
              "names of the 1,000 ImageNet classes (for decode_predictions)", 0.04,
              sha256="a1e7a966a1f601d39e4b43e119b3e7dd4a2ad3ea08cf69847cbaf021013767bc"),
        Asset("mobilenet_v3_small_075_224_hub", "tfhub",
              "https://tfhub.dev/google/imagenet/mobilenet_v3_small_075_224/feature_vector/5",
              "TF Hub module: MobileNetV3-small 0.75 ImageNet feature vector (Apache-2.0)", 4.6),
        Asset("flower_photos", "dataset",
              "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz",
              "3,670 flower photos in 5 class folders (CC BY 2.0)", 218.0,
              sha256="4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c",
              expected=("daisy", "dandelion", "roses", "sunflowers", "tulips")),
        Asset("cats_and_dogs_filtered", "dataset",
              "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
              "Cats vs. dogs, 2,000 train + 1,000 validation (TensorFlow tutorial data)", 65.0,
              expected=("train/cats", "train/dogs", "validation/cats", "validation/dogs")),
        Asset("fsdd", "dataset",
              "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.zip",
              "Free Spoken Digit Dataset, 3,000 wav files (CC BY-SA 4.0)", 16.0,
              expected=("recordings",)),
        Asset("sentiment_labelled_sentences", "dataset",
              "https://archive.ics.uci.edu/static/public/331/sentiment+labelled+sentences.zip",
              "UCI Sentiment Labelled Sentences, 3,000 sentences (CC BY 4.0)", 0.1,
              expected=("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt")),
        Asset("mnist", "dataset", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
              "MNIST handwritten digits, 60,000 + 10,000 (CC BY-SA 3.0)", 11.5,
              sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
              expected=("mnist.npz",), archive=False),
        Asset("usps", "dataset",
              "https://github.com/niuers/Learning-From-Data-A-Short-Course/raw/879a698b/data/usps.h5",
              "USPS handwritten digits, 7,291 + 2,007 at 16 x 16 (Hull 1994)", 6.3,
              sha256="734f88c541104a956d88be2c95d03b4a463ffd74ccc2ba9c80841fb98e3fcb36",
              expected=("usps.h5",), archive=False),
        Asset("pneumoniamnist", "dataset",
              "https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1",
              "PneumoniaMNIST chest X-rays at 28 x 28, MedMNIST v2 (CC BY 4.0)", 4.2,
              expected=("pneumoniamnist.npz",), archive=False),
        Asset("glove_6B_50d", "dataset",
              "https://github.com/RaRe-Technologies/gensim-data/releases/download/"
              "glove-wiki-gigaword-50/glove-wiki-gigaword-50.gz",
              "GloVe 6B 50-d word vectors, 400,000 words (PDDL 1.0)", 66.0,
              expected=("glove*",), archive=False),
        Asset("ucr", "dataset",
              "https://github.com/Aaron-LHR/LSTM-FCN/archive/"
              "2e297b3107c473106f5bfa32037f6a3ecbf969ba.zip",
              "UCR time-series archive 2018 sets in a public repository's copy (ECG200, "
              "ECGFiveDays, TwoLeadECG, GunPoint, ECG5000 and a few others)", None,
              expected=("ECG200", "ECGFiveDays", "TwoLeadECG", "GunPoint")),
    ]
}


def get(name: str) -> Asset:
    """Look up an asset by name, with the list of valid names in the error."""
    if name not in REGISTRY:
        raise AssetError(f"Unknown asset {name!r}. Known assets: {', '.join(sorted(REGISTRY))}.")
    return REGISTRY[name]


def keras_home() -> Path:
    """The Keras cache folder (``$KERAS_HOME`` or ``~/.keras``), as Keras itself resolves it."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def local_copy_dir() -> Path | None:
    """The classroom copy named by ``TL_COURSE_ASSETS``, or None."""
    value = os.environ.get(ASSETS_ENV)
    return Path(value).expanduser() if value else None


def hub_folder_name(handle: str) -> str:
    """The folder name tensorflow_hub gives a URL handle's download: the sha1 of the handle."""
    return hashlib.sha1(handle.encode("utf8")).hexdigest()


def hub_cache_dir() -> Path:
    """Where tensorflow_hub keeps downloads: ``$TFHUB_CACHE_DIR`` or the temp folder."""
    import tempfile

    return Path(os.environ.get("TFHUB_CACHE_DIR")
                or Path(tempfile.gettempdir()) / "tfhub_modules")


def hub_local_copy(handle: str) -> Path | None:
    """A TF Hub module's folder in the classroom copy, if it is there."""
    local = local_copy_dir()
    folder = local / "tfhub" / hub_folder_name(handle) if local else None
    return folder if folder is not None and (folder / "saved_model.pb").exists() else None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_weights_file(path: Path, sha256: str | None = None) -> None:
    """Raise AssetError if ``path`` is not a complete HDF5 weights file (or has the wrong hash)."""
    import h5py

    fix = f"Delete {path} and run again to download it, or copy a good file there."
    if path.stat().st_size == 0 or not h5py.is_hdf5(path):
        raise AssetError(f"{path} is not a valid HDF5 weights file (partial download?). {fix}")
    try:
        with h5py.File(path, "r") as handle:
            if not list(handle.keys()):
                raise AssetError(f"{path} contains no weights. {fix}")
    except OSError as error:
        raise AssetError(f"{path} is corrupt or truncated ({error}). {fix}") from error
    if sha256 and sha256_of(path) != sha256:
        raise AssetError(f"{path} has the wrong sha256 (expected {sha256}). {fix}")


def _offline_hint(asset: Asset, where: Path) -> str:
    if asset.kind == "dataset" and asset.archive:
        put = f"extract it into {where}"
    elif asset.kind == "dataset":
        put = f"put it at {where / asset.filename}"
    else:
        put = f"put it at {where}"
    local = local_copy_dir()
    misspelled = (f"\n  Note: {ASSETS_ENV}={local} is not a folder (misspelled?)."
                  if local and not local.is_dir() else "")
    return (
        f"Could not get {asset.name!r} ({asset.description}, {asset.size}).\n"
        f"  It comes from: {asset.url}\n"
        f"  Offline? Download that file on a connected machine and {put},\n"
        f"  or point {ASSETS_ENV} at a folder prepared with "
        f"`python -m helpers.assets download-all DIR`.{misspelled}"
    )


def _download(asset: Asset, cache_subdir: str, cache_dir: Path, extract: bool) -> Path:
    """Download through keras.utils.get_file (the same cache Keras uses) with a timeout."""
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(60)
    if asset.kind == "dataset" and not asset.archive:
        cache_subdir, extract = f"{cache_subdir}/{asset.name}", False
    try:
        fname = asset.name if extract else asset.filename
        return Path(keras.utils.get_file(
            fname=fname, origin=asset.url, cache_dir=str(cache_dir), cache_subdir=cache_subdir,
            file_hash=asset.sha256, hash_algorithm="sha256", extract=extract))
    finally:
        socket.setdefaulttimeout(previous)


def weights_path(name: str) -> Path:
    """Make sure a weights file (or another 'file' asset) is in the Keras cache (``models/``)
    and valid; return its path."""
    asset = get(name)
    if asset.kind not in ("weights", "file"):
        raise AssetError(f"{name!r} is a {asset.kind} asset, not a file in the Keras cache.")
    target = keras_home() / "models" / asset.filename
    local = local_copy_dir()
    if not target.exists() and local and (local / "models" / asset.filename).exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local / "models" / asset.filename, target)
    if not target.exists():
        try:
            _download(asset, "models", keras_home(), extract=False)
        except Exception as error:  # network errors come in many types
            raise AssetError(_offline_hint(asset, target) + f"\n  Reason: {error}") from error
    check_file(target, asset)
    return target


def check_file(path: Path, asset: Asset) -> None:
    """Raise AssetError unless ``path`` is a complete copy of ``asset`` (HDF5 for weights)."""
    if asset.kind == "weights":
        check_weights_file(path, asset.sha256)
    elif path.stat().st_size == 0 or (asset.sha256 and sha256_of(path) != asset.sha256):
        raise AssetError(f"{path} is empty or has the wrong sha256 (expected {asset.sha256}). "
                         "Delete it and run again to download it, or copy a good file there.")


def find_dataset_root(folder: Path, expected: tuple[str, ...]) -> Path | None:
    """Return ``folder`` or the nested folder inside it that holds all ``expected`` entries."""
    if not folder.is_dir():
        return None
    candidates = [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]
    for candidate in candidates:
        if all(any(candidate.glob(sub)) for sub in expected):
            return candidate
    return None


def dataset_dir(name: str) -> Path:
    """Return the folder of dataset ``name``: local copy, else Keras cache, else download."""
    asset = get(name)
    if asset.kind != "dataset":
        raise AssetError(f"{name!r} is a {asset.kind} asset, not a dataset.")
    local = local_copy_dir()
    places = ([local / name] if local else []) + [keras_home() / "datasets" / name]
    for place in places:
        root = find_dataset_root(place, asset.expected)
        if root is not None:
            return root
        if place.exists():
            raise AssetError(
                f"{place} exists but does not look like {name!r}: expected the subfolders "
                f"{list(asset.expected)}. Delete it to download again, or fix the copy.")
    try:
        _download(asset, "datasets", keras_home(), extract=True)
    except Exception as error:
        raise AssetError(_offline_hint(asset, places[-1]) + f"\n  Reason: {error}") from error
    root = find_dataset_root(places[-1], asset.expected)
    if root is None:
        raise AssetError(f"Downloaded {name!r} but found no folder with {list(asset.expected)} "
                         f"inside {places[-1]}. Delete it and try again.")
    return root


def is_available(name: str) -> bool:
    """True when the asset is on disk already (no download needed)."""
    asset = get(name)
    local = local_copy_dir()
    if asset.kind == "tfhub":
        return hub_local_copy(asset.url) is not None or (
            hub_cache_dir() / hub_folder_name(asset.url) / "saved_model.pb").exists()
    if asset.kind in ("weights", "file"):
        return (keras_home() / "models" / asset.filename).exists() or bool(
            local and (local / "models" / asset.filename).exists())
    places = ([local / name] if local else []) + [keras_home() / "datasets" / name]
    return any(find_dataset_root(p, asset.expected) is not None for p in places)


def status_table() -> list[tuple[str, str, str]]:
    """Rows of (asset, kind, 'on disk' / 'download (~N MB)')."""
    return [
        (a.name, a.kind, "on disk" if is_available(a.name) else f"download ({a.size})")
        for a in REGISTRY.values()
    ]


if __name__ == "__main__":  # the commands live in helpers.classroom
    from helpers.classroom import main

    sys.exit(main())

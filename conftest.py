"""Test setup shared by the unit tests and the notebook tests (nbval).

Every notebook runs in quick mode (TL_COURSE_QUICK=1). When ../shared/fixtures exists (the
offline development and CI machines), its real copies of the course's downloads are seeded into
the caches the code really uses, so the notebooks' own download code runs unchanged:
- Keras weights: a temporary KERAS_HOME whose models/ holds copies of the fixture files;
- datasets: a temporary TL_COURSE_ASSETS folder (the asset resolver's local copy) that links the
  fixture subsets under the names of the full datasets;
- TF Hub: a temporary TFHUB_CACHE_DIR where Google's module from the fixtures sits under the
  name tensorflow_hub gives its handle's download.
Without ../shared (a learner's machine with internet) the same tests download instead.
The environment is set before any kernel starts, and kernels inherit it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# The offline copies; TL_COURSE_FIXTURES=/nonexistent runs the suite as a learner's machine would.
FIXTURES = Path(os.environ.get("TL_COURSE_FIXTURES", ROOT.parent / "shared" / "fixtures"))
# Name the course uses -> folder of the offline subset in ../shared/fixtures/datasets.
DATASET_FIXTURES = {
    "flower_photos": "flower_photos_small",
    "cats_and_dogs_filtered": "cats_and_dogs_small",
    "fsdd": "fsdd",
    "sentiment_labelled_sentences": "sentiment_labelled_sentences",
    "mnist": "mnist_subset",  # 5,000 real MNIST digits in the layout of Keras' mnist.npz
    "usps": "usps",
    "pneumoniamnist": "pneumoniamnist",
    "glove_6B_50d": "glove_6B_50d",  # the 50,000 most frequent words
    "ucr": "ucr",  # five of the archive's data sets
}


def seed_caches(workdir: Path) -> dict[str, str]:
    """Fill fresh caches under ``workdir`` from the fixtures; return the environment to use."""
    keras_home = workdir / "keras"
    shutil.copytree(FIXTURES / "keras", keras_home)  # a copy: Keras writes keras.json there
    assets_dir = workdir / "assets"
    assets_dir.mkdir()
    for name, folder in DATASET_FIXTURES.items():
        if (FIXTURES / "datasets" / folder).is_dir():
            (assets_dir / name).symlink_to(FIXTURES / "datasets" / folder)
    hub_cache = workdir / "tfhub"
    hub_cache.mkdir()
    seed_hub_modules(hub_cache)
    return {"KERAS_HOME": str(keras_home), "TL_COURSE_ASSETS": str(assets_dir),
            "TFHUB_CACHE_DIR": str(hub_cache)}


# TF Hub: the fixtures hold Google's real MobileNetV3-small feature-vector module. tensorflow_hub
# finds a URL handle's download at $TFHUB_CACHE_DIR/<sha1 of the handle>/, so link it there.
HUB_FIXTURES = {"https://tfhub.dev/google/imagenet/mobilenet_v3_small_075_224/feature_vector/5":
                "mobilenet_v3_small_075_224_feature_vector_5"}


def seed_hub_modules(hub_cache: Path) -> None:
    """Link every fixture TF Hub module where tensorflow_hub looks for its handle's download."""
    for handle, folder in HUB_FIXTURES.items():
        if (FIXTURES / "tfhub" / folder).is_dir():
            link = hub_cache / hashlib.sha1(handle.encode("utf8")).hexdigest()
            link.symlink_to(FIXTURES / "tfhub" / folder, target_is_directory=True)


def online(host: str = "storage.googleapis.com") -> bool:
    """True if the download servers answer within a few seconds."""
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError:
        return False
    return True


def missing_downloads() -> str:
    """'' if the notebooks can get every download, else one message saying what is missing."""
    from helpers import assets

    missing = [name for name, asset in assets.REGISTRY.items()
               if not asset.optional and not assets.is_available(name)]
    if not missing or online():
        return ""
    return (f"Notebook tests not run: this machine is offline and {len(missing)} course downloads "
            f"are not on disk ({', '.join(missing)}). Provide them with the offline fixtures at "
            f"{FIXTURES}, or set TL_COURSE_ASSETS to a folder made by `python -m helpers.assets "
            "download-all DIR` on a connected machine. The unit tests ran.")


def pytest_configure(config) -> None:
    os.environ["TL_COURSE_QUICK"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    if FIXTURES.is_dir():
        workdir = Path(tempfile.mkdtemp(prefix="tl_course_test_"))
        config._tl_course_workdir = workdir
        os.environ.update(seed_caches(workdir))
    config._tl_course_missing = missing_downloads()


def pytest_collection_modifyitems(config, items) -> None:
    """Offline without the downloads: leave the notebooks out (one message, see below)."""
    if config._tl_course_missing:
        notebooks = [item for item in items if str(item.path).endswith(".ipynb")]
        if notebooks:
            config.hook.pytest_deselected(items=notebooks)
            items[:] = [item for item in items if item not in notebooks]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if config._tl_course_missing:
        terminalreporter.write_line(config._tl_course_missing, red=True, bold=True)


def pytest_sessionfinish(session, exitstatus) -> None:
    if session.config._tl_course_missing and exitstatus == 0:
        session.exitstatus = 1  # the course was not tested: never report success


def pytest_unconfigure(config) -> None:
    workdir = getattr(config, "_tl_course_workdir", None)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """For the unit tests of helpers.assets and helpers.classroom: empty Keras, TF Hub and
    local-copy folders, and no network (downloads fail at once)."""
    from helpers import assets

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv(assets.ASSETS_ENV, str(tmp_path / "local"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr("urllib.request.urlretrieve", no_network)
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", no_network)
    return tmp_path

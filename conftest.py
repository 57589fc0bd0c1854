"""Test setup shared by the unit tests and the notebook tests (nbval).

Every notebook runs in quick mode (TL_COURSE_QUICK=1). When ../shared/fixtures exists (the
offline development and CI machines), its real copies of the course's downloads are seeded into
the caches the code really uses, so the notebooks' own download code runs unchanged:
- Keras weights: a temporary KERAS_HOME whose models/ holds copies of the fixture files;
- datasets: a temporary TL_COURSE_ASSETS folder (the asset resolver's local copy) that links the
  fixture subsets under the names of the full datasets;
- TF Hub: a temporary TFHUB_CACHE_DIR holding a STAND-IN for the one TF Hub module the lessons
  load (see seed_hub_standin and tests/hub_standin.py).
Without ../shared (a learner's machine with internet) the same tests download instead.
The environment is set before any kernel starts, and kernels inherit it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
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
    seed_hub_standin(hub_cache, keras_home)
    return {"KERAS_HOME": str(keras_home), "TL_COURSE_ASSETS": str(assets_dir),
            "TFHUB_CACHE_DIR": str(hub_cache)}


# TF Hub: no real module exists offline. Lesson 02 loads this handle
# (helpers.hub.MOBILENET_V2_035_224); the tests get a STAND-IN SavedModel with the same interface,
# built by tests/hub_standin.py from the fixture MobileNetV2 0.35 weights (it is not Google's
# module). It is built once per version of those two files (~10-30 s) into the system temp folder
# and linked where tensorflow_hub looks for a cached download: $TFHUB_CACHE_DIR/<sha1 of handle>/.
HUB_STANDIN_HANDLE = "https://tfhub.dev/google/imagenet/mobilenet_v2_035_224/feature_vector/5"
HUB_STANDIN_WEIGHTS = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"


def seed_hub_standin(hub_cache: Path, keras_home: Path) -> Path:
    """Link the stand-in module for HUB_STANDIN_HANDLE into ``hub_cache``; return its folder."""
    weights = FIXTURES / "keras" / "models" / HUB_STANDIN_WEIGHTS
    script = ROOT / "tests" / "hub_standin.py"
    key = hashlib.sha1(weights.read_bytes() + script.read_bytes()).hexdigest()[:12]
    built = Path(tempfile.gettempdir()) / f"tl_course_hub_standin_{key}"
    if not (built / "saved_model.pb").exists():
        partial = built.with_name(f"{built.name}.partial{os.getpid()}")
        result = subprocess.run([sys.executable, str(script), str(weights), str(partial)],
                                capture_output=True, text=True, check=False,
                                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                                     "KERAS_HOME": str(keras_home)})
        if result.returncode != 0:
            raise RuntimeError(f"Building the TF Hub stand-in failed:\n{result.stderr[-3000:]}")
        try:
            partial.rename(built)
        except OSError:  # another test process finished first: use its copy
            shutil.rmtree(partial, ignore_errors=True)
    link = hub_cache / hashlib.sha1(HUB_STANDIN_HANDLE.encode("utf8")).hexdigest()
    link.symlink_to(built, target_is_directory=True)
    return built


def pytest_configure(config) -> None:
    os.environ["TL_COURSE_QUICK"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    if FIXTURES.is_dir():
        workdir = Path(tempfile.mkdtemp(prefix="tl_course_test_"))
        config._tl_course_workdir = workdir
        os.environ.update(seed_caches(workdir))


def pytest_unconfigure(config) -> None:
    workdir = getattr(config, "_tl_course_workdir", None)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)

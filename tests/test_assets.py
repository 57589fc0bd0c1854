from pathlib import Path

import h5py
import numpy as np
import pytest

from helpers import assets


def write_h5(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as handle:
        handle.create_dataset("kernel", data=np.ones((2, 2)))
    return path


def test_missing_weights_offline_give_actionable_error(empty_caches):
    with pytest.raises(assets.AssetError) as error:
        assets.weights_path("mobilenet_v2_0.35_224")
    message = str(error.value)
    assert "storage.googleapis.com" in message  # where it comes from
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5" in message
    assert "download-all" in message and "network is unreachable" in message


def test_missing_dataset_offline_give_actionable_error(empty_caches):
    with pytest.raises(assets.AssetError, match="flower_photos.tgz") as error:
        assets.dataset_dir("flower_photos")
    assert "extract it into" in str(error.value)


def test_misspelled_local_copy_is_named_in_the_hint(empty_caches):
    with pytest.raises(assets.AssetError, match="not a folder \\(misspelled"):
        assets.dataset_dir("fsdd")  # empty_caches points TL_COURSE_ASSETS at a missing folder


def test_file_asset_checks_its_hash(empty_caches):
    target = empty_caches / "local" / "models" / "imagenet_class_index.json"
    target.parent.mkdir(parents=True)
    target.write_text('{"0": ["n01440764", "tench"]}')
    with pytest.raises(assets.AssetError, match="sha256"):
        assets.weights_path("imagenet_class_index")


def test_hub_module_is_found_in_the_local_copy(empty_caches):
    handle = assets.get("mobilenet_v3_small_075_224_hub").url
    folder = empty_caches / "local" / "tfhub" / assets.hub_folder_name(handle)
    assert not assets.is_available("mobilenet_v3_small_075_224_hub")
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"x")
    assert assets.is_available("mobilenet_v3_small_075_224_hub")
    assert assets.hub_local_copy(handle) == folder


def test_truncated_weights_file_is_detected(empty_caches):
    good = write_h5(empty_caches / "good.h5")
    target = empty_caches / "keras" / "models" / assets.get("mobilenet_v2_0.35_224").filename
    target.parent.mkdir(parents=True)
    target.write_bytes(good.read_bytes()[:100])  # a partial download
    with pytest.raises(assets.AssetError, match="partial download|corrupt"):
        assets.weights_path("mobilenet_v2_0.35_224")


def test_wrong_hash_is_detected(empty_caches):
    path = write_h5(empty_caches / "keras" / "models" /
                    assets.get("mobilenet_v1_0.25_224").filename)
    with pytest.raises(assets.AssetError, match="sha256"):
        assets.weights_path("mobilenet_v1_0.25_224")
    assert path.exists()  # not deleted: the learner decides


def test_local_copy_is_copied_into_the_keras_cache(empty_caches):
    name = assets.get("mobilenet_v2_0.35_224").filename
    write_h5(empty_caches / "local" / "models" / name)
    assert assets.is_available("mobilenet_v2_0.35_224")
    path = assets.weights_path("mobilenet_v2_0.35_224")
    assert path == empty_caches / "keras" / "models" / name and path.exists()


def test_dataset_found_in_local_copy_even_when_nested(empty_caches):
    for sub in ("train/cats", "train/dogs", "validation/cats", "validation/dogs"):
        (empty_caches / "local" / "cats_and_dogs_filtered" / "inner" / sub).mkdir(parents=True)
    root = assets.dataset_dir("cats_and_dogs_filtered")
    assert root == empty_caches / "local" / "cats_and_dogs_filtered" / "inner"


def test_malformed_dataset_folder_is_reported(empty_caches):
    (empty_caches / "local" / "flower_photos" / "daisy").mkdir(parents=True)
    with pytest.raises(assets.AssetError, match="does not look like"):
        assets.dataset_dir("flower_photos")


def test_unknown_asset_lists_known_names():
    with pytest.raises(assets.AssetError, match="flower_photos"):
        assets.get("flowers")


def test_sha256_of(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"abc")
    assert assets.sha256_of(path).startswith("ba7816bf")

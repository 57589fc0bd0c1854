from pathlib import Path

import h5py
import numpy as np
import pytest

from helpers import assets


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """Empty Keras cache and local-copy folder, and no network (downloads fail at once)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv(assets.ASSETS_ENV, str(tmp_path / "local"))

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr("urllib.request.urlretrieve", no_network)
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", no_network)
    return tmp_path


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
    with pytest.raises(assets.AssetError, match="flower_photos.tgz"):
        assets.dataset_dir("flower_photos")


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


def test_status_command_lists_every_asset(empty_caches, capsys):
    assert assets.main(["status"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in assets.REGISTRY) and "download" in out


def test_sha256_of(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"abc")
    assert assets.sha256_of(path).startswith("ba7816bf")

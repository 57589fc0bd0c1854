from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import data


def make_folder(root: Path, classes=("a", "b"), per_class=4, size=(12, 10)) -> Path:
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.jpg")
    return root


def test_scan_lists_classes_and_labels(tmp_path):
    folder = data.scan_image_folder(make_folder(tmp_path / "d", per_class=3))
    assert folder.class_names == ["a", "b"]
    assert folder.counts() == {"a": 3, "b": 3}
    assert list(folder.labels) == [0, 0, 0, 1, 1, 1]
    assert folder.subset(np.array([0, 5])).counts() == {"a": 1, "b": 1}


def test_non_image_file_is_named(tmp_path):
    root = make_folder(tmp_path / "d")
    (root / "a" / "notes.txt").write_text("hello")
    with pytest.raises(data.DataError, match="notes.txt"):
        data.scan_image_folder(root)
    with pytest.warns(UserWarning, match="notes.txt"):
        assert len(data.scan_image_folder(root, on_bad="skip").paths) == 8


def test_corrupt_image_is_named(tmp_path):
    root = make_folder(tmp_path / "d")
    good = (root / "b" / "0.jpg").read_bytes()
    (root / "b" / "broken.jpg").write_bytes(good[: len(good) // 3])
    with pytest.raises(data.DataError, match="broken.jpg"):
        data.scan_image_folder(root)


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(data.DataError, match="is not a folder"):
        data.scan_image_folder(tmp_path / "nope")
    root = make_folder(tmp_path / "d")
    (root / "c").mkdir()
    with pytest.raises(data.DataError, match="contains no images"):
        data.scan_image_folder(root)
    single = make_folder(tmp_path / "s", classes=("only",))
    with pytest.raises(data.DataError, match="at least 2"):
        data.scan_image_folder(single)


def test_stratified_split_keeps_proportions():
    labels = np.array([0] * 20 + [1] * 10)
    train, test = data.stratified_split(labels, test_fraction=0.2, seed=1)
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == 30
    assert (labels[test] == 0).sum() == 4 and (labels[test] == 1).sum() == 2


def test_take_per_class_is_balanced_and_nested():
    labels = np.repeat([0, 1, 2], 10)
    five, ten = data.take_per_class(labels, 5, seed=3), data.take_per_class(labels, 10, seed=3)
    assert np.bincount(labels[five]).tolist() == [5, 5, 5]
    assert set(five) <= set(ten)
    with pytest.raises(data.DataError, match="only 10"):
        data.take_per_class(labels, 11)


def test_load_images_resizes_to_uint8(tmp_path):
    folder = data.scan_image_folder(make_folder(tmp_path / "d", per_class=2))
    images = data.load_images(folder.paths, 16)
    assert images.shape == (4, 16, 16, 3) and images.dtype == np.uint8


def test_to_dataset_batches_float_images():
    images = np.zeros((5, 8, 8, 3), np.uint8)
    batches = list(data.to_dataset(images, np.arange(5), batch_size=2))
    assert [len(b[0]) for b in batches] == [2, 2, 1]
    assert batches[0][0].dtype.name == "float32"
    with pytest.raises(data.DataError, match="5 images but 4 labels"):
        data.to_dataset(images, np.arange(4))


def test_load_images_names_a_missing_file(tmp_path):
    with pytest.raises(data.DataError, match="gone.jpg"):
        data.load_images([tmp_path / "gone.jpg"], 32)


def test_stratified_split_rejects_a_fraction_outside_0_1():
    with pytest.raises(data.DataError, match="test_fraction=1.5"):
        data.stratified_split(np.array([0, 1, 0, 1]), 1.5)


def test_to_image_shape_and_grey():
    spec = np.zeros((129, 126), np.float32)
    spec[:64] = 1.0  # top half loud, bottom half silent
    image = data.to_image(spec, 32)
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert np.array_equal(image[..., 0], image[..., 2])
    assert image[2, :, 0].min() > 240 and image[-3, :, 0].max() < 15


def test_split_pool_test_is_disjoint_and_balanced():
    labels = np.repeat(np.arange(3), 10)
    pool, test = data.split_pool_test(labels, test_per_class=2, pool_per_class=5, seed=0)
    assert not set(pool) & set(test)
    assert np.bincount(labels[test]).tolist() == [2, 2, 2]
    assert np.bincount(labels[pool]).tolist() == [5, 5, 5]


def test_split_per_class_parts_are_disjoint_and_sized():
    labels = np.repeat(np.arange(3), 12)
    parts = data.split_per_class(labels, {"train": 2, "val": 3, "rest": None}, seed=1)
    assert [np.bincount(labels[p]).tolist() for p in parts.values()] == [[2] * 3, [3] * 3, [7] * 3]
    assert len(np.concatenate(list(parts.values()))) == len(labels)
    first = data.split_per_class(labels, {"test": 4, "pool": None}, seed=5)["test"]
    assert np.array_equal(first, data.take_per_class(labels, 4, seed=5))
    with pytest.raises(data.DataError, match="needs 13"):
        data.split_per_class(labels, {"a": 10, "b": 3})

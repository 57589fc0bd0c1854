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


def make_messy_folder(root: Path) -> Path:
    """A learner's folder: odd formats and names, junk files, a sub-folder, broken images."""
    make_folder(root, per_class=2)
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (9, 7, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(root / "a" / "UPPER.JPG")
    Image.fromarray(pixels[..., 0]).save(root / "a" / "grey.png")
    Image.fromarray(np.dstack([pixels, pixels[..., :1]])).save(root / "a" / "rgba.png")
    Image.fromarray(pixels).convert("P").save(root / "b" / "palette.gif")
    Image.fromarray(pixels).save(root / "b" / "modern.webp")
    Image.fromarray(pixels).save(root / "b" / "bitmap.bmp")
    Image.fromarray(pixels).save(root / "b" / "ação ñ.jpg")
    (root / "b" / "extra").mkdir()
    Image.fromarray(pixels).save(root / "b" / "extra" / "nested.jpg")
    (root / "a" / "notes.txt").write_text("hello")
    (root / "b" / "Thumbs.db").write_bytes(b"\x00" * 10)
    (root / "README.md").write_text("my photos")
    (root / "a" / ".hidden.jpg").write_bytes(b"")
    Image.fromarray(pixels).save(root / "b" / "tiff_in_disguise.jpg", format="TIFF")
    good = (root / "a" / "0.jpg").read_bytes()
    (root / "a" / "broken.jpg").write_bytes(good[: len(good) // 3])
    return root


def test_messy_folder_skips_junk_and_names_every_bad_file_in_order(tmp_path):
    root = make_messy_folder(tmp_path / "mine")
    with pytest.raises(data.DataError) as error:
        data.scan_image_folder(root)
    message = str(error.value)
    assert message.startswith("2 image file(s) cannot be read")
    assert message.index("broken.jpg") < message.index("tiff_in_disguise.jpg")  # stable order
    assert "notes.txt" not in message  # not an image: skipped, not an error


def test_messy_folder_report_with_skip(tmp_path, capsys):
    root = make_messy_folder(tmp_path / "mine")
    folder = data.scan_image_folder(root, on_bad="skip")
    assert folder.counts() == {"a": 5, "b": 7}
    assert folder.nested == 1
    report = capsys.readouterr().out
    assert report == folder.report() + "\n"
    assert "skipped 2 (not an image file" not in report  # .txt and .db are different reasons
    for name in ("notes.txt", "Thumbs.db", "README.md", "broken.jpg", "tiff_in_disguise.jpg"):
        assert name in report
    assert ".hidden.jpg" not in report and "sub-folders" in report
    images = data.load_images(folder.paths, 16)  # every file the scan kept loads
    assert images.shape == (12, 16, 16, 3)


def test_class_with_only_bad_files_is_named(tmp_path):
    root = make_folder(tmp_path / "d")
    (root / "c").mkdir()
    (root / "c" / "notes.txt").write_text("x")
    with pytest.raises(data.DataError, match="c contains no usable images"):
        data.scan_image_folder(root)


def test_exif_orientation_turns_photos_upright(tmp_path):
    from PIL import ImageOps

    pixels = np.zeros((6, 10, 3), np.uint8)
    pixels[:2, :3] = 255  # a white corner, top left
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"o{orientation}.png"  # lossless, so the two decoders agree exactly
        Image.fromarray(pixels).save(path, exif=exif)
        assert data.exif_orientation(path) == orientation
        expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
        loaded = data.load_images([path], expected.shape[:2])[0]
        assert np.array_equal(loaded, expected), f"orientation {orientation}"


def test_take_per_class_names_the_short_class():
    labels = np.array([0, 0, 0, 1])
    with pytest.raises(data.DataError, match="Class 'dogs' has only 1"):
        data.take_per_class(labels, 2, class_names=["cats", "dogs"])


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(data.DataError, match="is not a folder"):
        data.scan_image_folder(tmp_path / "nope")
    root = make_folder(tmp_path / "d")
    (root / "c").mkdir()
    with pytest.raises(data.DataError, match="contains no usable images"):
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

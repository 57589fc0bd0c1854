import numpy as np
import pytest
import tensorflow as tf

from helpers import input_pipeline


def image_folder(root, classes=2, per_class=4, size=20, seed=0):
    """A folder of small JPEG files, root/<class>/<i>.jpg; class c is brighter than c - 1."""
    rng = np.random.default_rng(seed)
    for c in range(classes):
        (root / f"class{c}").mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (size, size + 4, 3)) + 100 * c
            data = tf.io.encode_jpeg(tf.constant(pixels.astype("uint8")))
            (root / f"class{c}" / f"{i}.jpg").write_bytes(data.numpy())
    return root


def test_load_split_is_balanced_disjoint_and_repeatable(tmp_path):
    folder = image_folder(tmp_path / "images", classes=3, per_class=5)
    split = input_pipeline.load_split(folder, 3, 2, seed=1)
    train, val = split["train"], split["val"]
    assert len(train[0]) == 9 and len(val[0]) == 6
    assert np.bincount(train[1]).tolist() == [3, 3, 3]
    assert not set(train[0]) & set(val[0])
    assert input_pipeline.load_split(folder, 3, 2, seed=1)["train"][0] == train[0]


def test_pipeline_yields_resized_float_images_once_each(tmp_path):
    split = input_pipeline.load_split(image_folder(tmp_path / "images"), 3, 1)
    ds = input_pipeline.image_pipeline(*split["train"], size=16, batch_size=4)
    batches = list(ds)
    assert [int(y.shape[0]) for _, y in batches] == [4, 2]
    images = batches[0][0]
    assert images.shape[1:] == (16, 16, 3) and images.dtype == tf.float32
    assert float(tf.reduce_max(images)) > 100  # pixels stay in [0, 255], not rescaled


def test_every_variant_gives_the_same_images(tmp_path):
    paths, labels = input_pipeline.load_split(image_folder(tmp_path / "images"), 4, 0)["train"]
    outputs = {name: np.concatenate([x.numpy() for x, _ in
                                     input_pipeline.named_pipeline(name, paths, labels, size=8,
                                                                   batch_size=3)])
               for name in input_pipeline.PIPELINES}
    reference = outputs["naive"]
    assert all(np.array_equal(reference, o) for o in outputs.values())
    with pytest.raises(KeyError, match="naive"):
        input_pipeline.named_pipeline("turbo", paths, labels)


def test_pipeline_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="3 paths and 2 labels"):
        input_pipeline.image_pipeline(["a", "b", "c"], np.array([0, 1]))


def test_images_per_second_counts_every_batch(tmp_path):
    paths, labels = input_pipeline.load_split(image_folder(tmp_path / "images"), 4, 0)["train"]
    ds = input_pipeline.image_pipeline(paths, labels, size=8, batch_size=3)
    seen = []
    rates = input_pipeline.images_per_second(ds, epochs=2, step=lambda x, y: seen.append(len(y)))
    assert len(rates) == 2 and all(r > 0 for r in rates)
    assert seen == [3, 3, 2] * 2

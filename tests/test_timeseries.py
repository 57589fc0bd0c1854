"""Unit tests for helpers.timeseries: UCR files written in the archive's format, tiny series."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import timeseries as ts


def write_ucr(folder, name, split, labels, series):
    (folder / name).mkdir(exist_ok=True)
    lines = ["\t".join([str(label), *map(str, row)]) for label, row in zip(labels, series)]
    (folder / name / f"{name}_{split}.tsv").write_text("\n".join(lines) + "\n")


def test_load_ucr_maps_labels_over_both_splits(tmp_path):
    rng = np.random.default_rng(0)
    write_ucr(tmp_path, "Toy", "TRAIN", [-1, 1, 1], rng.normal(size=(3, 5)))
    write_ucr(tmp_path, "Toy", "TEST", [1, -1], rng.normal(size=(2, 5)))
    data = ts.load_ucr("Toy", tmp_path)
    assert data["train"].y.tolist() == [0, 1, 1] and data["test"].y.tolist() == [1, 0]
    assert data["train"].x.shape == (3, 5) and data["train"].x.dtype == np.float32


def test_load_ucr_without_test_file_and_with_labels_1_to_3(tmp_path):
    write_ucr(tmp_path, "Toy", "TRAIN", [3, 1, 2], np.ones((3, 4)))
    data = ts.load_ucr("Toy", tmp_path)
    assert set(data) == {"train"} and data["train"].y.tolist() == [2, 0, 1]


def test_load_ucr_names_the_missing_data_set(tmp_path):
    write_ucr(tmp_path, "Toy", "TRAIN", [0], np.ones((1, 4)))
    with pytest.raises(ts.UCRError, match=r"Nope.*\['Toy'\]"):
        ts.load_ucr("Nope", tmp_path)


def test_read_ucr_file_rejects_commas_and_nan(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("1,0.5,0.7\n0,0.1,0.2\n")
    with pytest.raises(ts.UCRError, match="bad.tsv"):
        ts.read_ucr_file(bad)
    bad.write_text("1\t0.5\tNaN\n")
    with pytest.raises(ts.UCRError, match="missing values"):
        ts.read_ucr_file(bad)


def test_resample_keeps_end_points_and_interpolates():
    x = np.array([[0.0, 2.0, 4.0]])
    out = ts.resample(x, 5)
    assert out.shape == (1, 5)
    assert np.allclose(out[0], [0, 1, 2, 3, 4])
    with pytest.raises(ts.UCRError, match="shape"):
        ts.resample(np.zeros(4), 5)


def test_znormalize_per_series_and_flat_series():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])
    z = ts.znormalize(x)
    assert np.allclose(z[0].mean(), 0, atol=1e-6) and np.isclose(z[0].std(), 1, atol=1e-5)
    assert np.all(z[1] == 0)


def test_prepare_adds_channel_axis():
    assert ts.prepare(np.random.default_rng(1).normal(size=(2, 7)), 16).shape == (2, 16, 1)


def test_build_cnn_accepts_any_length_and_new_head_keeps_body():
    model = ts.build_cnn(5, filters=(4, 4), kernels=(3, 3))
    assert model.predict(np.zeros((2, 30, 1)), verbose=0).shape == (2, 5)
    assert model.predict(np.zeros((1, 11, 1)), verbose=0).shape == (1, 5)
    moved = ts.with_new_head(model, 2)
    assert moved.predict(np.zeros((3, 20, 1)), verbose=0).shape == (3, 2)
    assert np.array_equal(moved.get_layer("conv1").get_weights()[0],
                          model.get_layer("conv1").get_weights()[0])
    assert moved.get_layer("conv1") is not model.get_layer("conv1")  # a copy, not shared
    with pytest.raises(ValueError, match="same, non-zero length"):
        ts.build_cnn(2, filters=(4,), kernels=(3, 3))


def test_one_nn_accuracy_on_separable_and_mismatched_series():
    train = ts.Split(np.array([[0.0, 0.0], [10.0, 10.0]]), np.array([0, 1]))
    test = ts.Split(np.array([[1.0, 0.0], [9.0, 11.0], [0.0, 1.0]]), np.array([0, 1, 1]))
    assert ts.one_nn_accuracy(train, test) == pytest.approx(2 / 3)
    with pytest.raises(ts.UCRError, match="equal lengths"):
        ts.one_nn_accuracy(train, ts.Split(np.zeros((1, 3)), np.array([0])))


def test_with_new_head_needs_a_features_layer():
    import keras

    inputs = keras.Input((None, 1))
    plain = keras.Model(inputs, keras.layers.GlobalAveragePooling1D(name="gap")(inputs))
    with pytest.raises(ValueError, match="no layer named 'features'"):
        ts.with_new_head(plain, 2)


def test_accuracy_counts_argmax_matches_in_batches():
    import keras

    inputs = keras.Input((None, 1))
    first_value = keras.layers.Lambda(lambda x: x[:, 0, :])(inputs)
    logits = keras.layers.Concatenate()([-first_value, first_value])  # class 1 when x[0] > 0
    model = keras.Model(inputs, logits)
    x = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 5.0]])[..., None]
    assert ts.accuracy(model, ts.Split(x, np.array([1, 0, 0])), batch_size=2) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="one label each"):
        ts.accuracy(model, ts.Split(x, np.array([1])))

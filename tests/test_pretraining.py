import keras
import numpy as np
import pytest

from helpers import pretraining as pt


def test_encoder_and_classifier_shapes():
    encoder = pt.digit_encoder(input_size=8, embedding=12)
    assert encoder.output_shape == (None, 12)
    model = pt.classifier(encoder, num_classes=3, trainable=False)
    assert model.output_shape == (None, 3)
    assert not encoder.trainable_weights and model.trainable_weights  # only the head trains
    with pytest.raises(ValueError, match="at least 2 classes"):
        pt.classifier(encoder, 1)
    with pytest.raises(ValueError, match="8 px"):
        pt.digit_encoder(input_size=4)


def test_rotation_task_labels_match_rotations():
    images = np.random.default_rng(1).random((3, 5, 5)).astype("float32")
    rotated, labels = pt.rotation_task(images, seed=0)
    assert rotated.shape == (12, 5, 5) and np.bincount(labels).tolist() == [3, 3, 3, 3]
    for image, label in zip(rotated, labels):
        assert any(np.array_equal(image, np.rot90(original, label)) for original in images)
    with pytest.raises(ValueError, match="square grey images"):
        pt.rotation_task(np.zeros((2, 5, 5, 1)))


def test_relabel_maps_classes_and_rejects_others():
    assert pt.relabel(np.array([7, 5, 9]), [5, 6, 7, 8, 9]).tolist() == [2, 0, 4]
    with pytest.raises(ValueError, match=r"labels \[3\]"):
        pt.relabel(np.array([3, 5]), [5, 6])


def test_train_steps_counts_steps_and_learns():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((20, 8, 8)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2)) > x[:, 4:].mean(axis=(1, 2))).astype("int64")
    model = pt.classifier(pt.digit_encoder(input_size=8, embedding=8), 2)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    pt.train_steps(model, x, y, steps=7, batch_size=8)
    assert int(model.optimizer.iterations) == 7
    with pytest.raises(ValueError, match="one label per image"):
        pt.train_steps(model, x, y[:3], steps=1)
    with pytest.raises(ValueError, match="at least one step"):
        pt.train_steps(model, x, y, steps=0)


def test_accuracy_and_linear_probe():
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(-2, 1, (20, 3)), rng.normal(2, 1, (20, 3))])
    labels = np.repeat([0, 1], 20)
    assert pt.linear_probe_accuracy(features, labels, features, labels) > 0.9
    assert pt.linear_probe_accuracy(features, labels, features, 1 - labels) < 0.1


def test_save_and_reload_gives_same_predictions(tmp_path):
    model = pt.classifier(pt.digit_encoder(input_size=8, embedding=4), 3)
    x = np.random.default_rng(2).random((4, 8, 8)).astype("float32")
    reloaded, size = pt.save_and_reload(model, tmp_path / "sub" / "m.keras")
    assert size > 1000 and (tmp_path / "sub" / "m.keras").stat().st_size == size
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    with pytest.raises(ValueError, match=r"\*\.keras"):
        pt.save_and_reload(model, tmp_path / "m.h5")


def test_retrainer_repeats_a_fresh_training_exactly():
    rng = np.random.default_rng(3)
    x, y = rng.random((12, 8, 8)).astype("float32"), rng.integers(0, 2, 12)
    keras.utils.set_random_seed(0)
    start = pt.classifier(pt.digit_encoder(input_size=8, embedding=4), 2).get_weights()
    trainer = pt.Retrainer(pt.classifier(pt.digit_encoder(input_size=8, embedding=4), 2))
    first = trainer.run(start, x, y, steps=5, learning_rate=1e-2).get_weights()
    trainer.run(start, x, y[::-1].copy(), steps=5, learning_rate=1e-1)  # another run in between
    again = trainer.run(start, x, y, steps=5, learning_rate=1e-2).get_weights()
    assert int(trainer.model.optimizer.iterations) == 5
    assert max(np.abs(a - b).max() for a, b in zip(first, start)) > 0
    for a, b in zip(first, again):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="same architecture"):
        trainer.run(start[:2], x, y, steps=1, learning_rate=1e-2)

import keras
import numpy as np
import pytest

from helpers import multitask


def small_model(heads=None):
    keras.utils.set_random_seed(0)
    trunk = multitask.spectrogram_trunk((16, 16, 1), filters=(4, 4), units=8)
    return multitask.multi_output_model(trunk, heads or {"digit": 3, "speaker": 2})


def test_model_has_named_outputs_sharing_one_trunk():
    model = small_model()
    assert sorted(model.output_names) == ["digit", "speaker"]
    out = model.predict(np.zeros((3, 16, 16, 1), np.float32), verbose=0)
    assert out["digit"].shape == (3, 3) and out["speaker"].shape == (3, 2)
    np.testing.assert_allclose(out["digit"].sum(axis=1), 1.0, rtol=1e-5)
    trunks = [layer for layer in model.layers if layer.name == "trunk"]
    assert len(trunks) == 1  # both heads read the same trunk


def test_single_task_model_uses_the_same_builder():
    model = small_model({"digit": 3})
    assert model.output_names == ["digit"]


@pytest.mark.parametrize("heads, match", [({}, "empty"), ({"digit": 1}, ">= 2"),
                                          ({"my task": 3}, "identifier")])
def test_bad_heads_are_explained(heads, match):
    trunk = multitask.spectrogram_trunk((16, 16, 1), filters=(4,), units=4)
    with pytest.raises(ValueError, match=match):
        multitask.multi_output_model(trunk, heads)


def test_compile_checks_weights_and_loss_weighting_changes_the_total():
    model = small_model()
    with pytest.raises(ValueError, match="one weight per output"):
        multitask.compile_multitask(model, {"digit": 1.0})
    with pytest.raises(ValueError, match=">= 0"):
        multitask.compile_multitask(model, {"digit": 1.0, "speaker": -1.0})
    x = np.random.default_rng(1).random((8, 16, 16, 1)).astype(np.float32)
    y = {"digit": np.arange(8) % 3, "speaker": np.arange(8) % 2}
    totals = []
    for weight in (0.0, 2.0):
        multitask.compile_multitask(model, {"digit": 1.0, "speaker": weight})
        totals.append(model.evaluate(x, y, verbose=0, return_dict=True))
    # the weighted sum: total(2) - total(0) = 2 * speaker loss
    gap = totals[1]["loss"] - totals[0]["loss"]
    assert gap == pytest.approx(2 * totals[1]["speaker_loss"], rel=1e-3)


def test_fit_repeated_learns_a_tiny_task_and_checks_lengths():
    model = multitask.compile_multitask(small_model(), {"digit": 1.0, "speaker": 1.0}, 1e-2)
    rng = np.random.default_rng(2)
    y = {"digit": np.arange(12) % 3, "speaker": np.arange(12) % 2}
    x = rng.random((12, 16, 16, 1)).astype(np.float32) * 0.1
    x[:, :4, :4, 0] += (y["digit"] == 1)[:, None, None]
    x[:, -4:, -4:, 0] += (y["digit"] == 2)[:, None, None]
    before = multitask.accuracy(model, x, y["digit"], "digit")
    multitask.fit_repeated(model, x, y, epochs=40, batch_size=4)
    assert multitask.accuracy(model, x, y["digit"], "digit") > max(before, 0.9)
    with pytest.raises(ValueError, match="one label per input"):
        multitask.fit_repeated(model, x, {"digit": y["digit"][:5]}, epochs=1)
    with pytest.raises(ValueError, match="no output"):
        multitask.accuracy(model, x, y["digit"], "noise")


def test_shuffled_labels_keep_counts_and_break_the_order():
    labels = np.repeat(np.arange(6), 20)
    shuffled = multitask.shuffled_labels(labels, seed=0)
    assert np.array_equal(np.bincount(shuffled), np.bincount(labels))
    assert np.mean(shuffled == labels) < 0.4  # about 1/6 agree by chance
    assert np.array_equal(shuffled, multitask.shuffled_labels(labels, seed=0))
    with pytest.raises(ValueError, match="1-D"):
        multitask.shuffled_labels(labels.reshape(12, 10), seed=0)

"""Tests of lesson 06's recipe, pay-off runner, gradual unfreezing and cache files."""
import keras
import numpy as np
import pytest

from helpers import finetune, training
from tests.tiny_models import tiny_base, toy_data


@pytest.fixture(scope="module")
def setup():
    base = tiny_base()
    x, y = toy_data()
    cache = finetune.ActivationCache(base, {"train": x[:32], "val": x[32:]}, deepest=4,
                                     preprocessing="none")
    return base, cache, y[:32], y[32:]


def test_recipe_validates_and_builds_its_schedule():
    with pytest.raises(ValueError, match="optimizer"):
        finetune.Recipe(optimizer="adagrad")
    with pytest.raises(ValueError, match="warmup_fraction"):
        finetune.Recipe(warmup_fraction=1.5)
    with pytest.raises(ValueError, match="ema_momentum"):
        finetune.Recipe(ema_momentum=1.0)
    recipe = finetune.Recipe(rate=1e-3, warmup_fraction=0.25)
    schedule = recipe.schedule(8)
    assert recipe.total_steps(65) == 8 * 3  # 3 batches of 32 per epoch
    assert (schedule.warmup, schedule.total, schedule.peak) == (2, 8, 1e-3)
    def compiled(r):
        return r.compile(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])).optimizer

    sgd = compiled(finetune.Recipe(optimizer="sgd"))
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == 0.9
    assert compiled(recipe).use_ema and compiled(recipe).ema_momentum == 0.99
    assert not compiled(finetune.Recipe(ema_momentum=None)).use_ema
    swap = keras.callbacks.SwapEMAWeights
    assert [type(c) for c in recipe.callbacks(8)] == [training.WarmupCosine, swap]
    assert [type(c) for c in finetune.Recipe(ema_momentum=None).callbacks(8)] == [
        training.WarmupCosine]


def test_head_control_trains_a_copy_by_the_recipe_and_reports_each_epoch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    head, _ = training.train_head(x, y, 2, epochs=1)
    before = [w.copy() for w in head.get_weights()]
    recipe = finetune.Recipe(epochs=20, rate=1e-2)
    more, curve = finetune.head_control(head, x, y, recipe, seed=0, validation=(x, y))
    assert all(np.array_equal(a, b) for a, b in zip(before, head.get_weights()))
    assert len(curve) == 20 and more.optimizer.use_ema
    assert more.evaluate(x, y, verbose=0)[1] > head.evaluate(x, y, verbose=0)[1]
    with pytest.raises(ValueError, match="labels"):
        finetune.head_control(head, x, y + 5, recipe, seed=0)


def test_weight_average_is_what_validation_and_the_final_model_use():
    """With a weight average of momentum near 1, the weights kept at the end stay near where the
    average started (after the first, warm-up-sized step); the raw weights move away."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(320, 5)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    keras.utils.set_random_seed(0)
    head, _ = training.train_head(x, y, 2, epochs=1)
    moved = {}
    for ema in (None, 0.999):
        recipe = finetune.Recipe(epochs=2, rate=0.1, warmup_fraction=0.5, ema_momentum=ema)
        copy, _ = finetune.head_control(head, x, y, recipe, seed=0)
        moved[ema] = training.relative_change(head.get_weights(), copy.get_weights())
    assert moved[0.999] < 0.3 * moved[None]


def test_warmup_cosine_offset_continues_the_schedule():
    full = [training.warmup_cosine(s, 10, 1.0, 2) for s in range(10)]
    later = training.WarmupCosine(1.0, 10, 2, offset=6)
    later.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    later.model.compile(optimizer="adam", loss="mse")
    later.on_train_begin()
    for batch in range(4):
        later.on_train_batch_begin(batch)
    assert np.allclose(later.rates, full[6:])


def test_payoff_compares_head_control_and_fine_tuning_on_the_same_items(setup):
    base, cache, y_train, y_val = setup
    trainer = finetune.TopTrainer(base, cache, 4, 2)
    recipe = finetune.Recipe(epochs=2, rate=1e-2, head_epochs=3)
    with pytest.raises(ValueError, match="compile_for"):
        finetune.payoff(trainer, cache.pooled(), y_train, y_val, 0, recipe)
    trainer.compile_for(recipe)
    got = finetune.payoff(trainer, cache.pooled(), y_train, y_val, 0, recipe,
                          subset=np.arange(16))
    tuned = got["tuned"]
    assert got["head"].shape == got["control"].shape == y_val.shape
    assert len(got["control_curve"]) == 2
    assert len(tuned.history["val_accuracy"]) == 3 and tuned.base_change > 0
    assert len(tuned.extra["rates"]) == 2 * 1  # 16 clips = 1 batch per epoch
    # the run started from the head: same accuracy before fine-tuning
    assert tuned.start == pytest.approx(np.mean(got["head"] == y_val))
    trainer.restore()


def test_gradual_unfreezes_stage_by_stage_and_joins_the_history(setup):
    base, cache, y_train, y_val = setup
    trainer = finetune.TopTrainer(base, cache, 4, 2)
    with pytest.raises(ValueError, match="ema_momentum=None"):
        trainer.gradual(y_train, y_val, [(1, 1)], finetune.Recipe(), 0)
    recipe = finetune.Recipe(epochs=3, rate=1e-2, ema_momentum=None)
    c2 = [w.copy() for w in base.get_layer("c2").get_weights()]
    c3 = [w.copy() for w in base.get_layer("c3").get_weights()]
    with pytest.raises(ValueError, match="depth"):
        trainer.gradual(y_train, y_val, [(9, 1)], recipe, 0)
    # stage 1: only the top layer (c3) trains; c2 must not move in it
    first = trainer.gradual(y_train, y_val, [(1, 1)], recipe, 0)
    assert not np.array_equal(base.get_layer("c3").get_weights()[0], c3[0])
    assert np.array_equal(base.get_layer("c2").get_weights()[0], c2[0])
    assert first.base_change > 0
    run = trainer.gradual(y_train, y_val, [(1, 1), (4, 2)], recipe, 0)
    assert len(run.history["val_accuracy"]) == 1 + 3
    assert not np.array_equal(base.get_layer("c2").get_weights()[0], c2[0])
    assert run.extra["val_predictions"].shape == y_val.shape
    assert len(trainer.model.trainable_weights) > 2  # left with the whole top unfrozen
    trainer.restore()


def test_activation_cache_save_and_load(setup, tmp_path):
    base, cache, _, _ = setup
    path = tmp_path / "cache.npz"
    cache.save(path)
    again = finetune.ActivationCache.load(base, path)
    assert again.low == cache.low and again.images == cache.images
    assert np.array_equal(again.at(again.low)["val"], cache.at(cache.low)["val"])
    assert np.allclose(again.pooled()["train"], cache.pooled()["train"], atol=1e-6)


def test_find_rate_starts_from_the_head_and_puts_everything_back(setup):
    base, cache, y_train, _ = setup
    trainer = finetune.TopTrainer(base, cache, 4, 2)
    before = [w.copy() for w in base.get_weights()]
    found = trainer.find_rate(y_train, 0, steps=20, start=1e-5, stop=10.0, batch_size=8)
    assert np.all(np.diff(found["rates"]) > 0) and found["suggestion"] > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, base.get_weights()))
    trainer.restore()

import keras
import numpy as np
import pytest

from helpers import finetune, training
from tests.tiny_models import tiny_base, toy_data


def test_activation_cache_pooled_matches_the_base():
    base = tiny_base()
    x, _ = toy_data(6)
    cache = finetune.ActivationCache(base, {"train": x}, deepest=1, preprocessing="none")
    assert cache.low == 4 and cache.images == 6
    expected = np.asarray(base(x)).mean(axis=(1, 2))
    assert np.allclose(cache.pooled()["train"], expected, atol=1e-5)
    with pytest.raises(ValueError, match="below"):
        cache.at(2)


@pytest.fixture(scope="module")
def trained():
    base = tiny_base()
    x, y = toy_data()
    cache = finetune.ActivationCache(base, {"train": x[:32], "val": x[32:]}, deepest=4,
                                     preprocessing="none")
    pooled = cache.pooled()
    keras.utils.set_random_seed(0)
    head = training.train_head(pooled["train"], y[:32], 2, epochs=5)[0]
    return base, cache, head, y[:32], y[32:]


def test_top_trainer_fine_tunes_only_the_top_and_restores(trained):
    base, cache, head, y_train, y_val = trained
    pretrained = [w.copy() for w in base.get_weights()]
    by_layer = {layer.name: [w.copy() for w in layer.get_weights()] for layer in base.layers}
    trainer = finetune.TopTrainer(base, cache, 4, 2)
    assert trainer.cut == 1
    run = trainer.run(y_train, y_val, epochs=2, learning_rate=1e-2, seed=0, head=head)
    assert len(run.history["val_accuracy"]) == 3  # epoch 0 = before fine-tuning
    head_acc = head.evaluate(cache.pooled()["val"], y_val, verbose=0)[1]
    assert run.start == pytest.approx(head_acc)
    assert run.base_change > 0

    def same(name):
        return all(np.array_equal(a, b) for a, b in
                   zip(base.get_layer(name).get_weights(), by_layer[name]))

    assert same("c1") and same("bn1")  # below the top, and a frozen BatchNormalization
    assert not same("c2") and not same("c3")
    trainer.restore()
    assert all(np.array_equal(a, b) for a, b in zip(base.get_weights(), pretrained))
    assert not base.trainable_weights


def test_top_trainer_runs_are_independent_and_repeatable(trained):
    base, cache, head, y_train, y_val = trained
    trainer = finetune.TopTrainer(base, cache, 1, 2)
    first = trainer.run(y_train, y_val, epochs=2, learning_rate=1e-2, seed=3, head=None)
    other = trainer.run(y_train, y_val, epochs=2, learning_rate=1e-1, seed=4, head=head)
    again = trainer.run(y_train, y_val, epochs=2, learning_rate=1e-2, seed=3, head=None)
    assert first.history == again.history
    assert other.history != first.history
    assert first.settings["head"] == "random" and other.settings["head"] == "trained"
    subset = trainer.run(y_train, y_val, epochs=1, learning_rate=1e-2, seed=3,
                         train_subset=np.arange(8))
    assert subset.extra["train_accuracy"] - subset.final == pytest.approx(subset.gap)
    trainer.restore()


def test_top_trainer_starts_from_the_pretrained_base_whatever_ran_before(trained):
    base, cache, head, y_train, y_val = trained
    pretrained_c3 = [w.copy() for w in base.get_layer("c3").get_weights()]
    base.get_layer("c3").set_weights([-w for w in pretrained_c3])  # e.g. an earlier fine-tuning
    trainer = finetune.TopTrainer(base, cache, 1, 2)
    run = trainer.run(y_train, y_val, epochs=1, learning_rate=0.0, seed=0, head=head)
    assert run.base_change == 0.0
    assert all(np.array_equal(a, b) for a, b in
               zip(base.get_layer("c3").get_weights(), pretrained_c3))
    assert run.start == pytest.approx(head.evaluate(cache.pooled()["val"], y_val, verbose=0)[1])
    assert len(run.extra["epoch_seconds"]) == 1 and run.epoch_seconds > 0
    trainer.restore()


def test_top_trainer_at_depth_zero_trains_only_the_head(trained):
    base, cache, head, y_train, y_val = trained
    before = [w.copy() for w in base.get_weights()]
    trainer = finetune.TopTrainer(base, cache, 0, 2)
    run = trainer.run(y_train, y_val, epochs=2, learning_rate=1e-2, seed=0, head=head)
    assert run.base_change == 0.0
    assert all(np.array_equal(a, b) for a, b in zip(base.get_weights(), before))
    trainer.restore()


def test_values_and_summarize():
    runs = [finetune.Run({}, {"val_accuracy": [0.5, 0.6, 0.8], "accuracy": [0.5, 0.9, 1.0]},
                         0.01, 2.0, {"train_accuracy": 1.0}),
            finetune.Run({}, {"val_accuracy": [0.6, 0.4, 0.7], "accuracy": [0.6, 0.8, 0.9]},
                         0.03, 4.0, {"train_accuracy": 0.9})]
    assert np.allclose(finetune.values(runs, "gain"), [0.3, 0.1])
    assert np.allclose(finetune.values(runs, "worst"), [0.6, 0.4])
    assert np.allclose(finetune.values(runs, "gap"), [0.2, 0.2])
    row = finetune.summarize(runs)
    assert row["after"] == "0.750 ± 0.050" and row["base moved %"] == "2.00 ± 1.00"

def test_discriminative_adam_moves_slow_variables_less():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, name="body")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="new_head")(x))
    before = {name: model.get_layer(name).get_weights()[0].copy() for name in ("body", "new_head")}
    optimizer = finetune.discriminative_adam(model, 1e-2, slow_factor=0.1)
    assert len(optimizer.slow_paths) == 2  # the body's kernel and bias
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    data = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(data, (data[:, 0] > 0).astype(int), epochs=1, batch_size=32, verbose=0)  # 1 step
    moved = {name: np.abs(model.get_layer(name).get_weights()[0] - before[name]).max()
             for name in before}
    # Adam's first step moves every weight by about its learning rate
    assert moved["new_head"] == pytest.approx(1e-2, rel=0.05)
    assert moved["body"] == pytest.approx(1e-3, rel=0.05)
    with pytest.raises(ValueError, match="None of the layers"):
        finetune.discriminative_adam(model, 1e-2, fast_layers=("head",))


def test_top_trainer_run_keeps_predictions_and_calls_callbacks(trained):
    base, cache, head, y_train, y_val = trained
    trainer = finetune.TopTrainer(base, cache, 4, 2)
    schedule = training.WarmupCosine(1e-2, total_steps=2, warmup_steps=1)
    run = trainer.run(y_train, y_val, epochs=2, learning_rate=1e-2, seed=0, head=head,
                      callbacks=[schedule], keep_predictions=True)
    assert run.extra["val_predictions"].shape == y_val.shape
    assert np.mean(run.extra["val_predictions"] == y_val) == pytest.approx(run.final)
    assert schedule.rates[0] == pytest.approx(1e-2) and len(schedule.rates) == 2
    trainer.restore()


def test_pooled_without_storing_matches_stored():
    base = tiny_base()
    x, _ = toy_data(6)
    cache = finetune.ActivationCache(base, {"train": x}, deepest=4, preprocessing="none")
    direct = cache.pooled(store=False)["train"]
    assert len(cache._store) == 1  # nothing new kept
    assert np.allclose(direct, cache.pooled()["train"], atol=1e-5)

import keras
import numpy as np
import pytest

from helpers import finetune, training


def tiny_base(seed=0):
    """input -> c1 -> bn1 -> [c2 -> add(c2, bn1)] -> c3: a residual block in the middle.

    Positions: 0 input, 1 c1, 2 bn1, 3 c2, 4 add, 5 c3. Cutting after c2 (3) is impossible:
    bn1's output jumps over it to the add."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    y = keras.layers.Conv2D(4, 3, padding="same", name="c2")(x)
    x = keras.layers.Add(name="add")([y, x])
    x = keras.layers.Conv2D(6, 1, activation="relu", name="c3")(x)
    base = keras.Model(inputs, x, name="tiny")
    base.trainable = False
    return base


def toy_data(n=48, seed=0):
    """Two classes that differ in the mean of the first channel."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    images = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    images[..., 0] += 1.5 * labels[:, None, None]
    return images, labels


def test_cut_points_skip_the_inside_of_a_residual_block():
    assert finetune.cut_points(tiny_base()) == [0, 1, 2, 4, 5]


def test_cut_for_picks_the_highest_valid_cut_below_the_top():
    base = tiny_base()
    assert finetune.cut_for(base, 0) == 5
    assert finetune.cut_for(base, 1) == 4
    assert finetune.cut_for(base, 2) == 2  # 3 would cut the residual block
    assert finetune.cut_for(base, 5) == 0
    with pytest.raises(ValueError, match="between 0 and"):
        finetune.cut_for(base, 6)


def test_split_recomposes_the_base_and_shares_layers():
    base = tiny_base()
    x, _ = toy_data(4)
    bottom, top = finetune.split(base, "bn1")
    assert np.allclose(top(bottom(x)), base(x), atol=1e-6)
    assert base.get_layer("c3") in top.layers
    with pytest.raises(ValueError, match="skip"):
        finetune.split(base, "c2")
    bottom, top = finetune.split(base, 0)
    assert bottom is None and top is not None
    assert finetune.split(base, 5)[1] is None


def test_bottom_model_runs_preprocessing_then_the_bottom():
    base = tiny_base()
    x, _ = toy_data(4)
    model = finetune.bottom_model(base, 2, "none")
    expected = keras.Model(base.input, base.get_layer("bn1").output)(x)
    assert np.allclose(model.predict(x, verbose=0), expected, atol=1e-6)


def test_layer_states_and_trainable_params():
    base = tiny_base()
    states = finetune.layer_states(base, 4)
    assert states == ["frozen", "frozen", "batchnorm (frozen)", "trainable", "trainable",
                      "trainable"]
    assert finetune.layer_states(base, 4, keep_batchnorm_frozen=False)[2] == "trainable"
    c2, c3 = base.get_layer("c2").count_params(), base.get_layer("c3").count_params()
    assert finetune.trainable_params(base, 4) == c2 + c3
    assert finetune.trainable_params(base, 0) == 0
    assert not base.trainable_weights  # nothing was actually unfrozen


def test_relative_change():
    a = [np.ones((2, 2)), np.zeros(3)]
    assert finetune.relative_change(a, a) == 0.0
    b = [np.full((2, 2), 2.0), np.zeros(3)]
    assert finetune.relative_change(a, b) == pytest.approx(1.0)


def test_reset_optimizer_zeroes_state_and_sets_rate():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    assert int(model.optimizer.iterations) > 0
    finetune.reset_optimizer(model.optimizer, 5e-4)
    assert int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(5e-4)
    others = [v for v in model.optimizer.variables if not v.path.endswith("learning_rate")]
    assert all(not np.any(np.asarray(v)) for v in others)


def test_activation_cache_pooled_matches_the_base():
    base = tiny_base()
    x, _ = toy_data(6)
    cache = finetune.ActivationCache(base, "none", {"train": x}, deepest=1)
    assert cache.low == 4 and cache.images == 6
    expected = np.asarray(base(x)).mean(axis=(1, 2))
    assert np.allclose(cache.pooled()["train"], expected, atol=1e-5)
    with pytest.raises(ValueError, match="below"):
        cache.at(2)


@pytest.fixture(scope="module")
def trained():
    base = tiny_base()
    x, y = toy_data()
    cache = finetune.ActivationCache(base, "none", {"train": x[:32], "val": x[32:]}, deepest=4)
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
import keras
import numpy as np
import pytest

from helpers import models, training


def separable(n=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    features = rng.normal(size=(n, 4)).astype("float32") + labels[:, None] * 3.0
    return features, labels


def test_train_head_learns_a_separable_problem():
    keras.utils.set_random_seed(0)
    x, y = separable()
    head, history = training.train_head(x, y, 2, validation=(x, y), epochs=30,
                                        learning_rate=0.05)
    assert history.history["val_accuracy"][-1] > 0.9
    assert head.output_shape == (None, 2)


def test_epochs_to_reach():
    history = {"val_accuracy": [0.5, 0.7, 0.9, 0.95]}
    assert training.epochs_to_reach(history, 0.9) == 3
    assert training.epochs_to_reach(history, 0.99) is None


def test_logger_prints_every_k_epochs(capsys):
    keras.utils.set_random_seed(0)
    x, y = separable(20)
    model = training.compile_classifier(models.build_head(4, 2))
    training.fit(model, x, epochs=4, log_every=2, y=y)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("epoch")]
    assert len(lines) == 2 and "accuracy" in lines[0]


def test_compile_rejects_unknown_optimizer():
    with pytest.raises(ValueError, match="adamw"):
        training.compile_classifier(models.build_head(4, 2), optimizer="adagradx")


def test_weight_decay_reaches_adamw():
    model = training.compile_classifier(models.build_head(4, 2), optimizer="adamw",
                                        weight_decay=0.1)
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert model.optimizer.weight_decay == pytest.approx(0.1)


def test_timer_and_mean_std():
    with training.timer() as t:
        sum(range(1000))
    assert t.seconds > 0
    assert training.mean_std([0.5, 0.7]) == "0.600 ± 0.100"


def test_epoch_timer_records_every_epoch():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    timer = training.EpochTimer()
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 3 and all(s > 0 for s in timer.seconds)


def test_train_head_checks_labels_before_training():
    features = np.zeros((6, 4), np.float32)
    with pytest.raises(ValueError, match="6 feature rows but 3 labels"):
        training.train_head(features, np.array([0, 1, 0]), 2, epochs=1)
    with pytest.raises(ValueError, match="integers from 0 to 1"):
        training.train_head(features, np.array([0, 1, 2, 0, 1, 2]), 2, epochs=1)
    with pytest.raises(ValueError, match="validation labels"):
        training.train_head(features, np.zeros(6, int), 2, epochs=1,
                            validation=(features, np.full(6, 0.5)))


def test_fit_repeated_makes_epochs_times_the_steps():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    model = training.compile_classifier(models.build_head(4, 2, dropout=0.0), 0.05)
    training.fit_repeated(model, x, y, epochs=50, batch_size=4)
    assert int(model.optimizer.iterations.numpy()) == 100
    assert model.evaluate(x, y, verbose=0)[1] == 1.0


def test_relative_change():
    a = [np.ones((2, 2)), np.zeros(3)]
    assert training.relative_change(a, a) == 0.0
    b = [np.full((2, 2), 2.0), np.zeros(3)]
    assert training.relative_change(a, b) == pytest.approx(1.0)


def test_reset_optimizer_zeroes_state_and_sets_rate():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    assert int(model.optimizer.iterations) > 0
    training.reset_optimizer(model.optimizer, 5e-4)
    assert int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(5e-4)
    others = [v for v in model.optimizer.variables if not v.path.endswith("learning_rate")]
    assert all(not np.any(np.asarray(v)) for v in others)


def small_net():
    return keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(4, 3),
                             keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])


def test_restart_repeats_a_fresh_run():
    x = np.random.default_rng(3).uniform(0, 1, (8, 16, 16, 1)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    keras.utils.set_random_seed(0)
    model = small_net()
    start = [w.copy() for w in model.get_weights()]
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="not compiled"):
        training.restart(small_net(), start)
    runs = []
    for _ in range(2):
        training.restart(model, start)
        assert int(model.optimizer.iterations.numpy()) == 0
        model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
        runs.append(model.get_weights())
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    assert any(not np.array_equal(a, b) for a, b in zip(runs[0], start))
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(runs[0], runs[1]))


def test_warmup_cosine_rises_then_decays_to_zero():
    rates = [training.warmup_cosine(s, 100, 1e-3, 10) for s in range(100)]
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert all(np.diff(rates[:10]) > 0)
    assert all(np.diff(rates[10:]) <= 0)
    assert rates[-1] < 1e-6
    with pytest.raises(ValueError, match="warmup_steps"):
        training.WarmupCosine(1e-3, total_steps=5, warmup_steps=6)

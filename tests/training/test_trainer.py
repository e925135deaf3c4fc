import math

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data import load
from nnstudio.training import Experiment, ExperimentError, Trainer, presets


def _weights(t):
    return [p.copy() for p in t.network.parameters()]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _xor_experiment(**kw):
    base = dict(dataset="xor", dataset_params={"size": 120, "seed": 3}, layers=[LayerSpec(6, "tanh"),
                LayerSpec(1, "sigmoid")], loss="binary_cross_entropy", init="xavier", seed=4, optimizer="adam",
                learning_rate=0.03, batch_size=16, shuffle=True, epochs=30)
    base.update(kw)
    return Experiment(**base)


@pytest.mark.parametrize("make", [lambda: presets.get("gender-network"), lambda: _xor_experiment(),
                                  lambda: _xor_experiment(optimizer="nesterov", layers=[
                                      LayerSpec(8, "relu", dropout=0.2), LayerSpec(1, "sigmoid")], l2=0.01)])
def test_single_steps_equal_one_run_bit_for_bit(make):
    a, b = Trainer(make()), Trainer(make())
    for _ in range(37):
        a.step()
    b.run(max_updates=37)
    assert a.step_count == b.step_count == 37
    assert _same(_weights(a), _weights(b))


def test_reset_returns_to_identical_starting_weights_and_replays_identically():
    t = Trainer(_xor_experiment())
    start = _weights(t)
    t.run(max_epochs=3)
    first = _weights(t)
    assert not _same(first, start)
    t.reset()
    assert _same(_weights(t), start)
    assert t.step_count == 0 and t.epoch == 0 and len(t.history.update_loss) == 0
    t.run(max_epochs=3)
    assert _same(_weights(t), first)  # the shuffle order and optimizer state restart too


def test_same_seed_same_run_other_seed_other_start():
    assert _same(_weights(Trainer(_xor_experiment())), _weights(Trainer(_xor_experiment())))
    assert not _same(_weights(Trainer(_xor_experiment())), _weights(Trainer(_xor_experiment(seed=5))))


def test_step_epoch_counts_batches():
    t = Trainer(_xor_experiment())
    n = t.n_train
    result = t.step_epoch()
    assert result.epoch_finished and t.epoch == 1 and t.step_count == math.ceil(n / 16) and t.position == 0


def test_learning_rate_change_while_paused_takes_effect_without_reset():
    t = Trainer(presets.get("trask-neuron"))
    t.run(max_updates=10)
    before = _weights(t)
    t.apply_settings(t.experiment.replace(learning_rate=0.5))
    assert _same(_weights(t), before) and t.step_count == 10
    t.step()
    ref = Trainer(presets.get("trask-neuron"))
    ref.run(max_updates=10)
    ref.step()
    assert not _same(_weights(t), _weights(ref))
    with pytest.raises(ExperimentError, match="new Trainer"):
        t.apply_settings(t.experiment.replace(layers=[LayerSpec(2, "sigmoid"), LayerSpec(1, "sigmoid")]))


def test_epoch_history_has_train_and_test_metrics():
    t = Trainer(_xor_experiment())
    t.run()
    snap = t.snapshot()
    assert list(snap.epoch_x) == list(range(31))
    loss, acc = t.evaluate(t.X_test, t.Y_test)
    assert snap.epoch_values[-1, 2] == pytest.approx(loss) and snap.test_metric == pytest.approx(acc)
    assert snap.train_metric > 0.85  # xor is learnable by a 6-unit tanh layer
    assert snap.epoch_values[-1, 0] < snap.epoch_values[0, 0]


def test_snapshot_is_an_immutable_copy():
    t = Trainer(presets.get("trask-neuron"))
    t.step()
    snap = t.snapshot()
    w = snap.weights[0].copy()
    with pytest.raises(ValueError):
        snap.weights[0][0, 0] = 1.0
    t.run(max_updates=5)
    assert np.array_equal(snap.weights[0], w)
    assert snap.step == 1 and snap.update_loss.shape == (1,)
    assert snap.parameter_names == ("W1",)
    assert snap.layer_z[0].shape == (4, 1)


def test_excluded_rows_leave_rows_out_of_training():
    t = Trainer(presets.get("trask-neuron").replace(excluded_rows=(1,)))
    assert t.n_train == 3 and list(t.train_rows) == [0, 2, 3]
    t.run()
    assert t.predict([1, 0, 0])[0, 0] > 0.9  # the tutorial's suggestion: the rule is still learnt
    with pytest.raises(ExperimentError, match="row 9"):
        Trainer(presets.get("trask-neuron").replace(excluded_rows=(9,)))
    with pytest.raises(ExperimentError, match="excluded"):
        Trainer(presets.get("trask-neuron").replace(excluded_rows=(0, 1, 2, 3)))


def test_float32_training_stays_float32():
    t = Trainer(_xor_experiment(dtype="float32"))
    t.run(max_epochs=2)
    assert all(p.dtype == np.float32 for p in t.network.parameters())
    assert all(z.dtype == np.float32 for z in t.snapshot().layer_z)


def test_invalid_combinations_are_explained():
    cases = [
        (dict(layers=[LayerSpec(2, "sigmoid")]), "needs 1"),
        (dict(layers=[LayerSpec(1, "step", bias=False)]), "cannot be trained"),
        (dict(loss="softmax_cross_entropy"), "does not fit a binary task"),
        (dict(loss="binary_cross_entropy", layers=[LayerSpec(1, "tanh")]), "sigmoid output"),
    ]
    for change, message in cases:
        with pytest.raises(ExperimentError, match=message):
            Trainer(presets.get("trask-neuron").replace(**change))
    with pytest.raises(ExperimentError, match="softmax needs at least 2"):
        Experiment(layers=[LayerSpec(1, "softmax")]).validate()
    with pytest.raises(ExperimentError, match="at least 1 neuron"):
        Experiment(layers=[LayerSpec(0, "sigmoid")]).validate()
    with pytest.raises(ExperimentError, match="unknown dataset 'nope'"):
        Trainer(Experiment(dataset="nope"))


def test_divergence_stops_run_and_next_step_can_retry_with_smaller_rate():
    t = Trainer(presets.get("diabetes-regression").replace(learning_rate=1.0))
    assert t.run() == "diverged"
    steps, weights = t.step_count, _weights(t)
    assert t.snapshot().diverged
    t.apply_settings(t.experiment.replace(learning_rate=1e-6))
    result = t.step()
    assert result.diverged is None and t.step_count == steps + 1
    assert all(np.isfinite(w).all() for w in _weights(t)) and not _same(_weights(t), weights)


def test_query_feature_count_is_checked():
    t = Trainer(presets.get("gender-network"))
    with pytest.raises(ValueError, match="expected 2 value"):
        t.predict([1, 2, 3])


def test_regression_metric_is_r_squared():
    t = Trainer(presets.get("diabetes-regression"))
    t.run()
    ds = load("diabetes-bmi")
    pred = t.predict(ds.X)[:, 0]
    r2 = 1 - np.sum((ds.y[:, 0] - pred) ** 2) / np.sum((ds.y[:, 0] - ds.y[:, 0].mean()) ** 2)
    assert t.snapshot().train_metric == pytest.approx(r2)
    assert t.metric_name == "R²"


def test_progress_callback_gets_snapshots_and_stop_flag_stops():
    t = Trainer(presets.get("perceptron-50k"))
    seen = []
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 500

    assert t.run(should_stop=should_stop, on_progress=seen.append, progress_interval=0.0) == "stopped"
    assert t.step_count == 500 and seen and seen[-1].step == 500


def test_snapshot_predict_equals_trainer_predict():
    for name in ("gender-network", "diabetes-regression"):
        t = Trainer(presets.get(name))
        t.run(max_updates=200)
        snap = t.snapshot()
        queries = [q.values for q in t.dataset.queries]
        np.testing.assert_array_equal(snap.predict(queries), t.predict(queries))
        with pytest.raises(ValueError):
            snap.predict([[1.0] * 5])


def test_cell_edits_change_the_training_table_and_round_trip():
    exp = presets.get("trask-neuron").replace(cell_edits=((0, 0, 1.0), (0, 3, 1.0)))
    t = Trainer(exp)
    assert t.X_train[0].tolist() == [1.0, 0.0, 1.0] and t.Y_train[0, 0] == 1.0
    assert t.source_dataset.X[0, 0] == 0.0  # the loaded data itself is untouched
    assert Experiment.from_json(exp.to_json()) == exp
    for bad, message in [((9, 0, 1.0), "outside the table"), ((0, 3, 2.0), "class number"),
                         ((0, 1, float("nan")), "not a finite number")]:
        with pytest.raises(ExperimentError, match=message):
            Trainer(presets.get("trask-neuron").replace(cell_edits=(bad,)))


def test_training_path_ends_at_current_weights_for_small_and_large_networks():
    small = Trainer(presets.get("gender-network"))
    small.run(max_updates=300)
    xs, path = small.snapshot().training_path()
    assert xs[0] == 0 and xs[-1] == 300 and path.shape[1] == 9
    np.testing.assert_array_equal(path[-1], np.concatenate([p.ravel() for p in small.network.parameters()]))
    np.testing.assert_array_equal(path[0], np.concatenate([p.ravel() for p in small.initial_weights]))
    big = Trainer(_xor_experiment(layers=[LayerSpec(40, "tanh"), LayerSpec(20, "tanh"), LayerSpec(1, "sigmoid")]))
    assert big.network.n_parameters > 512 and len(big.tracked) == 48
    big.run(max_epochs=5)
    snap = big.snapshot()
    xs, path = snap.training_path()
    assert 2 <= len(xs) <= 65 and path.shape[1] == big.network.n_parameters
    np.testing.assert_allclose(path[-1], np.concatenate([p.ravel() for p in big.network.parameters()]))
    assert snap.path_values.dtype == np.float32
    assert snap.update_x is big.snapshot().update_x  # unchanged history is not copied again


def test_forward_layers_matches_the_network():
    t = Trainer(presets.get("gender-network"))
    t.run(max_updates=50)
    layers = t.snapshot().forward_layers([[133, 65], [160, 72]])
    t.network.forward(t.preprocessing.apply(np.array([[133, 65], [160, 72]])))
    for (z, a), layer in zip(layers, t.network.dense_layers):
        np.testing.assert_allclose(z, layer.z)
        np.testing.assert_allclose(a, layer.a)


def _hand_confusion(true, guess, k):
    M = np.zeros((k, k), dtype=int)
    for t, g in zip(true, guess):
        M[int(t), int(g)] += 1
    return M


def test_epoch_end_confusion_counts_every_row_with_that_epochs_weights():
    from nnstudio.core.network import LayerSpec
    from nnstudio.data.dataset import Dataset

    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(3), 40)
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])[y] + rng.normal(0, 0.9, (120, 2))
    ds = Dataset(name="blobs", title="blobs", task="multiclass", X=X, y=y, feature_names=("a", "b"),
                 class_names=("r", "g", "b"))
    exp = Experiment(name="blobs", dataset="blobs", layers=[LayerSpec(5, "tanh"), LayerSpec(3, "softmax")],
                     loss="softmax_cross_entropy", optimizer="sgd", learning_rate=0.05, batch_size=16, epochs=3)
    t = Trainer(exp, ds)
    assert t.snapshot().confusion_epoch == 0  # the starting weights are counted too
    t.run()
    snap = t.snapshot()
    assert snap.confusion_epoch == 3 and snap.position == 0  # the weights the count was made with
    expected = _hand_confusion(y, snap.predict(X).argmax(axis=1), 3)
    np.testing.assert_array_equal(snap.train_confusion, expected)
    assert snap.test_confusion is None
    assert np.trace(expected) / len(y) == pytest.approx(snap.train_metric)
    t.step()  # mid-epoch: the count stays that of the epoch's end
    assert t.snapshot().confusion_epoch == 3


def test_binary_confusion_and_none_for_regression():
    t = Trainer(presets.get("gender-network"))
    t.run()
    snap = t.snapshot()
    ds = t.dataset
    guess = (snap.predict(ds.X)[:, 0] >= 0.5).astype(int)
    np.testing.assert_array_equal(snap.train_confusion, _hand_confusion(ds.y, guess, 2))
    reg = Trainer(presets.get("diabetes-regression"))
    assert reg.snapshot().train_confusion is None and reg.snapshot().confusion_epoch == -1


def test_a_followed_parameter_is_recorded_at_every_update_from_then_on():
    exp = _xor_experiment(layers=[LayerSpec(200, "tanh"), LayerSpec(1, "sigmoid")], batch_size=8, epochs=3)
    t = Trainer(exp)
    n = t.network.n_parameters
    assert len(t.tracked) < n  # too many (801) to record them all
    index = next(i for i in range(n) if i not in set(t.tracked.tolist()))
    t.run(max_updates=5)
    t.follow(index)
    seen = []
    for _ in range(12):
        seen.append((t.step_count, float(t._flat_params()[index])))  # the value the update starts from
        t.step()
    snap = t.snapshot()
    assert snap.followed_index == index
    np.testing.assert_array_equal(snap.followed_x, [x for x, _ in seen])
    np.testing.assert_array_equal(snap.followed_values, [v for _, v in seen])
    t.follow(index)  # the same weight again: its record goes on
    assert len(t.snapshot().followed_x) == 12
    t.reset()  # the record starts over with the run, still following
    assert t.snapshot().followed_index == index and len(t.snapshot().followed_x) == 0
    t.follow(None)
    assert t.snapshot().followed_x is None
    with pytest.raises(ValueError, match="no parameter"):
        t.follow(n)


def test_an_update_whose_weights_overflow_can_be_retried_with_a_smaller_rate():
    """The loss and the weights of update x are recorded before the optimizer moves them; when the move overflows
    they are set back and update x runs again. The retry replaced nothing and crashed ('x must increase')."""
    exp = presets.get("diabetes-regression").replace(learning_rate=1e308)
    t = Trainer(exp)
    t.follow(0)
    first = t.step()
    assert first.diverged and "overflowed at update 1" in first.diverged and t.step_count == 0
    t.apply_settings(exp.replace(learning_rate=0.001))
    again = t.step()
    assert again.diverged is None and t.step_count == 1
    snap = t.snapshot()
    assert list(snap.update_x) == [0] and snap.update_loss[0] == pytest.approx(again.loss)
    assert list(snap.followed_x) == [0] and snap.followed_values[0] == 5.0  # m starts at 5


def _diverging_at_the_forward_pass(shuffle=False, batch_size=0, dropout=0.0):
    """A run whose weights are finite after an update but give an infinite loss at the next one (so the rollback goes
    back over a completed update)."""
    exp = presets.get("diabetes-regression").replace(learning_rate=1.0, shuffle=shuffle, batch_size=batch_size)
    if dropout:
        exp = exp.replace(layers=[LayerSpec(4, "tanh", dropout=dropout), *exp.layers], initial_weights=None)
    return exp


@pytest.mark.parametrize("shuffle, batch_size, dropout", [(False, 0, 0.0), (True, 3, 0.0), (True, 1, 0.3)])
def test_a_rollback_puts_the_counters_back_with_the_weights(shuffle, batch_size, dropout):
    """After a divergence the weights go back to those before the last good update; the update counter, the place in
    the epoch and the history go back with them, and the retried run equals a run that stops just before."""
    exp = _diverging_at_the_forward_pass(shuffle, batch_size, dropout)
    t = Trainer(exp)
    assert t.run() == "diverged"
    assert "set back to those before update" in t.diverged
    x = t.step_count
    undone = int(t.diverged.split("set back to those before update ")[1].split(",")[0]) - 1
    assert x == undone, "the update counter still counts the undone update"
    snap = t.snapshot()
    assert snap.update_x[-1] <= x and (len(snap.epoch_x) == 0 or snap.epoch_x[-1] <= t.epoch)
    # a fresh Trainer stopped after x updates has the same weights, counters and next batch
    ref = Trainer(exp)
    ref.run(max_updates=x)
    assert (ref.step_count, ref.epoch, ref.position) == (t.step_count, t.epoch, t.position)
    assert _same(_weights(ref), _weights(t))
    assert ref.last_loss == t.last_loss or (math.isnan(ref.last_loss) and math.isnan(t.last_loss))
    np.testing.assert_array_equal(ref.snapshot().update_loss, snap.update_loss)
    np.testing.assert_array_equal(ref.snapshot().epoch_values, snap.epoch_values)
    # and the next update (with a learning rate that does not diverge) is the same in both
    for tr in (ref, t):
        tr.apply_settings(exp.replace(learning_rate=1e-4))
        tr.optimizer.reset()
        assert tr.step().diverged is None
    assert _same(_weights(ref), _weights(t))


def test_a_rollback_over_an_epochs_end_draws_the_next_epochs_order_again():
    """Update x ends an epoch and update x+1, which drew the next epoch's shuffled order, gives an infinite loss: the
    rollback to before x also puts the shuffle stream back, so the retried run draws the orders of a run that never
    failed."""
    exp = presets.get("gender-network").replace(batch_size=2, shuffle=True, epochs=10)
    ref, t = Trainer(exp), Trainer(exp)
    ref.run(max_updates=12)
    t.run(max_updates=6)  # two updates per epoch: the 6th (index 5) ends epoch 3; the next draws epoch 4's order
    real = t.loss_fn
    calls = {"n": 0}

    def once_infinite(y_hat, y):
        calls["n"] += 1
        return math.inf if calls["n"] == 1 else real.value(y_hat, y)

    t.loss_fn = _Proxy(real, once_infinite)
    assert t.step().diverged and (t.step_count, t.position, t.epoch) == (5, 2, 2)
    t.loss_fn = real
    t.run(max_updates=7)
    assert t.step_count == ref.step_count == 12
    np.testing.assert_array_equal(t._order, ref._order)
    assert _same(_weights(t), _weights(ref))


class _Proxy:
    def __init__(self, real, value):
        self._real, self.value = real, value

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_the_finiteness_check_finds_any_bad_weight_and_takes_huge_finite_ones_for_what_they_are(bad):
    """The check after each update first adds up the squares of every weight (one pass): huge but finite float32
    weights, whose squares overflow, must not read as an overflow, while one value that is not finite, wherever it
    is, must (the check then goes on to count exactly)."""
    exp = Experiment(name="t", dataset="xor", dataset_params={"size": 40, "seed": 3},
                     layers=[LayerSpec(3, "sigmoid"), LayerSpec(1, "sigmoid")], loss="binary_cross_entropy",
                     learning_rate=0.1, batch_size=8, dtype="float32", epochs=5)
    big = 3e19  # squared: 9e38, beyond float32's 3.4e38
    t = Trainer(exp.replace(initial_weights=[[[big] * 3] * 2, [big] * 3, [[big]] * 3, [big]]))
    assert t.run(max_updates=3) == "finished" and t.diverged is None and t.step_count == 3
    assert np.all(np.abs(t.network.flat_parameters) > 1e19)
    n = t.network.n_parameters
    with np.errstate(over="ignore", invalid="ignore"):  # as in step(): overflow is the Trainer's to report
        for i in (0, n // 2, n - 1):
            flat = np.ones(n, np.float32)
            flat[i] = bad
            assert not t._all_finite(flat)
            flat[i] = big
            assert t._all_finite(flat)

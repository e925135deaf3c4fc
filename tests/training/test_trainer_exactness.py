"""The Trainer's fast path computes the maths of the core, bit for bit, and keeps everything in the experiment's dtype.

Its speed comes from how it holds arrays (batches gathered into kept arrays, consecutive rows as views, the weights in
three arrays taking turns so that the backup a rollback needs costs no copy, one finiteness check of the new weights
that also catches a bad gradient), never from different arithmetic: each run here is replayed by a plain loop over
the core's own Network, losses and optimizers, updating in place, and must give the same weights to the last bit.
"""

import math

import numpy as np
import pytest

from nnstudio.core import losses, optimizers
from nnstudio.core.network import LayerSpec, Network
from nnstudio.data import load
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, Trainer, presets
from nnstudio.training.trainer import prepare_arrays


def _blobs(n=150, seed=5) -> Dataset:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])[y] + rng.normal(0, 0.9, (n, 2))
    return Dataset(name="blobs", title="blobs", task="multiclass", X=X, y=y, feature_names=("a", "b"),
                   class_names=("r", "g", "b"))


def _replay(exp: Experiment, ds: Dataset, updates: int) -> tuple[list[np.ndarray], np.ndarray]:
    """``updates`` updates of ``exp`` written with the core alone, the plain way: rows picked by fancy indexing,
    parameters updated in place, the learning rate worked out for each update. Returns the weights and each row's
    latest output."""
    prepared = prepare_arrays(ds, exp)
    X, Y = prepared.X_train, prepared.Y_train
    dropout_rng = np.random.default_rng([exp.seed, 1])
    net = Network.build(ds.n_features, list(exp.layers), np.dtype(exp.dtype), dropout_rng)
    net.initialize(exp.init, exp.seed, exp.bias_init)
    if exp.initial_weights is not None:
        net.set_weights([np.asarray(w, dtype=exp.dtype) for w in exp.initial_weights])
    loss = losses.get(exp.loss)
    opt = optimizers.make(exp.optimizer, momentum=exp.momentum, beta1=exp.beta1, beta2=exp.beta2)
    shuffle_rng = np.random.default_rng(exp.seed)
    n = len(X)
    batch = n if exp.batch_size == 0 or exp.batch_size >= n else exp.batch_size
    epoch = position = 0
    order = np.arange(n)
    outputs = np.full(Y.shape, np.nan, Y.dtype)
    for _ in range(updates):
        if position == 0 and exp.shuffle:
            order = shuffle_rng.permutation(n)
        rows = order[position:position + batch]
        y_hat = net.forward(X[rows], training=True)
        outputs[rows] = y_hat
        net.backward(loss, y_hat, Y[rows])
        dense = net.dense_layers
        optimizers.add_penalty_gradients([d.W for d in dense], [d.dW for d in dense], exp.l1, exp.l2)
        lr = optimizers.learning_rate(exp.lr_schedule, exp.learning_rate, exp.lr_decay, epoch)
        opt.step(net.parameters(), net.gradients(), lr)
        position += len(rows)
        if position >= n:
            position, epoch = 0, epoch + 1
    return net.get_weights(), outputs


CASES = {
    "adam, shuffled minibatches": (lambda: load("xor", size=120, seed=3), dict(
        layers=[LayerSpec(6, "tanh"), LayerSpec(1, "sigmoid")], loss="binary_cross_entropy", init="xavier",
        optimizer="adam", learning_rate=0.03, batch_size=16, shuffle=True)),
    "nesterov, dropout, L2": (lambda: load("xor", size=120, seed=3), dict(
        layers=[LayerSpec(8, "relu", dropout=0.2), LayerSpec(1, "sigmoid")], loss="binary_cross_entropy",
        init="he", optimizer="nesterov", learning_rate=0.05, batch_size=16, shuffle=True, l2=0.01)),
    "momentum, rows in order with a short last batch, L1, compound decay": (_blobs, dict(
        layers=[LayerSpec(5, "tanh"), LayerSpec(3, "softmax")], loss="softmax_cross_entropy", init="uniform",
        optimizer="momentum", learning_rate=0.05, batch_size=32, shuffle=False, l1=0.001, lr_schedule="compound",
        lr_decay=0.1)),
    "softmax, sgd, per-sample updates, inverse decay": (_blobs, dict(
        layers=[LayerSpec(4, "sigmoid"), LayerSpec(3, "softmax")], loss="softmax_cross_entropy", init="normal",
        optimizer="sgd", learning_rate=0.1, batch_size=1, shuffle=True, lr_schedule="inverse", lr_decay=0.5)),
    "full batch, squared error (T1)": (lambda: load("toy"), dict(
        layers=[LayerSpec(1, "sigmoid", bias=False)], loss="squared_error", optimizer="sgd", learning_rate=1.0,
        batch_size=0)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_trainer_gives_the_cores_plain_loop_bit_for_bit(case, dtype):
    make_data, settings = CASES[case]
    ds = make_data()
    exp = Experiment(name="t", dataset=ds.name, seed=7, dtype=dtype, epochs=100, **settings)
    t = Trainer(exp, ds)
    updates = 3 * math.ceil(t.n_train / t.batch_size) + 5  # across epoch ends, into a fourth epoch
    if t.batch_size == 1:
        updates = 2 * t.n_train + 5
    half = updates // 2 + 1
    t.run(max_updates=half)  # part-way into an epoch: the outputs of its batches so far are in their rows
    np.testing.assert_array_equal(t.last_outputs, _replay(exp, ds, half)[1])
    t.run(max_updates=updates - half)
    assert t.step_count == updates and t.diverged is None
    weights, outputs = _replay(exp, ds, updates)
    for got, want in zip(t.network.parameters(), weights):
        assert got.dtype == want.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(t.last_outputs, outputs)


def test_the_tutorial_presets_match_the_plain_loop_in_float64():
    for name, updates in (("trask-neuron", 1000), ("gender-network", 400), ("diabetes-regression", 500)):
        exp = presets.get(name)
        t = Trainer(exp)
        t.run(max_updates=updates)
        assert t.dtype == np.float64
        for got, want in zip(t.network.parameters(), _replay(exp, t.dataset, updates)[0]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_no_float64_creeps_into_a_float32_run(optimizer):
    """Everything the update computes stays float32: parameters, gradients, the optimizer's state, each layer's
    inputs, z and a, the dropout masks, the kept batch and weight arrays, the outputs recorded."""
    exp = Experiment(name="t", dataset="blobs", layers=[LayerSpec(6, "relu", dropout=0.25), LayerSpec(5, "tanh"),
                     LayerSpec(3, "softmax")], loss="softmax_cross_entropy", init="he", optimizer=optimizer,
                     learning_rate=0.01, batch_size=16, shuffle=True, l1=1e-4, l2=1e-3, lr_schedule="compound",
                     lr_decay=0.2, dtype="float32", epochs=4)
    t = Trainer(exp, _blobs())
    t.run()
    f32 = np.dtype(np.float32)
    net = t.network
    arrays = {"flat parameters": net.flat_parameters, "flat gradients": net.flat_gradients,
              "last outputs": t.last_outputs, "batch X": t._batch_X, "X_train": t.X_train, "Y_train": t.Y_train}
    assert t._batch_Y.dtype.kind == "i"  # one-hot targets and softmax cross-entropy: the batch's classes stand for them
    arrays.update({f"buffer {i}": b for i, b in enumerate(t._buffers)})
    arrays.update({f"parameter {i}": p for i, p in enumerate(net.parameters())})
    arrays.update({f"gradient {i}": g for i, g in enumerate(net.gradients())})
    arrays.update({f"optimizer state {i}.{j}": s for i, slots in enumerate(t.optimizer.state)
                   for j, s in enumerate(slots)})
    for i, layer in enumerate(net.layers):
        if layer.kind == "dense":
            arrays.update({f"layer {i} X": layer.X, f"layer {i} z": layer.z, f"layer {i} a": layer.a})
        else:
            t.step()  # the last evaluation ran with dropout off: take one training step for a mask
            arrays[f"layer {i} mask"] = layer.mask
    wrong = {name: a.dtype for name, a in arrays.items() if a.dtype != f32}
    assert not wrong
    assert len(t.optimizer.state) == (0 if optimizer == "sgd" else len(net.parameters()))


def test_consecutive_rows_are_trained_on_without_a_copy():
    t = Trainer(Experiment(name="t", dataset="blobs", layers=[LayerSpec(3, "softmax")],
                           loss="softmax_cross_entropy", batch_size=32, shuffle=False), _blobs())
    t.step()
    t.step()
    X_seen = t.network.dense_layers[0].X
    assert np.shares_memory(X_seen, t.X_train) and np.array_equal(X_seen, t.X_train[32:64])


class _Proxy:
    def __init__(self, real, **replaced):
        self._real, self._replaced = real, replaced

    def __getattr__(self, name):
        return self._replaced.get(name) or getattr(self._real, name)


def _gradient_once_infinite(t: Trainer):
    """From now on, the next gradient the loss hands back holds an infinity (the loss itself stays finite)."""
    real = t.loss_fn
    calls = {"n": 0}

    def fused(y_hat, y):
        calls["n"] += 1
        g = real.fused_gradient(y_hat, y)
        if calls["n"] == 1:
            g[0, 0] = np.inf
        return g

    t.loss_fn = _Proxy(real, fused_gradient=fused)
    return real


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_an_infinite_gradient_goes_back_before_the_last_good_update(optimizer):
    """An infinite gradient at update x+1 (a finite loss) sets the weights back to those before update x, with the
    counters and history, as a loss that became infinite does: a retry then starts from other weights."""
    exp = Experiment(name="t", dataset="blobs", layers=[LayerSpec(4, "tanh"), LayerSpec(3, "softmax")],
                     loss="softmax_cross_entropy", optimizer=optimizer, learning_rate=0.05, batch_size=16,
                     shuffle=True, epochs=20)
    t = Trainer(exp, _blobs())
    t.run(max_updates=23)  # across an epoch's end (10 updates an epoch)
    real = _gradient_once_infinite(t)
    result = t.step()
    assert result.diverged and "gradient became infinite at update 24" in result.diverged
    assert "set back to those before update 23" in result.diverged
    ref = Trainer(exp, _blobs())
    ref.run(max_updates=22)
    assert (t.step_count, t.epoch, t.position) == (ref.step_count, ref.epoch, ref.position) == (22, 2, 32)
    for got, want in zip(t.network.parameters(), ref.network.parameters()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(t.snapshot().update_loss, ref.snapshot().update_loss)
    t.loss_fn = real
    for tr in (t, ref):  # both go on alike (the rollback forgot the optimizer's state: so does the reference)
        tr.optimizer.reset()
        tr.run(max_updates=5)
    for got, want in zip(t.network.parameters(), ref.network.parameters()):
        np.testing.assert_array_equal(got, want)


def test_an_infinite_gradient_at_the_first_update_keeps_the_weights_and_the_optimizers_state():
    exp = Experiment(name="t", dataset="blobs", layers=[LayerSpec(3, "softmax")], loss="softmax_cross_entropy",
                     optimizer="momentum", learning_rate=0.05, batch_size=16, epochs=5)
    t = Trainer(exp, _blobs())
    start = [p.copy() for p in t.network.parameters()]
    _gradient_once_infinite(t)
    result = t.step()
    assert result.diverged and "kept as they are" in result.diverged and t.step_count == 0
    assert all(np.array_equal(a, b) for a, b in zip(start, t.network.parameters()))
    assert t.optimizer.t == 0 and t.optimizer.state == []  # the optimizer never saw the bad gradient


def test_weights_that_overflow_go_back_to_where_the_update_started_and_the_arrays_keep_turns():
    """Update 1 overflows (learning rate 1e308): back to the starting weights, with no copy made; the retry with a
    small rate is an ordinary update whose new weights go to a spare array while the old ones become the backup."""
    exp = presets.get("diabetes-regression").replace(learning_rate=1e308)
    t = Trainer(exp)
    in_use = t.network.flat_parameters
    first = t.step()
    assert first.diverged and "overflowed at update 1" in first.diverged
    assert t.network.flat_parameters is in_use and list(t.network.flat_parameters) == [5.0, 10.0]
    t.apply_settings(exp.replace(learning_rate=0.001))
    assert t.step().diverged is None
    assert t.network.flat_parameters is not in_use and t._backup is in_use
    assert list(in_use) == [5.0, 10.0]  # the backup is the weights update 1 started from, untouched
    assert all(np.shares_memory(p, t.network.flat_parameters) for p in t.network.parameters())


def test_outputs_kept_in_the_epochs_order_reach_their_rows_before_a_rollback_or_a_new_order():
    """Shuffled batches' outputs wait in the order of the epoch; they reach their rows when read, before the next
    epoch's order is drawn and before a rollback moves the order back: the rows then hold exactly what writing each
    batch's outputs straight into them gives."""
    exp = presets.get("gender-network").replace(batch_size=2, shuffle=True, epochs=10)
    t = Trainer(exp)
    t.run(max_updates=6)  # two updates an epoch: the 6th ends epoch 3, and its outputs are not read
    real = t.loss_fn
    t.loss_fn = _Proxy(real, value=lambda y_hat, y: math.inf)  # update 7 draws epoch 4's order, then diverges
    assert t.step().diverged and (t.step_count, t.position, t.epoch) == (5, 2, 2)  # back before the 6th
    t.loss_fn = real
    np.testing.assert_array_equal(t.last_outputs, _replay(exp, t.dataset, 6)[1])
    t.run(max_updates=3)
    np.testing.assert_array_equal(t.last_outputs, _replay(exp, t.dataset, 8)[1])


@pytest.mark.parametrize("batch_size, shuffle", [(16, True), (16, False), (0, False)])
def test_a_batchs_classes_train_exactly_as_its_one_hot_rows(batch_size, shuffle):
    """With softmax cross-entropy on one-hot targets the Trainer hands the loss each row's class (less work); every
    number it records is the same as with the one-hot rows, bit for bit."""
    exp = Experiment(name="t", dataset="blobs", layers=[LayerSpec(6, "relu"), LayerSpec(3, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="momentum", learning_rate=0.05,
                     batch_size=batch_size, shuffle=shuffle, dtype="float32", epochs=3)
    fast, rows = Trainer(exp, _blobs()), Trainer(exp, _blobs())
    assert fast._classes is not None
    rows._classes = None  # the one-hot rows, as before
    fast.run()
    rows.run()
    np.testing.assert_array_equal(fast.network.flat_parameters, rows.network.flat_parameters, strict=True)
    np.testing.assert_array_equal(fast.network.flat_gradients, rows.network.flat_gradients, strict=True)
    np.testing.assert_array_equal(fast.history.update_loss.values, rows.history.update_loss.values, strict=True)
    np.testing.assert_array_equal(fast.history.epochs.values, rows.history.epochs.values, strict=True)
    np.testing.assert_array_equal(fast.last_outputs, rows.last_outputs, strict=True)


def test_only_one_hot_targets_are_turned_into_classes():
    from nnstudio.training.trainer import _one_hot_classes

    Y = np.eye(4, dtype=np.float32)[[2, 0, 3, 3, 1]]
    np.testing.assert_array_equal(_one_hot_classes(Y), [2, 0, 3, 3, 1])
    soft = Y.copy()
    soft[1] = [0.5, 0.5, 0, 0]  # sums to 1, but not one-hot
    assert _one_hot_classes(soft) is None
    twice = Y.copy()
    twice[0, 1] = 1  # two ones
    assert _one_hot_classes(twice) is None
    assert _one_hot_classes(Y[:, :1]) is None and _one_hot_classes(Y[:0]) is None

"""The inspector's stages are the Trainer's own update: same batch, same masks, same gradients and new weights bit for
bit, each gradient explained by its chain-rule factors and confirmed by finite differences; the Trainer is never
touched by an inspection."""

import json

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data import load
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, Trainer, presets
from nnstudio.training.inspect_chain import chain_rule, finite_difference
from nnstudio.training.inspect_step import inspect, neighbours, summary


def _blobs(n=60, seed=5) -> Dataset:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])[y] + rng.normal(0, 0.9, (n, 2))
    return Dataset(name="blobs", title="blobs", task="multiclass", X=X, y=y, feature_names=("a", "b"),
                   class_names=("r", "g", "b"))


def _xor():
    return load("xor", size=80, seed=3)


CASES = {
    "trask-neuron": lambda: Trainer(presets.get("trask-neuron")),
    "gender-network": lambda: Trainer(presets.get("gender-network")),
    "relu 2-layer, BCE, shuffled minibatches": lambda: Trainer(Experiment(
        name="t", dataset="xor", layers=[LayerSpec(5, "relu"), LayerSpec(1, "sigmoid")], init="he", seed=3,
        loss="binary_cross_entropy", optimizer="sgd", learning_rate=0.2, batch_size=8, shuffle=True), _xor()),
    "relu relu softmax, dropout, momentum, L1+L2": lambda: Trainer(Experiment(
        name="t", dataset="blobs", layers=[LayerSpec(6, "relu", dropout=0.3), LayerSpec(4, "relu"),
                                            LayerSpec(3, "softmax")], init="he", seed=2,
        loss="softmax_cross_entropy", optimizer="momentum", learning_rate=0.05, batch_size=16, shuffle=True,
        l1=1e-3, l2=1e-2, lr_schedule="compound", lr_decay=0.1), _blobs()),
    "tanh, adam, mse on softmax (not fused), no bias": lambda: Trainer(Experiment(
        name="t", dataset="blobs", layers=[LayerSpec(4, "tanh", bias=False), LayerSpec(3, "softmax")],
        init="xavier", seed=4, loss="mse", optimizer="adam", learning_rate=0.02, batch_size=7), _blobs()),
    "three hidden layers (sigmoid, tanh, leaky relu), summed squared error": lambda: Trainer(Experiment(
        name="t", dataset="xor", layers=[LayerSpec(5, "sigmoid"), LayerSpec(4, "tanh"), LayerSpec(3, "leaky_relu"),
                                         LayerSpec(1, "sigmoid")],
        init="xavier", seed=5, loss="squared_error", optimizer="sgd", learning_rate=0.5, batch_size=10), _xor()),
    "leaky relu, nesterov, identity regression": lambda: Trainer(Experiment(
        name="t", dataset="diabetes-bmi", layers=[LayerSpec(3, "leaky_relu"), LayerSpec(1, "identity")],
        init="xavier", seed=1, loss="mse", optimizer="nesterov", learning_rate=1e-4, batch_size=5)),
}


def _state(t: Trainer) -> str:
    return json.dumps(t.state_dict(), sort_keys=True, default=str)


def _entries(ins, limit=40):
    """(parameter, flat) pairs: all of a small network, an even spread of a bigger one."""
    pairs = [(p, f) for p, arr in enumerate(ins.old) for f in range(arr.size)]
    return pairs if len(pairs) <= limit else [pairs[k] for k in np.linspace(0, len(pairs) - 1, limit).astype(int)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_inspected_update_is_the_trainers_update(case, dtype):
    t = CASES[case]()
    if dtype == "float32":
        t = Trainer(t.experiment.replace(dtype="float32"), t.source_dataset)
    # float32 sums lose about 1e-7 of their terms: a tiny gradient made of larger terms is known to ~1e-6 absolute
    tol, close = (1e-5, 1e-8) if dtype == "float64" else (2e-2, 1e-5)
    for update in range(12):  # across epoch ends (a new shuffled order is drawn at each)
        before = _state(t)
        ins = inspect(t)
        assert _state(t) == before, "inspecting changed the Trainer"
        assert ins.stopped is None and ins.step == t.step_count
        for p, flat in _entries(ins):
            cr = chain_rule(ins, p, flat, sample=update % ins.n_rows)
            np.testing.assert_allclose(cr.product, cr.contribution, rtol=1e-9 if dtype == "float64" else 1e-5,
                                       atol=1e-300)
            np.testing.assert_allclose(cr.batch_sum + cr.penalty_gradient, cr.gradient,
                                       rtol=1e-9 if dtype == "float64" else 1e-4, atol=1e-12)
            fd = finite_difference(ins, p, flat)
            if fd.kinks:  # a ReLU input at its kink: the slope is not defined there (the Trainer takes 0)
                continue
            assert fd.relative < tol or abs(fd.analytic - fd.numeric) < close + 1e-15 * abs(fd.loss_plus) / fd.h, \
                (p, flat, fd)
        result = t.step()
        assert result.diverged is None
        for new, got in zip(ins.new, t.network.parameters()):
            np.testing.assert_array_equal(new, got)  # the same weights, bit for bit
        for g, got in zip(ins.grads, t.network.gradients()):
            np.testing.assert_array_equal(g, got)
        assert ins.data_loss == t.last_loss
        for lp in ins.layers:  # ∂L/∂W is aᵀ·δ, ∂L/∂b is Σ δ
            np.testing.assert_allclose(lp.a_in.T @ lp.delta, lp.dW_data, rtol=1e-12 if dtype == "float64" else 1e-5,
                                       atol=1e-30)
        dropouts = [] if result.epoch_finished else [layer for layer in t.network.layers if layer.kind == "dropout"]
        for layer in dropouts:  # the same masks as the real step drew
            np.testing.assert_array_equal(next(lp.mask for lp in ins.layers if lp.mask is not None), layer.mask)


def test_a_batch_is_the_rows_the_trainer_takes_next():
    t = CASES["relu 2-layer, BCE, shuffled minibatches"]()
    for _ in range(25):
        ins = inspect(t)
        if t.step().epoch_finished:
            continue  # the epoch's evaluation ran the whole table through the layers since
        np.testing.assert_array_equal(ins.X, t.network.dense_layers[0].X)
        np.testing.assert_array_equal(ins.rows, t._order[ins.position:ins.position + ins.n_rows])


def test_the_output_weight_of_t1_has_the_tutorials_three_factors():
    """T1: ∂E/∂w₁ = (ŷ − y) · ŷ(1 − ŷ) · x₁ for each row, summed over the four rows."""
    t = Trainer(presets.get("trask-neuron"))
    ins = inspect(t)
    X, y = ins.X, ins.Y[:, 0]
    w = ins.old[0][:, 0]
    y_hat = 1 / (1 + np.exp(-(X @ w)))
    for row in range(4):
        cr = chain_rule(ins, 0, 0, sample=row)
        assert [f.symbol for f in cr.factors] == ["∂L/∂ŷ", "∂ŷ/∂s", "∂s/∂w"]
        want = [y_hat[row] - y[row], y_hat[row] * (1 - y_hat[row]), X[row, 0]]
        np.testing.assert_allclose([f.value for f in cr.factors], want, rtol=1e-12)
    np.testing.assert_allclose(cr.gradient, ((y_hat - y) * y_hat * (1 - y_hat) * X[:, 0]).sum(), rtol=1e-12)
    assert ins.summed and ins.n_rows == 4


def test_a_hidden_weight_sums_the_paths_from_the_output():
    t = CASES["relu relu softmax, dropout, momentum, L1+L2"]()
    t.step()
    ins = inspect(t)
    cr = chain_rule(ins, 0, 3, sample=2)  # W1: into the first hidden layer, whose output has dropout
    symbols = [f.symbol for f in cr.factors]
    assert symbols == ["∂L/∂a", "dropout", "∂a/∂s", "∂s/∂w"]
    # a path through each unit of the next layer (4) and each output (3): 12, each with its own share
    assert len(cr.paths) + cr.paths_left == 12 and not cr.grouped
    assert all(p.value != 0 for p in cr.paths)  # (paths through a unit with a zero slope are counted, not listed)
    np.testing.assert_allclose(sum(p.value for p in cr.paths), cr.factors[0].value, rtol=1e-12, atol=1e-300)
    for p in cr.paths:  # w(h1_4 → h2_q) · relu′ · w(h2_q → o_k) · δ_k
        q, k = p.route
        above, out = ins.layers[1], ins.layers[2]
        want = above.W[3, q] * float(above.z[2, q] > 0) * out.W[q, k] * out.delta[2, k]
        np.testing.assert_allclose(p.value, want, rtol=1e-12, atol=1e-300)
    assert cr.penalty_gradient != 0


def test_the_paths_of_a_deep_network_add_up_to_the_error_a_hidden_unit_gets():
    t = CASES["three hidden layers (sigmoid, tanh, leaky relu), summed squared error"]()
    t.step()
    ins = inspect(t)
    for p, flat in [(0, 3), (0, 7), (2, 5)]:  # into the first and second hidden layers
        cr = chain_rule(ins, p, flat, sample=4)
        total = sum(x.value for x in cr.paths) + cr.paths_rest
        np.testing.assert_allclose(total, cr.factors[0].value, rtol=1e-10, atol=1e-15)
    listed = [chain_rule(ins, 0, 3, sample=n) for n in range(ins.n_rows)]
    listed = [cr for cr in listed if cr.paths]
    assert listed, "some sample has a path with a share"
    assert all(len(cr.paths[0].route) == 3 and len(cr.paths) + cr.paths_left == 4 * 3 * 1 for cr in listed)


def test_an_infinite_loss_stops_the_inspected_update_as_the_trainer_would():
    t = Trainer(presets.get("diabetes-regression").replace(initial_weights=[[[1e200]], [0.0]]))
    ins = inspect(t)
    assert ins.stopped and "loss" in ins.stopped
    with pytest.raises(ValueError):
        chain_rule(ins, 0, 0)
    assert t.step().diverged


def test_summaries_of_big_layers():
    s = summary(np.array([[1.0, -3.0], [np.nan, 7.0]]))
    assert (s.count, s.minimum, s.maximum, s.finite) == (4, -3.0, 7.0, 3)
    assert neighbours(100, 0) == [0, 1, 2, 3, 4]
    assert neighbours(100, 99) == [95, 96, 97, 98, 99]
    assert neighbours(100, 50) == [48, 49, 50, 51, 52]
    assert neighbours(3, 1) == [0, 1, 2]


@pytest.mark.parametrize("case", list(CASES))
def test_every_stage_of_every_network_can_be_shown_with_the_trainers_numbers(case):
    from nnstudio.training.inspect_text import chain_lines, focus_for, stages, view

    t = CASES[case]()
    t.step()
    ins = inspect(t)
    for p, flat in _entries(ins, limit=12):
        focus = focus_for(ins, (p, flat), sample=ins.n_rows - 1)
        layer, is_bias = ins.layer_of(p)
        for stage in stages(ins):
            v = view(ins, stage, focus)
            assert v.lines and all(len(tb.rows) <= 7 for tb in v.tables)
            if stage.kind == "backward" and stage.layer == layer:
                grads = v.tables[1]  # the weights into the focused unit and their gradients
                j = focus.unit(layer + 1)
                want = ins.layers[layer].db[j] if is_bias else ins.layers[layer].dW_data[focus.unit(layer), j]
                label = "bias" if is_bias else next(r[0] for r in grads.rows if r[0].endswith("◀"))
                assert next(r[2] for r in grads.rows if r[0] == label) == want
        cr = chain_rule(ins, p, flat, focus.sample)
        text = "\n".join(chain_lines(ins, cr, finite_difference(ins, p, flat)))
        assert cr.name in text and "relative difference" in text

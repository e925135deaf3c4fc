"""Backpropagation through whole networks against central finite differences, and dtype preservation."""

import numpy as np
import pytest

from nnstudio.core import gradcheck
from nnstudio.core.gradcheck import numeric_gradient, relative_error
from nnstudio.core.layers import Dense, Dropout
from nnstudio.core.losses import LOSSES
from nnstudio.core.network import LayerSpec, Network
from nnstudio.core.optimizers import add_penalty_gradients, penalty

TOL = 1e-6


def _net(n_in, specs, seed, dtype=np.float64, dropout_rng=None):
    net = Network.build(n_in, specs, dtype, dropout_rng=dropout_rng)
    net.initialize("normal", seed, bias_init="same")
    return net


def _data(n, n_in, n_out, target, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    if target == "onehot":
        y = np.eye(n_out)[rng.integers(0, n_out, size=n)]
    elif target == "binary":
        y = rng.integers(0, 2, size=(n, n_out)).astype(np.float64)
    else:
        y = rng.normal(size=(n, n_out))
    return X.astype(dtype), y.astype(dtype)


def _assert_all_close(errors, expected_names):
    assert list(errors) == expected_names
    for name, err in errors.items():
        assert err < TOL, f"{name}: relative error {err:.3g}"


def test_a_single_sigmoid_neuron_without_bias_squared_error():
    net = _net(3, [LayerSpec(1, "sigmoid", bias=False)], seed=1)
    X, y = _data(4, 3, 1, "binary", seed=10)
    errors = gradcheck.check_network(net, LOSSES["squared_error"], X, y)
    _assert_all_close(errors, ["W1"])


def test_b_2_2_1_sigmoid_with_bias_mse():
    net = _net(2, [LayerSpec(2, "sigmoid"), LayerSpec(1, "sigmoid")], seed=2)
    X, y = _data(4, 2, 1, "binary", seed=11)
    assert np.all(net.dense_layers[0].b != 0)
    errors = gradcheck.check_network(net, LOSSES["mse"], X, y)
    _assert_all_close(errors, ["W1", "b1", "W2", "b2"])


def test_c_tanh_softmax_cross_entropy_fused():
    net = _net(4, [LayerSpec(5, "tanh"), LayerSpec(3, "softmax")], seed=3)
    X, y = _data(6, 4, 3, "onehot", seed=12)
    loss = LOSSES["softmax_cross_entropy"]
    assert loss.fuses_with == net.layers[-1].activation.name  # the fused path is the one exercised
    errors = gradcheck.check_network(net, loss, X, y)
    _assert_all_close(errors, ["W1", "b1", "W2", "b2"])


def test_d_relu_sigmoid_binary_cross_entropy_fused():
    net = _net(3, [LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")], seed=4)
    X, y = _data(8, 3, 1, "binary", seed=13)
    net.forward(X)
    # no hidden pre-activation within a finite-difference step of the relu kink
    assert np.min(np.abs(net.dense_layers[0].z)) > 1e-4
    loss = LOSSES["binary_cross_entropy"]
    assert loss.fuses_with == net.layers[-1].activation.name
    errors = gradcheck.check_network(net, loss, X, y)
    _assert_all_close(errors, ["W1", "b1", "W2", "b2"])


def test_e_leaky_relu_and_identity_hidden_layers_mse_two_outputs():
    specs = [LayerSpec(4, "leaky_relu"), LayerSpec(3, "identity"), LayerSpec(2, "sigmoid")]
    net = _net(3, specs, seed=5)
    X, y = _data(7, 3, 2, "real", seed=14)
    net.forward(X)
    assert np.min(np.abs(net.dense_layers[0].z)) > 1e-4
    errors = gradcheck.check_network(net, LOSSES["mse"], X, y)
    _assert_all_close(errors, ["W1", "b1", "W2", "b2", "W3", "b3"])


def test_e2_identity_output_regression_mixed_bias():
    specs = [LayerSpec(3, "tanh", bias=False), LayerSpec(2, "identity")]
    net = _net(2, specs, seed=6)
    X, y = _data(5, 2, 2, "real", seed=15)
    errors = gradcheck.check_network(net, LOSSES["squared_error"], X, y)
    _assert_all_close(errors, ["W1", "W2", "b2"])


@pytest.mark.parametrize("case", ["sigmoid_mse", "softmax_ce", "relu_bce"])
def test_f_weight_penalties(case):
    if case == "sigmoid_mse":
        net = _net(2, [LayerSpec(2, "sigmoid"), LayerSpec(1, "sigmoid")], seed=11)
        X, y = _data(4, 2, 1, "binary", seed=16)
        loss = LOSSES["mse"]
    elif case == "softmax_ce":
        net = _net(4, [LayerSpec(5, "tanh"), LayerSpec(3, "softmax")], seed=8)
        X, y = _data(6, 4, 3, "onehot", seed=17)
        loss = LOSSES["softmax_cross_entropy"]
    else:
        net = _net(3, [LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")], seed=4)
        X, y = _data(8, 3, 1, "binary", seed=13)
        loss = LOSSES["binary_cross_entropy"]
    # no weight within a finite-difference step of the |w| kink
    assert min(np.min(np.abs(layer.W)) for layer in net.dense_layers) > 1e-4
    # and no gradient entry so small that finite-difference round-off (~1e-10) swamps it
    penalised = gradcheck.analytic_gradients(net, loss, X, y, l1=0.01, l2=0.1)
    assert min(np.min(np.abs(g[g != 0]), initial=1.0) for g in penalised) > 1e-4  # exact zeros (dead relus) are fine
    errors = gradcheck.check_network(net, loss, X, y, l1=0.01, l2=0.1)
    _assert_all_close(errors, net.parameter_names())

    # the penalties really are part of the objective and of the gradient
    plain = gradcheck.analytic_gradients(net, loss, X, y)
    penalised = gradcheck.analytic_gradients(net, loss, X, y, l1=0.01, l2=0.1)
    for name, layer_grads in zip(net.parameter_names(), zip(plain, penalised)):
        g0, g1 = layer_grads
        if name.startswith("W"):
            W = net.dense_layers[int(name[1:]) - 1].W
            np.testing.assert_allclose(g1 - g0, 0.01 * np.sign(W) + 0.1 * W, rtol=1e-9, atol=1e-12)
        else:
            np.testing.assert_array_equal(g1, g0)  # biases are never penalised
    base = gradcheck.network_objective(net, loss, X, y)
    expected_penalty = sum(0.01 * np.abs(L.W).sum() + 0.05 * (L.W ** 2).sum() for L in net.dense_layers)
    assert np.isclose(gradcheck.network_objective(net, loss, X, y, 0.01, 0.1) - base, expected_penalty, rtol=1e-12)


class _FrozenDropout(Dropout):
    """Dropout that reuses one precomputed mask every training pass, so the training objective is deterministic."""

    def __init__(self, rate, mask):
        super().__init__(rate)
        self.fixed_mask = mask

    def forward(self, X, training=False):
        if not training:
            self.mask = None
            return X
        self.mask = self.fixed_mask
        return X * self.mask


def test_g_dropout_in_training_mode_with_a_fixed_mask():
    n, n_in, hidden = 6, 3, 5
    net = _net(n_in, [LayerSpec(hidden, "tanh", dropout=0.4), LayerSpec(1, "sigmoid")], seed=9)
    assert isinstance(net.layers[1], Dropout)
    rate = net.layers[1].rate
    keep = 1 - rate
    rng = np.random.default_rng(18)
    mask = (rng.random((n, hidden)) < keep) / keep
    assert 0 < np.count_nonzero(mask) < mask.size  # some units dropped, some kept
    net.layers[1] = _FrozenDropout(rate, mask)

    X, y = _data(n, n_in, 1, "binary", seed=19)
    loss = LOSSES["binary_cross_entropy"]

    def objective():
        return loss.value(net.forward(X, training=True), y)

    y_hat = net.forward(X, training=True)
    net.backward(loss, y_hat, y)
    analytic = [g.copy() for g in net.gradients()]
    for name, p, g in zip(net.parameter_names(), net.parameters(), analytic):
        err = relative_error(g, numeric_gradient(objective, p))
        assert err < TOL, f"{name}: relative error {err:.3g}"

    # weights leaving a dropped hidden unit get no gradient from this batch
    dropped_everywhere = np.all(mask == 0, axis=0)
    if dropped_everywhere.any():
        np.testing.assert_array_equal(analytic[2][dropped_everywhere], 0.0)

    # the mask matters: evaluation mode gives a different output
    assert not np.allclose(net.forward(X, training=False), y_hat)


def test_g2_real_dropout_backward_uses_the_forward_mask():
    """With the library's own Dropout: backward right after one training forward equals finite differences of an
    objective that replays that pass's mask."""
    net = _net(3, [LayerSpec(4, "sigmoid", dropout=0.5), LayerSpec(2, "identity")], seed=10,
               dropout_rng=np.random.default_rng(20))
    X, y = _data(5, 3, 2, "real", seed=21)
    loss = LOSSES["mse"]
    drop = net.layers[1]
    y_hat = net.forward(X, training=True)
    mask = drop.mask.copy()
    net.backward(loss, y_hat, y)
    analytic = [g.copy() for g in net.gradients()]

    dense1, dense2 = net.dense_layers

    def objective():
        h = dense1.activation.forward(X @ dense1.W + dense1.b) * mask
        return loss.value(h @ dense2.W + dense2.b, y)

    assert np.isclose(objective(), loss.value(y_hat, y), rtol=1e-14)
    for name, p, g in zip(net.parameter_names(), net.parameters(), analytic):
        err = relative_error(g, numeric_gradient(objective, p))
        assert err < TOL, f"{name}: relative error {err:.3g}"


def test_check_network_detects_a_wrong_gradient(monkeypatch):
    """The checker itself can fail: break the sigmoid derivative and the errors become large."""
    from nnstudio.core.activations import Sigmoid

    net = _net(2, [LayerSpec(3, "sigmoid"), LayerSpec(1, "sigmoid")], seed=11)
    X, y = _data(4, 2, 1, "binary", seed=22)
    monkeypatch.setattr(Sigmoid, "derivative", lambda self, z, a: a)
    errors = gradcheck.check_network(net, LOSSES["mse"], X, y)
    assert max(errors.values()) > 1e-2


def test_penalty_helpers_agree_with_finite_differences():
    rng = np.random.default_rng(23)
    weights = [rng.normal(size=(3, 2)), rng.normal(size=(2, 1))]
    grads = [np.zeros_like(w) for w in weights]
    add_penalty_gradients(weights, grads, 0.03, 0.2)
    for w, g in zip(weights, grads):
        numeric = numeric_gradient(lambda: penalty(weights, 0.03, 0.2), w)
        assert relative_error(g, numeric) < 1e-6


# -- float32 ------------------------------------------------------------------------------------------------------------
FLOAT32_CASES = {
    "squared_error": ([LayerSpec(4, "tanh"), LayerSpec(2, "sigmoid")], "real"),
    "mse": ([LayerSpec(4, "leaky_relu", dropout=0.3), LayerSpec(2, "identity")], "real"),
    "binary_cross_entropy": ([LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")], "binary"),
    "softmax_cross_entropy": ([LayerSpec(4, "sigmoid"), LayerSpec(3, "softmax")], "onehot"),
}


@pytest.mark.parametrize("loss_name", list(FLOAT32_CASES))
@pytest.mark.parametrize("training", [False, True])
def test_float32_network_stays_float32(loss_name, training):
    specs, target = FLOAT32_CASES[loss_name]
    net = _net(3, specs, seed=12, dtype=np.float32)
    assert net.dtype == np.float32
    for p in net.parameters():
        assert p.dtype == np.float32
    n_out = specs[-1].units
    X, y = _data(6, 3, n_out, target, seed=24, dtype=np.float32)
    loss = LOSSES[loss_name]

    y_hat = net.forward(X, training=training)
    assert y_hat.dtype == np.float32
    grad = loss.gradient(y_hat, y)
    assert grad.dtype == np.float32, f"{loss_name}.gradient returned {grad.dtype}"
    if loss.fuses_with is not None:
        assert loss.fused_gradient(y_hat, y).dtype == np.float32
    net.backward(loss, y_hat, y)
    for layer in net.layers:
        if isinstance(layer, Dense):
            assert layer.z.dtype == np.float32
            assert layer.a.dtype == np.float32
            assert layer.dW.dtype == np.float32
            if layer.has_bias:
                assert layer.db.dtype == np.float32
        elif layer.mask is not None:
            assert layer.mask.dtype == np.float32
    for g in net.gradients():
        assert g.dtype == np.float32
        assert np.all(np.isfinite(g))
    assert net.predict(X.astype(np.float64)).dtype == np.float32


def test_float32_gradients_are_close_to_float64_gradients():
    specs = [LayerSpec(4, "tanh"), LayerSpec(3, "softmax")]
    net64 = _net(3, specs, seed=13)
    net32 = _net(3, specs, seed=13, dtype=np.float32)
    X, y = _data(6, 3, 3, "onehot", seed=25)
    loss = LOSSES["softmax_cross_entropy"]
    for net, dt in ((net64, np.float64), (net32, np.float32)):
        net.backward(loss, net.forward(X.astype(dt)), y.astype(dt))
    for g64, g32 in zip(net64.gradients(), net32.gradients()):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-6)

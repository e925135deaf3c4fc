"""Network structure, persistence, weight setting, layer validation and dropout behaviour."""

import json

import numpy as np
import pytest

from nnstudio.core.layers import Dense, Dropout
from nnstudio.core.losses import LOSSES
from nnstudio.core.network import LayerSpec, Network


def _net(dtype=np.float64, seed=0):
    specs = [LayerSpec(4, "tanh", dropout=0.25), LayerSpec(3, "relu", bias=False), LayerSpec(2, "sigmoid")]
    net = Network.build(3, specs, dtype)
    net.initialize("normal", seed, bias_init="same")
    return net


def _X(n=5, n_in=3, seed=1):
    return np.random.default_rng(seed).normal(size=(n, n_in))


def test_build_structure():
    net = _net()
    kinds = [layer.kind for layer in net.layers]
    assert kinds == ["dense", "dropout", "dense", "dense"]
    assert net.n_inputs == 3 and net.n_outputs == 2
    assert [L.W.shape for L in net.dense_layers] == [(3, 4), (4, 3), (3, 2)]
    assert net.n_parameters == 3 * 4 + 4 + 4 * 3 + 3 * 2 + 2
    assert net.trainable
    assert net.layers[1].rate == 0.25


def test_parameter_names_order_and_bias_free_layers():
    net = _net()
    assert net.parameter_names() == ["W1", "b1", "W2", "W3", "b3"]
    assert len(net.parameter_names()) == len(net.parameters()) == len(net.gradients())
    for name, p, g in zip(net.parameter_names(), net.parameters(), net.gradients()):
        assert p.shape == g.shape
        assert p.ndim == (2 if name.startswith("W") else 1)
    no_bias = Network.build(2, [LayerSpec(1, "sigmoid", bias=False)])
    assert no_bias.parameter_names() == ["W1"]
    assert not any(n.startswith("b") for n in no_bias.parameter_names())
    with_bias = Network.build(2, [LayerSpec(3), LayerSpec(1)])
    assert with_bias.parameter_names() == ["W1", "b1", "W2", "b2"]


def test_parameters_are_the_live_arrays():
    net = _net()
    net.parameters()[0][0, 0] = 123.0
    assert net.dense_layers[0].W[0, 0] == 123.0


def test_step_network_is_not_trainable():
    assert not Network.build(2, [LayerSpec(2, "step"), LayerSpec(1, "sigmoid")]).trainable


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_to_dict_from_dict_round_trip(dtype):
    net = _net(dtype, seed=3)
    d = net.to_dict()
    d = json.loads(json.dumps(d))  # must survive JSON
    assert d["dtype"] == np.dtype(dtype).name
    assert d["n_inputs"] == 3
    assert d["layers"][0] == {"units": 4, "activation": "tanh", "bias": True, "dropout": 0.25}
    assert d["layers"][1]["bias"] is False
    copy = Network.from_dict(d)
    assert copy.dtype == np.dtype(dtype)
    assert copy.specs() == net.specs()
    assert copy.parameter_names() == net.parameter_names()
    for p, q in zip(net.parameters(), copy.parameters()):
        assert q.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(p, q)
    X = _X()
    np.testing.assert_array_equal(net.predict(X), copy.predict(X))


def test_specs_round_trip():
    specs = [LayerSpec(4, "tanh", dropout=0.25), LayerSpec(3, "relu", bias=False), LayerSpec(2, "sigmoid")]
    assert Network.build(3, specs).specs() == specs
    for s in specs:
        assert LayerSpec.from_dict(s.to_dict()) == s
    assert LayerSpec.from_dict({"units": 5}) == LayerSpec(5, "sigmoid", True, 0.0)


def test_get_weights_is_a_copy_and_set_weights_restores():
    net = _net()
    saved = net.get_weights()
    X = _X()
    before = net.predict(X)
    saved[0][0, 0] += 1.0
    assert net.dense_layers[0].W[0, 0] != saved[0][0, 0]  # a copy, not a view
    net.initialize("normal", 99, bias_init="same")
    assert not np.allclose(net.predict(X), before)
    saved[0][0, 0] -= 1.0
    net.set_weights(saved)
    np.testing.assert_array_equal(net.predict(X), before)


def test_set_weights_errors():
    net = _net()
    weights = net.get_weights()
    with pytest.raises(ValueError):
        net.set_weights(weights[:-1])  # too few
    with pytest.raises(ValueError):
        net.set_weights(weights + [np.zeros(2)])  # too many
    bad = [w.copy() for w in weights]
    bad[0] = np.zeros((4, 3))  # transposed
    with pytest.raises(ValueError):
        net.set_weights(bad)
    bad = [w.copy() for w in weights]
    bad[1] = np.zeros((1, 4))  # a bias that would broadcast but is not the right shape
    with pytest.raises(ValueError):
        net.set_weights(bad)
    bad = [w.copy() for w in weights]
    bad[-1] = 0.5  # a scalar that would broadcast
    with pytest.raises(ValueError):
        net.set_weights(bad)
    # after the rejected calls, a well-shaped list is still accepted
    net.set_weights(weights)
    for p, w in zip(net.parameters(), weights):
        np.testing.assert_array_equal(p, w)


def test_set_weights_casts_to_network_dtype():
    net = _net(np.float32)
    net.set_weights([w.astype(np.float64) for w in net.get_weights()])
    for p in net.parameters():
        assert p.dtype == np.float32


@pytest.mark.parametrize("n_in,n_out", [(0, 3), (3, 0), (-1, 2)])
def test_dense_needs_inputs_and_units(n_in, n_out):
    with pytest.raises(ValueError):
        Dense(n_in, n_out)


def test_dense_shapes_and_forward_formula():
    layer = Dense(3, 2, "identity")
    layer.W[...] = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    layer.b[...] = [0.5, -0.5]
    out = layer.forward(np.array([[1.0, 0.0, -1.0]]))
    np.testing.assert_array_equal(out, [[1.0 - 5.0 + 0.5, 2.0 - 6.0 - 0.5]])
    layer2 = Dense(2, 1, "sigmoid", bias=False)
    assert layer2.b is None and layer2.db is None
    assert len(layer2.parameters()) == 1


def test_unknown_activation_in_a_layer_raises_keyerror():
    with pytest.raises(KeyError):
        Network.build(2, [LayerSpec(2, "swish")])


def test_dropout_after_the_output_layer_raises():
    with pytest.raises(ValueError, match="dropout"):
        Network.build(3, [LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid", dropout=0.5)])
    with pytest.raises(ValueError):
        Network.build(3, [LayerSpec(1, "sigmoid", dropout=0.1)])


def test_network_must_end_with_a_dense_layer():
    with pytest.raises(ValueError):
        Network([Dense(2, 2), Dropout(0.5)])
    with pytest.raises(ValueError):
        Network([])


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_range(rate):
    with pytest.raises(ValueError):
        Dropout(rate)


def test_predict_does_not_apply_dropout():
    net = Network.build(3, [LayerSpec(50, "tanh", dropout=0.5), LayerSpec(1, "sigmoid")])
    net.initialize("normal", 4, bias_init="same")
    X = _X(20)
    first = net.predict(X)
    second = net.predict(X)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, net.forward(X, training=False))
    assert net.layers[1].mask is None
    # training passes do drop units, and differ from one another
    t1 = net.forward(X, training=True)
    t2 = net.forward(X, training=True)
    assert not np.allclose(t1, first)
    assert not np.allclose(t1, t2)


def test_dropout_training_scales_kept_units_by_one_over_keep():
    rate = 0.3
    keep = 1 - rate
    drop = Dropout(rate, np.random.default_rng(7))
    ones = np.ones((200, 50))
    outputs = [drop.forward(ones, training=True) for _ in range(50)]
    for out in outputs[:3]:
        values = np.unique(out)
        np.testing.assert_allclose(values, [0.0, 1 / keep], rtol=1e-15)
    stacked = np.stack(outputs)
    assert abs(stacked.mean() - 1.0) < 0.01
    assert abs(np.mean(stacked == 0) - rate) < 0.01


def test_dropout_backward_uses_the_same_mask():
    drop = Dropout(0.5, np.random.default_rng(8))
    X = np.random.default_rng(9).normal(size=(4, 6))
    out = drop.forward(X, training=True)
    grad = np.random.default_rng(10).normal(size=(4, 6))
    back = drop.backward(grad_a=grad)
    np.testing.assert_array_equal(back, grad * drop.mask)
    np.testing.assert_array_equal(out, X * drop.mask)
    # after an evaluation pass the gradient passes straight through
    drop.forward(X, training=False)
    np.testing.assert_array_equal(drop.backward(grad_a=grad), grad)


def test_zero_dropout_is_a_no_op_and_builds_no_layer():
    drop = Dropout(0.0)
    X = _X()
    assert drop.forward(X, training=True) is X
    net = Network.build(3, [LayerSpec(4, "tanh", dropout=0.0), LayerSpec(1)])
    assert [layer.kind for layer in net.layers] == ["dense", "dense"]


def test_dropout_rng_makes_training_reproducible():
    def run():
        net = Network.build(3, [LayerSpec(6, "tanh", dropout=0.5), LayerSpec(1)],
                            dropout_rng=np.random.default_rng(11))
        net.initialize("normal", 2)
        return net.forward(_X(), training=True)

    np.testing.assert_array_equal(run(), run())


def test_predict_casts_input_to_network_dtype():
    net = _net(np.float32)
    X = _X()
    out = net.predict(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _net(np.float64).predict(X), rtol=1e-5, atol=1e-6)
    # list input works too
    np.testing.assert_array_equal(net.predict(X.tolist()), out)


def test_backward_fills_every_gradient_and_returns_matching_shapes():
    from nnstudio.core.losses import LOSSES

    net = _net()
    X = _X()
    y = np.random.default_rng(12).integers(0, 2, size=(5, 2)).astype(float)
    for g in net.gradients():
        g[...] = np.nan
    y_hat = net.forward(X, training=True)
    net.backward(LOSSES["binary_cross_entropy"], y_hat, y)
    for g in net.gradients():
        assert np.all(np.isfinite(g))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_parameters_and_gradients_lie_end_to_end_in_one_array(dtype):
    net = _net(dtype, seed=4)
    flat = net.flat_parameters
    assert flat.dtype == np.dtype(dtype) and flat.size == net.n_parameters
    np.testing.assert_array_equal(flat, np.concatenate([p.ravel() for p in net.parameters()]))
    for p, g in zip(net.parameters(), net.gradients()):
        assert np.shares_memory(p, flat) and np.shares_memory(g, net.flat_gradients) and p.flags.c_contiguous
    net.forward(_X().astype(dtype), training=True)
    net.backward(LOSSES["mse"], net.layers[-1].a, np.zeros((5, 2), dtype))
    np.testing.assert_array_equal(net.flat_gradients, np.concatenate([g.ravel() for g in net.gradients()]))


def test_use_parameters_swaps_in_another_array_without_copying():
    net = _net(seed=4)
    X = _X()
    before = net.predict(X)
    old = net.flat_parameters
    other = np.empty_like(old)
    for view, p in zip(net.parameter_views(other), net.parameters()):
        view[...] = 2 * p
    net.use_parameters(other)
    assert net.flat_parameters is other and all(np.shares_memory(p, other) for p in net.parameters())
    assert not np.allclose(net.predict(X), before)
    np.testing.assert_array_equal(old * 2, other)  # the old array is untouched, ready to be swapped back
    net.use_parameters(old)
    np.testing.assert_array_equal(net.predict(X), before)
    with pytest.raises(ValueError, match="expected 36 float64 values, got 5"):
        net.parameter_views(np.empty(5))

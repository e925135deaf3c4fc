"""Weight initialisers: the tutorials' exact numbers, distribution bounds and spreads, reproducibility."""

import numpy as np
import pytest

from nnstudio.core import init
from nnstudio.core.init import BIAS_INITS, INITIALIZERS
from nnstudio.core.network import LayerSpec, Network


def test_registry_names():
    assert set(INITIALIZERS) == {"uniform", "normal", "xavier", "he"}
    assert BIAS_INITS == ("zeros", "same")
    with pytest.raises(KeyError) as info:
        init.get("orthogonal")
    assert "uniform" in str(info.value) and "he" in str(info.value)


def test_uniform_seed_1_matches_the_tutorial_numbers():
    net = Network.build(3, [LayerSpec(1, "sigmoid", bias=False)])
    net.initialize("uniform", 1)
    W = net.dense_layers[0].W
    np.testing.assert_allclose(W[:, 0], [-0.16595599, 0.44064899, -0.99977125], rtol=0, atol=1e-8)
    expected = np.random.RandomState(1).random_sample((3, 1)) * 2 - 1
    np.testing.assert_array_equal(W, expected)  # bit for bit
    assert W.tobytes() == expected.tobytes()


def test_uniform_seed_1_matches_np_random_seed():
    np.random.seed(1)
    legacy = 2 * np.random.random((3, 1)) - 1
    drawn = INITIALIZERS["uniform"].draw(np.random.RandomState(1), (3, 1), 3, 1)
    assert drawn.tobytes() == legacy.tobytes()


def test_draw_order_weights_then_bias_layer_by_layer():
    net = Network.build(2, [LayerSpec(3, "tanh"), LayerSpec(1, "sigmoid")])
    net.initialize("uniform", 5, bias_init="same")
    rs = np.random.RandomState(5)
    expected = [2 * rs.random_sample(shape) - 1 for shape in [(2, 3), (3,), (3, 1), (1,)]]
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_array_equal(p, e)


def test_uniform_range():
    W = INITIALIZERS["uniform"].draw(np.random.RandomState(0), (200, 100), 200, 100)
    assert W.min() >= -1.0 and W.max() < 1.0
    assert W.min() < -0.99 and W.max() > 0.99
    assert abs(W.mean()) < 0.02


@pytest.mark.parametrize("fan_in,fan_out", [(3, 5), (100, 50), (784, 10)])
def test_xavier_bounds(fan_in, fan_out):
    r = np.sqrt(6.0 / (fan_in + fan_out))
    W = INITIALIZERS["xavier"].draw(np.random.RandomState(2), (fan_in, fan_out), fan_in, fan_out)
    assert W.shape == (fan_in, fan_out)
    assert np.all(W >= -r) and np.all(W < r)
    if W.size >= 1000:
        assert W.max() > 0.98 * r and W.min() < -0.98 * r
        assert np.isclose(W.std(), r / np.sqrt(3), rtol=0.05)  # the std of U[-r, r)


def test_he_standard_deviation_on_a_large_layer():
    fan_in, fan_out = 500, 400
    W = INITIALIZERS["he"].draw(np.random.RandomState(3), (fan_in, fan_out), fan_in, fan_out)
    assert np.isclose(W.std(), np.sqrt(2.0 / fan_in), rtol=0.02)
    assert abs(W.mean()) < 0.005


def test_normal_is_standard_normal():
    W = INITIALIZERS["normal"].draw(np.random.RandomState(4), (300, 300), 300, 300)
    assert np.isclose(W.std(), 1.0, rtol=0.02)
    assert abs(W.mean()) < 0.02
    np.testing.assert_array_equal(W, np.random.RandomState(4).standard_normal((300, 300)))


@pytest.mark.parametrize("method", list(INITIALIZERS))
def test_reproducible_from_the_seed(method):
    specs = [LayerSpec(4, "tanh"), LayerSpec(2, "sigmoid")]
    a, b, c = (Network.build(3, specs) for _ in range(3))
    a.initialize(method, 42, bias_init="same")
    b.initialize(method, 42, bias_init="same")
    c.initialize(method, 43, bias_init="same")
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(pa, pb)
        assert not np.array_equal(pa, pc)


def test_bias_init_zeros_versus_same():
    specs = [LayerSpec(4, "tanh"), LayerSpec(2, "sigmoid")]
    zeros = Network.build(3, specs)
    same = Network.build(3, specs)
    zeros.initialize("normal", 7, bias_init="zeros")
    same.initialize("normal", 7, bias_init="same")
    for layer in zeros.dense_layers:
        np.testing.assert_array_equal(layer.b, 0.0)
    for layer in same.dense_layers:
        assert np.all(layer.b != 0)
    # the first weight matrix is drawn first either way
    np.testing.assert_array_equal(zeros.dense_layers[0].W, same.dense_layers[0].W)
    # with "same" the bias takes draws from the stream, so later weights differ
    assert not np.array_equal(zeros.dense_layers[1].W, same.dense_layers[1].W)
    # default is zeros
    default = Network.build(3, specs)
    default.initialize("normal", 7)
    for p, q in zip(default.parameters(), zeros.parameters()):
        np.testing.assert_array_equal(p, q)


def test_reinitialising_overwrites_nonzero_biases_with_zeros():
    net = Network.build(2, [LayerSpec(3, "tanh")])
    net.initialize("normal", 1, bias_init="same")
    net.initialize("normal", 1, bias_init="zeros")
    np.testing.assert_array_equal(net.dense_layers[0].b, 0.0)


def test_unknown_bias_init_raises():
    net = Network.build(2, [LayerSpec(1)])
    with pytest.raises(ValueError, match="bias"):
        net.initialize("uniform", 0, bias_init="ones")
    with pytest.raises(KeyError):
        net.initialize("glorot", 0)


def test_float32_network_initialises_in_float32():
    net = Network.build(3, [LayerSpec(2, "tanh"), LayerSpec(1)], np.float32)
    net.initialize("uniform", 1, bias_init="same")
    for p in net.parameters():
        assert p.dtype == np.float32
    expected = (np.random.RandomState(1).random_sample((3, 2)) * 2 - 1).astype(np.float32)
    np.testing.assert_array_equal(net.dense_layers[0].W, expected)

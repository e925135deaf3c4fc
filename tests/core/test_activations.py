"""Activation functions: backward against finite differences, numerical stability, known values, the registry."""

import warnings

import numpy as np
import pytest

from nnstudio.core import activations
from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.gradcheck import numeric_gradient, relative_error
from nnstudio.core.registry import UnknownNameError

DIFFERENTIABLE = [name for name in ACTIVATIONS if name != "step"]


def _random_z(name: str, seed: int, shape=(5, 4)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Within ±2.5 the saturating functions still have slopes above 0.02, so no gradient entry is so small that
    # the finite differences' round-off dominates it.
    z = rng.uniform(-2.5, 2.5, size=shape)
    if name in ("relu", "leaky_relu"):
        # Move every entry away from the kink at 0 so that z ± h stays on one side of it.
        z = np.where(np.abs(z) < 1e-3, np.sign(z + 1e-12) * 0.5, z)
    return z


def test_registry_holds_the_expected_activations():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "step", "softmax"}
    for name, act in ACTIVATIONS.items():
        assert act.name == name


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_finite_differences(name, seed):
    act = ACTIVATIONS[name]
    z = _random_z(name, seed)
    rng = np.random.default_rng(100 + seed)
    grad_a = rng.uniform(0.5, 1.5, size=z.shape) * rng.choice([-1.0, 1.0], size=z.shape)

    a = act.forward(z)
    analytic = act.backward(grad_a, z, a)
    assert analytic.shape == z.shape

    # h = 1e-5 rather than the default 1e-6: softmax entries a_k (g_k − Σ g a) can be ~1e-4, where the default
    # step's round-off alone reaches 1e-6 relative; 1e-5 is still far inside the 1e-3 margin around the kinks.
    numeric = numeric_gradient(lambda: float(np.sum(grad_a * act.forward(z))), z, h=1e-5)
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("name", [n for n in DIFFERENTIABLE if ACTIVATIONS[n].elementwise])
def test_elementwise_backward_is_grad_times_derivative(name):
    act = ACTIVATIONS[name]
    z = _random_z(name, 7)
    grad_a = np.random.default_rng(8).normal(size=z.shape)
    a = act.forward(z)
    np.testing.assert_allclose(act.backward(grad_a, z, a), grad_a * act.derivative(z, a), rtol=1e-12, atol=0)


def test_numeric_gradient_restores_its_input():
    z = _random_z("tanh", 3)
    before = z.copy()
    numeric_gradient(lambda: float(np.sum(np.tanh(z))), z)
    np.testing.assert_array_equal(z, before)


def test_softmax_rows_sum_to_one():
    z = np.random.default_rng(4).normal(0.0, 3.0, size=(6, 5))
    a = ACTIVATIONS["softmax"].forward(z)
    np.testing.assert_allclose(a.sum(axis=1), np.ones(6), rtol=0, atol=1e-12)
    assert np.all(a > 0)


def test_softmax_is_shift_invariant():
    z = np.random.default_rng(5).normal(size=(3, 4))
    sm = ACTIVATIONS["softmax"]
    np.testing.assert_allclose(sm.forward(z), sm.forward(z + 123.0), rtol=1e-12, atol=1e-15)


def test_softmax_is_stable_for_large_inputs():
    sm = ACTIVATIONS["softmax"]
    z = np.array([[1000.0, 1000.0, 1000.0], [1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
            a = sm.forward(z)
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a[0], [1 / 3, 1 / 3, 1 / 3], rtol=1e-12)
    np.testing.assert_allclose(a[1], [1.0, 0.0, 0.0], rtol=0, atol=1e-300)
    np.testing.assert_allclose(a[2], [1 / 3, 1 / 3, 1 / 3], rtol=1e-12)
    np.testing.assert_allclose(a.sum(axis=1), np.ones(3), rtol=0, atol=1e-12)


def test_sigmoid_saturates_without_warnings():
    sig = ACTIVATIONS["sigmoid"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = sig.forward(np.array([[-1000.0, 1000.0, -800.0]]))
        a32 = sig.forward(np.array([[-1000.0, 1000.0]], dtype=np.float32))
    assert a[0, 0] == 0.0
    assert a[0, 1] == 1.0
    assert a[0, 2] == 0.0
    assert a32[0, 0] == 0.0 and a32[0, 1] == 1.0
    assert a32.dtype == np.float32


def test_step_forward_values_and_untrainable():
    step = ACTIVATIONS["step"]
    z = np.array([[-2.0, -1e-9, 0.0, 1e-9, 3.0]])
    np.testing.assert_array_equal(step.forward(z), [[0.0, 0.0, 1.0, 1.0, 1.0]])
    assert step.forward(z).dtype == z.dtype
    assert step.trainable is False
    np.testing.assert_array_equal(step.derivative(z, step.forward(z)), np.zeros_like(z))
    for name in DIFFERENTIABLE:
        assert ACTIVATIONS[name].trainable is True


def test_known_values():
    zero = np.zeros((1, 1))
    sig, tanh = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]
    assert sig.forward(zero)[0, 0] == 0.5
    assert sig.derivative(zero, sig.forward(zero))[0, 0] == 0.25
    assert tanh.forward(zero)[0, 0] == 0.0
    assert tanh.derivative(zero, tanh.forward(zero))[0, 0] == 1.0
    np.testing.assert_allclose(sig.forward(np.array([[1.0]])), [[1 / (1 + np.exp(-1.0))]], rtol=1e-15)


def test_relu_and_leaky_relu_values_and_slopes():
    relu, leaky = ACTIVATIONS["relu"], ACTIVATIONS["leaky_relu"]
    z = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(relu.forward(z), [[0.0, 0.0, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(relu.derivative(z, relu.forward(z)), [[0.0, 0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(leaky.forward(z), [[-0.03, -0.005, 0.0, 0.5, 3.0]], rtol=1e-15)
    np.testing.assert_array_equal(leaky.derivative(z, leaky.forward(z)), [[0.01, 0.01, 0.01, 1.0, 1.0]])
    assert leaky.alpha == 0.01


def test_identity_passes_through():
    ident = ACTIVATIONS["identity"]
    z = np.random.default_rng(9).normal(size=(2, 3))
    np.testing.assert_array_equal(ident.forward(z), z)
    np.testing.assert_array_equal(ident.derivative(z, z), np.ones_like(z))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_float32_is_preserved(name):
    act = ACTIVATIONS[name]
    z = np.random.default_rng(11).normal(size=(3, 4)).astype(np.float32)
    g = np.random.default_rng(12).normal(size=(3, 4)).astype(np.float32)
    a = act.forward(z)
    assert a.dtype == np.float32
    assert act.backward(g, z, a).dtype == np.float32


def test_unknown_activation_raises_keyerror_listing_known_names():
    with pytest.raises(KeyError) as info:
        activations.get("swish")
    assert isinstance(info.value, UnknownNameError)
    message = str(info.value)
    assert "swish" in message
    for name in ACTIVATIONS:
        assert name in message
    with pytest.raises(KeyError):
        ACTIVATIONS["Sigmoid"]

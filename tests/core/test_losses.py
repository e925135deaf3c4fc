"""Loss functions: gradients against finite differences, fused gradients, per-sample rows, hand-computed values."""

import numpy as np
import pytest

from nnstudio.core import losses
from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.gradcheck import numeric_gradient, relative_error
from nnstudio.core.losses import LOSSES
from nnstudio.core.registry import UnknownNameError


def _inputs(name: str, seed: int, n: int = 6, k: int = 3, dtype=np.float64):
    """Outputs and targets that suit the loss: probabilities in (0.05, 0.95) for the cross-entropies, one-hot rows
    of a softmax output for the softmax cross-entropy, arbitrary reals for the squared errors."""
    rng = np.random.default_rng(seed)
    if name == "softmax_cross_entropy":
        y_hat = ACTIVATIONS["softmax"].forward(rng.normal(size=(n, k)))
        y = np.eye(k)[rng.integers(0, k, size=n)]
    elif name == "binary_cross_entropy":
        y_hat = rng.uniform(0.05, 0.95, size=(n, k))
        y = rng.integers(0, 2, size=(n, k)).astype(np.float64)
    else:
        y_hat = rng.normal(size=(n, k))
        y = rng.normal(size=(n, k))
    return y_hat.astype(dtype), y.astype(dtype)


def test_registry_holds_the_expected_losses():
    assert set(LOSSES) == {"squared_error", "mse", "binary_cross_entropy", "softmax_cross_entropy"}
    for name, loss in LOSSES.items():
        assert loss.name == name
    with pytest.raises(KeyError) as info:
        losses.get("hinge")
    assert isinstance(info.value, UnknownNameError)
    assert all(name in str(info.value) for name in LOSSES)


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_finite_differences(name, seed):
    loss = LOSSES[name]
    y_hat, y = _inputs(name, seed)
    analytic = loss.gradient(y_hat, y)
    assert analytic.shape == y_hat.shape
    numeric = numeric_gradient(lambda: loss.value(y_hat, y), y_hat)
    assert relative_error(analytic, numeric) < 1e-6


def test_binary_cross_entropy_gradient_with_soft_targets():
    loss = LOSSES["binary_cross_entropy"]
    rng = np.random.default_rng(3)
    y_hat = rng.uniform(0.05, 0.95, size=(5, 2))
    y = rng.uniform(0.0, 1.0, size=(5, 2))
    numeric = numeric_gradient(lambda: loss.value(y_hat, y), y_hat)
    assert relative_error(loss.gradient(y_hat, y), numeric) < 1e-6


@pytest.mark.parametrize("name", [n for n in LOSSES if LOSSES[n].fuses_with is not None])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fused_gradient_is_the_chain_rule_through_the_activation(name, seed):
    loss = LOSSES[name]
    act = ACTIVATIONS[loss.fuses_with]
    rng = np.random.default_rng(seed)
    n, k = 5, (3 if loss.fuses_with == "softmax" else 1)
    z = rng.normal(size=(n, k))
    y_hat = act.forward(z)
    if loss.fuses_with == "softmax":
        y = np.eye(k)[rng.integers(0, k, size=n)]
    else:
        y = rng.integers(0, 2, size=(n, k)).astype(np.float64)

    chained = act.backward(loss.gradient(y_hat, y), z, y_hat)
    fused = loss.fused_gradient(y_hat, y)
    np.testing.assert_allclose(fused, chained, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(fused, (y_hat - y) / n, rtol=1e-12, atol=0)

    # and both are dL/dz by finite differences
    numeric = numeric_gradient(lambda: loss.value(act.forward(z), y), z)
    assert relative_error(fused, numeric) < 1e-6


def test_fused_pairs():
    assert LOSSES["binary_cross_entropy"].fuses_with == "sigmoid"
    assert LOSSES["softmax_cross_entropy"].fuses_with == "softmax"
    for name in ("squared_error", "mse"):
        assert LOSSES[name].fuses_with is None
        with pytest.raises(NotImplementedError):
            LOSSES[name].fused_gradient(np.zeros((1, 1)), np.zeros((1, 1)))


@pytest.mark.parametrize("name", list(LOSSES))
def test_per_sample_aggregates_to_value(name):
    loss = LOSSES[name]
    y_hat, y = _inputs(name, 4, n=7, k=3)
    per = loss.per_sample(y_hat, y)
    assert per.shape == (7,)
    if name == "squared_error":
        assert np.isclose(per.sum(), loss.value(y_hat, y), rtol=1e-12, atol=0)
    else:
        assert np.isclose(per.mean(), loss.value(y_hat, y), rtol=1e-12, atol=0)


def test_mse_with_one_output_per_sample_is_mean_of_rows():
    loss = LOSSES["mse"]
    y_hat, y = _inputs("mse", 5, n=8, k=1)
    per = loss.per_sample(y_hat, y)
    np.testing.assert_allclose(per, ((y - y_hat) ** 2)[:, 0], rtol=1e-15)
    assert np.isclose(per.mean(), loss.value(y_hat, y), rtol=1e-12, atol=0)


def test_hand_computed_squared_errors():
    y = np.array([[1.0], [0.0]])
    y_hat = np.array([[0.5], [0.5]])
    # ½ (0.25 + 0.25) = 0.25 summed; (0.25 + 0.25) / 2 = 0.25 averaged
    assert LOSSES["squared_error"].value(y_hat, y) == 0.25
    assert LOSSES["mse"].value(y_hat, y) == 0.25
    np.testing.assert_array_equal(LOSSES["squared_error"].gradient(y_hat, y), [[-0.5], [0.5]])
    np.testing.assert_array_equal(LOSSES["mse"].gradient(y_hat, y), [[-0.5], [0.5]])  # 2(ŷ − y)/2
    np.testing.assert_array_equal(LOSSES["squared_error"].per_sample(y_hat, y), [0.125, 0.125])

    # two outputs: squared error sums everything, mse divides by all four entries
    y2 = np.array([[1.0, 2.0], [0.0, 0.0]])
    y_hat2 = np.array([[0.0, 0.0], [1.0, 1.0]])  # squared differences 1, 4, 1, 1
    assert LOSSES["squared_error"].value(y_hat2, y2) == 3.5
    assert LOSSES["mse"].value(y_hat2, y2) == 1.75
    np.testing.assert_array_equal(LOSSES["mse"].gradient(y_hat2, y2), [[-0.5, -1.0], [0.5, 0.5]])


def test_hand_computed_cross_entropies():
    bce = LOSSES["binary_cross_entropy"]
    y = np.array([[1.0], [0.0]])
    y_hat = np.array([[0.8], [0.4]])
    expected = -(np.log(0.8) + np.log(0.6)) / 2
    assert np.isclose(bce.value(y_hat, y), expected, rtol=1e-14)
    np.testing.assert_allclose(bce.gradient(y_hat, y), [[-1 / 0.8 / 2], [1 / 0.6 / 2]], rtol=1e-14)

    sce = LOSSES["softmax_cross_entropy"]
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    y_hat = np.array([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]])
    expected = -(np.log(0.5) + np.log(0.1)) / 2
    assert np.isclose(sce.value(y_hat, y), expected, rtol=1e-14)
    np.testing.assert_allclose(sce.per_sample(y_hat, y), [-np.log(0.5), -np.log(0.1)], rtol=1e-14)
    np.testing.assert_allclose(sce.fused_gradient(y_hat, y), (y_hat - y) / 2, rtol=1e-15)


def test_cross_entropies_stay_finite_at_saturated_outputs_float64():
    bce, sce = LOSSES["binary_cross_entropy"], LOSSES["softmax_cross_entropy"]
    y_hat = np.array([[1.0], [0.0]])
    y = np.array([[0.0], [1.0]])
    assert np.isfinite(bce.value(y_hat, y))
    assert np.all(np.isfinite(bce.gradient(y_hat, y)))
    assert np.isfinite(sce.value(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])))


@pytest.mark.parametrize("name", list(LOSSES))
def test_float32_gradients_stay_float32(name):
    loss = LOSSES[name]
    y_hat, y = _inputs(name, 6, dtype=np.float32)
    assert loss.gradient(y_hat, y).dtype == np.float32
    assert isinstance(loss.value(y_hat, y), float)
    if loss.fuses_with is not None:
        assert loss.fused_gradient(y_hat, y).dtype == np.float32


def test_binary_cross_entropy_float32_saturated_sigmoid_is_finite():
    """A float32 sigmoid rounds to exactly 1.0 from z ≈ 17 on; the loss must still be finite there, as it is in
    float64 (the 1 − 1e-12 clip bound rounds to 1.0 in float32, so it does not protect log(1 − ŷ))."""
    bce = LOSSES["binary_cross_entropy"]
    z = np.array([[20.0], [-5.0]], dtype=np.float32)
    y_hat = ACTIVATIONS["sigmoid"].forward(z)
    assert y_hat[0, 0] == np.float32(1.0)
    y = np.zeros((2, 1), dtype=np.float32)
    with np.errstate(all="ignore"):
        value = bce.value(y_hat, y)
        grad = bce.gradient(y_hat, y)
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))


def _plain(name, y_hat, y, eps):
    """The losses written with np.sum, np.mean and np.clip: (value, per-sample values, gradient or None)."""
    d = y - y_hat
    p = np.clip(y_hat, eps, 1 - eps)
    rows = {"squared_error": 0.5 * np.sum(d * d, axis=1), "mse": np.mean(d * d, axis=1),
            "binary_cross_entropy": -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1),
            "softmax_cross_entropy": -np.sum(y * np.log(np.clip(y_hat, eps, 1.0)), axis=1)}[name]
    value = {"squared_error": 0.5 * float(np.sum(d * d)), "mse": float(np.mean(d * d))}.get(name)
    n = y_hat.dtype.type(1.0 / y_hat.shape[0])
    gradient = {"binary_cross_entropy": (p - y) / (p * (1 - p)) * n,
                "softmax_cross_entropy": -y / np.clip(y_hat, eps, 1.0) * n}.get(name)
    return (float(np.mean(rows)) if value is None else value), rows, gradient


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(LOSSES))
def test_values_are_np_mean_and_np_clip_to_the_last_bit(name, dtype):
    """The losses skip np.mean's and np.clip's Python wrappers (a loss is taken at every update); the numbers are
    those of the plain formulas, bit for bit, saturated and NaN outputs included."""
    y_hat, y = _inputs(name, 11, n=37, k=4, dtype=dtype)
    y_hat[0, 0], y_hat[1, 1] = 0.0, 1.0
    eps = losses._clip_eps(np.dtype(dtype))
    loss = LOSSES[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        for spoil in (False, True):
            if spoil:
                y_hat[2, 2] = np.nan
            value, rows, gradient = _plain(name, y_hat, y, eps)
            got = loss.value(y_hat, y)
            assert got == value or (spoil and np.isnan(got) and np.isnan(value))
            np.testing.assert_array_equal(loss.per_sample(y_hat, y), rows)
            if gradient is not None:
                np.testing.assert_array_equal(loss.gradient(y_hat, y), gradient)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_takes_classes_for_one_hot_rows_to_the_last_bit(dtype):
    """Given each row's class instead of its one-hot row, the loss, each row's loss and the fused gradient are the same
    numbers bit for bit, saturated outputs (exactly 0 and 1, clipped) included."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(37, 7)) * 4
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    classes = rng.integers(0, 7, 37)
    p[0] = 0
    p[0, 2] = 1  # certain and right
    p[1] = 0
    p[1, 5] = 1  # certain and wrong: its class's output is 0, clipped
    classes[0], classes[1] = 2, 4
    Y = np.eye(7, dtype=dtype)[classes]
    ce = losses.get("softmax_cross_entropy")
    assert ce.takes_classes and not losses.get("mse").takes_classes
    with np.errstate(divide="ignore"):
        assert ce.value(p, classes) == ce.value(p, Y)
        np.testing.assert_array_equal(ce.per_sample(p, classes), ce.per_sample(p, Y), strict=True)
        np.testing.assert_array_equal(ce.fused_gradient(p, classes), ce.fused_gradient(p, Y), strict=True)
    assert np.isfinite(ce.value(p, classes))

"""Activation functions, each written as its forward formula with its derivative right beside it.

Shapes: ``z`` is the pre-activation of a layer, ``(n_samples, n_units)``; ``a = f(z)`` has the same shape.

Every activation offers

- ``forward(z) -> a``
- ``backward(grad_a, z, a) -> grad_z``: the chain rule through the activation. For element-wise functions this is
  ``grad_a * f'(z)``; softmax mixes the units of a sample, so it has its own rule.
- ``derivative(z, a) -> f'(z)`` for element-wise functions (the activation panel plots it).

The derivatives are written in terms of whichever of ``z`` and ``a`` the classic tutorials use: the sigmoid's is
``a (1 - a)``, which is the "output times one minus output" of the first tutorial.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.registry import Registry


_EXP_OVERFLOW: dict[np.dtype, float] = {}


def _exp_overflow(dtype: np.dtype) -> float:
    """The z below which e^(-z) overflows in ``dtype`` (float64: -709.78), with a small margin."""
    limit = _EXP_OVERFLOW.get(dtype)
    if limit is None:
        limit = _EXP_OVERFLOW[dtype] = -float(np.log(np.finfo(dtype).max)) + 1.0
    return limit


class Activation:
    """Base class. ``name`` is the registry key; ``formula`` is shown to learners."""

    name = ""
    formula = ""
    derivative_formula = ""
    trainable = True  # False for the step function: its derivative is zero wherever it exists
    elementwise = True
    plot_range = (-6.0, 6.0)

    def forward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_a: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return grad_a * self.derivative(z, a)

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Sigmoid(Activation):
    """σ(z) = 1 / (1 + e^(-z)); σ'(z) = σ(z)(1 - σ(z)) = a(1 - a)."""

    name = "sigmoid"
    formula = "σ(z) = 1 / (1 + e^(−z))"
    derivative_formula = "σ′(z) = σ(z)(1 − σ(z))"

    def forward(self, z):
        # e^(-z) overflows to inf for z < -709 (float32: -88.7); 1 / (1 + inf) is then exactly 0, the right limit.
        # Only then is numpy's overflow warning silenced: entering np.errstate costs more than the sigmoid of a
        # tutorial's few rows, and the check is one pass (fmin skips NaN, whose e^(-z) warns of nothing).
        z = np.asarray(z)
        if z.size and z.dtype.kind == "f" and not np.fmin.reduce(z, axis=None) < _exp_overflow(z.dtype):
            return 1.0 / (1.0 + np.exp(-z))
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))

    def derivative(self, z, a):
        return a * (1.0 - a)


class Tanh(Activation):
    """tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z)); tanh'(z) = 1 - tanh(z)² = 1 - a²."""

    name = "tanh"
    formula = "tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))"
    derivative_formula = "tanh′(z) = 1 − tanh(z)²"
    plot_range = (-4.0, 4.0)

    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1.0 - a * a


class ReLU(Activation):
    """relu(z) = max(0, z); relu'(z) = 1 where z > 0, else 0 (0 is taken at z = 0)."""

    name = "relu"
    formula = "relu(z) = max(0, z)"
    derivative_formula = "relu′(z) = 1 if z > 0 else 0"
    plot_range = (-4.0, 4.0)

    def forward(self, z):
        return np.maximum(z, 0)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, grad_a, z, a):
        return grad_a * (z > 0)  # the same as grad_a · relu′(z), without making relu′(z) an array of numbers first


class LeakyReLU(Activation):
    """leaky(z) = z where z > 0, else αz (α = 0.01); its derivative is 1 or α."""

    name = "leaky_relu"
    formula = "leaky(z) = z if z > 0 else 0.01·z"
    derivative_formula = "leaky′(z) = 1 if z > 0 else 0.01"
    alpha = 0.01
    plot_range = (-4.0, 4.0)

    def forward(self, z):
        return np.where(z > 0, z, z * z.dtype.type(self.alpha))

    def derivative(self, z, a):
        return np.where(z > 0, z.dtype.type(1), z.dtype.type(self.alpha))


class Identity(Activation):
    """identity(z) = z; its derivative is 1. A one-neuron identity network is linear regression."""

    name = "identity"
    formula = "f(z) = z"
    derivative_formula = "f′(z) = 1"
    plot_range = (-4.0, 4.0)

    def forward(self, z):
        return z

    def derivative(self, z, a):
        return np.ones_like(z)

    def backward(self, grad_a, z, a):
        return grad_a


class Step(Activation):
    """step(z) = 1 where z ≥ 0, else 0: a hard threshold, shown beside the sigmoid.

    Its derivative is 0 everywhere except at 0, where it does not exist, so gradient descent gets no signal
    through it: a network using it cannot be trained by backpropagation.
    """

    name = "step"
    formula = "step(z) = 1 if z ≥ 0 else 0"
    derivative_formula = "step′(z) = 0 (undefined at 0): gradient descent cannot learn through it"
    trainable = False

    def forward(self, z):
        return (z >= 0).astype(z.dtype)

    def derivative(self, z, a):
        return np.zeros_like(z)


class Softmax(Activation):
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j), taken across the units of each sample (row).

    Its Jacobian is ∂a_k/∂z_j = a_k (δ_kj − a_j), so the chain rule gives
    grad_z = a ⊙ (grad_a − Σ_k grad_a_k a_k) row by row. With cross-entropy the two fuse into ŷ − y
    (see ``losses.SoftmaxCrossEntropy``).
    """

    name = "softmax"
    formula = "softmax(z)ₖ = e^(zₖ) / Σⱼ e^(zⱼ)"
    derivative_formula = "∂aₖ/∂zⱼ = aₖ(δₖⱼ − aⱼ)"
    elementwise = False

    def forward(self, z):
        e = z - np.maximum.reduce(z, axis=1, keepdims=True)  # same result, no overflow
        np.exp(e, out=e)  # in place: the same numbers without two more arrays (softmax runs at every update)
        return np.divide(e, np.add.reduce(e, axis=1, keepdims=True), out=e)

    def derivative(self, z, a):
        # The diagonal of the Jacobian, a_k (1 - a_k): what the activation panel can draw for one unit.
        return a * (1.0 - a)

    def backward(self, grad_a, z, a):
        return a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))


ACTIVATIONS: Registry[Activation] = Registry(
    "activation",
    {cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Step, Softmax)},
)


def get(name: str) -> Activation:
    """The activation called ``name``; an unknown name raises a KeyError listing the known ones."""
    return ACTIVATIONS[name]

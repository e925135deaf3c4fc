"""Layers. ``forward`` keeps what ``backward`` will need; ``backward`` returns the gradient for the layer below and
fills the layer's own parameter gradients.

Shapes: inputs ``X`` are ``(n_samples, n_in)``; a dense layer's weights ``W`` are ``(n_in, n_out)``, its bias ``b`` is
``(n_out,)``, and its outputs are ``(n_samples, n_out)``. Row i of ``W`` holds the weights leaving input i; column j
holds the weights arriving at unit j.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core import activations


class Dense:
    """A fully connected layer followed by its activation: z = X·W + b, a = f(z).

    backward, given grad_a = ∂L/∂a (or grad_z = ∂L/∂z directly when a loss fuses with the activation):
        grad_z = f'(z) ⊙ grad_a
        ∂L/∂W = Xᵀ · grad_z          (n_in, n_out)
        ∂L/∂b = Σ over samples of grad_z
        ∂L/∂X = grad_z · Wᵀ          (returned, for the layer below)
    """

    kind = "dense"

    def __init__(self, n_in: int, n_out: int, activation: str = "sigmoid", bias: bool = True,
                 dtype: np.dtype | type = np.float64):
        if n_in < 1 or n_out < 1:
            raise ValueError(f"a dense layer needs at least one input and one unit (got {n_in} -> {n_out})")
        self.dtype = np.dtype(dtype)
        self.activation = activations.get(activation)
        self.W = np.zeros((n_in, n_out), dtype=self.dtype)
        self.b = np.zeros(n_out, dtype=self.dtype) if bias else None
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b) if bias else None
        self.X = self.z = self.a = None  # filled by forward

    @property
    def n_in(self) -> int:
        return self.W.shape[0]

    @property
    def n_out(self) -> int:
        return self.W.shape[1]

    @property
    def has_bias(self) -> bool:
        return self.b is not None

    def parameters(self) -> list[np.ndarray]:
        return [self.W] if self.b is None else [self.W, self.b]

    def gradients(self) -> list[np.ndarray]:
        return [self.dW] if self.b is None else [self.dW, self.db]

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        z = X @ self.W
        if self.b is not None:
            z += self.b
        a = self.activation.forward(z)
        self.X, self.z, self.a = X, z, a
        return a

    def backward(self, grad_a: np.ndarray | None = None, grad_z: np.ndarray | None = None,
                 need_input_grad: bool = True) -> np.ndarray | None:
        """``need_input_grad=False`` (the first layer: nothing below needs ∂L/∂X) skips one matrix product."""
        if grad_z is None:
            grad_z = self.activation.backward(grad_a, self.z, self.a)
        np.matmul(self.X.T, grad_z, out=self.dW)
        if self.b is not None:
            np.add.reduce(grad_z, axis=0, out=self.db)  # grad_z.sum(axis=0) without its Python wrapper
        return grad_z @ self.W.T if need_input_grad else None


class Dropout:
    """Inverted dropout: while training, each unit is kept with probability p = 1 − rate and scaled by 1/p, so
    nothing needs rescaling at prediction time. backward passes the gradient through the same mask."""

    kind = "dropout"

    def __init__(self, rate: float, rng: np.random.Generator | None = None):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.mask = None

    def parameters(self) -> list[np.ndarray]:
        return []

    def gradients(self) -> list[np.ndarray]:
        return []

    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0.0:
            self.mask = None
            return X
        keep = 1.0 - self.rate
        self.mask = (self.rng.random(X.shape, dtype=X.dtype) < keep) * X.dtype.type(1.0 / keep)
        return X * self.mask

    def backward(self, grad_a: np.ndarray | None = None, grad_z: np.ndarray | None = None,
                 need_input_grad: bool = True) -> np.ndarray | None:
        grad = grad_a if grad_a is not None else grad_z
        return grad if self.mask is None else grad * self.mask

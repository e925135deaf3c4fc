"""Loss functions: the value and its gradient with respect to the network's output, side by side.

Shapes: ``y_hat`` (the network's output) and ``y`` (the targets) are both ``(n_samples, n_outputs)``.

Whether a batch's loss is *summed* or *averaged* over its samples is part of each loss's definition, because the
tutorials differ and a learner comparing numbers must see the same ones:

- ``squared_error``: E = ½ Σ (y − ŷ)², summed over samples and outputs (tutorials T1 and T4).
  dE/dŷ = ŷ − y. With learning rate 1 this is the famous ``W += Xᵀ · (error · ŷ(1 − ŷ))`` update.
- ``mse``: L = (1/N) Σ (y − ŷ)², the mean over all N = samples × outputs entries (tutorials T2 and T5).
  dL/dŷ = 2(ŷ − y)/N.
- ``binary_cross_entropy``: L = −(1/n) Σ [y log ŷ + (1 − y) log(1 − ŷ)], averaged over samples.
- ``softmax_cross_entropy``: L = −(1/n) Σ Σₖ yₖ log ŷₖ, averaged over samples; used after a softmax output, where
  the chain rule through softmax collapses to dL/dz = (ŷ − y)/n (``fused_gradient``).

``per_sample`` gives each sample's own loss (its row of the sum), used to plot per-sample curves.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.registry import Registry

_EPS = 1e-12  # keeps log() finite when an output saturates at exactly 0 or 1


def _mean(a: np.ndarray) -> float:
    """The mean of every entry, exactly as ``np.mean`` gives it (whose Python wrapper costs more than the sum itself
    for a small batch, and losses are taken at every update)."""
    return float(np.add.reduce(a, axis=None) / a.size)


def _clip(y_hat: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip``, for the same reason; a new array."""
    out = np.maximum(y_hat, lo)
    return np.minimum(out, hi, out=out)


_EPS_OF: dict[np.dtype, float] = {}


def _clip_eps(dtype: np.dtype) -> float:
    """The clip margin for ``dtype``: 1e-12, or the type's machine epsilon where 1 − 1e-12 would round to 1
    (float32: a sigmoid returns exactly 1.0 from z ≈ 17 on)."""
    eps = _EPS_OF.get(dtype)
    if eps is None:
        eps = _EPS_OF[dtype] = max(_EPS, float(np.finfo(dtype).eps))
    return eps


_ROWS = np.arange(0)


def _rows(n: int) -> np.ndarray:
    """0 .. n-1 (kept: a batch's row numbers are needed at every update)."""
    global _ROWS  # noqa: PLW0603
    if len(_ROWS) < n:
        _ROWS = np.arange(max(n, 2 * len(_ROWS)))
    return _ROWS[:n]


class Loss:
    name = ""
    takes_classes = False  # whether value, per_sample and fused_gradient also take each row's class as ``y``
    title = ""
    formula = ""
    gradient_formula = ""
    tasks: tuple[str, ...] = ()  # dataset tasks this loss is meant for
    fuses_with: str | None = None  # activation whose chain rule collapses into a simpler gradient

    def value(self, y_hat: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/dŷ, same shape as ``y_hat``."""
        raise NotImplementedError

    def per_sample(self, y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each sample's contribution, shape ``(n_samples,)``, before any averaging."""
        raise NotImplementedError

    def fused_gradient(self, y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/dz through the ``fuses_with`` activation, where one exists."""
        raise NotImplementedError(f"{self.name} has no fused gradient")

    def __repr__(self) -> str:
        return f"<loss {self.name}>"


class SquaredError(Loss):
    """E = ½ Σᵢ Σₖ (yᵢₖ − ŷᵢₖ)², summed (not averaged); dE/dŷ = ŷ − y."""

    name = "squared_error"
    title = "Squared error, summed: ½Σ(y − ŷ)²"
    formula = "E = ½ Σ (y − ŷ)²"
    gradient_formula = "∂E/∂ŷ = ŷ − y"
    tasks = ("binary", "regression", "multiclass")

    def value(self, y_hat, y):
        d = y - y_hat
        return 0.5 * float(np.add.reduce(d * d, axis=None))

    def gradient(self, y_hat, y):
        return y_hat - y

    def per_sample(self, y_hat, y):
        d = y - y_hat
        return 0.5 * (d * d).sum(axis=1)


class MeanSquaredError(Loss):
    """L = (1/N) Σ (y − ŷ)² over all N entries; dL/dŷ = 2(ŷ − y)/N."""

    name = "mse"
    title = "Mean squared error: (1/N)Σ(y − ŷ)²"
    formula = "L = (1/N) Σ (y − ŷ)²"
    gradient_formula = "∂L/∂ŷ = 2(ŷ − y)/N"
    tasks = ("binary", "regression", "multiclass")

    def value(self, y_hat, y):
        d = y - y_hat
        return _mean(d * d)

    def gradient(self, y_hat, y):
        return (y_hat - y) * y_hat.dtype.type(2.0 / y_hat.size)

    def per_sample(self, y_hat, y):
        d = y - y_hat
        return (d * d).mean(axis=1)


class BinaryCrossEntropy(Loss):
    """L = −(1/n) Σ [y log ŷ + (1 − y) log(1 − ŷ)]; dL/dŷ = (ŷ − y) / (ŷ(1 − ŷ)) / n.

    After a sigmoid the chain rule collapses: dL/dz = (ŷ − y)/n.
    """

    name = "binary_cross_entropy"
    title = "Binary cross-entropy"
    formula = "L = −(1/n) Σ [y log ŷ + (1 − y) log(1 − ŷ)]"
    gradient_formula = "∂L/∂z = (ŷ − y)/n after a sigmoid"
    tasks = ("binary",)
    fuses_with = "sigmoid"

    def per_sample(self, y_hat, y):
        eps = _clip_eps(y_hat.dtype)
        p = _clip(y_hat, eps, 1 - eps)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)

    def value(self, y_hat, y):
        return _mean(self.per_sample(y_hat, y))

    def gradient(self, y_hat, y):
        eps = _clip_eps(y_hat.dtype)
        p = _clip(y_hat, eps, 1 - eps)
        return (p - y) / (p * (1 - p)) * y_hat.dtype.type(1.0 / y_hat.shape[0])

    def fused_gradient(self, y_hat, y):
        return (y_hat - y) * y_hat.dtype.type(1.0 / y_hat.shape[0])


class SoftmaxCrossEntropy(Loss):
    """L = −(1/n) Σᵢ Σₖ yᵢₖ log ŷᵢₖ with one-hot y; after softmax, dL/dz = (ŷ − y)/n."""

    name = "softmax_cross_entropy"
    title = "Cross-entropy (softmax output)"
    formula = "L = −(1/n) Σ Σₖ yₖ log ŷₖ"
    gradient_formula = "∂L/∂z = (ŷ − y)/n after a softmax"
    tasks = ("multiclass",)
    fuses_with = "softmax"

    takes_classes = True  # ``y`` may be each row's class instead of one-hot rows (see per_sample)

    def per_sample(self, y_hat, y):
        if y.ndim == 1:
            # each row's class (an integer) for one-hot rows: the same numbers, since the other terms of the row's
            # sum are zeros (0 · log ŷ), which leave it unchanged; one column is clipped and logged instead of all
            t = _clip(y_hat[_rows(len(y)), y], _clip_eps(y_hat.dtype), 1.0)
            return np.negative(np.log(t, out=t), out=t)
        # -(y * log(clip(ŷ))).sum(axis=1), worked in one array (a loss is taken at every update)
        t = _clip(y_hat, _clip_eps(y_hat.dtype), 1.0)
        np.log(t, out=t)
        t = np.multiply(y, t, out=t) if t.dtype == np.result_type(y, t) else y * t
        return np.negative(np.add.reduce(t, axis=1))

    def value(self, y_hat, y):
        return _mean(self.per_sample(y_hat, y))

    def gradient(self, y_hat, y):
        return -y / _clip(y_hat, _clip_eps(y_hat.dtype), 1.0) * y_hat.dtype.type(1.0 / y_hat.shape[0])

    def fused_gradient(self, y_hat, y):
        if y.ndim == 1:  # each row's class (see per_sample): ŷ − y is ŷ with 1 taken from the class's column
            g = y_hat.copy()
            g[_rows(len(y)), y] -= 1
            return np.multiply(g, y_hat.dtype.type(1.0 / y_hat.shape[0]), out=g)
        g = y_hat - y
        return np.multiply(g, y_hat.dtype.type(1.0 / y_hat.shape[0]), out=g) if g.dtype == y_hat.dtype else \
            g * y_hat.dtype.type(1.0 / y_hat.shape[0])


LOSSES: Registry[Loss] = Registry(
    "loss",
    {cls.name: cls() for cls in (SquaredError, MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy)},
)


def get(name: str) -> Loss:
    return LOSSES[name]

"""Central finite differences: an independent check of every gradient backpropagation computes.

    ∂f/∂θᵢ ≈ (f(θ + h eᵢ) − f(θ − h eᵢ)) / 2h       (error O(h²); use float64)

relative error = |analytic − numeric| / max(|analytic| + |numeric|, tiny), reported as the worst entry.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnstudio.core.losses import Loss
from nnstudio.core.network import Network
from nnstudio.core.optimizers import add_penalty_gradients, penalty


def numeric_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences; ``f`` reads ``x`` (which is perturbed in place and restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-10) -> float:
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    denom = np.maximum(np.abs(a) + np.abs(n), floor)
    return float(np.max(np.abs(a - n) / denom)) if a.size else 0.0


def network_objective(net: Network, loss: Loss, X: np.ndarray, y: np.ndarray, l1: float = 0.0,
                      l2: float = 0.0) -> float:
    """The training objective: the data loss plus the weight penalties (dropout off, so it is deterministic)."""
    y_hat = net.forward(X, training=False)
    weights = [layer.W for layer in net.dense_layers]
    return loss.value(y_hat, y) + penalty(weights, l1, l2)


def analytic_gradients(net: Network, loss: Loss, X: np.ndarray, y: np.ndarray, l1: float = 0.0,
                       l2: float = 0.0) -> list[np.ndarray]:
    y_hat = net.forward(X, training=False)
    net.backward(loss, y_hat, y)
    dense = net.dense_layers
    add_penalty_gradients([layer.W for layer in dense], [layer.dW for layer in dense], l1, l2)
    return [g.copy() for g in net.gradients()]


def check_network(net: Network, loss: Loss, X: np.ndarray, y: np.ndarray, l1: float = 0.0, l2: float = 0.0,
                  h: float = 1e-6) -> dict[str, float]:
    """Relative error of backprop against finite differences for each parameter array, by name ("W1", "b1", ...)."""
    analytic = analytic_gradients(net, loss, X, y, l1, l2)
    errors = {}
    for name, p, g in zip(net.parameter_names(), net.parameters(), analytic):
        numeric = numeric_gradient(lambda: network_objective(net, loss, X, y, l1, l2), p, h)
        errors[name] = relative_error(g, numeric)
    return errors

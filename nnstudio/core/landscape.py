"""The loss over a 2-D slice of weight space, and the training path projected onto it.

All weights are handled as one flat vector θ (the parameters in ``Network.parameters()`` order, concatenated).
A slice is spanned by two directions d₁, d₂ around a centre θ₀ (normally the current weights):

    L(α, β) = loss(θ₀ + α d₁ + β d₂)

Three ways to choose the directions:

- two chosen weights: d₁ and d₂ are unit vectors along two coordinates, so α and β are plain offsets of those two
  weights while every other weight stays put (exact for a one-neuron model such as the regression y = m·x + b);
- random, filter-normalised (Li et al., 2018): a Gaussian direction in which each unit's incoming weights are
  rescaled to the norm of that unit's actual weights, so slices of differently scaled layers are comparable;
- the two principal directions of the training path (the weights visited minus the final weights), which show the
  plane the run actually moved in.

A point θ on the path is drawn at the (α, β) that best reproduces θ − θ₀ in the span of d₁, d₂ (least squares;
exact when the path lies in that plane, as it does for two chosen weights of a two-weight model).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnstudio.core.losses import Loss
from nnstudio.core.network import Network


def flatten(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def unflatten(theta: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    out, i = [], 0
    for a in like:
        out.append(theta[i:i + a.size].reshape(a.shape))
        i += a.size
    return out


def clone(net: Network) -> Network:
    """An independent copy (its own caches), so evaluating a slice never disturbs a network being trained."""
    copy = Network.build(net.n_inputs, net.specs(), net.dtype)
    copy.set_weights(net.get_weights())
    return copy


def loss_at(net: Network, loss: Loss, X: np.ndarray, Y: np.ndarray, theta: np.ndarray) -> float:
    net.set_weights([w.astype(net.dtype) for w in unflatten(theta, net.parameters())])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return loss.value(net.forward(X, training=False), Y)


def axis_direction(n: int, index: int) -> np.ndarray:
    d = np.zeros(n)
    d[index] = 1.0
    return d


def random_direction(net: Network, rng: np.random.Generator, include_bias: bool = False) -> np.ndarray:
    """A Gaussian direction with each unit's incoming weights (a column of W) scaled to that column's norm in the
    network; biases get no component unless ``include_bias`` (then scaled to the bias vector's norm)."""
    parts = []
    for p in net.parameters():
        p = np.asarray(p, dtype=np.float64)
        d = rng.standard_normal(p.shape)
        if p.ndim == 2:
            d *= np.linalg.norm(p, axis=0, keepdims=True) / (np.linalg.norm(d, axis=0, keepdims=True) + 1e-12)
        elif include_bias:
            d *= np.linalg.norm(p) / (np.linalg.norm(d) + 1e-12)
        else:
            d[...] = 0.0
        parts.append(d.ravel())
    return np.concatenate(parts)


def pca_directions(path: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two principal directions of ``path`` (rows: flat weights) around ``centre``, as unit vectors, and the
    share of the path's variance each explains."""
    M = np.asarray(path, dtype=np.float64) - centre
    if M.shape[0] < 2 or not np.any(M):
        raise ValueError("the training path is too short for principal directions: train a few updates first")
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    var = s ** 2 / np.sum(s ** 2)
    d1 = vt[0]
    d2 = vt[1] if len(vt) > 1 else np.zeros_like(d1)
    return d1, d2, var[:2]


def project(path: np.ndarray, centre: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """(α, β) for each row of ``path``: least squares of (θ − θ₀) ≈ α d₁ + β d₂. Shape (n, 2)."""
    A = np.stack([d1, d2], axis=1)
    coords, *_ = np.linalg.lstsq(A, (np.asarray(path, np.float64) - centre).T, rcond=None)
    return coords.T


def surface(net: Network, loss: Loss, X: np.ndarray, Y: np.ndarray, centre: np.ndarray, d1: np.ndarray,
            d2: np.ndarray, alphas: np.ndarray, betas: np.ndarray,
            progress: Callable[[float], bool] | None = None) -> np.ndarray:
    """L(α, β) on the grid; shape (len(betas), len(alphas)), row j is β = betas[j]. ``net`` is changed (use a
    clone). ``progress(fraction)`` is called after each row; returning False cancels (the rest stays NaN)."""
    Z = np.full((len(betas), len(alphas)), np.nan)
    for j, b in enumerate(betas):
        base = centre + b * d2
        for i, a in enumerate(alphas):
            Z[j, i] = loss_at(net, loss, X, Y, base + a * d1)
        if progress is not None and progress((j + 1) / len(betas)) is False:
            break
    return Z


def line(net: Network, loss: Loss, X: np.ndarray, Y: np.ndarray, centre: np.ndarray, d: np.ndarray,
         alphas: np.ndarray) -> np.ndarray:
    """The 1-D cut L(θ₀ + α d) (a parabola along one weight of a linear model)."""
    return np.array([loss_at(net, loss, X, Y, centre + a * d) for a in alphas])

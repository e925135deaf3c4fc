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


# Paths are read this many values at a time: a path of 64 weight vectors of a 784-128-10 network is 26 MB of float32
# and would be 52 MB as float64, and a decomposition of it as a whole copies it several times over.
BLOCK_VALUES = 1 << 18


def _column_blocks(path: np.ndarray, centre: np.ndarray):
    """(columns, θ − θ₀ of those columns in float64) for every row of ``path``, a block of columns at a time."""
    n, m = path.shape
    step = max(1, BLOCK_VALUES // max(n, 1))
    for j in range(0, m, step):
        cols = slice(j, j + step)
        block = np.array(path[:, cols], dtype=np.float64)
        block -= centre[cols]
        yield cols, block


def _row_blocks(path: np.ndarray, centre: np.ndarray):
    """(rows, θ − θ₀ of those rows in float64), a block of rows at a time."""
    step = max(1, BLOCK_VALUES // max(centre.size, 1))
    for i in range(0, len(path), step):
        block = np.array(path[i:i + step], dtype=np.float64)
        block -= centre
        yield slice(i, i + step), block


def pca_directions(path: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two principal directions of ``path`` (rows: flat weights) around ``centre``, as unit vectors, and the
    share of the path's variance each explains.

    Worked out from the smaller of the two Gram matrices of M = path − centre: M Mᵀ (one row and column per point:
    a big network's path keeps a few dozen), whose eigenvectors u and eigenvalues s² give the directions Mᵀu / s, or
    Mᵀ M (one per weight: a small network's path may keep thousands of points), whose eigenvectors are the
    directions. M itself is never made: the path is read a block at a time (float32 rows stay float32), so a big
    network's path costs a few MB here, not a few copies of itself. A second direction that explains nothing (a
    straight path, a single weight) comes back as zeros. Each direction points from the path's start towards the
    centre (a decomposition leaves the sign open), so the path runs left to right and upwards on the slice."""
    path, centre = np.asarray(path), np.asarray(centre, dtype=np.float64)
    n, m = path.shape
    by_points = n < m
    G = np.zeros((n, n) if by_points else (m, m))
    for _, block in (_column_blocks if by_points else _row_blocks)(path, centre):
        G += block @ block.T if by_points else block.T @ block
    if n < 2 or not np.any(G):
        raise ValueError("the training path is too short for principal directions: train a few updates first")
    w, U = np.linalg.eigh(G)  # ascending
    w, U = np.clip(w[::-1], 0.0, None), U[:, ::-1]
    keep = 2 if len(w) > 1 and w[1] > w[0] * 64 * len(w) * np.finfo(np.float64).eps else 1  # beyond rounding
    d = np.zeros((2, m))
    if by_points:
        s = np.sqrt(w[:keep])
        for cols, block in _column_blocks(path, centre):
            d[:keep, cols] = (U[:, :keep].T @ block) / s[:, None]
    else:
        d[:keep] = U[:, :keep].T
    first = np.asarray(path[0], dtype=np.float64) - centre
    for k in range(keep):  # unit length to the last bit, pointing from the path's start towards the centre
        d[k] /= np.linalg.norm(d[k])
        if first @ d[k] > 0:
            d[k] = -d[k]
    var = np.zeros(2)
    var[:min(2, len(w))] = (w / np.sum(w))[:2]
    return d[0], d[1], var


def project(path: np.ndarray, centre: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """(α, β) for each row of ``path``: least squares of (θ − θ₀) ≈ α d₁ + β d₂. Shape (n, 2).

    Through the QR decomposition of [d₁ d₂] (the minimum-norm answer, as ``np.linalg.lstsq`` gives, when the two
    directions are parallel), a block of rows at a time: no float64 copy of the whole path."""
    path, centre = np.atleast_2d(np.asarray(path)), np.asarray(centre, dtype=np.float64)
    A = np.stack([np.asarray(d1, dtype=np.float64), np.asarray(d2, dtype=np.float64)], axis=1)
    Q, R = np.linalg.qr(A)
    solve = np.linalg.pinv(R, rcond=np.finfo(np.float64).eps * max(A.shape))
    out = np.empty((len(path), 2))
    for rows, block in _row_blocks(path, centre):
        out[rows] = (block @ Q) @ solve.T
    return out


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

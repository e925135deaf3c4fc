"""What the loss-surface heatmap shows, worked out from the grid (plain numpy, any thread): the values its colours
stand for, their range, and the contour lines.

``contour_segments`` is a vectorised marching-squares pass: for one level it returns line segments in data
coordinates, ready to draw as pairs of points. ``grid_picture`` puts it all together for one colour scale; the
surface job calls it on its own thread (eight levels over a 301 x 301 grid took a tenth of a second on the GUI
thread)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.qt.panels.bounds import LIMIT

CONTOURS = 8  # contour lines over the colour range


@dataclass(frozen=True, eq=False)
class GridPicture:
    """A heatmap ready to draw: ``values`` (rows at betas, columns at alphas; +inf replaced by the top of the
    range), the colour range ``lo``..``hi`` (``clipped``: the top 2% of a linear scale cut off), and the contour
    lines as flat x, y arrays of point pairs (in the coordinates of the alphas and betas it was given)."""

    values: np.ndarray
    lo: float
    hi: float
    clipped: bool
    contour_x: np.ndarray
    contour_y: np.ndarray


def colour_values(Z: np.ndarray, log: bool) -> np.ndarray:
    """What the colours show: log₁₀ of the loss (or the loss itself, within ±LIMIT). NaN (not computed) stays NaN;
    an infinite loss stays +inf (drawn in the top colour)."""
    with np.errstate(all="ignore"):
        V = np.asarray(Z, dtype=np.float64).copy()
        if log:
            positive = V[V > 0]
            V = np.log10(np.maximum(V, positive.min() if positive.size else 1e-300))
        else:
            V = np.where(np.isfinite(V), np.clip(V, -LIMIT, LIMIT), V)
    return V


def colour_range(V: np.ndarray, log: bool) -> tuple[float, float, bool] | None:
    """(low, high, clipped) for the colour scale; on a linear scale a few huge values (a far corner) would wash out
    everything else, so the top is clipped at the 98th percentile when it lies far below the maximum."""
    finite = V[np.isfinite(V)]
    if not finite.size:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    top = float(np.percentile(finite, 98))
    clipped = not log and hi > lo and top < lo + 0.5 * (hi - lo)
    if clipped:
        hi = top
    return lo, (hi if hi > lo else lo + 1.0), clipped


def grid_picture(alphas: np.ndarray, betas: np.ndarray, Z: np.ndarray, log: bool) -> GridPicture | None:
    """The heatmap of Z on one colour scale; None when the loss is not finite anywhere."""
    V = colour_values(Z, log)
    scale = colour_range(V, log)
    if scale is None:
        return None
    lo, hi, clipped = scale
    segments = [contour_segments(V, alphas, betas, level) for level in contour_levels(lo, hi, CONTOURS)]
    x, y = segments_to_xy(np.concatenate(segments) if segments else np.zeros((0, 2, 2)))
    return GridPicture(np.where(np.isposinf(V), hi, V), lo, hi, clipped, x, y)


def contour_levels(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` evenly spaced levels strictly between lo and hi."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo or n < 1:
        return np.zeros(0)
    return np.linspace(lo, hi, n + 2)[1:-1]


def contour_segments(Z: np.ndarray, xs: np.ndarray, ys: np.ndarray, level: float) -> np.ndarray:
    """Line segments (k, 2, 2) where the surface Z (row j at y = ys[j], column i at x = xs[i]) crosses ``level``,
    by marching squares with linear interpolation along cell edges. Cells with a NaN corner are skipped; a saddle
    cell is resolved by the mean of its corners."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] < 2 or Z.shape[1] < 2:
        return np.zeros((0, 2, 2))
    with np.errstate(all="ignore"):  # non-finite corners are masked out below; their arithmetic may complain
        return _marching_squares(Z, np.asarray(xs, np.float64), np.asarray(ys, np.float64), float(level))


def _marching_squares(Z, xs, ys, level) -> np.ndarray:
    a, b = Z[:-1, :-1], Z[:-1, 1:]  # corners: a bottom-left, b bottom-right,
    c, d = Z[1:, 1:], Z[1:, :-1]  # c top-right, d top-left
    x0, x1 = np.broadcast_to(xs[:-1], a.shape), np.broadcast_to(xs[1:], a.shape)
    y0, y1 = np.broadcast_to(ys[:-1, None], a.shape), np.broadcast_to(ys[1:, None], a.shape)
    valid = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(d)
    la, lb, lc, ld = a < level, b < level, c < level, d < level

    def cut(p, q):  # where along p -> q the level is reached (only used where it is)
        return (level - p) / (q - p)

    # the four edges: bottom a-b, right b-c, top d-c, left a-d; each as (crosses?, x, y)
    edges = [
        (la != lb, x0 + cut(a, b) * (x1 - x0), y0),
        (lb != lc, x1, y0 + cut(b, c) * (y1 - y0)),
        (ld != lc, x0 + cut(d, c) * (x1 - x0), y1),
        (la != ld, x0, y0 + cut(a, d) * (y1 - y0)),
    ]
    cross = np.stack([e[0] for e in edges]) & valid
    px = np.stack([np.broadcast_to(e[1], a.shape) for e in edges])
    py = np.stack([np.broadcast_to(e[2], a.shape) for e in edges])
    count = cross.sum(axis=0)
    pieces = []
    two = count == 2
    if two.any():
        first = np.argmax(cross, axis=0)[two]
        second = 3 - np.argmax(cross[::-1], axis=0)[two]
        pieces.append(_pairs(px, py, two, first, second))
    four = count == 4
    if four.any():
        centre_low = ((a + b + c + d) / 4 < level)[four]
        joined = centre_low == la[four]  # a and c connect through the middle: cut off corners b and d
        e = np.where(joined, 0, 0), np.where(joined, 1, 3), np.where(joined, 2, 1), np.where(joined, 3, 2)
        pieces.append(_pairs(px, py, four, e[0], e[1]))
        pieces.append(_pairs(px, py, four, e[2], e[3]))
    if not pieces:
        return np.zeros((0, 2, 2))
    return np.concatenate(pieces)


def _pairs(px, py, mask, e1, e2) -> np.ndarray:
    jj, ii = np.nonzero(mask)
    return np.stack([np.stack([px[e1, jj, ii], py[e1, jj, ii]], axis=1),
                     np.stack([px[e2, jj, ii], py[e2, jj, ii]], axis=1)], axis=1)


def segments_to_xy(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat x, y arrays for a curve drawn with ``connect="pairs"``."""
    flat = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]

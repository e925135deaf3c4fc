"""Thinning long series for drawing: at most about n points, evenly spread along the axis as it is drawn.

Thinning only drops points: every point kept is a recorded one, and the first and the last are always kept. On a log
axis the picks are evenly spaced in log(x), so the start of a run (updates 1..30 on a log-log plot, most of its width)
keeps every point instead of becoming one straight segment.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 2000


def sorted_unique(a) -> np.ndarray:
    """``np.unique(a)`` (sorted, each value once), by sorting: numpy's own imports ``numpy.ma`` the first time it runs,
    a tenth of a second (more without compiled bytecode) that the first redraw of a view paid on the GUI thread."""
    a = np.sort(np.ravel(a))
    if a.size < 2:
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]


def thin_index(length: int, n: int = MAX_POINTS, along=None) -> np.ndarray | slice:
    """Positions of the points to keep out of ``length``. ``along`` (ascending, one per point) is where each point is
    drawn in the axis's own scale, e.g. log10(update + 1) on a log axis; without it, every k-th point is kept."""
    if length <= n:
        return slice(None)
    if along is None:
        idx = np.arange(0, length, int(np.ceil(length / n)))
        return idx if idx[-1] == length - 1 else np.r_[idx, length - 1]
    s = np.asarray(along, dtype=np.float64)
    good = np.isfinite(s)
    if not good.all() or len(s) != length:  # positions we cannot use: fall back to even counts
        return thin_index(length, n)
    targets = np.linspace(s[0], s[-1], n)
    idx = sorted_unique(np.clip(np.searchsorted(s, targets), 0, length - 1))  # the first point at or after each
    return sorted_unique(np.r_[0, idx, length - 1])  # target


def thin(x: np.ndarray, y: np.ndarray, n: int = MAX_POINTS, log: bool = False,
         shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """x and y thinned to at most about n points (the first and the last always kept); with ``log``, evenly in
    log10(x + shift), the axis's own scale."""
    x = np.asarray(x)
    along = None
    if log and len(x) > n:
        with np.errstate(divide="ignore", invalid="ignore"):
            along = np.log10(np.asarray(x, dtype=np.float64) + shift)
    idx = thin_index(len(x), n, along)
    return x[idx], np.asarray(y)[idx]

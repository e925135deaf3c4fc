"""Thinning long series for drawing: at most about n points, evenly spread along the axis as it is drawn.

Thinning only drops points: every point kept is a recorded one, and the first and the last are always kept. On a log
axis the picks are evenly spaced in log(x), so the start of a run (updates 1..30 on a log-log plot, most of its width)
keeps every point instead of becoming one straight segment.
"""

from __future__ import annotations

import numpy as np

from nnstudio.numbers import count

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


# -- scatter plots ----------------------------------------------------------------------------------------------------
SHOWN_POINTS = 5_000  # a scatter plot draws at most this many points: pyqtgraph spent 2-2.5 s on 100,000


def shown_rows(n: int, limit: int = SHOWN_POINTS) -> np.ndarray:
    """Which of ``n`` points a scatter plot draws: all of them, or the same fixed random sample of ``limit``
    (sorted) every time, so that redrawing never changes which points are on show."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, limit, replace=False))


def shown_split(n_train: int, n_test: int, limit: int = SHOWN_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """``shown_rows`` over training and test points together (each keeps its share): (train rows, test rows)."""
    rows = shown_rows(n_train + n_test, limit)
    return rows[rows < n_train], rows[rows >= n_train] - n_train


def shown_note(shown: int, total: int) -> str:
    """"5,000 of 100,000 points shown (a fixed random sample)", or "" when every point is shown."""
    if shown >= total:
        return ""
    return f"{count(shown)} of {count(total)} points shown (a fixed random sample)"

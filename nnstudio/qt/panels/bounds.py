"""What a live view may hand to Qt, whatever numbers a run produces.

A run that diverges gives the views weights and losses of 1e34..1e304, inf and NaN, and Qt and pyqtgraph do not cope
with them: a loss-surface path whose points lay some 1e38 pixels off the plot segfaulted ``PlotCurveItem.paint``, a
log axis left over a 1e304 range looped for ever in ``AxisItem.logTickValues``, and a view ±1e300 wide has a
transform whose determinant underflows to zero. So every view

- takes its ranges from finite values no larger than ``LIMIT`` (``sane_range``);
- hands Qt lines that stay inside a box ``MARGIN`` views wide around what it shows (``bounded_line``) and dots inside
  that box only (``inside``): nothing infinite, nothing NaN, nothing far off;
- and says in words where something left the plot (``first_outside``), with its numbers written by
  ``nnstudio.numbers``.

Plain numpy, no Qt: the views call it, the tests check it.
"""

from __future__ import annotations

import numpy as np

LIMIT = 1e15  # no coordinate handed to Qt is larger than this (a view of ±LIMIT still has a sound transform)
MARGIN = 2.0  # a view's box reaches this many of its own widths (heights) beyond each edge

Box = tuple[float, float, float, float]  # (x0, x1, y0, y1)
WIDE: Box = (-LIMIT, LIMIT, -LIMIT, LIMIT)  # the box of a view whose range follows the data


def sane(values) -> np.ndarray:
    """Which values are finite and no larger than LIMIT."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & (np.abs(v) <= LIMIT)


def sane_range(values, fallback: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """(low, high) of the finite values within ±LIMIT; ``fallback`` when there are none. A single value gets a span
    of 1 around it, so a view never collapses to nothing."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[sane(v)]
    if not v.size:
        return float(fallback[0]), float(fallback[1])
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def box_around(x_range, y_range, margin: float = MARGIN) -> Box:
    """The rectangle of a view (x_range, y_range) widened by ``margin`` of its own width and height on each side,
    within ±LIMIT."""
    (x0, x1), (y0, y1) = sorted(map(float, x_range)), sorted(map(float, y_range))
    dx, dy = ((b - a if b > a else 1.0) * margin for a, b in ((x0, x1), (y0, y1)))
    return (max(x0 - dx, -LIMIT), min(x1 + dx, LIMIT), max(y0 - dy, -LIMIT), min(y1 + dy, LIMIT))


def inside(x, y, box: Box) -> np.ndarray:
    """Which points (x, y) are finite and inside the box."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    x0, x1, y0, y1 = box
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & np.isfinite(y) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def first_outside(x, y, box: Box) -> int | None:
    """The position of the first point that is not finite or lies outside the box (None when all are inside)."""
    out = np.flatnonzero(~inside(x, y, box))
    return int(out[0]) if out.size else None


def bounded_line(x, y, box: Box = WIDE, clip: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A polyline ready for Qt: (x, y, connect), where ``connect[i]`` says whether point i joins point i + 1.

    Points that are not finite or lie outside the box are not drawn and break the line. With ``clip`` a segment that
    crosses the box's edge is drawn up to the edge (a path that leaves the plot is seen leaving it); without, the line
    ends at its last point inside, so every point drawn is one of the given points (recorded data stays recorded
    data). Either way every coordinate handed back is finite and inside the box."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if not clip or len(x) < 2:
        return kept_line(x, y, inside(x, y, box))
    return _clipped(x, y, box)


def kept_line(x, y, keep) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points where ``keep`` is true, as (x, y, connect): the line breaks wherever points were left out."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    idx = np.flatnonzero(keep)
    joined = np.zeros(len(idx), dtype=bool)
    if len(idx) > 1:
        joined[:-1] = np.diff(idx) == 1  # neighbours in the input, both kept
    return x[idx], y[idx], joined


def _clipped(x: np.ndarray, y: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Liang–Barsky for every segment at once: the part of segment i (from point i to i + 1) inside the box is
    t in [t0, t1] along it. A clipped end is placed on the edge that cut it, through the segment's slope: a segment
    from -1e300 to 1e300 cannot say where t = 0.5 ± 1e-300 lies, but its slope says where it crosses x = 10."""
    x0, x1, y0, y1 = box
    px, py = x[:-1], y[:-1]
    n = len(px)
    with np.errstate(all="ignore"):
        dx, dy = x[1:] - px, y[1:] - py
        valid = np.isfinite(px) & np.isfinite(py) & np.isfinite(dx) & np.isfinite(dy)
        t0, t1 = np.zeros(n), np.ones(n)
        cut0, cut1 = np.full(n, -1), np.full(n, -1)  # which edge set t0 / t1 (-1: the segment's own end)
        for k, (p, q) in enumerate(((-dx, px - x0), (dx, x1 - px), (-dy, py - y0), (dy, y1 - py))):
            parallel = p == 0
            valid &= ~(parallel & (q < 0))  # parallel to this edge and outside it
            r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
            entering = ~parallel & (p < 0) & (r > t0)
            leaving = ~parallel & (p > 0) & (r < t1)
            t0, cut0 = np.where(entering, r, t0), np.where(entering, k, cut0)
            t1, cut1 = np.where(leaving, r, t1), np.where(leaving, k, cut1)
        valid &= t0 <= t1
        seg = np.flatnonzero(valid)
        if not seg.size:  # no segment shows: single points inside still do (a line of one point draws nothing)
            return kept_line(x, y, inside(x, y, box))
        edges = np.array([x0, x1, y0, y1])

        def end(cut, qx, qy):  # the end of each shown segment: its own point, or where it crosses the edge `cut`
            sx, sy, ddx, ddy = px[seg], py[seg], dx[seg], dy[seg]
            edge = edges[np.maximum(cut, 0)]
            on_x = (cut == 0) | (cut == 1)
            ex = np.where(cut < 0, qx, np.where(on_x, edge, sx + (edge - sy) * (ddx / np.where(ddy == 0, 1, ddy))))
            ey = np.where(cut < 0, qy, np.where(on_x, sy + (edge - sx) * (ddy / np.where(ddx == 0, 1, ddx)), edge))
            return ex, ey

        sx, sy = end(cut0[seg], px[seg], py[seg])
        ex, ey = end(cut1[seg], x[1:][seg], y[1:][seg])
    a, b = t0[seg], t1[seg]
    # a segment that starts where the previous one ended (both whole at their shared point) continues the line
    follows = np.zeros(len(seg), dtype=bool)
    follows[1:] = (np.diff(seg) == 1) & (b[:-1] == 1.0) & (a[1:] == 0.0)
    xs = np.column_stack([sx, ex]).ravel()
    ys = np.column_stack([sy, ey]).ravel()
    joined = np.column_stack([np.ones(len(seg), dtype=bool), np.r_[follows[1:], False]]).ravel()
    keep = np.column_stack([~follows, np.ones(len(seg), dtype=bool)]).ravel()
    xs, ys, joined = xs[keep], ys[keep], joined[keep]
    # a crossing computed in floating point can land a hair outside the box: pin it to the edges
    return np.clip(xs, x0, x1), np.clip(ys, y0, y1), joined

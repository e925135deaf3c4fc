"""The network drawing's edges as arrays, made once per layout: each edge's line, and where its value comes from (a
weight, a bias, or the sum of an image's weights into a unit). At each snapshot the values are gathered with numpy
and the edges grouped by pen, so a redraw costs one drawLines call per pen and no Python loop over the edges."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF

from nnstudio.qt.panels import network_layout as nl

EDGE_LEVELS = 24  # edge widths and colours in this many steps (of 0.21 px): edges are drawn a batch per step
WEIGHT, BIAS, IMAGE = 0, 1, 2  # where an edge's value comes from


class EdgeTable:
    def __init__(self, g: nl.Geometry):
        edges = g.edges
        self.lines = [QLineF(e.p1, e.p2) for e in edges]
        self.index = {(e.layer, e.i, e.j): t for t, e in enumerate(edges)}
        self.layer = np.array([e.layer for e in edges], dtype=np.int64)
        self.i = np.array([max(e.i, 0) for e in edges], dtype=np.int64)
        self.j = np.array([e.j for e in edges], dtype=np.int64)
        self.kind = np.array([{nl.BIAS: BIAS, nl.IMAGE: IMAGE}.get(e.i, WEIGHT) for e in edges], dtype=np.int64)
        self.groups = [(k, kind, np.flatnonzero((self.layer == k) & (self.kind == kind)))
                       for k in sorted(set(self.layer.tolist())) for kind in (WEIGHT, BIAS, IMAGE)]
        self.groups = [(k, kind, at) for k, kind, at in self.groups if at.size]

    def values(self, layers, sums, wmax: float, smax: float) -> tuple[np.ndarray, np.ndarray]:
        """Each edge's value and the scale its width is measured against."""
        values = np.zeros(len(self.lines))
        scales = np.full(len(self.lines), wmax, dtype=np.float64)
        for k, kind, at in self.groups:
            W, b = layers[k]
            if kind == WEIGHT:
                values[at] = W[self.i[at], self.j[at]]
            elif kind == BIAS:
                values[at] = b[self.j[at]]
            else:
                values[at] = sums[self.j[at]]
                scales[at] = smax
        return values, scales

    def index_of_parameter(self, selection, params, layers) -> int | None:
        """The edge of a (parameter index, flat index) selection (None when it is not drawn)."""
        p, flat = selection
        for k, (w_index, b_index) in enumerate(params):
            if p == w_index:
                i, j = divmod(flat, layers[k][0].shape[1])
                return self.index.get((k, i, j))
            if p == b_index:
                return self.index.get((k, nl.BIAS, flat))
        return None

    def batches(self, values: np.ndarray, scales: np.ndarray, skip) -> list[tuple[tuple[int, bool, bool], np.ndarray]]:
        """((level, positive, dashed), edge positions) per pen, weakest first (NaN at level -1, first); edges in
        ``skip`` are left out (drawn on their own)."""
        if not len(values):
            return []
        with np.errstate(all="ignore"):
            finite = np.isfinite(values)
            strength = np.where(finite & (scales > 0), np.minimum(np.abs(values) / scales, 1.0), 0.0)
            level = np.where(np.isnan(values), -1, np.round(strength * EDGE_LEVELS)).astype(np.int64)
            positive = values >= 0
        code = (level + 1) * 4 + positive * 2 + (self.kind == BIAS)
        keep = np.ones(len(values), dtype=bool)
        keep[[t for t in skip if t is not None]] = False
        at = np.flatnonzero(keep)
        at = at[np.argsort(code[at], kind="stable")]
        ordered = code[at]
        cuts = np.flatnonzero(np.diff(ordered)) + 1
        out = []
        for part in np.split(at, cuts) if at.size else []:
            c = int(code[part[0]])
            out.append(((c // 4 - 1, bool(c & 2), bool(c & 1)), part))
        return out


def edge_table(g: nl.Geometry) -> EdgeTable:
    """The layout's edge table, made the first time it is drawn."""
    if g.table is None:
        g.table = EdgeTable(g)
    return g.table

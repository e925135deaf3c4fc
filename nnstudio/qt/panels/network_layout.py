"""Where the network drawing puts things, and what lies under a point. Geometry only: no painting, no numbers.

Columns are layers of units: column 0 the inputs, column k + 1 the outputs of dense layer k. Layers wider than
``MAX_UNITS`` show their first and last ``EDGE_UNITS`` units around an ellipsis; an input of a square number (at
least 64) of features is an image and is drawn as one picture, not as units. Edges join drawn units only, so the
drawing never holds more than a few hundred lines whatever the network. Each dense layer with a bias gets a small
"1" node at the foot of the column before it, whose edges are the biases (a bias is the weight of a constant input).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF

MAX_UNITS = 16
EDGE_UNITS = 7
BIAS = -1  # Edge.i of a bias edge
IMAGE = -2  # Edge.i of an edge from the input image


def shown_units(n: int) -> list[int | None]:
    """Unit indices drawn for a layer of n (None marks the ellipsis)."""
    if n <= MAX_UNITS:
        return list(range(n))
    return [*range(EDGE_UNITS), None, *range(n - EDGE_UNITS, n)]


def image_side(n_inputs: int) -> int:
    """The side of a square image with n_inputs pixels (0 when the inputs are not drawn as an image)."""
    side = math.isqrt(n_inputs)
    return side if n_inputs >= 64 and side * side == n_inputs else 0


@dataclass
class Edge:
    layer: int  # dense layer k (0-based): from column k to column k + 1
    i: int  # input unit, BIAS or IMAGE
    j: int  # unit of column k + 1
    p1: QPointF
    p2: QPointF


@dataclass
class Hit:
    """What lies under a point. kind: "edge", "bias" (a bias edge or label), "image_edge" (the sum of an image's
    weights into unit j), "node", "bias_node", "ellipsis", "pixel" (i = pixel index). For nodes and ellipses
    ``layer`` is the column; for the rest it is the dense layer."""

    kind: str
    layer: int
    i: int = -1
    j: int = -1

    @property
    def is_weight(self) -> bool:
        return self.kind in ("edge", "bias")


@dataclass
class Geometry:
    rect: QRectF
    columns_x: list[float]
    units: list[list[int | None]]  # per column, the drawn units (None: the ellipsis)
    ys: list[list[float]]
    radius: float
    caption_top: float
    status_top: float
    image_rect: QRectF | None = None
    image_side: int = 0
    bias_nodes: dict[int, QPointF] = field(default_factory=dict)  # dense layer -> position of its "1" node
    bias_labels: dict[tuple[int, int], QRectF] = field(default_factory=dict)  # (dense layer, unit) -> text box
    edges: list[Edge] = field(default_factory=list)
    table: object = None  # the edges as arrays for painting (network_edges.EdgeTable), made once per layout

    def center(self, column: int, unit: int) -> QPointF | None:
        """Where unit ``unit`` of ``column`` is drawn (None when it is not drawn)."""
        if column == 0 and self.image_rect is not None:
            return None
        try:
            k = self.units[column].index(unit)
        except ValueError:
            return None
        return QPointF(self.columns_x[column], self.ys[column][k])

    def edge(self, layer: int, i: int, j: int) -> Edge | None:
        return next((e for e in self.edges if (e.layer, e.i, e.j) == (layer, i, j)), None)

    def n_drawn_nodes(self, column: int) -> int:
        if column == 0 and self.image_rect is not None:
            return 0
        return sum(u is not None for u in self.units[column])


def build(sizes: list[int], biased: list[bool], rect: QRectF, line_h: float, left_margin: float,
          right_margin: float) -> Geometry:
    """Lay out columns of ``sizes`` units (inputs first) in ``rect``. ``biased[k]``: dense layer k has a bias.
    ``line_h`` is a text line's height; the margins leave room for input and output names."""
    caption_top = rect.top() + 4
    top = caption_top + 2 * line_h + 8
    status_top = rect.bottom() - line_h - 6
    bias_band = 2.2 * line_h if any(biased) else 0.0
    bottom = status_top - bias_band - 4
    area_h = max(bottom - top, 20.0)
    side = image_side(sizes[0])
    if side:
        px = min(area_h * 0.6, rect.width() * 0.2, 168.0)
        left_margin = px / 2 + 14
    n_cols = len(sizes)
    x0, x1 = rect.left() + left_margin, rect.right() - right_margin
    gap = (x1 - x0) / max(n_cols - 1, 1)
    # units centred on whole pixels: each is stamped from one picture per colour (paint_cache.disc); at fractional
    # places every unit needed its own pictures, and a run's changing colours made new ones at every redraw
    xs = [float(round(x0 + gap * k if n_cols > 1 else (x0 + x1) / 2)) for k in range(n_cols)]
    units = [shown_units(n) for n in sizes]
    if side:
        units[0] = []
    slot = min(area_h / max(max(len(u) for u in units), 1), 80.0)
    radius = max(5.0, min(slot * 0.34, gap * 0.16, 20.0))
    mid = (top + bottom) / 2
    ys = [[float(round(mid + (k - (len(u) - 1) / 2) * slot)) for k in range(len(u))] for u in units]
    g = Geometry(rect, xs, units, ys, radius, caption_top, status_top)
    if side:
        g.image_rect = QRectF(xs[0] - px / 2, mid - px / 2, px, px)
        g.image_side = side
    # bias value boxes under each unit, where a slot has room for them
    room = slot - 2 * radius >= line_h + 2
    for k, has_bias in enumerate(biased):
        if not has_bias:
            continue
        # the "1" node sits a slot below the column's last unit (or below the image), never below the band
        below = g.image_rect.bottom() + 2.2 * line_h if (k == 0 and g.image_rect is not None) else \
            (ys[k][-1] + max(slot, 3 * radius) if ys[k] else mid)
        g.bias_nodes[k] = QPointF(xs[k], min(below, bottom + bias_band / 2 + 2))
        if room:
            for u, y in zip(units[k + 1], ys[k + 1]):
                if u is not None:
                    g.bias_labels[(k, u)] = QRectF(xs[k + 1] - 34, y + radius + 1, 68, line_h)
    # edges among drawn units only
    for k in range(n_cols - 1):
        targets = [(j, QPointF(xs[k + 1], y)) for j, y in zip(units[k + 1], ys[k + 1]) if j is not None]
        if g.image_rect is not None and k == 0:
            start = QPointF(g.image_rect.right(), g.image_rect.center().y())
            g.edges += [Edge(0, IMAGE, j, start, p) for j, p in targets]
        else:
            for i, y in zip(units[k], ys[k]):
                if i is not None:
                    g.edges += [Edge(k, i, j, QPointF(xs[k], y), p) for j, p in targets]
        if k in g.bias_nodes:
            g.edges += [Edge(k, BIAS, j, g.bias_nodes[k], p) for j, p in targets]
    return g


def _distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    """Distance from p to the segment a-b."""
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length2))
    return math.hypot(p.x() - (a.x() + t * dx), p.y() - (a.y() + t * dy))


def hit_test(g: Geometry, p: QPointF, tolerance: float = 5.0) -> Hit | None:
    """What is drawn at p: labels and nodes first (they lie on top), then the image, then the nearest edge."""
    for (k, j), box in g.bias_labels.items():
        if box.contains(p):
            return Hit("bias", k, BIAS, j)
    for c, (us, ys) in enumerate(zip(g.units, g.ys)):
        for u, y in zip(us, ys):
            if math.hypot(p.x() - g.columns_x[c], p.y() - y) <= g.radius + 1:
                return Hit("node", c, u) if u is not None else Hit("ellipsis", c)
    for k, q in g.bias_nodes.items():
        if abs(p.x() - q.x()) <= 9 and abs(p.y() - q.y()) <= 9:
            return Hit("bias_node", k)
    if g.image_rect is not None and g.image_rect.contains(p):
        s = g.image_side
        col = min(int((p.x() - g.image_rect.left()) / g.image_rect.width() * s), s - 1)
        row = min(int((p.y() - g.image_rect.top()) / g.image_rect.height() * s), s - 1)
        return Hit("pixel", 0, row * s + col)
    best, best_d = None, tolerance
    for e in g.edges:
        d = _distance(p, e.p1, e.p2)
        if d <= best_d:
            best, best_d = e, d
    if best is None:
        return None
    kind = {BIAS: "bias", IMAGE: "image_edge"}.get(best.i, "edge")
    return Hit(kind, best.layer, best.i, best.j)

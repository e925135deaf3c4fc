"""Painting the network panel's drawing with QPainter: edges, then units, biases, the input image, captions and the
status line. Reads the panel's state and layout; changes nothing."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

from nnstudio.numbers import fmt
from nnstudio.qt.panels import network_layout as nl
from nnstudio.qt.panels import paint_cache
from nnstudio.qt.panels.network_edges import EDGE_LEVELS, edge_table
from nnstudio.qt.panels.bounds import LIMIT, sane

POSITIVE = QColor(38, 110, 200)
NEGATIVE = QColor(230, 120, 20)
TEXT = QColor(40, 40, 40)
MUTED = QColor(105, 105, 105)
FILL_STEPS = 100  # depths of a unit's fill (see _fill)


def _fill(v: float) -> QColor:
    """A unit's fill: blue for positive values, orange for negative, deeper the larger (tanh squashes the scale);
    blended onto white so that it is opaque and edges do not show through. In FILL_STEPS steps of depth (under 2/255
    of a channel each): the units are stamped from a picture per colour, and a run then needs a few hundred pictures
    in all instead of new ones at every redraw."""
    t = math.tanh(v) if math.isfinite(v) else 0.0
    base = POSITIVE if t >= 0 else NEGATIVE
    k = (25 + 200 * round(abs(t) * FILL_STEPS) / FILL_STEPS) / 255
    return QColor(*(int(255 + (c - 255) * k) for c in (base.red(), base.green(), base.blue())))


def _strength(v: float, scale: float) -> float:
    """|v| / scale within [0, 1] (0 for NaN or inf's partner: not finite)."""
    return min(abs(v) / scale, 1.0) if scale > 0 and math.isfinite(v) else 0.0


def _edge_pen(v: float, scale: float) -> QPen:
    """Blue for positive weights, orange for negative; the larger |v| / scale, the wider and deeper. The colour is
    blended onto white rather than drawn translucent, and the ends are flat (they lie under the units): translucent,
    round-capped wide lines take Qt's slow path, about ten times the cost, and this is redrawn during training."""
    return _pen(_strength(v, scale), v >= 0)


def _pen(r: float, positive: bool) -> QPen:
    base = POSITIVE if positive else NEGATIVE
    k = (70 + 185 * r) / 255
    pen = QPen(QColor(*(int(255 + (c - 255) * k) for c in (base.red(), base.green(), base.blue()))), 0.6 + 5.0 * r)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


@lru_cache(maxsize=4 * (EDGE_LEVELS + 2))
def level_pen(level: int, positive: bool, dashed: bool) -> QPen:
    """The pen of every edge of strength ``level`` / EDGE_LEVELS (a level of -1: not a number, drawn faint):
    edges are drawn a batch per pen, weakest first (see paint_network)."""
    pen = _pen(max(level, 0) / EDGE_LEVELS, positive)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


UNIT_PEN = QPen(QColor(70, 70, 70), 1.2)
WHITE = QColor("white")


def largest(arrays) -> float:
    """The largest |value| among the finite ones within ±LIMIT (1 when there are none): a diverged weight of 1e300 or
    inf draws at full width; it does not make every other edge a hairline."""
    peaks = []
    for a in arrays:
        if a is None or not np.size(a):
            continue
        with np.errstate(invalid="ignore"):
            peak = float(np.max(np.abs(a)))  # most of the time every value is sane: no mask to make
        if not (math.isfinite(peak) and peak <= LIMIT):
            ok = sane(a)
            peak = float(np.max(np.abs(a[ok]))) if ok.any() else 0.0
        peaks.append(peak)
    return max(peaks, default=0.0) or 1.0


def paint_network(p: QPainter, panel, focused: bool) -> None:
    canvas = panel.canvas
    rect = QRectF(canvas.rect())
    p.fillRect(rect, QColor("white"))
    g = panel.drawing_geometry()
    if g is None:
        p.setPen(MUTED)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "No network yet: open a lesson or build one.")
        _focus_frame(p, canvas, rect, focused)
        return
    snap = panel.snapshot
    layers = snap.layer_weights()
    params = panel.param_indices()
    wmax = largest([W for W, _ in layers] + [b for _, b in layers])
    with np.errstate(all="ignore"):
        sums = layers[0][0].sum(axis=0) if g.image_rect is not None else None
    smax = largest([sums])
    selected = panel.context.selection
    hover = canvas.hover
    highlight = getattr(panel, "highlight", None)  # (dense layer, {column: unit}) of the inspector's stage
    if highlight is not None and highlight[0] is not None:
        _paint_band(p, g, highlight[0])

    # edges: weak ones first so the strong ones lie on top, a batch per pen (one drawLines each); the selected and
    # hovered ones last, outlined. While training runs they are drawn without antialiasing: Qt's antialiased wide
    # lines cost some 60 us each (11 ms for a network's ~180 edges, most of a redraw); a pause draws them smooth again.
    table = edge_table(g)
    values, scales = table.values(layers, sums, wmax, smax)
    special_at = {}
    if selected is not None:
        special_at[table.index_of_parameter(selected, params, layers)] = True
    if hover is not None and hover.kind in ("edge", "bias", "image_edge"):
        special_at.setdefault(table.index.get((hover.layer, hover.i, hover.j)), False)
    special_at.pop(None, None)
    smooth = p.testRenderHint(QPainter.RenderHint.Antialiasing)
    plain = panel.context.training and not panel.exporting  # plain on screen during a run; files smooth
    p.setRenderHint(QPainter.RenderHint.Antialiasing, smooth and not plain)
    for pen_key, members in table.batches(values, scales, special_at):
        p.setPen(level_pen(*pen_key))
        p.drawLines([table.lines[t] for t in members.tolist()])
    p.setRenderHint(QPainter.RenderHint.Antialiasing, smooth)
    special = [(g.edges[t], _edge_pen(float(values[t]), float(scales[t])), is_selected)
               for t, is_selected in special_at.items()]
    for e, pen, is_selected in sorted(special, key=lambda s: s[2]):
        outline = QPen(QColor(0, 0, 0) if is_selected else QColor(90, 90, 90), pen.widthF() + (4 if is_selected else 2))
        outline.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(outline)
        p.drawLine(e.p1, e.p2)
        c = pen.color()
        c.setAlpha(255)
        pen.setColor(c)
        p.setPen(pen)
        p.drawLine(e.p1, e.p2)

    values = panel.node_values()
    _paint_units(p, panel, g, values)
    if highlight is not None:
        _paint_rings(p, g, highlight[1])
    _paint_biases(p, panel, g, layers, selected, params)
    if g.image_rect is not None:
        _paint_image(p, panel, g)
    _paint_captions(p, panel, g, canvas.font())
    _paint_status(p, panel, g, rect, canvas.font())
    _paint_enlarged_map(p, panel, g, canvas.hover)
    _focus_frame(p, canvas, rect, focused)


BAND = QColor(255, 236, 150, 110)  # the layer in play at the inspector's stage
RING = QColor(214, 150, 0)


def _paint_band(p: QPainter, g: nl.Geometry, layer: int) -> None:
    """A pale band behind the weights of dense layer ``layer`` and the two columns of units they join."""
    if not 0 <= layer < len(g.columns_x) - 1:
        return
    margin = g.radius + 6
    left, right = g.columns_x[layer] - margin, g.columns_x[layer + 1] + margin
    p.save()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(BAND)
    p.drawRoundedRect(QRectF(left, g.rect.top() + 2, right - left, g.status_top - g.rect.top() - 6), 10, 10)
    p.restore()


def _paint_rings(p: QPainter, g: nl.Geometry, units: dict) -> None:
    """A ring round each unit the inspector's stage writes out."""
    p.save()
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(RING, 3))
    for column, unit in units.items():
        centre = g.center(column, unit) if 0 <= column < len(g.columns_x) else None
        if centre is not None:
            p.drawEllipse(centre, g.radius + 4, g.radius + 4)
    p.restore()


def _paint_units(p: QPainter, panel, g: nl.Geometry, values) -> None:
    r = g.radius
    fonts = paint_cache.fonts(panel.canvas.font())  # sizes, metrics and widths made once (drawn at every snapshot)
    font = fonts.base
    inside = fonts.get(r * 0.62)
    ins, outs = panel.input_names(), panel.output_names()
    fm = panel.canvas.fontMetrics()
    for c, (units, ys) in enumerate(zip(g.units, g.ys)):
        x = g.columns_x[c]
        for u, y in zip(units, ys):
            centre = QPointF(x, y)
            if u is None:
                p.setPen(TEXT)
                p.setFont(font)
                fonts.text(p, QRectF(x - 20, y - 12, 40, 24), "⋮", font)
                continue
            v = float(values[c][u]) if values else math.nan
            fill = _fill(v) if values else QColor(245, 245, 245)
            picture = panel.map_cache.image(c, u) if panel.show_maps() else None
            if picture is not None:  # what the unit computes over the input plane, as the node itself
                # a single output's map is the decision surface: larger (several outputs would overlap)
                half = r * (1.8 if c == len(g.units) - 1 and len(units) == 1 else 1.1)
                square = QRectF(x - half, y - half, 2 * half, 2 * half)
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                p.drawImage(square, picture)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(70, 70, 70), 1.2))
                p.drawRect(square)
                if values and r >= 11:  # the chosen row's value, on a pale pill that keeps it readable
                    value_text = fmt(v, 3)
                    f = fonts.get(r * 0.55)
                    p.setFont(f)
                    width = fonts.width(f, value_text) + 6
                    pill = QRectF(x - width / 2, y - r * 0.38, width, r * 0.76)
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(QColor(255, 255, 255, 200))
                    p.drawRoundedRect(pill, 3, 3)
                    p.setPen(TEXT)
                    fonts.text(p, pill, value_text, f)
            else:  # stamped from a picture of the same disc on screen (a tenth of drawing it); a file gets the shape
                paint_cache.disc(p, centre, r, fill, UNIT_PEN, stamp=not panel.exporting)
            if values and r >= 11 and picture is None:
                value_text = fmt(v, 3)
                width = fonts.width(inside, value_text)
                f = inside if width <= 2 * r - 8 else fonts.get(inside.pixelSize() * (2 * r - 8) / width)
                p.setFont(f)
                p.setPen(WHITE if fill.lightness() < 130 else TEXT)
                fonts.text(p, QRectF(x - r, y - r, 2 * r, 2 * r), value_text, f)
            p.setFont(font)
            p.setPen(TEXT)
            if c == 0 and u < len(ins):
                width = x - r - 6 - g.rect.left()
                fonts.text(p, QRectF(g.rect.left() + 2, y - 9, width, 18),
                           fm.elidedText(ins[u], Qt.TextElideMode.ElideRight, int(width)), font, "right")
            if c == len(g.units) - 1:
                edge = half if picture is not None else r
                width = g.rect.right() - x - edge - 8
                label = outs[u] if u < len(outs) else panel.unit_name(c, u)
                fonts.text(p, QRectF(x + edge + 5, y - 9, width, 18),
                           fm.elidedText(label, Qt.TextElideMode.ElideRight, int(width)), font, "left")


def _paint_enlarged_map(p: QPainter, panel, g: nl.Geometry, hover) -> None:
    """The map of the unit under the mouse, enlarged beside it with the training rows on it (class colours)."""
    if hover is None or hover.kind != "node" or hover.layer < 1 or not panel.show_maps():
        return
    picture = panel.map_cache.image(hover.layer, hover.i)
    centre = g.center(hover.layer, hover.i)
    if picture is None or centre is None:
        return
    from nnstudio.qt.panels.colours import class_colour
    from nnstudio.qt.panels.neuron_maps import ENLARGED

    side = min(ENLARGED, g.rect.height() - 40)
    left = centre.x() + g.radius * 1.4 if centre.x() + g.radius * 1.4 + side < g.rect.right() else \
        centre.x() - g.radius * 1.4 - side
    top = min(max(centre.y() - side / 2, g.rect.top() + 2), g.rect.bottom() - side - 20)
    box = QRectF(left, top, side, side)
    p.save()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0, 0, 0, 60))
    p.drawRect(box.translated(3, 3))
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.drawImage(box, picture)
    maps, ds = panel.map_cache.maps, panel.context.dataset
    xs, ys = maps.xs, maps.ys
    X = np.asarray(ds.X, dtype=np.float64)
    if len(X) <= 2000 and ds.task != "regression":
        classes = np.asarray(ds.y).ravel().astype(np.int64)
        for (px, py), k in zip(X, classes):
            sx = box.left() + (px - xs[0]) / (xs[-1] - xs[0]) * box.width()
            sy = box.bottom() - (py - ys[0]) / (ys[-1] - ys[0]) * box.height()
            p.setBrush(QColor(*class_colour(int(k))))
            p.setPen(QPen(QColor("white"), 1))
            p.drawEllipse(QPointF(sx, sy), 3.2, 3.2)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(40, 40, 40), 1.5))
    p.drawRect(box)
    p.setFont(panel.canvas.font())
    what = "the decision surface" if hover.layer == len(g.columns_x) - 1 else "its output over the input plane"
    text = f"{panel.unit_name(hover.layer, hover.i)}: {what}"
    width = QFontMetricsF(p.font()).horizontalAdvance(text) + 10
    caption = QRectF(box.center().x() - width / 2, box.bottom() + 3, width, 18)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(255, 255, 255, 230))
    p.drawRoundedRect(caption, 3, 3)
    p.setPen(TEXT)
    p.drawText(caption, Qt.AlignmentFlag.AlignCenter, text)
    p.restore()


def _paint_biases(p: QPainter, panel, g: nl.Geometry, layers, selected, params) -> None:
    fonts = paint_cache.fonts(panel.canvas.font())
    small = fonts.get(panel.canvas.fontMetrics().height() * 0.78)
    for k, q in g.bias_nodes.items():
        p.setBrush(QColor(235, 235, 235))
        p.setPen(QPen(QColor(90, 90, 90), 1))
        box = QRectF(q.x() - 8, q.y() - 8, 16, 16)
        p.drawRoundedRect(box, 3, 3)
        p.setFont(small)
        p.setPen(TEXT)
        fonts.text(p, box, "1", small)
        p.setPen(MUTED)
        fonts.text(p, QRectF(q.x() - 70, q.y() - 8, 60, 16), "bias", small, "right")  # on the left: the bias edges leave to the right
    big_output = panel.show_maps() and len(g.units[-1]) == 1  # drawn larger (see _paint_units): its label goes lower
    for (k, j), box in g.bias_labels.items():
        if big_output and k == len(g.units) - 2:
            box = box.translated(0, 0.7 * g.radius)
        b = layers[k][1]
        is_selected = selected == (params[k][1], j)
        label = f"b = {fmt(float(b[j]), 3, sign=True)}"
        font = fonts.get(small.pixelSize(), bold=is_selected)
        p.setFont(font)
        width = fonts.width(font, label) + 6
        back = QRectF(box.center().x() - width / 2, box.top(), width, box.height())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255, 215))  # readable where edges pass under it
        p.drawRoundedRect(back, 3, 3)
        p.setPen(QColor(0, 0, 0) if is_selected else MUTED)
        fonts.text(p, back, label, font)  # its own width: a long number is not cut off


def _paint_image(p: QPainter, panel, g: nl.Geometry) -> None:
    """The chosen row's pixels as a greyscale picture, dark where the value is high (ink on paper)."""
    ds, side, box = panel.context.dataset, g.image_side, g.image_rect
    if panel.node_values():
        row = np.asarray(ds.X[panel.context.sample], dtype=np.float64)
        lo, hi = float(row.min()), float(row.max())
        grey = 255 - np.round(255 * (row - lo) / (hi - lo if hi > lo else 1.0))
        pixels = np.ascontiguousarray(grey.reshape(side, side).astype(np.uint8))
        image = QImage(pixels.data, side, side, side, QImage.Format.Format_Grayscale8).copy()
        p.drawImage(box, image)
    else:
        p.fillRect(box, QColor(240, 240, 240))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(70, 70, 70), 1.2))
    p.drawRect(box)
    p.setPen(MUTED)
    p.setFont(panel.canvas.font())
    p.drawText(QRectF(box.left() - 30, box.bottom() + 2, box.width() + 60, 18), Qt.AlignmentFlag.AlignCenter,
               f"{side}×{side} pixels")  # (sizes: whole numbers of a dataset)


def _paint_captions(p: QPainter, panel, g: nl.Geometry, font: QFont) -> None:
    sizes = panel.sizes()
    specs = panel.snapshot.layers
    n = len(sizes)
    line = panel.canvas.fontMetrics().height()
    half = min((g.columns_x[1] - g.columns_x[0]) / 2 if n > 1 else 80, 90)
    for c, x in enumerate(g.columns_x):
        if c == 0:
            title, sub = "input", (f"{g.image_side}×{g.image_side} image" if g.image_rect is not None
                                   else f"{sizes[0]} value{'s' * (sizes[0] != 1)}")
        else:
            spec = specs[c - 1]
            title = "output" if c == n - 1 else f"hidden {c}"
            sub = f"{spec.units} × {spec.activation}" + (f", drop {fmt(spec.dropout)}" if spec.dropout else "")
        p.setFont(paint_cache.fonts(font).get(line * 0.8, bold=True))
        p.setPen(TEXT)
        p.drawText(QRectF(x - half, g.caption_top, 2 * half, line), Qt.AlignmentFlag.AlignCenter, title)
        p.setFont(font)
        p.setPen(MUTED)
        p.drawText(QRectF(x - half, g.caption_top + line, 2 * half, line), Qt.AlignmentFlag.AlignCenter, sub)


def _paint_status(p: QPainter, panel, g: nl.Geometry, rect: QRectF, font: QFont) -> None:
    selected = panel.context.selection
    weights = panel.snapshot.weights
    if selected is not None and selected[0] < len(weights) and selected[1] < weights[selected[0]].size:
        text = "Selected: " + panel.describe_weight(selected)
    elif panel.node_values():
        text = (f"Units: row {panel.context.sample + 1}, {panel.sample_text(panel.context.sample)}."
                " Click an edge to select its weight.")
    else:
        text = "Click an edge to select its weight."
    p.setFont(font)
    p.setPen(TEXT)
    box = QRectF(rect.left() + 6, g.status_top, rect.width() - 12, panel.canvas.fontMetrics().height() + 4)
    p.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               panel.canvas.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(box.width())))


def _focus_frame(p: QPainter, canvas, rect: QRectF, focused: bool) -> None:
    if focused:
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(canvas.palette().highlight().color(), 2, Qt.PenStyle.DotLine))
        p.drawRect(rect.adjusted(1, 1, -1, -1))

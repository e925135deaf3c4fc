"""Cheap QPainter drawing for views redrawn at every snapshot of a run (the network drawing): fonts and their metrics
made once, one-line texts placed by those metrics instead of laid out in a rectangle by Qt (a third of the cost), and
antialiased round units stamped from a picture drawn once per size and colour (a tenth of the cost of drawing each).

What is drawn looks the same as QPainter.drawText(rect, flags, text) and drawEllipse(centre, r, r) would draw it
(a disc within a sixteenth of a pixel of its place); a drawing for a file gets the real shapes (``disc(..., stamp=False)``).
"""

from __future__ import annotations

import math
from collections import OrderedDict

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

_SPRITES = 512  # stamps kept (a run's unit fills take a few hundred colours at most)
_sprites: OrderedDict = OrderedDict()
stats = {"stamped": 0, "drawn": 0}  # units stamped from a cached picture, and pictures drawn (for tests)



class Fonts:
    """One base font's sizes, their metrics and the widths of texts measured with them, each made once (QFont.key,
    QFontMetricsF and horizontalAdvance cost 5-12 us a call, and a redraw made some 200 of them)."""

    def __init__(self, base: QFont):
        self.base = QFont(base)
        self._sized: dict = {}
        self._metrics: dict = {id(self.base): (self.base, QFontMetricsF(self.base))}
        self._widths: dict = {}

    def get(self, pixels: float, bold: bool = False) -> QFont:
        """The base font at ``pixels`` (at least 7) pixels, bold or not."""
        key = (max(7, int(pixels)), bool(bold))
        f = self._sized.get(key)
        if f is None:
            f = self._sized[key] = QFont(self.base)
            f.setPixelSize(key[0])
            f.setBold(key[1])
            self._metrics[id(f)] = (f, QFontMetricsF(f))
        return f

    def metrics(self, f: QFont) -> QFontMetricsF:
        """Metrics of a font of this family (``base`` or one ``get`` made)."""
        return self._metrics[id(f)][1]

    def width(self, f: QFont, s: str) -> float:
        key = (id(f), s)
        w = self._widths.get(key)
        if w is None:
            if len(self._widths) > 4096:
                self._widths.clear()
            w = self._widths[key] = self.metrics(f).horizontalAdvance(s)
        return w

    def text(self, p: QPainter, rect: QRectF, s: str, f: QFont, align: str = "centre") -> None:
        """``p.drawText(rect, flags, s)`` in font ``f`` (set on ``p`` already) for one line that fits in ``rect``,
        vertically centred and ``align`` "centre", "left" or "right", placed by the font's metrics."""
        m = self.metrics(f)
        if align == "centre":
            x = rect.center().x() - self.width(f, s) / 2
        elif align == "right":
            x = rect.right() - self.width(f, s)
        else:
            x = rect.left()
        p.drawText(QPointF(x, rect.center().y() - m.height() / 2 + m.ascent()), s)


_families: dict = {}


def fonts(base: QFont) -> Fonts:
    """The Fonts of ``base`` (made once per font)."""
    key = base.key()
    f = _families.get(key)
    if f is None:
        if len(_families) > 16:
            _families.clear()
        f = _families[key] = Fonts(base)
    return f


def disc(p: QPainter, centre: QPointF, r: float, fill: QColor, pen: QPen, stamp: bool = True) -> None:
    """``p.drawEllipse(centre, r, r)`` with ``fill`` and ``pen``, antialiased; with ``stamp``, copied from a cached
    picture (for the screen; a file gets the shape). Leaves the painter's pen and brush as they were."""
    if not stamp:
        p.save()
        p.setBrush(fill)
        p.setPen(pen)
        p.drawEllipse(centre, r, r)
        p.restore()
        return
    ratio = p.device().devicePixelRatioF() or 1.0
    # a sixteenth of a pixel of placement: the stamp goes at whole device pixels, the disc inside it where it belongs
    # (a unit keeps its place from one redraw to the next: finer steps make no more pictures)
    x, y = centre.x() * ratio, centre.y() * ratio
    fx, fy = round(16 * (x - math.floor(x))) / 16, round(16 * (y - math.floor(y))) / 16
    key = (round(r * 8), fill.rgba(), pen.color().rgba(), round(pen.widthF() * 8), ratio, fx, fy)
    image = _sprites.get(key)
    if image is None:
        image = _sprites[key] = _draw_sprite(r, fill, pen, ratio, fx, fy)
        if len(_sprites) > _SPRITES:
            _sprites.popitem(last=False)
        stats["drawn"] += 1
    else:
        _sprites.move_to_end(key)
    half = _half(r, pen, ratio)
    p.drawImage(QPointF((math.floor(x) - half) / ratio, (math.floor(y) - half) / ratio), image)
    stats["stamped"] += 1


def _half(r: float, pen: QPen, ratio: float) -> int:
    """Device pixels from a stamp's corner to the pixel its disc's centre lies in."""
    return math.ceil((r + pen.widthF()) * ratio) + 2


def _draw_sprite(r: float, fill: QColor, pen: QPen, ratio: float, fx: float, fy: float) -> QImage:
    half = _half(r, pen, ratio)
    side = 2 * half + 2
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    image.setDevicePixelRatio(ratio)
    q = QPainter(image)
    q.setRenderHint(QPainter.RenderHint.Antialiasing)
    q.setBrush(fill)
    q.setPen(pen)
    q.drawEllipse(QPointF((half + fx) / ratio, (half + fy) / ratio), r, r)
    q.end()
    return image

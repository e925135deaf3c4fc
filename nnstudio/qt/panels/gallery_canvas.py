"""The gallery's page: a grid of pictures, each with its true class and the network's answer in the class colours
(``colormaps.class_colour``, as the confusion matrix's strips and the data scatter have them) and how sure the network
was. Painted by hand from one greyscale mosaic per page: a page of a hundred pictures costs a millisecond or two to
draw, and there are never more widgets than one, however many images the set holds.

The canvas only draws what it is given; how many pictures fit (``grid``) it says as it is resized
(``pageSizeChanged``), and the mouse wheel asks for the next or previous page (``pageStep``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from nnstudio.qt.panels.colormaps import class_colour

IMAGE_PIXELS = 56  # a picture's longer side on screen, about (whole multiples of its own pixels)
MIN_TILE_WIDTH = 74  # room for "7 → 2 100%" under a picture...
MIN_TILE_WIDTH_LONG = 104  # ...or for "Pullover" over "→ Ankle b… 100%" (class names longer than two letters)
GAP = 8  # between tiles
TEXT_GAP = 3  # between a picture and its caption
WRONG = QColor(190, 30, 45)  # the frame of a wrong answer
WRONG_WIDTH = 3


@dataclass(frozen=True)
class Tile:
    """One picture's caption: true class and answer (index and name), sureness as text, whether it is wrong, and
    where the picture is in its set (what hovering describes, through ``GalleryCanvas.describe``)."""

    true: int
    true_name: str
    answer: int
    answer_name: str
    sureness: str
    wrong: bool
    position: int


def ink_on(rgb) -> QColor:
    """Black or white, whichever reads better on a chip of colour ``rgb``."""
    r, g, b = rgb
    return QColor(20, 20, 20) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else QColor(255, 255, 255)


class GalleryCanvas(QWidget):
    pageSizeChanged = Signal(int)
    pageStep = Signal(int)  # +1: the next page, -1: the previous one

    def __init__(self, parent=None, describe: Callable[[int], str] | None = None):
        """``describe(position)``: what hovering a picture says (made when asked, not for every picture drawn)."""
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAutoFillBackground(False)
        self._shape = (28, 28)
        self._zoom = 2
        self._two_lines = False
        self._mosaic: QImage | None = None
        self._mosaic_array: np.ndarray | None = None
        self._tiles: list[Tile] = []
        self._message = ""
        self._page_size = 0
        self.describe = describe or (lambda position: "")
        self.caption_font = QFont(self.font())
        self.caption_font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        self._metrics = QFontMetrics(self.caption_font)
        self._line_h = self._metrics.height() + 2
        self._pitch = (1, 1)
        self.set_shape((28, 28), ["0"])

    # -- geometry ------------------------------------------------------------------------------------------------------
    def set_shape(self, shape: tuple[int, int], class_names) -> None:
        """Pictures of ``shape`` (height, width) captioned with these class names (long names take two lines)."""
        self._shape = (int(shape[0]), int(shape[1]))
        self._zoom = max(1, round(IMAGE_PIXELS / max(self._shape)))
        self._two_lines = any(len(name) > 2 for name in class_names)
        h, w = (side * self._zoom for side in self._shape)
        caption = self._line_h * (2 if self._two_lines else 1)
        self._pitch = (max(w, MIN_TILE_WIDTH_LONG if self._two_lines else MIN_TILE_WIDTH) + GAP,
                       h + TEXT_GAP + caption + GAP)
        self._relayout()

    def pitch(self) -> tuple[int, int]:
        """(x, y) from one tile to the next."""
        return self._pitch

    def grid(self) -> tuple[int, int]:
        """(columns, rows) of tiles that fit the canvas (at least one of each)."""
        px, py = self.pitch()
        return max(1, (self.width() - GAP) // px), max(1, (self.height() - GAP) // py)

    def page_size(self) -> int:
        cols, rows = self.grid()
        return cols * rows

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        size = self.page_size()
        if size != self._page_size:
            self._page_size = size
            self.pageSizeChanged.emit(size)

    def sizeHint(self) -> QSize:
        px, py = self.pitch()
        return QSize(6 * px + GAP, 4 * py + GAP)

    def minimumSizeHint(self) -> QSize:
        px, py = self.pitch()
        return QSize(px + GAP, py + GAP)

    def tile_rect(self, k: int) -> QRect:
        """Where tile k of the page is drawn (picture and caption)."""
        cols, _ = self.grid()
        px, py = self.pitch()
        r, c = divmod(k, cols)
        left = max(GAP, (self.width() - cols * px + GAP) // 2)  # the grid centred across the canvas
        return QRect(left + c * px, GAP + r * py, px - GAP, py - GAP)

    def image_rect(self, k: int) -> QRect:
        h, w = (side * self._zoom for side in self._shape)
        tile = self.tile_rect(k)
        return QRect(tile.x() + (tile.width() - w) // 2, tile.y(), w, h)

    def tile_at(self, pos) -> int | None:
        """The tile under a point of the canvas, or None."""
        for k in range(len(self._tiles)):
            if self.tile_rect(k).contains(pos):
                return k
        return None

    # -- content -------------------------------------------------------------------------------------------------------
    def set_page(self, pictures: np.ndarray, cols: int, tiles: list[Tile], message: str = "") -> None:
        """Show a page: ``pictures`` is ``gallery_numbers.mosaic`` of its images (``cols`` to a row of the
        mosaic), ``tiles`` their captions; ``message`` is written when there are none."""
        self._tiles, self._message = list(tiles), message
        self._mosaic_cols = max(cols, 1)
        if tiles:
            self._mosaic_array = np.ascontiguousarray(pictures, dtype=np.uint8)
            a = self._mosaic_array
            self._mosaic = QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_Grayscale8)
        else:
            self._mosaic_array = self._mosaic = None
        self.update()

    def tiles(self) -> list[Tile]:
        return list(self._tiles)

    def message(self) -> str:
        return self._message

    # -- drawing -------------------------------------------------------------------------------------------------------
    def paintEvent(self, event):
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.white)
        if not self._tiles:
            p.setPen(QColor(90, 90, 90))
            p.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._message)
            p.end()
            return
        h, w = self._shape
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # each pixel a crisp square
        p.setFont(self.caption_font)
        for k, tile in enumerate(self._tiles):
            r, c = divmod(k, self._mosaic_cols)
            target = self.image_rect(k)
            if not target.intersects(event.rect()) and not self.tile_rect(k).intersects(event.rect()):
                continue
            p.drawImage(QRectF(target), self._mosaic, QRectF(c * w, r * h, w, h))
            if tile.wrong:
                p.setPen(QPen(WRONG, WRONG_WIDTH))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(target).adjusted(-1.5, -1.5, 1.5, 1.5))
            self._caption(p, k, tile, target)
        p.end()

    def _caption(self, p: QPainter, k: int, tile: Tile, image: QRect) -> None:
        tile_rect = self.tile_rect(k)
        metrics, line_h = self._metrics, self._line_h
        y = image.bottom() + 1 + TEXT_GAP
        if self._two_lines:
            width = tile_rect.width()
            self._chip(p, tile_rect.x(), y, width, line_h, tile.true, metrics.elidedText(
                tile.true_name, Qt.TextElideMode.ElideRight, width - 6), metrics)
            arrow = metrics.horizontalAdvance("→ ")
            self._plain(p, tile_rect.x(), y + line_h, arrow, line_h, "→")
            sure = metrics.horizontalAdvance(" " + tile.sureness)
            room = width - arrow - sure
            x = self._chip(p, tile_rect.x() + arrow, y + line_h, room, line_h, tile.answer, metrics.elidedText(
                tile.answer_name, Qt.TextElideMode.ElideRight, room - 6), metrics)
            self._plain(p, x, y + line_h, tile_rect.right() - x, line_h, " " + tile.sureness)
            return
        parts = [(tile.true_name, tile.true), ("→", None), (tile.answer_name, tile.answer), (tile.sureness, None)]
        widths = [metrics.horizontalAdvance(text) + (6 if k_ is not None else 0) for text, k_ in parts]
        total = sum(widths) + 3 * (len(parts) - 1)
        x = tile_rect.x() + max(0, (tile_rect.width() - total) // 2)
        for (text, klass), width in zip(parts, widths):
            if klass is None:
                self._plain(p, x, y, width, line_h, text)
            else:
                self._chip(p, x, y, width, line_h, klass, text, metrics)
            x += width + 3

    @staticmethod
    def _chip(p: QPainter, x: int, y: int, max_width: int, height: int, klass: int, text: str, metrics) -> int:
        """A rounded chip in the class's colour with ``text`` on it; returns where it ends."""
        rgb = class_colour(klass)
        width = min(max_width, metrics.horizontalAdvance(text) + 6)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(*rgb))
        p.drawRoundedRect(QRectF(x, y + 1, width, height - 2), 3, 3)
        p.setPen(ink_on(rgb))
        p.drawText(QRect(x, y, width, height), Qt.AlignmentFlag.AlignCenter, text)
        return x + width

    @staticmethod
    def _plain(p: QPainter, x: int, y: int, width: int, height: int, text: str) -> None:
        p.setPen(QColor(40, 40, 40))
        p.drawText(QRect(x, y, max(width, 1), height), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   text)

    # -- mouse ---------------------------------------------------------------------------------------------------------
    def event(self, event):
        if event.type() == QEvent.Type.ToolTip:
            k = self.tile_at(event.pos())
            if k is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.describe(self._tiles[k].position), self, self.tile_rect(k))
            return True
        return super().event(event)

    def wheelEvent(self, event):
        dy = event.angleDelta().y()
        if dy:
            self.pageStep.emit(-1 if dy > 0 else 1)
        event.accept()

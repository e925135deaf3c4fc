"""A canvas to draw on with the mouse: white ink on black, as MNIST's digits are stored, in thick round anti-aliased
strokes. The ink lives in a greyscale image of fixed size (the longer side ``SIDE`` pixels, the shape of the data's
pictures); the widget shows it scaled to fit, and ``ink()`` hands it over as a numpy array."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

SIDE = 280  # pixels of ink along the longer side (ten per pixel of a 28x28 picture)
PEN = 0.085  # the pen's width as a share of the longer side: a digit drawn across most of the canvas ends up with
#   strokes two to three pixels wide in its 20x20 box, as MNIST's are
BORDER = QColor(120, 120, 120)


class DrawingCanvas(QWidget):
    changed = Signal()  # the ink changed (a stroke grew, or the canvas was cleared)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._image = QImage()
        # the stroke under way (None: none), and the ink before it: each move draws the whole stroke again on that,
        # as one path, so its anti-aliased edges stay smooth where segments meet
        self._stroke: list[QPointF] | None = None
        self._before = QImage()
        self.set_shape((28, 28))

    def set_shape(self, shape: tuple[int, int]) -> None:
        """A blank canvas with the proportions of pictures of ``shape`` (height, width)."""
        h, w = (max(1, int(v)) for v in shape)
        scale = SIDE / max(h, w)
        self._image = QImage(max(1, round(w * scale)), max(1, round(h * scale)), QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._stroke = None
        self.update()
        self.changed.emit()

    def clear(self) -> None:
        self._image.fill(0)
        self._stroke = None
        self.update()
        self.changed.emit()

    def ink(self) -> np.ndarray:
        """The ink as a (height, width) uint8 array, 0 (none) .. 255 (full), a copy."""
        img = self._image
        buffer = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
        return buffer.reshape(img.height(), img.bytesPerLine())[:, :img.width()].copy()

    def is_blank(self) -> bool:
        return not self.ink().any()

    def pen_width(self) -> float:
        return PEN * max(self._image.width(), self._image.height())

    # -- where the ink is shown ----------------------------------------------------------------------------------------
    def ink_rect(self) -> QRectF:
        """Where the ink image is drawn in the widget: as large as fits, centred, its proportions kept."""
        w, h = self._image.width(), self._image.height()
        scale = min((self.width() - 2) / w, (self.height() - 2) / h)
        scale = max(scale, 0.01)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale)

    def to_ink(self, pos) -> QPointF:
        """A point of the widget in ink-image pixels."""
        r = self.ink_rect()
        return QPointF((pos.x() - r.x()) * self._image.width() / r.width(),
                       (pos.y() - r.y()) * self._image.height() / r.height())

    def to_widget(self, x: float, y: float) -> QPointF:
        """A point of the ink image in widget coordinates (tests press the mouse there)."""
        r = self.ink_rect()
        return QPointF(r.x() + x * r.width() / self._image.width(), r.y() + y * r.height() / self._image.height())

    def sizeHint(self) -> QSize:
        return QSize(self._image.width() + 2, self._image.height() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 120)

    # -- drawing -------------------------------------------------------------------------------------------------------
    def _stroke_to(self, point: QPointF) -> None:
        if self._stroke and self._stroke[-1] == point:
            return
        self._stroke.append(point)
        self._image = self._before.copy()
        p = QPainter(self._image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(255, 255, 255), self.pen_width(), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        if len(self._stroke) == 1:
            p.drawPoint(point)
        else:
            path = QPainterPath(self._stroke[0])
            for q in self._stroke[1:]:
                path.lineTo(q)
            p.drawPath(path)
        p.end()
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            self._before, self._stroke = self._image.copy(), []
            self._stroke_to(self.to_ink(event.position()))
        event.accept()

    def mouseMoveEvent(self, event):
        if self._stroke is not None:
            self._stroke_to(self.to_ink(event.position()))
        event.accept()

    def mouseReleaseEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton and self._stroke is not None:
            self._stroke_to(self.to_ink(event.position()))
            self._stroke = None
        event.accept()

    def paintEvent(self, event):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        r = self.ink_rect()
        p.drawImage(r, self._image)
        p.setPen(QPen(BORDER, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(r.adjusted(-0.5, -0.5, 0.5, 0.5))
        p.end()

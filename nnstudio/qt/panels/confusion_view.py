"""A confusion matrix drawn as a grid: rows are the true classes, columns the predicted ones; each cell shows its
count, coloured by the share of its row (so a class with few rows reads as clearly as a big one). A strip in each
class's colour (the palette the data scatter and the decision surface use) runs beside its row and above its
column.

Clicking a cell says which (``cellClicked``: true class, predicted class); the predictions panel then asks the gallery
for those images. Hovering a cell names it and its count.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont

from nnstudio.numbers import count
from nnstudio.qt.panels.colormaps import POSITIVE, class_colour

BLUE = POSITIVE  # the share of a row (a quantity, not a class)
MAX_LABELLED = 20  # matrices up to this many classes get a number in every cell
STRIP = (-0.17, -0.05)  # where the class-colour strips lie, in cells, before the first row and column


class ConfusionView(pg.PlotWidget):
    cellClicked = Signal(int, int)  # (true class, predicted class) of a cell clicked

    def __init__(self, parent=None):
        super().__init__(parent, background="w", enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.ColorMap([0.0, 1.0], [(255, 255, 255), BLUE]))
        self.addItem(self.image)
        self.invertY(True)  # the first class on top, as a table reads
        self.setLabel("bottom", "predicted class")
        self.setLabel("left", "true class")
        self.borders = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(200, 200, 200, width=1))
        self.addItem(self.borders)
        self.row_strip = pg.ImageItem(axisOrder="row-major")  # class colours: beside each row...
        self.column_strip = pg.ImageItem(axisOrder="row-major")  # ...and above each column
        for item in (self.row_strip, self.column_strip):
            self.addItem(item)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.texts: list[pg.TextItem] = []
        self._shown: dict[int, tuple[str, bool]] = {}  # cell -> (text, white) as last set
        self._n = 0
        self._names: list[str] = []
        self._M: np.ndarray | None = None
        self.click_hint = ""  # said when hovering a cell, e.g. that a click shows its images
        self.scene().sigMouseClicked.connect(self._clicked)
        self.scene().sigMouseMoved.connect(self._hover)

    def set_classes(self, names) -> None:
        """Lay out the cells and axis labels for these classes (text items are made here, once per class set)."""
        K = len(names)
        self._names = [str(name) for name in names]
        if K != self._n:
            for item in self.texts:
                self.removeItem(item)
            self.texts = []
            self._shown: dict[int, tuple[str, bool]] = {}
            font = QFont()
            font.setPointSizeF(13 if K <= 4 else 10 if K <= 10 else 8)
            font.setBold(True)
            for k in range(K * K if K <= MAX_LABELLED else 0):
                text = pg.TextItem("", color=(30, 30, 30), anchor=(0.5, 0.5))
                text.setFont(font)
                text.setPos(k % K + 0.5, k // K + 0.5)
                self.addItem(text)
                self.texts.append(text)
            self._n = K
        edges = np.arange(K + 1, dtype=np.float64)
        lines = [((e, 0.0), (e, K)) for e in edges] + [((0.0, e), (K, e)) for e in edges]
        flat = np.asarray(lines).reshape(-1, 2)
        self.borders.setData(flat[:, 0], flat[:, 1])
        ticks = [[(k + 0.5, name) for k, name in enumerate(names)]]
        self.getAxis("bottom").setTicks(ticks)
        self.getAxis("left").setTicks(ticks)
        colours = self.class_colours(K)
        self.row_strip.setImage(colours[:, None, :], autoLevels=False, levels=(0, 255))
        self.row_strip.setRect(STRIP[0], 0, STRIP[1] - STRIP[0], K)
        self.column_strip.setImage(colours[None, :, :], autoLevels=False, levels=(0, 255))
        self.column_strip.setRect(0, STRIP[0], K, STRIP[1] - STRIP[0])
        self.setRange(xRange=(STRIP[0], K), yRange=(STRIP[0], K), padding=0.02)

    @staticmethod
    def class_colours(K: int) -> np.ndarray:
        """(K, 3) uint8: the colour of each class, as its strips show it."""
        return np.array([class_colour(k) for k in range(K)], dtype=np.uint8)

    def show_matrix(self, M: np.ndarray, title: str) -> None:
        K = len(M)
        self._M = np.array(M)
        totals = M.sum(axis=1, keepdims=True)
        share = np.divide(M, totals, out=np.zeros(M.shape), where=totals > 0)
        self.image.setImage(share, autoLevels=False, levels=(0.0, 1.0))
        self.image.setRect(0, 0, K, K)
        for k, text in enumerate(self.texts):
            i, j = divmod(k, K)
            shown = (count(M[i, j]), share[i, j] > 0.55)
            if self._shown.get(k) != shown:  # a text item is slow to change: only the cells whose count moved
                self._shown[k] = shown
                text.setText(shown[0])
                text.setColor((255, 255, 255) if shown[1] else (30, 30, 30))
        self.setTitle(title)

    # -- the mouse -----------------------------------------------------------------------------------------------------
    def cell_at(self, scene_pos) -> tuple[int, int] | None:
        """(true class, predicted class) of the cell under a point of the scene, or None."""
        vb = self.getPlotItem().getViewBox()
        if not self._n or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        x, y = p.x(), p.y()
        if not (0 <= x < self._n and 0 <= y < self._n):
            return None
        return int(math.floor(y)), int(math.floor(x))

    def cell_centre(self, true_class: int, predicted: int):
        """The scene point at the middle of a cell (tests click there)."""
        return self.getPlotItem().getViewBox().mapViewToScene(QPointF(predicted + 0.5, true_class + 0.5))

    def hover_text(self, true_class: int, predicted: int) -> str:
        names, M = self._names, self._M
        if M is None or max(true_class, predicted) >= len(M) or max(true_class, predicted) >= len(names):
            return ""
        n = count(M[true_class, predicted])
        text = f"true {names[true_class]}, answered {names[predicted]}: {n}"
        return f"{text}. {self.click_hint}" if self.click_hint else text

    def _hover(self, scene_pos) -> None:
        cell = self.cell_at(scene_pos)
        self.setToolTip(self.hover_text(*cell) if cell is not None else "")
        clickable = cell is not None and bool(self.click_hint)
        self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        if cell is not None:
            self.cellClicked.emit(*cell)

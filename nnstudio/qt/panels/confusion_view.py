"""A confusion matrix drawn as a grid: rows are the true classes, columns the predicted ones; each cell shows its
count, coloured by the share of its row (so a class with few rows reads as clearly as a big one). A strip in each
class's colour (the palette the data scatter and the decision surface use) runs beside its row and above its
column."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont

from nnstudio.numbers import count
from nnstudio.qt.panels.colormaps import POSITIVE, class_colour

BLUE = POSITIVE  # the share of a row (a quantity, not a class)
MAX_LABELLED = 20  # matrices up to this many classes get a number in every cell
STRIP = (-0.17, -0.05)  # where the class-colour strips lie, in cells, before the first row and column


class ConfusionView(pg.PlotWidget):
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

    def set_classes(self, names) -> None:
        """Lay out the cells and axis labels for these classes (text items are made here, once per class set)."""
        K = len(names)
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

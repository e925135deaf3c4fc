"""What first-layer units look for in image inputs: each unit's incoming weights reshaped to the picture (28x28 for
MNIST, or the data's own ``image_shape``) and drawn as a tile, with the unit's bias as a strip under it and its number
above. A network without a hidden layer has its class templates here instead: each output unit's weights, the picture
of what speaks for its class (blue) and against it (orange), named by the class in its colour. Same colours and
symmetric scale as the layer's heatmap. The grid takes as many columns as make the tiles largest in the space
available.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF

from nnstudio.qt.panels.colormaps import class_colour
from nnstudio.qt.panels.weights_layer import add_colorbar, highlight_item, on_scale, small_font

MAX_TILES = 64  # units drawn
GAP = 2  # empty pixels between tiles
LABEL_ROWS = 8  # pixels above each tile, where its unit number goes
BIAS_ROWS = 3  # the bias strip, one empty row under the tile
MIN_LABEL_PIXELS = 26  # tiles drawn narrower than this on screen get no number (it would not fit)


def square_side(n_inputs: int) -> int | None:
    """28 for 784 inputs: the side of a square picture when n_inputs is a perfect square >= 64, else None."""
    side = math.isqrt(n_inputs)
    return side if side * side == n_inputs and n_inputs >= 64 else None


def picture_shape(n_inputs: int, image_shape=None) -> tuple[int, int] | None:
    """(height, width) of the picture a unit's n_inputs weights make: the data's ``image_shape`` when it has one of
    that many pixels, else a square (``square_side``), else None."""
    if image_shape is not None and int(image_shape[0]) * int(image_shape[1]) == n_inputs:
        return int(image_shape[0]), int(image_shape[1])
    side = square_side(n_inputs)
    return (side, side) if side is not None else None


class TileView:
    def __init__(self, glw: pg.GraphicsLayoutWidget, cmap: pg.ColorMap, shape: tuple[int, int], n_units: int,
                 has_bias: bool, class_names=None):
        """``class_names``: the output units' names when these are class templates (a network without a hidden
        layer), else None (first-layer units, numbered)."""
        self.shape = (int(shape[0]), int(shape[1]))
        h, w = self.shape
        self.n_in, self.n_units, self.has_bias = h * w, n_units, has_bias
        self.class_names = list(class_names) if class_names is not None else None
        self.n_tiles = min(n_units, MAX_TILES)
        # two short lines: one long line would widen the layout past the panel and push the colour bar out of sight
        bias = "its bias in the strip below" if has_bias else ""
        if self.class_names is not None:
            title = (f"Class templates: each class's {self.n_in} incoming weights as a {h}×{w} picture<br>"
                     "blue: ink there speaks for the class, orange: against it" + (f"; {bias}" if bias else ""))
        else:
            shown = f"units 0–{self.n_tiles - 1} of {n_units}" if self.n_tiles < n_units else f"all {n_units} units"
            title = f"Layer 1, {shown}: each unit's {self.n_in} incoming weights<br>as a {h}×{w} picture" + (
                f", {bias}" if bias else "")
        self.title = glw.addLabel(title, row=0, col=0, size="9pt", color="#222")
        self.plot = glw.addPlot(row=1, col=0, enableMenu=False)  # (see colormaps.ColorBar)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        vb = self.plot.getViewBox()
        vb.invertY(True)
        vb.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(cmap)
        self.plot.addItem(self.image)
        self.colorbar = add_colorbar(self.plot, [self.image], cmap)
        self.highlight = highlight_item()
        self.plot.addItem(self.highlight)
        self.frame = highlight_item()  # around the selected unit's whole picture: a single pixel is easy to miss
        self.frame.setPen(pg.mkPen((60, 60, 60), width=1.5))
        self.plot.addItem(self.frame)
        self.labels = []
        font = small_font(7)
        if self.class_names is not None:  # a few named classes: larger, in their colours
            font = small_font(9)
            font.setBold(True)
        for u in range(self.n_tiles):
            named = self.class_names is not None and u < len(self.class_names)
            label = pg.TextItem(self.class_names[u] if named else str(u),
                                color=class_colour(u) if named else (40, 40, 40), anchor=(0, 1))
            label.setFont(font)
            self.plot.addItem(label)
            self.labels.append(label)
        self.pitch_x = w + GAP
        self.pitch_y = LABEL_ROWS + h + (1 + BIAS_ROWS if has_bias else 0) + GAP
        self.cols = 0
        self.mosaic = np.zeros((0, 0))
        self._W: np.ndarray | None = None
        self._b: np.ndarray | None = None
        self._levels = (-1.0, 1.0)
        self._cell: tuple[int, int] | None = None
        vb.sigResized.connect(self._fit)
        self._arrange(self._best_cols())

    # -- grid ----------------------------------------------------------------------------------------------------------
    def _best_cols(self) -> int:
        rect = self.plot.getViewBox().boundingRect()
        w, h = (rect.width(), rect.height()) if rect.width() > 10 and rect.height() > 10 else (2.0, 1.0)
        n = self.n_tiles

        def tile_size(c):
            return min(w / (c * self.pitch_x), h / (math.ceil(n / c) * self.pitch_y))

        return max(range(1, n + 1), key=tile_size)

    def _fit(self) -> None:
        cols = self._best_cols()
        if cols != self.cols:
            self._arrange(cols)
            if self._W is not None:
                self.update(self._W, self._b, self._levels)
        self.plot.getViewBox().autoRange(padding=0.01)
        rect = self.plot.getViewBox().boundingRect()
        pixels = rect.width() / max(self.mosaic.shape[1], 1) * self.shape[1]
        for label in self.labels:
            label.setVisible(pixels >= MIN_LABEL_PIXELS)

    def _arrange(self, cols: int, dtype=np.float64) -> None:
        """Lay the tiles out in ``cols`` columns. The mosaic is a view of a grid of cells (rows, pitch_y, cols,
        pitch_x), so that all tiles are written in one assignment. Between and around the tiles it holds 0, drawn as
        white as the background: NaN (transparent) there sent every redraw down pyqtgraph's slow path for images with
        holes."""
        self.cols = cols
        rows = math.ceil(self.n_tiles / cols)
        full = np.zeros((rows * self.pitch_y, cols * self.pitch_x), dtype=dtype)
        self._grid = full.reshape(rows, self.pitch_y, cols, self.pitch_x)
        self.mosaic = full[:rows * self.pitch_y - GAP, :cols * self.pitch_x - GAP]
        for u, label in enumerate(self.labels):
            x0, y0 = self.origin(u)
            label.setPos(x0 - 0.5, y0 - 0.5)
        self.show_highlight(self._cell)

    def origin(self, unit: int) -> tuple[int, int]:
        """(x, y) of the top-left pixel of a unit's tile in the mosaic."""
        r, c = divmod(unit, self.cols)
        return c * self.pitch_x, r * self.pitch_y + LABEL_ROWS

    # -- data ----------------------------------------------------------------------------------------------------------
    def update(self, W: np.ndarray, b: np.ndarray | None, levels: tuple[float, float]) -> None:
        """Draw the first ``n_tiles`` units' weights (and biases) on the colour scale ``levels``, in W's own float
        type (float32 weights are not made float64 for the picture)."""
        self._W, self._b, self._levels = W, b, levels
        (h, w), n = self.shape, self.n_tiles
        top = max(abs(levels[0]), abs(levels[1]))
        dtype = np.result_type(W.dtype, np.float32)
        if self._grid.dtype != dtype:
            self._arrange(self.cols, dtype)
        rows, cols = self._grid.shape[0], self._grid.shape[2]
        pictures = np.zeros((rows * cols, h, w), dtype=dtype)
        pictures[:n] = on_scale(W[:, :n], top).T.reshape(n, h, w)
        self._grid[:, LABEL_ROWS:LABEL_ROWS + h, :, :w] = pictures.reshape(rows, cols, h, w).transpose(0, 2, 1, 3)
        if b is not None:
            bias = np.zeros(rows * cols, dtype=dtype)
            bias[:n] = on_scale(b[:n], top)
            strip = slice(LABEL_ROWS + h + 1, LABEL_ROWS + h + 1 + BIAS_ROWS)
            self._grid[:, strip, :, :w] = bias.reshape(rows, 1, cols, 1)
        if self.colorbar.levels() != tuple(levels):  # (setting them again lays the bar's axis out again: 2 ms)
            self.colorbar.setLevels(levels)
        m = self.mosaic
        refit = self.image.image is None or self.image.image.shape != m.shape
        self.image.setImage(m, autoLevels=False, levels=levels)
        if refit:
            self.plot.getViewBox().autoRange(padding=0.01)

    def tiles(self) -> list[np.ndarray]:
        """The pictures drawn, unit by unit, read back from the image."""
        out, (h, w) = [], self.shape
        for u in range(self.n_tiles):
            x0, y0 = self.origin(u)
            out.append(np.array(self.image.image[y0:y0 + h, x0:x0 + w]))
        return out

    # -- cells ---------------------------------------------------------------------------------------------------------
    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(input index, unit) of the pixel under the mouse; input index == height * width is the unit's bias
        strip."""
        vb = self.plot.getViewBox()
        if self._W is None or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        x, y = math.floor(p.x()), math.floor(p.y())
        if x < 0 or y < 0:
            return None
        c, dx = divmod(x, self.pitch_x)
        r, dy = divmod(y, self.pitch_y)
        unit, dy = r * self.cols + c, dy - LABEL_ROWS
        h, w = self.shape
        if c >= self.cols or unit >= self.n_tiles or dx >= w or dy < 0:
            return None
        if dy < h:
            return dy * w + dx, unit
        if self.has_bias and h + 1 <= dy < h + 1 + BIAS_ROWS:
            return self.n_in, unit
        return None

    def show_highlight(self, cell: tuple[int, int] | None) -> None:
        self._cell = cell
        if cell is None or cell[1] >= self.n_tiles:
            self.highlight.setVisible(False)
            self.frame.setVisible(False)
            return
        row, unit = cell
        x0, y0 = self.origin(unit)
        h, w = self.shape
        self.frame.setRect(x0 - 0.7, y0 - 0.7, w + 1.4, self.pitch_y - LABEL_ROWS - GAP + 1.4)
        self.frame.setVisible(True)
        if row == self.n_in:
            self.highlight.setRect(x0, y0 + h + 1, w, BIAS_ROWS)
        else:
            self.highlight.setRect(x0 + row % w, y0 + row // w, 1, 1)
        self.highlight.setVisible(True)

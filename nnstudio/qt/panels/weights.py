"""The weights panel: every dense layer's weight matrix as a heatmap with its bias strip, colour bar and histogram;
for image inputs each unit's weights as a picture (for a network without a hidden layer: each class's template); and
below, the recorded weights against the update number.

Hovering a cell names the weight with its value and gradient; clicking it selects that weight for every panel
(its curve is then drawn thick). Images are redrawn at most eight times a second, whatever the snapshot rate.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget, QToolTip, QVBoxLayout

from nnstudio.numbers import count, fixed, fmt
from nnstudio.qt.panels.base import Panel, run_through
from nnstudio.qt.panels.colormaps import Throttle, diverging_colormap
from nnstudio.qt.panels.weights_history import WeightHistory, global_to_local, parameter_label
from nnstudio.qt.panels.weights_layer import LayerView
from nnstudio.qt.panels.weights_tiles import TileView, picture_shape
from nnstudio.training.trainer import Snapshot

REDRAW_RATE = 8.0  # image redraws per second at most
MAX_COLUMNS = 3  # layers side by side; more wrap onto another row
HINT = "Hover over a cell to read a weight; click it to follow that weight in the history below."


class WeightsPanel(Panel):
    name = "weights"
    title = "Weights"
    description = ("Each layer's weights as a colour-coded matrix (blue positive, orange negative, bias strip "
                   "below), their histogram, and the recorded weights against the update number.")

    def parts(self):
        context = self.context
        self.cmap = diverging_colormap()
        self.layer_views: list[LayerView] = []
        self._params: list[tuple[int, int | None]] = []  # (W index, b index or None) per layer
        self._signature = None
        self._throttle = Throttle(self._redraw, REDRAW_RATE, self)
        self._stale: dict[int, bool] = {}  # tab index -> not drawn for the snapshot on show (hidden at the time)

        self.refit_button = QPushButton("Refit colours")
        self.refit_button.setObjectName("weightsRefitButton")
        self.refit_button.setAccessibleName("Refit colour scales")
        self.refit_button.setToolTip("Fit each colour scale to the current weights (it otherwise only grows, so "
                                     "colours keep their meaning)")
        self.refit_button.clicked.connect(self.refit_scales)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        legend = QLabel("<span style='color:rgb(38,110,200)'>■</span> positive &nbsp; "
                        "<span style='color:rgb(230,120,20)'>■</span> negative &nbsp; white = 0")
        legend.setObjectName("weightsSignLegend")
        top.addWidget(legend)
        top.addStretch(1)
        top.addWidget(self.refit_button)

        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.view.setObjectName("weightsLayersView")
        self.view.setAccessibleName("Weight matrices")
        self.tile_widget = pg.GraphicsLayoutWidget()
        self.tile_widget.setBackground("w")
        self.tile_widget.setObjectName("weightsPicturesView")
        self.tile_widget.setAccessibleName("First-layer weights as pictures")
        self.tile_view: TileView | None = None
        self.tabs = QTabWidget()
        self.tabs.setObjectName("weightsTabs")
        self.tabs.setAccessibleName("Weight views")
        self.tabs.setToolTip("Matrices: every layer's weights; Pictures: first-layer weights shaped like the input "
                             "image (class templates for a network without a hidden layer)")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.view, "Matrices")
        self.tabs.addTab(self.tile_widget, "Pictures")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tabs.setTabVisible(1, False)
        self.tabs.tabBar().setVisible(False)
        yield
        self.history = WeightHistory()
        yield
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("weightsSplitter")
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.history.widget)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.info = QLabel(HINT)
        self.info.setObjectName("weightsInfoLabel")
        self.info.setAccessibleName("Weight under the mouse")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.info)

        for plot in (self.view, self.tile_widget, self.history.widget):
            self.adopt_plot(plot)
        for widget in (self.view, self.tile_widget):
            widget.scene().sigMouseMoved.connect(self._hover)
            widget.scene().sigMouseClicked.connect(self._clicked)
        self.history.widget.scene().sigMouseMoved.connect(self._hover_history)
        self.history.widget.scene().sigMouseClicked.connect(self._clicked_history)
        context.dataChanged.connect(self._data_changed)
        context.selectionChanged.connect(self._selection_changed)

    # -- snapshots -----------------------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        run_through(self._take(snap))
        self._throttle.request()

    def snapshot_parts(self, snap: Snapshot):
        """The layers' plots a part at a time, then the images and the history (each is a part)."""
        yield from self._take(snap)
        yield
        self._throttle.cancel()
        yield from self._redraw_parts()

    def _take(self, snap: Snapshot):
        super().set_snapshot(snap)
        signature = (tuple(w.shape for w in snap.weights), tuple(snap.layers))
        if signature != self._signature:
            self._signature = signature
            yield from self._build(snap)

    def finish(self) -> None:
        self._throttle.flush()
        self._catch_up()

    def draw_pending(self) -> None:
        self._throttle.flush()

    def _data_changed(self) -> None:
        """Another network or dataset: what is on show (matrices, pictures, history, the weight under the mouse)
        belonged to the old one. It goes now; the new network's first snapshot draws it again."""
        self.snapshot = None
        self._signature = None
        self._stale = {}
        self._clear_views()
        self.tile_widget.clear()
        self.tile_view = None
        self.tabs.setTabVisible(1, False)
        self.tabs.tabBar().setVisible(False)
        self.history.clear()
        self.info.setText(HINT)

    def _clear_views(self) -> None:
        self.view.clear()
        self.layer_views, self._params = [], []

    def _build(self, snap: Snapshot):
        """Plots for every layer (a generator: each plot is a part)."""
        self._stale = {}
        self._clear_views()
        ds = self.context.dataset
        names = ds.feature_names if ds is not None else None
        i = 0
        for k, spec in enumerate(snap.layers):
            W = snap.weights[i]
            b_index = i + 1 if spec.bias else None
            self._params.append((i, b_index))
            i += 2 if spec.bias else 1
            row, col = 3 * (k // MAX_COLUMNS), k % MAX_COLUMNS
            view = LayerView(self.view, row, col, k, spec.activation, W.shape[0], W.shape[1], spec.bias, self.cmap,
                             names if k == 0 else None, later=True)
            yield from view.parts()
            self.layer_views.append(view)
            self.view.ci.layout.setRowStretchFactor(row + 1, 3)
            self.view.ci.layout.setRowStretchFactor(row + 2, 1)
            self.view.ci.layout.setColumnStretchFactor(col, 1)
        self.tile_widget.clear()
        had_tiles, self.tile_view = self.tile_view is not None, None
        first = self.layer_views[0] if self.layer_views else None
        shape = picture_shape(first.n_in, ds.image_shape if ds is not None else None) if first else None
        if shape is not None:
            yield
            templates = self.template_names(snap)
            self.tile_view = TileView(self.tile_widget, self.cmap, shape, first.n_out, first.has_bias, templates)
            self.tabs.setTabText(1, "Class templates" if templates is not None else "Pictures")
        self.tabs.setTabVisible(1, shape is not None)
        self.tabs.tabBar().setVisible(shape is not None)  # one tab needs no tab bar
        if shape is not None and not had_tiles:
            self.tabs.setCurrentIndex(1)  # for image inputs the pictures say more than a 785-row matrix
        elif shape is None:
            self.tabs.setCurrentIndex(0)

    def template_names(self, snap: Snapshot) -> list[str] | None:
        """The output units' names when the first layer's pictures are class templates (a network without a hidden
        layer on classified data), else None."""
        ds = self.context.dataset
        if len(snap.layers) != 1 or ds is None or ds.task == "regression":
            return None
        names = list(ds.output_names)
        return names if len(names) == snap.layers[0].units else None

    def _redraw(self) -> None:
        run_through(self._redraw_parts())

    def _redraw_parts(self):
        """The images, then the history (a generator: the history's first drawing makes its curves)."""
        snap = self.snapshot
        if snap is None:
            return
        # Only the tab on show is drawn (a hidden 784 x 128 heatmap and its histogram cost 2-3 ms a layer); the other
        # catches up when it is shown or read (``finish``). The colour scales follow every snapshot all the same,
        # so that a scale grows with the weights whichever tab is on show.
        matrices, pictures = self._tabs_shown()
        self._stale = {0: not matrices, 1: not pictures and self.tile_view is not None}
        self._draw_tabs(snap, matrices, pictures)
        yield
        self.history.update(snap, self.context.selection)
        self._show_selection()

    def _tabs_shown(self) -> tuple[bool, bool]:
        """(matrices, pictures): whether each tab is the one on show (without pictures, the matrices always are)."""
        if self.tile_view is None:
            return True, False
        return self.tabs.currentIndex() == 0, self.tabs.currentIndex() == 1

    def _draw_tabs(self, snap: Snapshot, matrices: bool, pictures: bool) -> None:
        layers = snap.layer_weights()
        for view, (W, b) in zip(self.layer_views, layers):
            if matrices:
                view.update(W, b)
            else:
                view.grow_scale(W, b)
        if pictures and self.layer_views:
            W, b = layers[0]
            self.tile_view.update(W, b, (-self.layer_views[0].scale, self.layer_views[0].scale))

    def _catch_up(self, tabs=(0, 1)) -> None:
        """Draw the tabs among ``tabs`` that were hidden when the last snapshot was drawn."""
        todo = [k for k in tabs if self._stale.get(k)]
        if self.snapshot is None or not todo:
            return
        self._draw_tabs(self.snapshot, 0 in todo, 1 in todo and self.tile_view is not None)
        for k in todo:
            self._stale[k] = False

    def _tab_changed(self, index: int) -> None:
        self._catch_up((index,))

    def refit_scales(self) -> None:
        """Fit every colour scale to the current weights (the scales otherwise only grow)."""
        if self.snapshot is None:
            return
        for view, (W, b) in zip(self.layer_views, self.snapshot.layer_weights()):
            view.update(W, b, grow_only=False)
        self._redraw()

    # -- selection, hover, clicks --------------------------------------------------------------------------------------
    def _selection_changed(self, _selection) -> None:
        if self.snapshot is not None:
            self.history.update(self.snapshot, self.context.selection)
        self._show_selection()

    def _show_selection(self) -> None:
        sel = self.context.selection
        for k, view in enumerate(self.layer_views):
            w_index, b_index = self._params[k]
            cell = None
            if sel is not None and sel[0] == w_index:
                cell = divmod(sel[1], view.n_out)
            elif sel is not None and sel[0] == b_index:
                cell = (view.n_in, sel[1])
            view.show_highlight(cell)
            if k == 0 and self.tile_view is not None:
                self.tile_view.show_highlight(cell)

    def selection_of(self, layer: int, row: int, unit: int) -> tuple[int, int]:
        """(parameter index, flat index) of a cell: row == number of inputs means the unit's bias."""
        w_index, b_index = self._params[layer]
        if row == self.layer_views[layer].n_in:
            return b_index, unit
        return w_index, row * self.layer_views[layer].n_out + unit

    def hover_text(self, layer: int, row: int, unit: int) -> str:
        """E.g. "W2[3,1] = 0.4213 (input 3 → unit 1), gradient -0.0012"; short whatever the numbers (1.334e+21,
        nan)."""
        snap = self.snapshot
        param, flat = self.selection_of(layer, row, unit)
        label = parameter_label(snap.parameter_names, [w.shape for w in snap.weights], param, flat)
        value = snap.weights[param].ravel()[flat]
        grad = snap.gradients[param].ravel()[flat]
        view, tiles = self.layer_views[layer], self.tile_view if layer == 0 else None
        names = tiles.class_names if tiles is not None else None
        who = f"class {names[unit]}" if names and unit < len(names) else f"unit {unit}"
        if row == view.n_in:
            where = f"bias of {who}"
        elif tiles is not None:  # a picture's pixel
            r, c = divmod(row, tiles.shape[1])
            where = f"pixel {row} at row {r}, column {c} → {who}"
        else:
            name = f" {view.input_names[row]}" if view.input_names else ""
            where = f"input {row}{name} → {who}"
        return f"{label} = {fixed(value)} ({where}), gradient {fmt(grad)}"

    def click_cell(self, layer: int, row: int, unit: int) -> None:
        self.context.select_weight(self.selection_of(layer, row, unit))

    def _cell_at(self, scene_pos):
        if self.tile_view is not None and self.tabs.currentIndex() == 1:
            cell = self.tile_view.cell_at(scene_pos)
            return (0, *cell) if cell else None
        for k, view in enumerate(self.layer_views):
            cell = view.cell_at(scene_pos)
            if cell is not None:
                return k, *cell
        return None

    def _hover(self, scene_pos) -> None:
        hit = self._cell_at(scene_pos) if self.snapshot is not None else None
        text = self.hover_text(*hit) if hit else ""
        self.info.setText(text or HINT)
        if text:
            QToolTip.showText(QCursor.pos(), text, self.tabs.currentWidget())
        else:
            QToolTip.hideText()

    def _clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self.snapshot is None:
            return
        hit = self._cell_at(ev.scenePos())
        if hit:
            self.click_cell(*hit)

    def _hover_history(self, scene_pos) -> None:
        picked = self.history.pick(scene_pos) if self.snapshot is not None else None
        if picked is None:
            self.info.setText(HINT)
            return
        g, x, y = picked
        shapes = [w.shape for w in self.snapshot.weights]
        label = parameter_label(self.snapshot.parameter_names, shapes, *global_to_local(shapes, g))
        self.info.setText(f"{label} = {fixed(y)} after update {count(x)} (click to select it)")

    def _clicked_history(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self.snapshot is None:
            return
        picked = self.history.pick(ev.scenePos())
        if picked is not None:
            shapes = [w.shape for w in self.snapshot.weights]
            self.context.select_weight(global_to_local(shapes, picked[0]))

    # -- numbers -------------------------------------------------------------------------------------------------------
    def csv_table(self) -> tuple[list[str], list[list]]:
        """Every weight and bias of the current snapshot; a bias has an empty row and its unit as the column."""
        header = ["parameter", "row", "column", "value", "gradient"]
        rows: list[list] = []
        snap = self.snapshot
        if snap is None:
            return header, rows
        for name, w, g in zip(snap.parameter_names, snap.weights, snap.gradients):
            if w.ndim == 2:
                for (i, j), v in np.ndenumerate(w):
                    rows.append([name, i, j, float(v), float(g[i, j])])
            else:
                for j, v in enumerate(w):
                    rows.append([name, "", j, float(v), float(g[j])])
        return header, rows

    def image_arrays(self) -> list[np.ndarray]:
        """Per layer, the heatmap's W with the bias strip appended as its last row (layers without bias: W)."""
        self.finish()
        return [view.matrix() for view in self.layer_views]

    def tile_arrays(self) -> list[np.ndarray]:
        """The first layer's pictures as drawn (W1[:, unit] reshaped to the image, first 64 units); [] when the
        inputs are not a square image."""
        self.finish()
        return self.tile_view.tiles() if self.tile_view is not None else []

    def levels(self) -> list[tuple[float, float]]:
        self.finish()
        return [tuple(float(v) for v in view.image.getLevels()) for view in self.layer_views]

    def history_arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(updates kept after thinning, {"W1[0,0]": values at those updates, ...})."""
        self.finish()
        return self.history.arrays()


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(WeightsPanel, "gender-network", 300, (760, 560))

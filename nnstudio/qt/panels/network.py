"""The network drawn as units and edges. Edge colour is the weight's sign (blue positive, orange negative) and its
width the weight's size relative to the largest; units are filled by what they compute for one chosen training row;
biases are edges from a constant "1" node and numbers under the units. Hover shows a weight, its gradient or a
unit's z and a; a click selects a weight for the other panels.

CSV export (``csv_table``): header ``layer, from, to, weight, gradient``; one row per weight (``from``/``to`` are unit
names: x1.. inputs, h1.. hidden units (h<layer>_<unit> with several hidden layers), o1.. outputs), then one row per
bias with ``from`` = "bias". ``layer`` counts dense layers from 1, as W1 and b1 do."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QToolTip, QVBoxLayout,
                               QWidget)

from nnstudio.numbers import count, fixed, fmt
from nnstudio.qt import errors
from nnstudio.qt.panels import network_layout as nl
from nnstudio.qt.panels import neuron_maps
from nnstudio.qt.panels.neuron_maps import MapCache
from nnstudio.qt.panels.base import Panel, PanelContext
from nnstudio.qt.panels.network_paint import paint_network
from nnstudio.qt.widgets import setup
from nnstudio.training.trainer import Snapshot


class NetworkCanvas(QWidget):
    """The drawing itself; the panel holds the state and answers what is where."""

    def __init__(self, panel: NetworkPanel):
        super().__init__(panel)
        self.panel = panel
        self.setObjectName("networkCanvas")
        self.setAccessibleName("Network drawing")
        self.setToolTip("Blue edges: positive weights, orange: negative; thicker means larger. Click an edge to "
                        "select its weight.")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the panel takes the focus (a click here gives it to it)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(300, 200)
        self.setMouseTracking(True)
        self.hover: nl.Hit | None = None

    @errors.guarded  # an exception must not reach Qt's C++ paint code (see nnstudio/qt/errors.py)
    def paintEvent(self, event):
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            paint_network(p, self.panel, self.panel.hasFocus())
        finally:
            p.end()  # ended even when the drawing raised: an open painter breaks the window's next paint

    def resizeEvent(self, event):
        self.panel.invalidate()
        super().resizeEvent(event)

    def event(self, e):
        if e.type() == e.Type.ToolTip:
            text = self.panel.tooltip_at(QPointF(e.pos()))
            if text:
                QToolTip.showText(e.globalPos(), text, self)
            else:
                QToolTip.showText(e.globalPos(), self.toolTip(), self)
            return True
        return super().event(e)

    def mouseMoveEvent(self, e):
        hit = self.panel.hit_test(e.position())
        if hit != self.hover:
            self.hover = hit
            self.update()
        super().mouseMoveEvent(e)

    def leaveEvent(self, e):
        self.hover = None
        self.update()
        super().leaveEvent(e)

    def mousePressEvent(self, e):
        if e.button() == Qt.MouseButton.LeftButton:
            self.panel.click(e.position())
            e.accept()
            return
        super().mousePressEvent(e)



class NetworkPanel(Panel):
    name = "network"
    title = "Network"
    description = ("The network's units and weights: edge colour shows a weight's sign, width its size; units show "
                   "what they compute for the chosen training row.")

    def __init__(self, context: PanelContext, parent: QWidget | None = None):
        super().__init__(context, parent)
        self.sample_spin = QSpinBox()
        self.sample_spin.setObjectName("networkSampleSpin")
        self.sample_spin.setAccessibleName("Training row shown in the network")
        self.sample_spin.setToolTip("Which training row's values fill the units (Up/Down in the drawing too)")
        self.sample_spin.setPrefix("row ")
        self.sample_spin.setRange(1, 1)
        self.sample_spin.valueChanged.connect(lambda v: self.context.select_sample(v - 1))
        self.sample_label = QLabel()
        self.sample_label.setObjectName("networkSampleLabel")
        self.sample_label.setStyleSheet("color: #555;")
        self.canvas = NetworkCanvas(self)
        self.map_cache = MapCache()
        self.maps_check = QCheckBox("neuron maps")
        setup(self.maps_check, "networkMapsCheck", "Show each neuron's map",
              "For data of two features: each unit drawn as a picture of its output over the input plane (the "
              "output unit's is the decision surface); hover one to enlarge it")
        self.maps_check.setChecked(True)
        self.maps_check.toggled.connect(lambda _on: self._recompute())
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        shown = QLabel("Units show:")
        shown.setBuddy(self.sample_spin)
        top.addWidget(shown)
        top.addWidget(self.sample_spin)
        top.addWidget(self.sample_label, 1)
        top.addWidget(self.maps_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the window opens with the focus here
        self._geometry: nl.Geometry | None = None
        self._geometry_key = None
        self._inputs: np.ndarray | None = None
        self._acts: list[tuple[np.ndarray, np.ndarray]] | None = None
        self.highlight = None  # (dense layer, {column: unit}) in play at the inspector's stage (network_paint)
        context.dataChanged.connect(self._on_data_changed)
        context.sampleChanged.connect(self._on_sample_changed)
        context.selectionChanged.connect(lambda _s: self.canvas.update())
        self._on_data_changed()

    # -- state --------------------------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        super().set_snapshot(snap)
        self._recompute()

    def show_maps(self) -> bool:
        """Whether units are drawn as their maps over the input plane (data of two features, maps on)."""
        return self.maps_check.isChecked() and self.map_cache.maps is not None

    def set_highlight(self, highlight) -> None:
        """Mark the layer and units the backprop inspector's stage is about (None: nothing)."""
        if highlight != self.highlight:
            self.highlight = highlight
            self.canvas.update()

    def keyPressEvent(self, e):
        """Escape clears the selected weight; Up and Down step through the training rows."""
        key, spin = e.key(), self.sample_spin
        if key == Qt.Key.Key_Escape:
            self.context.select_weight(None)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            spin.setValue(spin.value() + (-1 if key == Qt.Key.Key_Up else 1))
        else:
            super().keyPressEvent(e)

    def focusInEvent(self, e):
        self.canvas.update()  # the focus frame
        super().focusInEvent(e)

    def focusOutEvent(self, e):
        self.canvas.update()
        super().focusOutEvent(e)

    def invalidate(self) -> None:
        self._geometry = None

    def _on_data_changed(self) -> None:
        """Another network or dataset: the old network's drawing goes (its shape may even match the new one's); the
        new network's first snapshot draws it."""
        self.snapshot = None
        self._geometry = None
        self.canvas.hover = None
        ds = self.context.dataset
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(1, max(ds.n_samples if ds is not None else 1, 1))
        self.sample_spin.setValue(self.context.sample + 1)
        self.sample_spin.blockSignals(False)
        self._recompute()

    def _on_sample_changed(self, index: int) -> None:
        self.sample_spin.blockSignals(True)
        self.sample_spin.setValue(index + 1)
        self.sample_spin.blockSignals(False)
        self._recompute()

    def _fits(self) -> bool:
        """Whether the snapshot's network takes the context's dataset (they differ for a moment after a change)."""
        ds, snap = self.context.dataset, self.snapshot
        return ds is not None and snap is not None and snap.weights[0].shape[0] == ds.n_features

    def _recompute(self) -> None:
        """The chosen row's inputs (as the network sees them) and each layer's z and a, with the snapshot's weights."""
        self._inputs = self._acts = None
        ds, snap, i = self.context.dataset, self.snapshot, self.context.sample
        self.sample_label.setText(f"of {count(ds.n_samples)}: {self.sample_text(i)}"
                                  if ds is not None and 0 <= i < ds.n_samples else "")
        self.maps_check.setVisible(neuron_maps.wanted(ds))
        with np.errstate(all="ignore"):
            self.map_cache.update(snap if self._fits() and self.maps_check.isChecked() else None, ds)
        if self._fits() and 0 <= i < ds.n_samples:
            row = ds.X[i][None, :]
            with np.errstate(all="ignore"):  # a diverged network computes inf and NaN: shown as such
                self._acts = [(z[0], a[0]) for z, a in snap.forward_layers(row)]
            self._inputs = (snap.preprocessing.apply(row) if snap.preprocessing else row)[0]
        self.canvas.update()

    def sample_text(self, i: int) -> str:
        """ "Charlie (female)", "target 1", with a note for rows left out of training."""
        ds, exp = self.context.dataset, self.context.experiment
        names = ds.params.get("names") if isinstance(ds.params, dict) else None
        who = f"{names[i]} ({ds.describe_target(i)})" if names and i < len(names) else f"target {ds.describe_target(i)}"
        if exp is not None and i in exp.excluded_rows:
            who += ", left out of training"
        return who

    # -- names and parameters -----------------------------------------------------------------------------------------
    def sizes(self) -> list[int]:
        snap = self.snapshot
        return [snap.weights[0].shape[0]] + [s.units for s in snap.layers]

    def param_indices(self) -> list[tuple[int, int | None]]:
        """(index of W, index of b or None) in the snapshot's parameter list, per dense layer."""
        out, i = [], 0
        for spec in self.snapshot.layers:
            out.append((i, i + 1 if spec.bias else None))
            i += 2 if spec.bias else 1
        return out

    def unit_name(self, column: int, unit: int) -> str:
        n_cols = len(self.snapshot.layers) + 1
        if column == 0:
            return f"x{unit + 1}"
        if column == n_cols - 1:
            return f"o{unit + 1}"
        return f"h{unit + 1}" if n_cols == 3 else f"h{column}_{unit + 1}"

    def input_names(self) -> tuple[str, ...]:
        ds = self.context.dataset
        return ds.feature_names if ds is not None and self._fits() else ()

    def output_names(self) -> tuple[str, ...]:
        ds = self.context.dataset
        return ds.output_names if ds is not None and self._fits() else ()

    def weight_of(self, hit: nl.Hit) -> tuple[int, int] | None:
        """The (parameter index, flat index) a hit on an edge or bias stands for."""
        if not hit.is_weight:
            return None
        w_index, b_index = self.param_indices()[hit.layer]
        if hit.kind == "bias":
            return b_index, hit.j
        return w_index, hit.i * self.snapshot.weights[w_index].shape[1] + hit.j

    def describe_weight(self, selection: tuple[int, int]) -> str:
        """ "W1[0,1] = 0.4213 (x1 → h2), ∂L/∂w = -0.0012" or "b1[1] = ... (bias of h2), ∂L/∂b = ..."."""
        snap = self.snapshot
        p, flat = selection
        name, value = snap.parameter_names[p], snap.weights[p]
        grad = float(snap.gradients[p].ravel()[flat])
        layer = next(k for k, (w, b) in enumerate(self.param_indices()) if p in (w, b))
        if value.ndim == 1:
            return (f"{name}[{flat}] = {fixed(value[flat])} (bias of {self.unit_name(layer + 1, flat)}), "
                    f"∂L/∂b = {fmt(grad)}")
        i, j = divmod(flat, value.shape[1])
        return (f"{name}[{i},{j}] = {fixed(value[i, j])} ({self.unit_name(layer, i)} → "
                f"{self.unit_name(layer + 1, j)}), ∂L/∂w = {fmt(grad)}")

    # -- what is where ------------------------------------------------------------------------------------------------
    def drawing_geometry(self) -> nl.Geometry | None:
        """The layout for the canvas's current size (None before there is a network)."""
        if self.snapshot is None:
            return None
        # laid out again only when something it depends on changes (measuring 784 input names takes milliseconds)
        key = (tuple(self.sizes()), tuple(s.bias for s in self.snapshot.layers), self.canvas.size().toTuple(),
               id(self.context.dataset), self.show_maps())
        if self._geometry is None or self._geometry_key != key:
            self._geometry_key = key
            fm = self.canvas.fontMetrics()
            names = [*self.input_names(), *self.output_names()]
            label_w = max([fm.horizontalAdvance(n) for n in names] or [0])
            cap = self.canvas.width() * 0.22
            left = min(max(label_w + 34, 56), cap) if self.input_names() else 40
            right = min(max(fm.horizontalAdvance(max(self.output_names(), key=len, default="")) + 34, 56), cap)
            if self.show_maps():  # a single output is drawn as its larger map (network_paint)
                right = min(right + 18, cap)
            biased = [s.bias for s in self.snapshot.layers]
            self._geometry = nl.build(self.sizes(), biased, QRectF(self.canvas.rect()), fm.height(), left, right)
        return self._geometry

    def hit_test(self, point: QPointF) -> nl.Hit | None:
        g = self.drawing_geometry()
        return nl.hit_test(g, QPointF(point)) if g is not None else None

    def edge_at(self, point: QPointF) -> tuple[int, int] | None:
        """The (parameter index, flat index) of the weight or bias drawn at ``point``, if any."""
        hit = self.hit_test(point)
        return self.weight_of(hit) if hit is not None else None

    def edge_point(self, layer: int, i: int, j: int, t: float = 0.3) -> QPointF | None:
        """A point a fraction t along the edge from unit i (or nl.BIAS / nl.IMAGE) into unit j of dense layer ``layer``
        (None when that edge is not drawn)."""
        g = self.drawing_geometry()
        e = g.edge(layer, i, j) if g is not None else None
        if e is None:
            return None
        return QPointF(e.p1.x() + t * (e.p2.x() - e.p1.x()), e.p1.y() + t * (e.p2.y() - e.p1.y()))

    def node_values(self) -> list[np.ndarray]:
        """What the units show, per column: the chosen row's network inputs, then each layer's activations."""
        if self._acts is None:
            return []
        return [self._inputs, *(a for _, a in self._acts)]

    def tooltip_at(self, point: QPointF) -> str:
        hit = self.hit_test(point)
        if hit is None:
            return ""
        snap = self.snapshot
        if hit.is_weight:
            return self.describe_weight(self.weight_of(hit))
        if hit.kind == "image_edge":
            w_index = self.param_indices()[0][0]
            col, grad = snap.weights[w_index][:, hit.j], snap.gradients[w_index][:, hit.j]
            with np.errstate(all="ignore"):
                total, mean, grads = float(col.sum()), float(col.mean()), float(grad.sum())
            return (f"{count(len(col))} weights from the image into {self.unit_name(1, hit.j)}: sum {fixed(total)}, "
                    f"mean {fmt(mean)}; their ∂L/∂w add up to {fmt(grads)}")
        if hit.kind == "bias_node":
            return (f"A constant input 1: its edges are the biases of layer {hit.layer + 1} "
                    f"({snap.parameter_names[self.param_indices()[hit.layer][1]]})")
        if hit.kind == "ellipsis":
            n = self.sizes()[hit.layer]
            return f"{count(n - 2 * nl.EDGE_UNITS)} more units not drawn (the weights panel shows them all)"
        values = self.node_values()
        if hit.kind == "pixel":
            raw = self.context.dataset.X[self.context.sample][hit.i] if values else float("nan")
            side = self._geometry.image_side
            return f"pixel {hit.i} (row {hit.i // side + 1}, column {hit.i % side + 1}) = {fmt(raw, 6)}"
        name = self.unit_name(hit.layer, hit.i)
        if hit.layer == 0:
            feature = self.input_names()[hit.i] if self.input_names() else name
            label = name if feature == name else f"{name} ({feature})"
            if not values:
                return label
            raw = self.context.dataset.X[self.context.sample][hit.i]
            return f"{label} = {fmt(raw, 6)}; the network gets {fmt(values[0][hit.i])}"
        outs = self.output_names()
        if hit.layer == len(self.sizes()) - 1 and outs:
            name = f"{name} ({outs[hit.i]})"
        if not values:
            return name
        z, a = self._acts[hit.layer - 1]
        return f"{name}: z = {fmt(z[hit.i])}, a = {fmt(a[hit.i])}"

    def click(self, point: QPointF) -> None:
        """Select the weight under ``point``; empty space clears the selection."""
        hit = self.hit_test(point)
        if hit is None:
            self.context.select_weight(None)
        elif hit.is_weight:
            self.context.select_weight(self.weight_of(hit))

    # -- export -------------------------------------------------------------------------------------------------------
    def csv_table(self) -> tuple[list[str], list[list]]:
        header = ["layer", "from", "to", "weight", "gradient"]
        snap = self.snapshot
        if snap is None:
            return header, []
        rows, biases = [], []
        for k, (w_index, b_index) in enumerate(self.param_indices()):
            W, G = snap.weights[w_index], snap.gradients[w_index]
            for i in range(W.shape[0]):
                src = self.unit_name(k, i)
                rows.extend([k + 1, src, self.unit_name(k + 1, j), float(W[i, j]), float(G[i, j])]
                            for j in range(W.shape[1]))
            if b_index is not None:
                b, gb = snap.weights[b_index], snap.gradients[b_index]
                biases.extend([k + 1, "bias", self.unit_name(k + 1, j), float(b[j]), float(gb[j])]
                              for j in range(len(b)))
        return header, rows + biases


NetworkView = NetworkPanel

if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(NetworkPanel, "gender-network", 200, (700, 500))

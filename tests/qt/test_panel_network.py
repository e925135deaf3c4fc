"""The network panel: what is drawn where, what hovering tells, what a click selects, the chosen row's values in
the units, images instead of 784 units, biases always visible, and exports."""

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QImage
from PySide6.QtWidgets import QApplication, QToolTip

from nnstudio.core.network import LayerSpec
from nnstudio.numbers import fixed, fmt
from nnstudio.qt.export import export_panel
from nnstudio.qt.panels import network_layout as nl
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.network import NetworkPanel
from nnstudio.training import Experiment, Trainer, presets
from tests.qt.panel_helpers import paint_recorded, panel_on, random_digits


def make_panel(qtbot, trainer, size=(700, 500)):
    panel = panel_on(qtbot, NetworkPanel, trainer, size)
    panel.set_snapshot(trainer.snapshot())
    return panel


@pytest.fixture
def gender():
    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=50)
    return t


def test_hover_over_an_edge_tells_weight_and_gradient(qtbot, gender):
    panel = make_panel(qtbot, gender)
    snap = panel.snapshot
    point = panel.edge_point(0, 0, 1)
    assert panel.hit_test(point) == nl.Hit("edge", 0, 0, 1)
    w, g = float(snap.weights[0][0, 1]), float(snap.gradients[0][0, 1])
    assert panel.tooltip_at(point) == f"W1[0,1] = {fixed(w)} (x1 → h2), ∂L/∂w = {fmt(g)}"
    node = panel.drawing_geometry().center(1, 1)
    z, a = snap.forward_layers(gender.dataset.X[0])[0]
    assert panel.tooltip_at(node) == f"h2: z = {fmt(z[0, 1])}, a = {fmt(a[0, 1])}"
    assert panel.tooltip_at(QPointF(3, 3)) == ""
    at = point.toPoint()
    QApplication.sendEvent(panel.canvas, QHelpEvent(QEvent.Type.ToolTip, at, panel.canvas.mapToGlobal(at)))
    assert QToolTip.text() == f"W1[0,1] = {fixed(w)} (x1 → h2), ∂L/∂w = {fmt(g)}"


def test_click_selects_an_edge_and_empty_space_clears(qtbot, gender):
    panel = make_panel(qtbot, gender)
    context = panel.context
    with qtbot.waitSignal(context.selectionChanged):
        qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=panel.edge_point(0, 1, 0).toPoint())
    assert context.selection == (0, 1 * 2 + 0)  # W1 is 2x2: flat index of [1, 0]
    assert panel.edge_at(panel.edge_point(1, 1, 0)) == (2, 1)  # W2[1, 0]
    panel.click(panel.edge_point(1, 0, 0))
    assert context.selection == (2, 0)
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=QPoint(4, 4))
    assert context.selection is None


def test_biases_are_visible_and_selectable(qtbot, gender):
    panel = make_panel(qtbot, gender)
    g = panel.drawing_geometry()
    assert set(g.bias_nodes) == {0, 1}
    assert set(g.bias_labels) == {(0, 0), (0, 1), (1, 0)}
    box = g.bias_labels[(0, 1)]
    snap = panel.snapshot
    b, gb = float(snap.weights[1][1]), float(snap.gradients[1][1])
    assert panel.tooltip_at(box.center()) == f"b1[1] = {fixed(b)} (bias of h2), ∂L/∂b = {fmt(gb)}"
    panel.click(box.center())
    assert panel.context.selection == (1, 1)
    panel.click(panel.edge_point(1, nl.BIAS, 0, 0.5))
    assert panel.context.selection == (3, 0)  # b2[0]
    assert "constant input 1" in panel.tooltip_at(g.bias_nodes[0])


def test_no_bias_no_bias_node(qtbot):
    t = Trainer(presets.get("trask-neuron"))
    panel = make_panel(qtbot, t)
    g = panel.drawing_geometry()
    assert g.bias_nodes == {} and g.bias_labels == {}
    assert len(g.edges) == 3 and [g.n_drawn_nodes(c) for c in range(2)] == [3, 1]


def test_units_show_the_chosen_row(qtbot, gender):
    panel = make_panel(qtbot, gender)
    snap = panel.snapshot
    panel.sample_spin.setValue(3)
    assert panel.context.sample == 2
    assert "Charlie (male)" in panel.sample_label.text()
    values = panel.node_values()
    row = gender.dataset.X[2]
    np.testing.assert_allclose(values[0], snap.preprocessing.apply(row[None, :])[0])
    for k, (_, a) in enumerate(snap.forward_layers(row)):
        np.testing.assert_allclose(values[k + 1], a[0])
    panel.context.select_sample(0)
    assert panel.sample_spin.value() == 1
    np.testing.assert_allclose(panel.node_values()[2], snap.forward_layers(gender.dataset.X[0])[1][1][0])
    assert panel.tooltip_at(panel.drawing_geometry().center(0, 0)).startswith("x1 (weight (lb)) = 133")


def test_image_input_is_drawn_as_a_picture(qtbot):
    ds = random_digits(64)
    exp = Experiment(name="digits", dataset="random-784", layers=[LayerSpec(32, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.01, batch_size=16,
                     epochs=1, preprocessing="none")
    t = Trainer(exp, ds)
    t.run()
    panel = make_panel(qtbot, t)
    g = panel.drawing_geometry()
    assert g.image_rect is not None and g.image_side == 28
    assert g.n_drawn_nodes(0) == 0
    assert g.n_drawn_nodes(1) == 2 * nl.EDGE_UNITS and None in g.units[1]  # 32 units: an ellipsis
    assert g.n_drawn_nodes(2) == 10
    assert len(g.edges) < 400
    first = [e for e in g.edges if e.layer == 0 and e.i != nl.BIAS]
    assert len(first) == 2 * nl.EDGE_UNITS and all(e.i == nl.IMAGE for e in first)
    text = panel.tooltip_at(panel.edge_point(0, nl.IMAGE, 3, 0.7))
    assert text.startswith("784 weights from the image into h4: sum ") and \
        fixed(t.snapshot().weights[0][:, 3].sum()) in text
    assert panel.tooltip_at(g.image_rect.topLeft() + QPointF(1, 1)).startswith("pixel 0 ")
    assert panel.edge_at(panel.edge_point(0, nl.IMAGE, 3, 0.7)) is None  # a sum is not one weight
    np.testing.assert_allclose(panel.node_values()[1], t.snapshot().forward_layers(ds.X[0])[0][1][0])
    image = panel.canvas.grab().toImage()
    assert image.width() > 0


def test_focus_and_controls(qtbot, gender):
    panel = make_panel(qtbot, gender)
    assert panel.objectName() == "networkPanel"
    assert panel.focusPolicy() == Qt.FocusPolicy.StrongFocus
    panel.activateWindow()
    panel.setFocus()
    qtbot.waitUntil(panel.hasFocus, timeout=3000)
    panel.sample_spin.setFocus()
    qtbot.waitUntil(panel.sample_spin.hasFocus, timeout=3000)
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=QPoint(4, 4))
    assert QApplication.focusWidget() is panel  # a click in the drawing keeps the focus on the panel
    spin = panel.sample_spin
    assert spin.objectName() == "networkSampleSpin" and spin.accessibleName() and spin.toolTip()
    assert spin.maximum() == 4
    panel.context.select_weight((0, 0))
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    assert panel.context.selection is None
    qtbot.keyClick(panel, Qt.Key.Key_Down)
    assert panel.context.sample == 1


def test_empty_and_changing_data(qtbot, gender):
    panel = NetworkPanel(PanelContext())
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    assert panel.drawing_geometry() is None and panel.hit_test(QPointF(10, 10)) is None
    assert panel.csv_table() == (["layer", "from", "to", "weight", "gradient"], [])
    assert not panel.grab().isNull()
    panel.context.set_data(gender.dataset, gender.experiment)
    panel.set_snapshot(gender.snapshot())
    t = Trainer(presets.get("diabetes-regression"))
    panel.context.set_data(t.dataset, t.experiment)  # the old snapshot no longer fits: drawn without values
    assert panel.node_values() == [] and not panel.grab().isNull()
    panel.set_snapshot(t.snapshot())
    assert panel.sample_spin.maximum() == 20 and len(panel.node_values()) == 2


def test_exports(qtbot, gender, tmp_path):
    panel = make_panel(qtbot, gender)
    png = export_panel(panel, tmp_path / "network.png", 800, 500)
    image = QImage(str(png))
    assert (image.width(), image.height()) == (800, 500)
    assert len({image.pixel(x, y) for x in range(0, 800, 5) for y in range(0, 500, 5)}) > 3
    assert ET.parse(export_panel(panel, tmp_path / "network.svg")).getroot().tag.endswith("svg")
    with export_panel(panel, tmp_path / "network.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    snap = panel.snapshot
    assert rows[0] == ["layer", "from", "to", "weight", "gradient"]
    assert len(rows) - 1 == sum(w.size for w in snap.weights)  # 6 weights and 3 biases
    assert rows[1][:3] == ["1", "x1", "h1"] and float(rows[1][3]) == pytest.approx(float(snap.weights[0][0, 0]))
    assert ["2", "bias", "o1"] == rows[-1][:3] and float(rows[-1][4]) == pytest.approx(float(snap.gradients[3][0]))


def test_edges_are_drawn_a_batch_per_pen_weakest_first_and_plain_while_training(qtbot, gender):
    """Every edge is drawn once, in a batch per pen (its width from its weight's strength), weak before strong;
    antialiased when paused, not while training runs (smooth wide lines were most of a redraw's cost)."""
    from nnstudio.qt.panels.network_paint import EDGE_LEVELS

    panel = make_panel(qtbot, gender)
    n_edges = len(panel.drawing_geometry().edges)
    for training in (False, True):
        panel.context.set_training(training)
        painter = paint_recorded(panel)
        assert painter.single == 0  # nothing selected or hovered: no edge drawn on its own
        assert sum(b.lines for b in painter.batches) == n_edges
        assert len(painter.batches) <= 4 * (EDGE_LEVELS + 2)
        widths = [b.width for b in painter.batches]
        assert widths == sorted(widths) and widths[-1] == pytest.approx(5.6)  # the largest weight: full width
        assert {b.antialiased for b in painter.batches} == {not training}


def test_an_export_during_a_run_draws_smooth_edges(qtbot, gender, tmp_path, monkeypatch):
    """Plain edges are for the screen while a run goes on (speed); a file gets them antialiased."""
    from nnstudio.qt.export import export_panel
    from nnstudio.qt.panels import network as network_module
    from nnstudio.qt.panels.network_paint import paint_network

    panel = make_panel(qtbot, gender)
    panel.context.set_training(True)
    marked = []
    monkeypatch.setattr(network_module, "paint_network",
                        lambda p, pnl, *a: (marked.append(getattr(pnl, "exporting", False)), paint_network(p, pnl, *a)))
    export_panel(panel, tmp_path / "network.png", 600, 400)
    assert marked and all(marked) and not panel.exporting  # drawn for the file as an export, and back after
    for exporting in (True, False):
        panel.exporting = exporting
        painter = paint_recorded(panel)
        assert {b.antialiased for b in painter.batches} == {exporting}  # smooth for a file, plain on screen

"""The activation panel: the drawn curves are the activation and its derivative, the points are the layer's last-batch
pre-activations on the curve, and the saturation / dead-unit count is right."""

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage

from nnstudio.core import activations
from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.qt.export import export_panel
from nnstudio.qt.panels.activation import ActivationPanel, slope_status
from nnstudio.qt.panels.base import PanelContext
from nnstudio.training import Experiment, Trainer, presets


def _trainer(layers, loss="binary_cross_entropy", epochs=3, dataset="xor"):
    exp = Experiment(name="t", dataset=dataset, layers=layers, loss=loss, init="xavier", optimizer="adam",
                     learning_rate=0.01, batch_size=16, epochs=epochs)
    t = Trainer(exp)
    t.run()
    return t


def _make(qtbot, trainer):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = ActivationPanel(context)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    panel.set_snapshot(trainer.snapshot())
    panel.finish()
    return context, panel


def _gender():
    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=50)
    return t


def test_names_and_layer_chooser(qtbot):
    _, panel = _make(qtbot, _trainer([LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")]))
    assert panel.objectName() == "activationPanel" and panel.accessibleName() == "Activation"
    combo = panel.layer_combo
    assert combo.objectName() == "activationLayerCombo"
    assert [combo.itemText(i) for i in range(combo.count())] == ["Layer 1 (tanh, 4 units)",
                                                                 "Layer 2 (sigmoid, 1 unit, output)"]
    for widget in (combo, panel.step_check):
        assert widget.accessibleName() and widget.toolTip()


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_curve_is_the_activation_and_its_derivative(qtbot, name):
    trainer = _trainer([LayerSpec(3, name), LayerSpec(1, "sigmoid")])
    _, panel = _make(qtbot, trainer)
    z, f, fp = panel.curve_data()
    act = activations.get(name)
    assert np.array_equal(f, act.forward(z)) and np.array_equal(fp, act.derivative(z, act.forward(z)))
    assert 0.0 in z
    Z = trainer.snapshot().layer_z[0]
    assert z[0] <= min(act.plot_range[0], Z.min()) and z[-1] >= max(act.plot_range[1], Z.max())
    xs, ys = panel.f_curve.getData()
    assert np.array_equal(xs, z) and np.array_equal(ys, f)
    assert act.formula in panel.formula.text() and act.derivative_formula in panel.formula.text()


def test_points_sit_on_the_curve_at_the_batch_pre_activations(qtbot):
    trainer = _trainer([LayerSpec(20, "tanh"), LayerSpec(1, "sigmoid")])  # more units than colours
    _, panel = _make(qtbot, trainer)
    Z = trainer.snapshot().layer_z[0]
    z, a = panel.point_data()
    assert z.shape == Z.shape == (Z.shape[0], 20)
    assert np.array_equal(z, Z) and np.array_equal(a, np.tanh(Z))


def test_range_widens_to_the_values(qtbot):
    trainer = _gender()  # raw pounds and inches: |z| far beyond the sigmoid's usual -6..6
    _, panel = _make(qtbot, trainer)
    z, _, _ = panel.curve_data()
    Z = trainer.snapshot().layer_z[0]
    assert z[0] < Z.min() and z[-1] >= 6


def test_saturation_count_for_a_hand_made_batch(qtbot):
    trainer = _trainer([LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")])
    _, panel = _make(qtbot, trainer)
    snap = trainer.snapshot()
    Z = np.array([[5.0, -4.0, 0.1, 3.0],
                  [6.0, -3.5, -0.2, 0.0],
                  [4.0, -5.0, 0.3, 0.5]])  # units 0 and 1 flat for every sample, unit 3 for one in three
    panel.set_snapshot(dataclasses.replace(snap, layer_z=(Z, snap.layer_z[1])))
    panel.finish()
    assert panel.status.text() == ("2 of 4 units saturated (f′ < 0.05 for most samples): units 0, 1 "
                                   "(last batch, 3 samples)")


def test_dead_relu_count_for_a_hand_made_batch(qtbot):
    trainer = _trainer([LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")])
    _, panel = _make(qtbot, trainer)
    snap = trainer.snapshot()
    Z = np.array([[-1.0, 0.0, 2.0, -3.0], [-2.0, -0.5, -1.0, 0.5]])
    panel.set_snapshot(dataclasses.replace(snap, layer_z=(Z, snap.layer_z[1])))
    panel.finish()
    assert panel.status.text() == "2 of 4 units dead (z ≤ 0 for every sample): units 0, 1 (last batch, 2 samples)"


def test_slope_status_other_functions():
    Z = np.zeros((2, 3))
    assert slope_status("identity", Z, Z, np.ones_like(Z), False).startswith("identity: f′ never falls to 0")
    assert "no gradient" in slope_status("step", Z, Z, Z, False)
    sig = activations.get("sigmoid")
    Zo = np.array([[8.0], [-9.0]])
    assert slope_status("sigmoid", Zo, sig.forward(Zo), sig.derivative(Zo, sig.forward(Zo)), True) == (
        "1 of 1 unit saturated (f′ < 0.05 for most samples): unit 0 (last batch, 2 samples); the loss cancels "
        "this slope at the output")


def test_softmax_draws_the_diagonal_and_says_so(qtbot):
    rng = np.random.default_rng(0)
    ds = Dataset(name="three", title="three blobs", task="multiclass", X=rng.normal(size=(60, 2)),
                 y=np.arange(60) % 3, feature_names=("x1", "x2"), class_names=("a", "b", "c"))
    exp = Experiment(name="t", dataset="three", layers=[LayerSpec(5, "relu"), LayerSpec(3, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.1, batch_size=20,
                     epochs=2, preprocessing="none")
    trainer = Trainer(exp, ds)
    trainer.run()
    _, panel = _make(qtbot, trainer)
    panel.layer_combo.setCurrentIndex(1)
    softmax = activations.get("softmax")
    z, f, fp = panel.curve_data()
    a = softmax.forward(np.column_stack([z, np.zeros((len(z), 2))]))[:, 0]  # unit 0, the other two held at 0
    assert np.array_equal(f, a) and np.array_equal(fp, a * (1 - a))
    assert "diagonal" in panel.formula.text() and "aₖ(1 − aₖ)" in panel.formula.text()
    Z = trainer.snapshot().layer_z[1]
    zs, fs = panel.point_data()
    assert np.array_equal(zs, Z) and np.array_equal(fs, softmax.forward(Z))
    assert "outputs near 0 or 1" in panel.status.text() and "ŷ − y" in panel.status.text()


def test_step_comparison(qtbot):
    _, panel = _make(qtbot, _gender())
    assert not panel.step_curve.isVisible()
    panel.set_compare_step(True)
    panel.finish()
    assert panel.step_check.isChecked() and panel.step_curve.isVisible()
    z, _, _ = panel.curve_data()
    xs, ys = panel.step_curve.getData()
    assert np.array_equal(xs, z) and np.array_equal(ys, (z >= 0).astype(float))
    assert "step(z)" in [label.text for _, label in panel.legend.items]
    panel.set_compare_step(False)
    assert not panel.step_curve.isVisible()


def test_selected_weight_highlights_its_unit(qtbot):
    trainer = _trainer([LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")])
    context, panel = _make(qtbot, trainer)
    context.select_weight((0, 6))  # W1 is 2x4: flat 6 is row 1, unit 2
    panel.finish()
    Z = trainer.snapshot().layer_z[0]
    x, y = panel.chosen.getData()
    assert np.array_equal(x, Z[:, 2]) and np.array_equal(y, np.tanh(Z[:, 2]))
    context.select_weight((3, 0))  # b2: not in the chosen layer
    panel.finish()
    assert len(panel.chosen.getData()[0]) == 0


def test_csv_table_rows(qtbot):
    trainer = _trainer([LayerSpec(3, "sigmoid"), LayerSpec(1, "sigmoid")])
    _, panel = _make(qtbot, trainer)
    header, rows = panel.csv_table()
    Z = trainer.snapshot().layer_z[0]
    assert header == ["unit", "sample", "z", "f(z)", "f'(z)"]
    assert len(rows) == Z.size
    a = 1 / (1 + np.exp(-Z[1, 2]))
    assert rows[2 * Z.shape[0] + 1] == [2, 1, float(Z[1, 2]), pytest.approx(a, abs=1e-15),
                                        pytest.approx(a * (1 - a), abs=1e-15)]


def test_other_network_shapes(qtbot):
    gender = _gender()
    context, panel = _make(qtbot, gender)
    other = _trainer([LayerSpec(6, "relu"), LayerSpec(5, "tanh"), LayerSpec(1, "sigmoid")])
    context.set_data(other.dataset, other.experiment)
    panel.set_snapshot(other.snapshot())
    panel.layer_combo.setCurrentIndex(1)
    assert panel.layer_combo.count() == 3
    zs, _ = panel.point_data()
    assert np.array_equal(zs, other.snapshot().layer_z[1])
    panel.set_snapshot(gender.snapshot())  # fewer layers: the chooser is rebuilt and stays valid
    panel.finish()
    assert panel.layer_combo.count() == 2 and panel.point_data()[0].shape[1] in (1, 2)


def test_before_any_update(qtbot):
    _, panel = _make(qtbot, Trainer(presets.get("trask-neuron")))
    assert panel.status.text().startswith("No batch yet")
    assert panel.csv_table()[1] == [] and panel.curve_data()[0].size


def test_export_png_svg_csv(qtbot, tmp_path):
    _, panel = _make(qtbot, _trainer([LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")]))
    image = QImage(str(export_panel(panel, tmp_path / "a.png", 800, 500)))
    assert (image.width(), image.height()) == (800, 500)
    assert len({image.pixel(x, y) for x in range(0, 800, 13) for y in range(0, 500, 11)}) > 20
    assert ET.parse(export_panel(panel, tmp_path / "a.svg")).getroot().tag.endswith("svg")
    lines = export_panel(panel, tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "unit,sample,z,f(z),f'(z)" and len(lines) == 1 + len(panel.csv_table()[1])


def test_right_click_on_the_plot_opens_only_the_panel_export_menu(qtbot, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMenu

    opened = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, *a: opened.append("pyqtgraph menu"))
    monkeypatch.setattr(ActivationPanel, "contextMenuEvent", lambda panel, ev: opened.append("panel menu"))
    _, panel = _make(qtbot, _gender())
    view = panel.plot
    pos = view.mapFromScene(view.getPlotItem().vb.sceneBoundingRect().center())
    QTest.mouseClick(view.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, pos)
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                              view.viewport().mapToGlobal(pos)))
    assert opened == ["panel menu"]


def _dot_colours(panel) -> list[tuple[int, int, int]]:
    return [tuple(b.color().getRgb()[:3]) for b in panel.dots.data["brush"]]


def test_next_batch_moves_the_points_without_restyling_them(qtbot):
    """A redraw while training: the same units and rows, new values. The points move to the new batch's values and
    keep their unit's colour, and their brushes are not made again (that was most of a redraw's cost)."""
    from nnstudio.qt.panels.colormaps import UNIT_COLOURS

    trainer = _trainer([LayerSpec(20, "tanh"), LayerSpec(1, "sigmoid")])
    _, panel = _make(qtbot, trainer)
    styled = panel.dot_points.restyled
    brushes = list(panel.dots.data["brush"])
    trainer.run(max_updates=3)
    Z = trainer.snapshot().layer_z[0]
    panel.set_snapshot(trainer.snapshot())
    panel.finish()
    z, a = panel.point_data()
    assert np.array_equal(z, Z) and np.array_equal(a, np.tanh(Z))
    assert panel.dot_points.restyled == styled
    assert all(x is y for x, y in zip(panel.dots.data["brush"], brushes))
    n = Z.shape[0]
    assert _dot_colours(panel) == [UNIT_COLOURS[u % len(UNIT_COLOURS)] for u in range(20) for _ in range(n)]
    # another layer: other units, so the points are styled again
    panel.layer_combo.setCurrentIndex(1)
    panel.finish()
    assert panel.dot_points.restyled == styled + 1
    assert _dot_colours(panel) == [UNIT_COLOURS[0]] * n


def test_steady_range_widens_at_once_and_narrows_only_by_half():
    from nnstudio.qt.panels.activation import steady_range

    assert steady_range((-4.0, 5.0), (-3.0, 6.0)) == (-4.0, 6.0)  # wider on one side: both kept
    assert steady_range((-4.0, 6.0), (-4.0, 5.0)) == (-4.0, 6.0)  # a little narrower: stays
    assert steady_range((-40.0, 60.0), (-4.0, 5.0)) == (-4.0, 5.0)  # far narrower: follows


def test_while_training_the_axis_does_not_follow_each_batch(qtbot):
    """Each batch has its own extremes: while a run goes on, a batch a little narrower than the last one leaves the
    z axis and the curve as they are (redrawing them was most of a redraw); once paused the axis fits again."""
    trainer = _trainer([LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")])
    context, panel = _make(qtbot, trainer)
    snap = trainer.snapshot()
    wide = np.array([[-9.0, 0.5, 1.0, 2.0], [8.0, -1.0, 0.0, 0.3]])
    narrow = wide * 0.8
    context.set_training(True)
    panel.set_snapshot(dataclasses.replace(snap, layer_z=(wide, snap.layer_z[1])))
    panel.finish()
    shown, curve = panel._range, panel.f_curve.getData()[0]
    panel.set_snapshot(dataclasses.replace(snap, layer_z=(narrow, snap.layer_z[1])))
    panel.finish()
    assert panel._range == shown and panel.f_curve.getData()[0] is curve
    z, _ = panel.point_data()
    assert np.array_equal(z, narrow)  # the points do move
    context.set_training(False)
    panel.set_snapshot(dataclasses.replace(snap, layer_z=(narrow * 1.0, snap.layer_z[1])))
    panel.finish()
    assert panel._range[1] - panel._range[0] < shown[1] - shown[0]


def test_rug_has_a_mark_per_pixel_column_not_per_value(qtbot):
    """Marks in one pixel column lie on top of each other: one is drawn per column holding values, at most one per
    pixel of the plot's width, and every value has a mark within a pixel of it."""
    trainer = _trainer([LayerSpec(20, "tanh"), LayerSpec(1, "sigmoid")])
    _, panel = _make(qtbot, trainer)
    snap = trainer.snapshot()
    Z = np.random.default_rng(3).uniform(-3, 3, size=(100, 20))
    panel.set_snapshot(dataclasses.replace(snap, layer_z=(Z, snap.layer_z[1])))
    panel.finish()
    xs, _ = panel.rug.getData()
    marks = np.unique(xs)
    vb = panel.plot.getViewBox()
    (x0, x1), _ = vb.viewRange()
    pixel = (x1 - x0) / vb.width()
    zs, _ = panel.point_data()
    assert len(marks) <= vb.width() + 1 and len(marks) < Z.size
    assert np.abs(zs.ravel()[:, None] - marks[None, :]).min(axis=1).max() <= pixel

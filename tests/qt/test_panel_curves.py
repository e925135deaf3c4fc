"""The curves panel draws the snapshot's history: thinned but never invented, per epoch and per row, on linear and
log axes; and exports what it draws."""

import csv
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage

from nnstudio.core.network import LayerSpec
from nnstudio.qt.export import export_panel
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.curves import CurvesPanel, thin, updates_per_epoch
from nnstudio.training import Experiment, Trainer, presets


@pytest.fixture
def perceptron(trained_lesson):
    """The perceptron lesson after its 50,000 updates (trained once for the test session)."""
    return trained_lesson("perceptron-50k")


def make_panel(qtbot, trainer, snap=None):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = CurvesPanel(context)
    qtbot.addWidget(panel)
    panel.resize(500, 600)
    panel.set_snapshot(snap if snap is not None else trainer.snapshot())
    return panel


def spiral_trainer(epochs=4):
    exp = Experiment(name="spiral", dataset="spiral", layers=[LayerSpec(8, "tanh"), LayerSpec(8, "tanh"),
                                                              LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", init="xavier", optimizer="adam", learning_rate=0.01,
                     batch_size=16, shuffle=True, epochs=epochs)
    t = Trainer(exp)
    t.run()
    return t


def plain(label) -> str:
    """A rich-text legend as the learner reads it."""
    return re.sub(r"<[^>]+>", "", label.text()).replace("&nbsp;", " ")


def assert_points_of(x, y, hx, hy):
    """Every drawn point (x, y) is a recorded point of the history (hx, hy)."""
    idx = np.searchsorted(hx, x)
    assert np.all(idx < len(hx))
    np.testing.assert_array_equal(hx[idx], x)
    np.testing.assert_array_equal(hy[idx], y)


def test_thin_keeps_first_and_last_and_drops_only():
    x = np.arange(10_001)
    tx, ty = thin(x, x * 2.0)
    assert len(tx) <= 2001 and tx[0] == 0 and tx[-1] == 10_000
    np.testing.assert_array_equal(ty, tx * 2.0)
    sx, _ = thin(x[:50], x[:50])
    assert len(sx) == 50


def test_loss_per_update_is_the_thinned_history(qtbot, perceptron):
    snap = perceptron.snapshot()
    panel = make_panel(qtbot, perceptron, snap)
    x, y = panel.curve_arrays()["loss per update"]
    assert snap.step == 50_000
    assert 100 < len(x) <= 2100
    assert x[0] == snap.update_x[0] and x[-1] == snap.update_x[-1]
    assert_points_of(x, y, snap.update_x.astype(float), snap.update_loss)


def test_per_epoch_curves_equal_the_epoch_columns(qtbot):
    t = spiral_trainer()
    snap = t.snapshot()
    panel = make_panel(qtbot, t, snap)
    arrays = panel.curve_arrays()
    per_epoch = updates_per_epoch(snap, t.experiment.batch_size)
    assert per_epoch == int(np.ceil(t.n_train / 16))
    ex, ev = snap.epoch_x.astype(float), snap.epoch_values
    for name, col, scale in (("train loss per epoch", 0, per_epoch), ("test loss per epoch", 2, per_epoch),
                             ("train accuracy per epoch", 1, 1), ("test accuracy per epoch", 3, 1)):
        x, y = arrays[name]
        np.testing.assert_array_equal(x, ex * scale)
        np.testing.assert_array_equal(y, ev[:, col])
    assert "test set" in plain(panel.loss_area.legend) and "test accuracy" in plain(panel.metric_area.legend)
    assert not panel.errors_check.isEnabled()  # 150 rows: too many for per-row errors
    assert panel.errors_area.widget.isHidden()


def test_per_row_errors_for_the_toy_table(qtbot, perceptron):
    snap = perceptron.snapshot()
    panel = make_panel(qtbot, perceptron, snap)
    errors = {k: v for k, v in panel.curve_arrays().items() if k.startswith("error ")}
    assert list(errors) == ["error row 1 (target 0)", "error row 2 (target 1)", "error row 3 (target 1)",
                            "error row 4 (target 0)"]
    for k, (x, y) in enumerate(errors.values()):
        assert x[-1] == snap.error_x[-1] and len(x) <= 2100
        assert_points_of(x, y, snap.error_x.astype(float), snap.error_values[:, k])
    assert "row 4 (target 0)" in plain(panel.errors_area.legend)
    panel.errors_check.setChecked(False)
    assert panel.errors_area.widget.isHidden()
    assert not any(k.startswith("error ") for k in panel.curve_arrays())
    panel.errors_check.setChecked(True)
    assert not panel.errors_area.widget.isHidden()


def test_rows_named_in_the_gender_table(qtbot):
    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=3)
    panel = make_panel(qtbot, t)
    assert "error row 3 Charlie (target male)" in panel.curve_arrays()


def test_log_log_draws_positive_values_against_update_plus_one(qtbot, perceptron):
    snap = perceptron.snapshot()
    panel = make_panel(qtbot, perceptron, snap)
    panel.scale_combo.setCurrentIndex(panel.scale_combo.findText("log-log"))
    assert panel.scale() == "log_log"
    arrays = panel.curve_arrays()
    for name, (x, y) in arrays.items():
        assert len(x) and np.all(x > 0) and np.all(y > 0), name
    x, y = arrays["error row 1 (target 0)"]
    assert x[0] == 1  # update 0 drawn at 1
    # thinned evenly in log(update + 1), the axis's own scale
    np.testing.assert_array_equal(y, np.abs(thin(snap.error_x, snap.error_values[:, 0], log=True, shift=1)[1]))
    assert "log" in panel.loss_plot.getAxis("bottom").labelText
    assert "log" in panel.loss_plot.getAxis("left").labelText
    assert "log" in panel.errors_plot.getAxis("left").labelText
    assert panel.loss_plot.getPlotItem().ctrl.logXCheck.isChecked()
    # the CSV keeps the recorded numbers: the update and the signed error
    _, rows = panel.csv_table()
    first = next(r for r in rows if r[0] == "error row 1 (target 0)")
    assert first[1] == 0 and first[2] == pytest.approx(float(snap.error_values[0, 0]))
    panel.set_scale("log_y")
    x, _ = panel.curve_arrays()["loss per update"]
    assert x[0] == 0 and not panel.loss_plot.getPlotItem().ctrl.logXCheck.isChecked()
    panel.set_scale("linear")
    assert "log" not in panel.loss_plot.getAxis("left").labelText


def test_empty_state_and_controls(qtbot):
    panel = CurvesPanel(PanelContext())
    qtbot.addWidget(panel)
    assert panel.objectName() == "curvesPanel" and panel.curve_arrays() == {}
    assert panel.csv_table() == (["series", "x", "value"], [])
    assert "Step" in panel.status.text()
    for widget in (panel.scale_combo, panel.errors_check):
        assert widget.objectName() and widget.accessibleName() and widget.toolTip()
    assert [panel.scale_combo.itemText(i) for i in range(panel.scale_combo.count())] == ["linear", "log y",
                                                                                         "log-log"]


def test_new_data_clears_the_curves(qtbot, perceptron):
    panel = make_panel(qtbot, perceptron)
    t = Trainer(presets.get("diabetes-regression"))
    panel.context.set_data(t.dataset, t.experiment)
    assert panel.curve_arrays() == {}
    panel.set_snapshot(t.snapshot())
    assert "train R² per epoch" in panel.curve_arrays()
    assert panel.metric_plot.getAxis("left").labelText == "R²"


def test_exports(qtbot, perceptron, tmp_path):
    panel = make_panel(qtbot, perceptron)
    png = export_panel(panel, tmp_path / "curves.png", 800, 500)
    image = QImage(str(png))
    assert (image.width(), image.height()) == (800, 500)
    colours = {image.pixel(x, y) for x in range(0, 800, 7) for y in range(0, 500, 7)}
    assert len(colours) > 3
    svg = export_panel(panel, tmp_path / "curves.svg")
    assert ET.parse(svg).getroot().tag.endswith("svg")
    path = export_panel(panel, tmp_path / "curves.csv")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["series", "x", "value"]
    series = {r[0] for r in rows[1:]}
    assert {"loss per update", "train loss per epoch", "train accuracy per epoch",
            "error row 2 (target 1)"} <= series
    assert len(rows) - 1 == sum(len(x) for x, _ in panel.curve_arrays().values())


def test_long_curves_are_drawn_one_pixel_wide(qtbot):
    """Qt strokes a line wider than 1 px some 40 times slower; a curve of more than DENSE points is redrawn live,
    so it is drawn 1 px wide. Short ones keep their width (and the data is the same either way)."""
    from nnstudio.qt.panels.curves import DENSE

    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=50)
    panel = make_panel(qtbot, t)
    panel.finish()  # a hidden panel draws when asked
    short = panel.metric_area.curves["train"]
    assert len(short.getData()[0]) <= DENSE and short.opts["pen"].widthF() == 2
    t.run()  # 1,000 epochs
    panel.set_snapshot(t.snapshot())
    panel.finish()
    long = panel.metric_area.curves["train"]
    assert len(long.getData()[0]) > DENSE and long.opts["pen"].widthF() == 1
    np.testing.assert_array_equal(long.getData()[1], t.snapshot().epoch_values[:, 1])


def test_curves_that_did_not_change_are_not_set_again(qtbot):
    """Within an epoch only the loss per update changes: the per-epoch curves keep their items' data (setting a
    curve again rebuilds its path and symbols), and everything drawn is still the snapshot's history."""
    exp = Experiment(name="spiral", dataset="spiral", layers=[LayerSpec(8, "tanh"), LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", init="xavier", optimizer="adam", learning_rate=0.01,
                     batch_size=16, shuffle=True, epochs=100)
    t = Trainer(exp)
    t.run(max_epochs=3)
    panel = make_panel(qtbot, t)
    panel.show()  # drawn at every snapshot (a hidden panel waits until shown)
    calls = {}
    for area in (panel.loss_area, panel.metric_area):
        for key, curve in area.curves.items():
            def counted(*a, _set=curve.setData, _key=(id(area), key), **k):
                calls[_key] = calls.get(_key, 0) + 1
                return _set(*a, **k)
            curve.setData = counted
    t.run(max_updates=2)  # the same epoch
    snap = t.snapshot()
    panel.set_snapshot(snap)
    panel.finish()
    set_keys = {key for _, key in calls}
    assert set_keys == {"update"}, set_keys
    arrays = panel.curve_arrays()
    assert_points_of(*arrays["loss per update"], snap.update_x.astype(float), snap.update_loss)
    t.run(max_epochs=snap.epoch + 1)  # a new epoch: its curves are set again
    panel.set_snapshot(t.snapshot())
    panel.finish()
    assert {"train", "test"} <= {key for _, key in calls}
    x, y = panel.curve_arrays()["train accuracy per epoch"]
    np.testing.assert_array_equal(y, t.snapshot().epoch_values[:, 1])


def test_the_empty_frame_keeps_0_and_1_numbered_at_any_height_and_leaves_a_zoom_alone(qtbot):
    """Before the first update the plots show a tidy frame, y from 0 to 1; its margins are worked out for the plot's
    height, so they are worked out again when the plot is laid out (it is made small and grows)."""
    from nnstudio.qt.panels.fastplot import FollowedRange

    t = Trainer(presets.get("trask-neuron"))  # not trained: the frame, with the loss of the start as one dot
    panel = make_panel(qtbot, t)
    panel.show()
    qtbot.waitExposed(panel)
    for height in (420, 900):
        panel.resize(500, height)
        qtbot.wait(20)
        for area in (panel.loss_area, panel.metric_area):
            vb = area.plot.getViewBox()
            (_, _), (y0, y1) = vb.viewRange()
            pixels = vb.height()
            assert (0 - y0) / (y1 - y0) * pixels >= FollowedRange.PIXELS - 0.01, (height, y0, y1, pixels)
            assert (y1 - 1) / (y1 - y0) * pixels >= FollowedRange.PIXELS - 0.01, (height, y0, y1, pixels)
    vb = panel.loss_area.plot.getViewBox()
    vb.setRange(yRange=(0.2, 0.4), padding=0)
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])  # as a wheel or drag over the plot says
    panel.resize(500, 500)
    qtbot.wait(20)
    assert vb.viewRange()[1] == pytest.approx([0.2, 0.4])

"""Every live view copes with any number a run produces: a snapshot of a diverged run (weights of 1e300, losses of
inf, NaN gradients, a path that goes to 1e40) is drawn without handing Qt anything but finite numbers near what it
shows, and every number a view writes stays short."""

import dataclasses
import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QLabel

from nnstudio.qt.panels import panel_classes
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.curves import CurvesPanel
from nnstudio.qt.panels.surface import LossSurfacePanel
from nnstudio.qt.panels.try_it import TryItPanel
from nnstudio.training import Trainer, presets
from tests.qt.panel_helpers import panel_on

BIG, HUGE = 1e300, 1e40
LIMIT = 1e15  # what the views promise: no coordinate handed to Qt beyond this (nnstudio.qt.panels.bounds.LIMIT)


def box_around(x_range, y_range, margin=2.0):
    """A view's rectangle widened by two of its own widths and heights on each side (bounds.box_around)."""
    (x0, x1), (y0, y1) = sorted(x_range), sorted(y_range)
    dx, dy = ((b - a if b > a else 1.0) * margin for a, b in ((x0, x1), (y0, y1)))
    return x0 - dx, x1 + dx, y0 - dy, y1 + dy


def inside(x, y, box):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & np.isfinite(y) & (x >= box[0]) & (x <= box[1]) & (y >= box[2]) & (y <= box[3])


def diverged(snap):
    """The snapshot as a run that blew up would leave it: every kind of number a view is handed turned extreme."""
    def spoil(a, *values):
        a = np.array(a, dtype=np.float64, copy=True)
        flat = a.reshape(-1)
        for k, v in enumerate(values):
            if k < flat.size:
                flat[-1 - k] = v
        return a

    weights = tuple(spoil(w, BIG, np.nan, -np.inf) for w in snap.weights)
    return dataclasses.replace(
        snap, weights=weights, gradients=tuple(spoil(g, np.inf, -BIG, np.nan) for g in snap.gradients),
        update_loss=spoil(snap.update_loss, np.inf, 1e304, HUGE), loss=float("inf"),
        weight_values=spoil(snap.weight_values, BIG, np.nan, -HUGE),
        error_values=spoil(snap.error_values, -np.inf, BIG, np.nan),
        epoch_values=spoil(snap.epoch_values, np.nan, -BIG, np.inf, BIG),
        layer_z=tuple(spoil(z, BIG, np.nan, -np.inf) for z in snap.layer_z),
        last_outputs=None if snap.last_outputs is None else spoil(snap.last_outputs, np.nan, BIG))


def items_of(widget):
    """Every graphics item on every pyqtgraph view inside ``widget``."""
    for view in widget.findChildren(pg.GraphicsView):
        yield from view.scene().items()


def drawn_points(item):
    """(x, y, log_x, log_y) an item hands Qt, as given to it (before pyqtgraph's own log transform)."""
    if isinstance(item, pg.PlotDataItem):
        log_x, log_y = item.opts.get("logMode", (False, False))
        return item.xData, item.yData, log_x, log_y
    if isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        return item.xData, item.yData, False, False
    if isinstance(item, pg.ScatterPlotItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        return item.data["x"], item.data["y"], False, False
    return None


def assert_bounded(widget):
    """Nothing Qt paints is infinite, NaN or beyond ±LIMIT (on a log axis: nothing that has no finite log), and every
    view's range is finite; a view's points lie within a few views of what it shows."""
    for item in items_of(widget):
        got = drawn_points(item)
        if got is not None and got[0] is not None and len(got[0]):
            x, y, log_x, log_y = (np.asarray(got[0], dtype=np.float64), np.asarray(got[1], dtype=np.float64),
                                  *got[2:])
            for values, log in ((x, log_x), (y, log_y)):
                assert np.isfinite(values).all(), (type(item).__name__, values)
                assert (values > 0).all() if log else (np.abs(values) <= LIMIT).all(), (type(item).__name__, values)
            vb = item.getViewBox()
            if vb is not None and not (log_x or log_y) and not vb.autoRangeEnabled()[0]:
                (x0, x1), (y0, y1) = vb.viewRange()
                assert inside(x, y, box_around((x0, x1), (y0, y1))).all(), (type(item).__name__, x, y, vb.viewRange())
        if isinstance(item, pg.ImageItem) and item.image is not None:
            image = np.asarray(item.image, dtype=np.float64)
            assert not np.isinf(image).any() and (np.abs(image[np.isfinite(image)]) <= LIMIT).all()
        if isinstance(item, pg.ViewBox):
            assert np.isfinite(item.viewRange()).all() and (np.abs(item.viewRange()) <= 1.1 * LIMIT).all()  # (+padding)


def assert_short_numbers(widget):
    """No label writes a number with a run of 12 digits or more (1334104259308392798346... after a divergence)."""
    for label in widget.findChildren(QLabel):
        assert not re.search(r"\d{12,}", label.text()), label.text()
    for item in items_of(widget):
        if isinstance(item, (pg.TextItem, pg.LabelItem)):
            text = item.textItem.toPlainText() if isinstance(item, pg.TextItem) else item.text
            assert not re.search(r"\d{12,}", text), text


def trained(name, epochs=None, **changes):
    t = Trainer(presets.get(name).replace(**changes) if changes else presets.get(name))
    t.run(max_epochs=epochs)
    return t


@pytest.mark.parametrize("lesson,epochs", [("gender-network", 20), ("diabetes-regression", 20),
                                           ("perceptron-50k", 100)])
def test_every_panel_draws_a_diverged_snapshot(qtbot, lesson, epochs):
    t = trained(lesson, epochs)
    bad = diverged(t.snapshot())
    for name, cls in panel_classes().items():
        panel = panel_on(qtbot, cls, t, (700, 520), exposed=False)
        panel.set_snapshot(bad)
        panel.finish()
        assert_bounded(panel)
        assert_short_numbers(panel)
        panel.grab()  # paints every item: no exception, no crash
        assert_bounded(panel)  # (ranges pyqtgraph works out while painting too)
        if name == "predictions" and panel.kind == "plane":
            panel.view_combo.setCurrentIndex(0)
            panel.finish()
            assert_bounded(panel)
            panel.grab()


def test_hover_texts_stay_short(qtbot):
    from nnstudio.qt.panels.network import NetworkPanel
    from nnstudio.qt.panels.weights import WeightsPanel

    t = trained("gender-network", 20)
    bad = diverged(t.snapshot())
    context = PanelContext()
    context.set_data(t.dataset, t.experiment)
    weights, network = WeightsPanel(context), NetworkPanel(context)
    for panel in (weights, network):
        qtbot.addWidget(panel)
        panel.resize(700, 500)
        panel.set_snapshot(bad)
    weights.finish()
    texts = [weights.hover_text(layer, row, unit) for layer, view in enumerate(weights.layer_views)
             for row in range(view.n_in + 1) for unit in range(view.n_out)]
    texts += [network.describe_weight((p, k)) for p, w in enumerate(bad.weights) for k in range(w.size)]
    for text in texts:
        assert len(text) < 90 and not re.search(r"\d{12,}", text), text
    assert any("1.000e+300" in text for text in texts) and any("nan" in text for text in texts)


def test_try_it_answers_a_diverged_network_in_short(qtbot):
    t = trained("gender-network", 20)
    panel = TryItPanel()
    qtbot.addWidget(panel)
    panel.set_dataset(t.dataset)
    panel.set_snapshot(diverged(t.snapshot()))
    assert len(panel.output.text()) < 120 and not re.search(r"\d{12,}", panel.output.text())


# -- the loss surface: a path that leaves the plot -------------------------------------------------------------------
def surface_panel(qtbot):
    """The trainer of the regression lesson after 3 epochs, and a loss surface panel (not shown) on its data."""
    t = trained("diabetes-regression", 3)
    return t, panel_on(qtbot, LossSurfacePanel, t, (720, 560), show=False)


def test_surface_path_that_leaves_is_cut_at_the_plot_and_named(qtbot):
    """Item 1: the diabetes path went to 1e34..1e42 and Qt died painting it. The path's far points (1e40, inf, NaN)
    are not handed to Qt; the line runs to the edge of a box a few plots wide, and the note says where it left."""
    t, panel = surface_panel(qtbot)
    snap = t.snapshot()
    panel.set_snapshot(snap)
    panel.finish()  # the grid around the current weights
    assert panel.grid()[2].size
    n = len(snap.weight_x)
    far = np.array([[HUGE, -HUGE], [np.inf, 3.0], [np.nan, np.nan], [2 * HUGE, 1.0]])
    x = np.r_[snap.weight_x, snap.step + 1 + np.arange(len(far))]
    moved = dataclasses.replace(snap, step=snap.step + len(far) + 1, weight_x=x,
                                weight_values=np.vstack([snap.weight_values, far]))
    panel.set_snapshot(moved)
    panel.draw_pending()
    panel._update_path()
    assert len(panel.path_points()) == n + len(far) + 1  # the panel keeps the whole path...
    (x0, x1), (y0, y1) = panel.view.plot.getViewBox().viewRange()
    box = box_around((x0, x1), (y0, y1))
    view = panel.view
    for item in (view.path_line, view.path_shadow):  # ...and hands Qt only what lies in the box
        lx, ly = item.xData, item.yData
        assert len(lx) >= 2 and inside(lx, ly, box).all()
    for item in (view.path_dots, view.start_marker, view.current_marker):
        assert inside(item.data["x"], item.data["y"], box).all()
    assert f"left the plot at update {int(x[n]):,}" in panel.note.text()
    assert "reach 2.000e+40" in panel.note.text()  # the farthest finite coordinate
    assert_bounded(panel)
    panel.grab()


def test_surface_cut_with_infinite_losses(qtbot):
    t, panel = surface_panel(qtbot)
    panel.cut_check.setChecked(True)
    panel.set_snapshot(t.snapshot())
    panel.finish()
    plan, result = panel._plan, panel._result
    Z = result.Z.copy()
    Z[:5], Z[-3:] = np.inf, BIG
    panel.view.show_cut(plan, Z)
    panel.view.show_path(np.array([[plan.origin[0], 0.0], [HUGE, 0.0], [np.nan, 0.0], [plan.origin[0], 0.0]]))
    (y0, y1) = panel.view.cut_plot.getViewBox().viewRange()[1]
    assert y1 < LIMIT
    assert_bounded(panel)
    panel.grab()


def test_no_slice_around_weights_that_blew_up(qtbot):
    t, panel = surface_panel(qtbot)
    snap = t.snapshot()
    blown = dataclasses.replace(snap, weights=tuple(np.full_like(w, 3e152) for w in snap.weights))
    panel.set_snapshot(blown)
    panel.finish()
    assert "too large" in panel.note.text() and "3.000e+152" in panel.note.text()
    assert_bounded(panel)


# -- curves: ranges from finite, sane data ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def blown_run():
    """The regression lesson at learning rate 1: it diverges within 70 updates (losses up to ~1e304, then inf)."""
    t = Trainer(presets.get("diabetes-regression").replace(learning_rate=1.0))
    t.run(max_epochs=200)
    assert t.snapshot().diverged
    return t


def assert_sane_ranges(panel, log_limit=400.0):
    for area in (panel.loss_area, panel.metric_area, panel.errors_area):
        (x0, x1), (y0, y1) = area.plot.getViewBox().viewRange()
        assert np.isfinite([x0, x1, y0, y1]).all()
        log = area.plot.getPlotItem().ctrl.logXCheck.isChecked(), area.plot.getPlotItem().ctrl.logYCheck.isChecked()
        for (lo, hi), is_log in (((x0, x1), log[0]), ((y0, y1), log[1])):
            assert hi - lo <= (log_limit if is_log else 3 * LIMIT), (area.plot.objectName(), lo, hi)


def test_curves_after_a_divergence_then_a_new_lesson(qtbot, blown_run):
    """Item 2: diverged on linear axes, then the perceptron lesson on log-log axes. The ranges come from the new
    data at once; the old one (±1e304, read as decades on a log axis) made pyqtgraph's tick code loop for ever."""
    panel = panel_on(qtbot, CurvesPanel, blown_run, (500, 600), exposed=False)
    panel.set_snapshot(blown_run.snapshot())
    panel.grab()
    assert_sane_ranges(panel)
    assert "left the plot at update" in panel.note.text()
    fresh = Trainer(presets.get("perceptron-50k"))
    panel.context.set_data(fresh.dataset, fresh.experiment)
    panel.set_scale("log_log")
    assert_sane_ranges(panel, log_limit=12)  # before any painting: nothing left over
    panel.set_snapshot(fresh.snapshot())
    assert_sane_ranges(panel, log_limit=12)
    panel.grab()
    fresh.run(max_epochs=20)
    panel.set_snapshot(fresh.snapshot())
    panel.grab()
    assert_sane_ranges(panel, log_limit=12)
    (_, _), (y0, y1) = panel.loss_plot.getViewBox().viewRange()
    assert -5 < y0 < y1 < 2  # log10 of the perceptron's losses
    assert panel.note.isHidden()


@pytest.mark.parametrize("scale", ["linear", "log_y", "log_log"])
def test_curves_of_a_diverged_run_then_a_fresh_one_on_the_same_data(qtbot, blown_run, scale):
    """A reset (same data, the history starts again) or an imported CSV: the axes follow the new, small history."""
    panel = panel_on(qtbot, CurvesPanel, blown_run, (500, 600), exposed=False)
    panel.set_scale(scale)
    panel.set_snapshot(blown_run.snapshot())
    panel.grab()
    assert_sane_ranges(panel)
    fresh = Trainer(presets.get("diabetes-regression"))
    fresh.run(max_epochs=3)
    panel.set_snapshot(fresh.snapshot())  # step went back: a new run
    panel.grab()
    assert_sane_ranges(panel)
    (_, _), (y0, y1) = panel.loss_plot.getViewBox().viewRange()
    top = float(np.max(fresh.snapshot().update_loss))
    assert y1 < (np.log10(top) + 1 if scale != "linear" else 2 * top)
    for side in ("left", "bottom"):
        axis = panel.loss_plot.getAxis(side)
        for spacing, values in axis.tickValues(*axis.range, 400):
            axis.tickStrings(values, 1.0, spacing)


def test_the_status_bar_keeps_a_diverged_runs_numbers_short(window, qtbot):
    """The run's last numbers before it blew up (loss ~1e300, R² ~-1e300) fit the status bar: one short formatter."""
    import dataclasses

    from nnstudio.training import presets

    exp = dataclasses.replace(presets.get("diabetes-regression"), learning_rate=1.0)
    window.session.ask_unsaved = lambda: "discard"
    assert window.controller.open_experiment(exp)
    for dialog in window._dialogs:
        dialog.close()
    window.worker.run()
    qtbot.waitUntil(lambda: not window.worker.running and window.worker.latest().step > 0, timeout=10000)
    snap = window.worker.latest()
    assert abs(snap.loss) > 1e30 or not np.isfinite(snap.loss)  # (it did blow up)
    window.pull_snapshot()
    for key in ("loss", "metric", "epoch", "updates"):
        text = window.status_labels[key].text()
        assert len(text) <= 20, (key, text)

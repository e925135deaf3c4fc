"""The loss-surface panel: its numbers are the Trainer's own losses, the path ends at the current weights, the exact
two-weight slice of the regression bottoms out at the least-squares solution, and the work runs off the GUI thread,
can be cancelled, and exports what is drawn."""

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QProgressBar, QWidget

from nnstudio.core.network import LayerSpec
from nnstudio.data.builtin import closed_form_line
from nnstudio.qt.export import export_panel
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.surface import LossSurfacePanel
from nnstudio.qt.panels.surface_job import CHOSEN, PCA, RANDOM, contour_segments
from nnstudio.training import Experiment, Trainer, presets


def trained(name, **changes):
    exp = presets.get(name)
    if changes:
        exp = exp.replace(**changes)
    t = Trainer(exp)
    t.run()
    return t


@pytest.fixture(scope="module")
def diabetes():
    return trained("diabetes-regression")


@pytest.fixture(scope="module")
def gender():
    return trained("gender-network")


def make_panel(qtbot, trainer, show=True):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = LossSurfacePanel(context)
    qtbot.addWidget(panel)
    panel.resize(720, 540)
    if show:
        panel.set_snapshot(trainer.snapshot())
    return panel


def settle(panel):
    """Let any background job end (tests that need a synchronous answer use finish())."""
    panel.cancel()
    panel._job.wait(20_000)


def loss_at_current(panel):
    alphas, betas, Z = panel.grid()
    a, b = panel.current_point()
    i = int(np.argmin(np.abs(alphas - a)))
    assert alphas[i] == a  # the grid holds the current weights exactly
    if Z.ndim == 1:
        return Z[i]
    j = int(np.argmin(np.abs(betas - b)))
    assert betas[j] == b
    return Z[j, i]


@pytest.mark.parametrize("preset, mode", [("diabetes-regression", CHOSEN), ("trask-neuron", CHOSEN),
                                          ("gender-network", PCA), ("gender-network", RANDOM),
                                          ("gender-network", CHOSEN)])
def test_surface_at_the_current_point_is_the_trainers_loss(qtbot, preset, mode):
    t = trained(preset)
    panel = make_panel(qtbot, t)
    panel.mode_combo.setCurrentText(mode)
    panel.finish()
    assert panel.mode_combo.currentText() == mode
    if panel._plan.fixed:
        # a network of two weights: the exact surface is centred on the start and does not follow the run; the
        # grid holds the starting weights exactly, and its loss there is the starting loss
        fresh = Trainer(t.experiment)
        expected = fresh.evaluate(fresh.X_train, fresh.Y_train)[0]
        alphas, betas, Z = panel.grid()
        a, b = panel.path_points()[0]
        i, j = int(np.argmin(np.abs(alphas - a))), int(np.argmin(np.abs(betas - b)))
        assert alphas[i] == a and betas[j] == b
        assert abs(Z[j, i] - expected) <= 1e-9 * max(1.0, abs(expected))
    else:
        expected = t.evaluate(t.X_train, t.Y_train)[0]
        assert abs(loss_at_current(panel) - expected) <= 1e-9
    settle(panel)


def test_the_cut_at_the_current_point_is_the_trainers_loss_and_a_parabola(qtbot, diabetes):
    panel = make_panel(qtbot, diabetes)
    panel.cut_check.setChecked(True)
    panel.finish()
    alphas, betas, Z = panel.grid()
    assert Z.ndim == 1 and len(betas) == 0 and len(alphas) == len(Z)
    assert abs(loss_at_current(panel) - diabetes.evaluate(diabetes.X_train, diabetes.Y_train)[0]) <= 1e-9
    # the mean squared error of y = m·x + b is quadratic in m: constant second differences
    second = np.diff(Z, 2)
    np.testing.assert_allclose(second, second[0], rtol=1e-6)
    assert second[0] > 0
    header, rows = panel.csv_table()
    assert header == ["alpha", "loss"] and len(rows) == len(Z)
    assert panel.axes() == ("W1[0,0] (m)", "loss")
    settle(panel)


def test_path_ends_at_the_current_weights(qtbot, diabetes):
    panel = make_panel(qtbot, diabetes)
    panel.finish()
    snap = diabetes.snapshot()
    path = panel.path_points()
    assert path.shape == (len(snap.training_path()[1]), 2)
    assert tuple(path[-1]) == panel.current_point()
    m, b = (float(w.ravel()[0]) for w in snap.weights)
    assert panel.current_point() == (m, b)
    assert tuple(path[0]) == (5.0, 10.0)  # the preset's starting weights
    assert panel.axes() == ("W1[0,0] (m)", "b1[0] (b)")
    settle(panel)


def test_path_moves_between_recomputes_and_the_grid_recentres_after_a_pause(qtbot):
    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=50)
    panel = make_panel(qtbot, t, show=False)
    with qtbot.waitSignal(panel.surfaceReady, timeout=20_000):
        panel.set_snapshot(t.snapshot())
    first_grid = panel.grid()
    first_step = t.step_count
    t.run(max_epochs=100)
    snap = t.snapshot()
    panel.set_snapshot(snap)
    qtbot.waitUntil(lambda: len(panel.path_points()) == len(snap.training_path()[1]), timeout=2000)
    # the grid stays; the path grows and ends at the new weights, projected onto the old plane
    np.testing.assert_array_equal(panel.grid()[2], first_grid[2])
    assert tuple(panel.path_points()[-1]) == panel.current_point()
    assert panel.current_point() != (0.0, 0.0)
    assert f"update {first_step:,}" in panel.note.text()
    with qtbot.waitSignal(panel.surfaceReady, timeout=20_000):
        pass  # no snapshot for a while counts as "paused": the grid re-centres on its own
    assert panel.current_point() == (0.0, 0.0)
    assert abs(loss_at_current(panel) - t.evaluate(t.X_train, t.Y_train)[0]) <= 1e-9
    settle(panel)


def test_exact_two_weight_slice_bottoms_out_at_the_least_squares_line(qtbot, diabetes):
    """After training, the (m, b) grid is wide enough to hold the least-squares solution, and the surface it shows
    is exactly the quadratic bowl whose lowest point that solution is."""
    panel = make_panel(qtbot, diabetes)
    panel.finish()
    alphas, betas, Z = panel.grid()
    m, b = closed_form_line(diabetes.dataset)
    assert alphas[0] < m < alphas[-1] and betas[0] < b < betas[-1]
    j, i = np.unravel_index(np.argmin(Z), Z.shape)
    # the lowest cell sits at the bottom of the valley, next to the solution
    assert abs(alphas[i] - m) <= alphas[1] - alphas[0] and abs(betas[j] - b) <= 2 * (betas[1] - betas[0])
    # MSE of y = m·x + b is a quadratic in (m, b): fit it to the grid and find its lowest point
    A, B = np.meshgrid(alphas, betas)
    terms = np.stack([A ** 2, A * B, B ** 2, A, B, np.ones_like(A)], axis=-1).reshape(-1, 6)
    c, *_ = np.linalg.lstsq(terms, Z.ravel(), rcond=None)
    low = np.linalg.solve([[2 * c[0], c[1]], [c[1], 2 * c[2]]], [-c[3], -c[4]])
    np.testing.assert_allclose(low, (m, b), rtol=1e-6)
    settle(panel)


def test_grid_point_on_the_least_squares_solution_is_the_minimum(qtbot):
    """With the weights set to the closed-form solution the grid holds it exactly, and no grid cell is lower."""
    ds_trainer = Trainer(presets.get("diabetes-regression"))
    m, b = closed_form_line(ds_trainer.dataset)
    t = Trainer(presets.get("diabetes-regression").replace(initial_weights=[[[m]], [b]]))
    panel = make_panel(qtbot, t)
    panel.finish()
    alphas, betas, Z = panel.grid()
    j, i = np.unravel_index(np.argmin(Z), Z.shape)
    assert (alphas[i], betas[j]) == (m, b) == panel.current_point()
    settle(panel)


def test_the_gui_keeps_running_while_a_big_grid_is_computed(qtbot, gender):
    panel = make_panel(qtbot, gender, show=False)
    panel.mode_combo.setCurrentText(RANDOM)
    panel.resolution_spin.setValue(241)  # about 58,000 forward passes
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(panel.is_computing()))
    timer.start()
    progress = []
    panel.progress.valueChanged.connect(progress.append)
    with qtbot.waitSignal(panel.surfaceReady, timeout=60_000):
        panel.set_snapshot(gender.snapshot())
        assert panel.is_computing()
    timer.stop()
    # the event loop kept turning while the worker ran (without the worker's GIL pauses: 0 to 2 ticks)
    assert sum(ticks) >= 25
    assert any(0 < v < 100 for v in progress)
    assert panel.grid()[2].shape == (241, 241) and np.isfinite(panel.grid()[2]).all()
    assert not panel.is_computing() and panel.progress.isHidden()


def test_cancel_stops_the_worker_and_a_new_request_wins(qtbot, gender):
    panel = make_panel(qtbot, gender, show=False)
    panel.mode_combo.setCurrentText(RANDOM)
    panel.resolution_spin.setValue(301)
    results, done = [], []
    panel._job.finished.connect(results.append)
    panel._job.progressed.connect(lambda token, fraction: done.append((token, fraction)))
    ready = []
    panel.surfaceReady.connect(lambda: ready.append(True))
    panel.set_snapshot(gender.snapshot())
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=20_000)
    panel.cancel()
    assert panel._job.wait(20_000)
    qtbot.wait(50)  # deliver anything still queued
    assert done and max(f for _, f in done) < 1.0  # the worker stopped part-way...
    assert not results and not ready  # ...quietly: nothing was shown
    assert not panel.is_computing() and panel.progress.isHidden() and panel.grid()[2].size == 0
    # a second request supersedes a running one: only the newest is computed to the end and shown
    panel.recompute()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=20_000)
    superseded = done[-1][0]
    panel.resolution_spin.setValue(21)
    with qtbot.waitSignal(panel.surfaceReady, timeout=20_000):
        panel.recompute()
    assert panel.grid()[2].shape == (21, 21)
    assert max(f for t, f in done if t == superseded) < 1.0
    qtbot.waitUntil(lambda: len(results) > 0, timeout=2000)
    assert [r.request.token for r in results] == [panel._token]
    settle(panel)


def test_the_empty_frame_says_what_is_being_worked_out_until_the_first_picture(qtbot, gender):
    panel = make_panel(qtbot, gender, show=False)
    panel.mode_combo.setCurrentText(RANDOM)
    panel.resolution_spin.setValue(301)
    panel.set_snapshot(gender.snapshot())
    assert panel.is_computing()
    text = panel.note.text()
    assert f"Working out the loss at {301 * 301:,} points around the weights of update {gender.step_count:,}" in text
    panel.cancel()
    assert "Working out" not in panel.note.text()
    panel.resolution_spin.setValue(21)
    with qtbot.waitSignal(panel.surfaceReady, timeout=20_000):
        panel.recompute()
    assert "Working out" not in panel.note.text() and "grid centred on" in panel.note.text()
    settle(panel)


def test_background_and_synchronous_results_agree(qtbot, gender):
    panel = make_panel(qtbot, gender, show=False)
    with qtbot.waitSignal(panel.surfaceReady, timeout=20_000):
        panel.set_snapshot(gender.snapshot())
    background = panel.grid()
    panel.finish()
    for a, b in zip(background, panel.grid()):
        np.testing.assert_array_equal(a, b)


def test_principal_directions_of_the_gender_network(qtbot, gender):
    panel = make_panel(qtbot, gender)
    panel.finish()
    assert panel.mode_combo.currentText() == PCA  # the default for a network with more than three weights
    x_label, y_label = panel.axes()
    assert x_label.startswith("direction 1 (") and y_label.startswith("direction 2 (")
    shares = [float(label.split("(")[1].split("%")[0]) for label in (x_label, y_label)]
    assert shares[0] >= shares[1] and sum(shares) <= 100.05
    path = panel.path_points()
    assert np.hypot(*path[0]) > 1.0  # the start lies well away from the current weights...
    alphas, betas, _ = panel.grid()
    assert alphas[0] <= path[:, 0].min() and path[:, 0].max() <= alphas[-1]  # ...and the grid shows all of it
    assert betas[0] <= path[:, 1].min() and path[:, 1].max() <= betas[-1]
    assert "projected" in panel.note.text()
    settle(panel)


def test_principal_directions_need_a_path(qtbot):
    t = Trainer(presets.get("gender-network"))  # not trained: the path is one point
    panel = make_panel(qtbot, t)
    assert panel.mode_combo.currentText() == RANDOM  # the automatic choice until there is a path
    panel.mode_combo.setCurrentText(PCA)
    panel.finish()
    assert "at least 3 points" in panel.note.text()
    settle(panel)


def test_random_directions_follow_the_seed(qtbot, gender):
    panel = make_panel(qtbot, gender)
    panel.mode_combo.setCurrentText(RANDOM)
    panel.finish()
    first = panel.grid()[2]
    panel.seed_spin.setValue(7)
    panel.finish()
    assert not np.allclose(first, panel.grid()[2])
    panel.seed_spin.setValue(0)
    panel.finish()
    np.testing.assert_array_equal(first, panel.grid()[2])
    assert panel.axes()[0] == "random direction 1 (seed 0)"
    settle(panel)


def test_chosen_weights_lists_and_selection(qtbot):
    exp = Experiment(name="wide", dataset="xor", layers=[LayerSpec(64, "tanh"), LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=32, epochs=2)
    t = Trainer(exp)
    t.run()
    panel = make_panel(qtbot, t)
    settle(panel)
    panel.mode_combo.setCurrentText(CHOSEN)
    assert panel.x_combo.count() == 200 < t.network.n_parameters  # a big network lists the first 200
    assert panel.x_combo.itemText(0) == "W1[0,0]" and panel.x_combo.itemText(130) == "b1[2]"
    panel.context.select_weight((2, 60))  # W2[60,0], flat index 192 + 60
    assert panel.x_combo.currentData() == 252 and panel.x_combo.currentText() == "W2[60,0]"
    panel.finish()
    assert panel.axes() == ("W2[60,0]", panel.y_combo.currentText())
    assert abs(loss_at_current(panel) - t.evaluate(t.X_train, t.Y_train)[0]) <= 1e-9
    settle(panel)


def test_big_training_sets_use_a_fixed_sample(qtbot):
    exp = Experiment(name="big", dataset="xor", dataset_params={"size": 4000},
                     layers=[LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")], loss="binary_cross_entropy",
                     optimizer="adam", learning_rate=0.01, batch_size=64, epochs=1)
    t = Trainer(exp)
    t.run()
    panel = make_panel(qtbot, t)
    panel.resolution_spin.setValue(11)
    panel.finish()
    assert "sample of 2,000 of the 3,000 training rows" in panel.note.text()
    assert np.isfinite(panel.grid()[2]).all()
    settle(panel)


def test_new_data_clears_the_panel(qtbot, gender, diabetes):
    panel = make_panel(qtbot, gender)
    panel.finish()
    panel.context.set_data(diabetes.dataset, diabetes.experiment)
    assert panel.grid()[2].size == 0 and panel.snapshot is None
    panel.set_snapshot(diabetes.snapshot())
    panel.finish()
    assert panel.mode_combo.currentText() == CHOSEN and panel.axes() == ("W1[0,0] (m)", "b1[0] (b)")
    settle(panel)


def test_exports(qtbot, tmp_path, diabetes):
    panel = make_panel(qtbot, diabetes)
    panel.show()
    panel.finish()
    png = export_panel(panel, tmp_path / "surface.png", 800, 500)
    image = QImage(str(png))
    assert (image.width(), image.height()) == (800, 500)
    colours = {image.pixel(x, y) for x in range(0, 800, 23) for y in range(0, 500, 19)}
    assert len(colours) > 20  # the heatmap, not a blank page
    ET.parse(export_panel(panel, tmp_path / "surface.svg"))
    with open(export_panel(panel, tmp_path / "surface.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["alpha", "beta", "loss"]
    assert len(rows) == 1 + 61 * 61
    alphas, betas, Z = panel.grid()
    assert float(rows[1][0]) == alphas[0] and float(rows[1][1]) == betas[0] and float(rows[1][2]) == Z[0, 0]
    settle(panel)


def test_contour_segments_follow_a_circle():
    xs = ys = np.linspace(-2, 2, 81)
    X, Y = np.meshgrid(xs, ys)
    segments = contour_segments(X ** 2 + Y ** 2, xs, ys, 1.0)
    assert len(segments) > 50
    r = np.hypot(segments[..., 0], segments[..., 1])
    np.testing.assert_allclose(r, 1.0, atol=0.01)
    Z = np.where(X > 1.5, np.nan, X)  # cells with a missing corner are skipped
    assert np.all(contour_segments(Z, xs, ys, 1.6)[..., 0] <= 1.5)
    assert contour_segments(Z, xs, ys, 0.0)[..., 0] == pytest.approx(0.0)


def test_every_control_is_named_and_explained(qtbot, gender):
    panel = make_panel(qtbot, gender)
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QProgressBar, pg.PlotWidget)
    controls = [w for w in panel.findChildren(QWidget)
                if isinstance(w, kinds) and not w.objectName().startswith("qt_")
                and not isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox))]
    assert {"surfaceModeCombo", "surfaceWeightXCombo", "surfaceWeightYCombo", "surfaceSeedSpin", "surfaceResolutionSpin",
            "surfaceCutCheck", "surfaceLogCheck", "surfaceRecomputeButton", "surfacePlot", "surfaceCutPlot"} <= {w.objectName() for w in controls}
    for w in controls:
        assert w.objectName() and w.accessibleName() and w.toolTip(), (type(w).__name__, w.objectName())


def test_a_costly_grid_the_panel_started_stops_when_training_starts(qtbot, gender, monkeypatch):
    """It would take a core and the interpreter lock from training; the learner's own request is left alone."""
    import nnstudio.qt.panels.surface as surface

    monkeypatch.setattr(surface, "AUTO_FLOP_LIMIT", 0.0)  # every grid counts as costly
    panel = make_panel(qtbot, gender, show=False)
    panel.resolution_spin.setValue(241)  # long enough to be still running below
    panel.set_snapshot(gender.snapshot())  # the first look computes unprompted
    assert panel.is_computing()
    panel.context.set_training(True)
    assert not panel.is_computing() and panel.progress.isHidden()
    assert "waits for the next pause" in panel.note.text()
    assert panel.recompute()  # pressed by the learner during the run: it goes ahead
    panel.context.set_training(False)
    panel.context.set_training(True)
    assert panel.is_computing()
    settle(panel)


def test_snapshots_coming_slowly_during_a_run_are_no_pause(qtbot, gender):
    """While training runs the window may feed the panel only every second or two; the grid must not re-centre
    (and recompute) on every gap. The end of the run re-centres it."""
    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=20)
    panel = make_panel(qtbot, t, show=False)
    panel.show()  # a hidden panel leaves the re-centring for when it is shown
    with qtbot.waitSignal(panel.surfaceReady, timeout=20_000):
        panel.set_snapshot(t.snapshot())
    panel.context.set_training(True)
    t.run(max_epochs=40)
    panel.set_snapshot(t.snapshot())
    assert not panel._pause.isActive()
    qtbot.wait(surface_pause_ms() + 300)
    assert not panel.is_computing() and panel.current_point() != (0.0, 0.0)
    with qtbot.waitSignal(panel.surfaceReady, timeout=20_000):
        panel.context.set_training(False)
    assert panel.current_point() == (0.0, 0.0)
    settle(panel)


def surface_pause_ms() -> int:
    from nnstudio.qt.panels.surface import PAUSE_MS

    return PAUSE_MS


def test_right_click_export_works_the_surface_out_off_the_gui_thread(window, qtbot, heartbeat, monkeypatch,
                                                                      tmp_path):
    """A loss surface of many points takes seconds: an export from its right-click menu computes it on the panel's
    thread, the window drawing meanwhile (it used to compute it in line: 5 s frozen at 301 x 301, found by the
    monkey), and writes the file once it is there."""
    import threading

    from nnstudio.qt.panels import surface_job

    # (a network of more than two weights: its surface is re-centred at pauses, not during a run; the exact
    # surface of two weights would already be there)
    window.session.open_lesson("gender-network")
    panel = window.surface
    window.surface_dock.raise_()
    window.pull_snapshot()
    qtbot.waitUntil(lambda: panel._plan is not None and not panel.is_computing(), timeout=10000)  # the first look
    from nnstudio.qt.panels import surface as surface_module

    monkeypatch.setattr(surface_module, "EXTEND_S", 1e9)  # no new slice when the path leaves: only the export computes
    runs, real = [], surface_job.compute
    beat = None

    def watched(request, *args, **kwargs):
        ticked = beat.reached.wait(10) if beat is not None else None  # the export's computation waits for 10 more
        runs.append((threading.get_ident(), ticked))  # ticks of the GUI thread's timer
        return real(request, *args, **kwargs)

    monkeypatch.setattr(surface_job, "compute", watched)  # (the panel's thread and its in-line path)
    monkeypatch.setattr(surface_module, "compute", watched)
    window.worker.updates_per_second = 20.0
    window.worker.run()  # during a run the surface waits for the pause: the export has to work it out
    qtbot.waitUntil(lambda: window.worker.latest().step > 3, timeout=5000)
    window.pull_snapshot()
    runs.clear()
    panel.ask_export_path = lambda kind: (tmp_path / "surface.svg", None)
    beat = heartbeat(enough=10)
    path = panel.ask_and_export("svg")
    window.worker.pause()
    assert path == tmp_path / "surface.svg" and path.stat().st_size > 1000
    assert runs and all(thread != threading.get_ident() and ticked for thread, ticked in runs), runs

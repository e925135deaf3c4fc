"""The loss surface and the runs: T5's exact surface holds the start, the minimum and the path from the first frame and
stays put; kept runs' paths are drawn on the same slice (or named when they live elsewhere); the 1-D cut can be one
row's loss; a path that leaves the slice gets a new one without waiting for a pause."""

import numpy as np

from nnstudio.core import losses
from nnstudio.data.builtin import closed_form_line
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.surface import LossSurfacePanel
from nnstudio.qt.runs_keeper import RunsKeeper
from nnstudio.training import Trainer, presets, runs


def _panel(qtbot, trainer, keeper=None):
    context = PanelContext()
    context.runs = keeper
    context.set_data(trainer.dataset, trainer.experiment)
    panel = LossSurfacePanel(context)
    qtbot.addWidget(panel)
    panel.resize(720, 540)
    panel.set_snapshot(trainer.snapshot())
    return panel


def _settle(panel):
    panel.cancel()
    panel._job.wait(20_000)


def test_the_exact_two_weight_surface_shows_start_minimum_and_path_from_the_first_frame(qtbot):
    t = Trainer(presets.get("diabetes-regression"))
    panel = _panel(qtbot, t)
    panel.finish()
    alphas, betas, Z = panel.grid()
    m, b = closed_form_line(t.dataset)
    start = t.initial_weights
    for x, y in ((float(start[0][0, 0]), float(start[1][0])), (m, b)):
        assert alphas[0] < x < alphas[-1] and betas[0] < y < betas[-1]
    # the lowest grid point is next to the least-squares line (the minimum is in the picture, not at its edge)
    j, i = np.unravel_index(np.argmin(Z), Z.shape)
    assert abs(alphas[i] - m) <= 1.5 * (alphas[1] - alphas[0]) and abs(betas[j] - b) <= 1.5 * (betas[1] - betas[0])
    plan = panel._plan
    assert plan.fixed
    t.run(max_updates=300)  # the run goes on: the point moves, the surface stays
    panel.set_snapshot(t.snapshot())
    panel._update_path()
    panel._on_pause()
    assert panel._plan is plan and not panel.is_computing()
    assert tuple(panel.current_point()) == tuple(float(v) for v in t.snapshot().current_flat_weights())
    _settle(panel)


def test_kept_runs_paths_are_drawn_on_the_same_slice_and_others_are_named(qtbot):
    exp = presets.get("diabetes-regression")
    keeper = RunsKeeper()
    compared = runs.compare(exp, "learning_rate", [0.003, 0.001], updates=60)
    keeper.add_runs(compared)
    t = Trainer(exp)
    t.run(max_updates=20)
    panel = _panel(qtbot, t, keeper)
    panel.finish()
    drawn = panel.kept_paths()
    assert len(drawn) == 2
    for pts, run in zip(drawn, compared):
        np.testing.assert_array_equal(pts, panel._plan.project(run.path))
    # the slice holds both paths (0.003 jumps about further than the current run goes)
    alphas, betas, _ = panel.grid()
    for pts in drawn:
        assert alphas[0] <= pts[:, 0].min() and pts[:, 0].max() <= alphas[-1]
        assert betas[0] <= pts[:, 1].min() and pts[:, 1].max() <= betas[-1]
    other = runs.compare(presets.get("gender-network"), "learning_rate", [1.0, 0.5], updates=5)[0]
    other.settings = other.settings.replace(dataset=exp.dataset, dataset_params=exp.dataset_params)
    keeper.add_runs([other])
    assert len(panel.kept_paths()) == 2
    assert f"Not drawn here: {other.name}" in panel.note.text()
    keeper.clear()
    assert panel.kept_paths() == []
    _settle(panel)


def test_the_cut_can_be_one_rows_loss(qtbot):
    t = Trainer(presets.get("diabetes-regression"))
    t.run(max_updates=50)
    panel = _panel(qtbot, t)
    panel.cut_check.setChecked(True)
    panel.row_spin.setValue(3)
    panel.finish()
    alphas, _, Z = panel.grid()
    loss = losses.get(t.experiment.loss)
    a = panel.path_points()[-1][0]  # the cut goes through the current weights (b held at its current value)
    i = int(np.argmin(np.abs(alphas - a)))
    assert alphas[i] == a
    w = [np.array(x, dtype=np.float64) for x in t.network.parameters()]
    w[0][0, 0] = alphas[i]
    x, y = t.X_train[2:3], t.Y_train[2:3]
    expected = loss.value(x @ w[0] + w[1], y)
    assert abs(Z[i] - expected) <= 1e-9 * max(1.0, abs(expected))
    assert "row 3 alone" in panel.note.text()
    _settle(panel)


def test_a_path_that_leaves_the_slice_gets_a_new_one_during_a_run(qtbot):
    t = Trainer(presets.get("gender-network"))
    t.run(max_updates=3)
    panel = _panel(qtbot, t)
    panel.finish()
    first = panel._plan
    panel.context.set_training(True)
    t.apply_settings(t.experiment.replace(learning_rate=5.0))
    t.run(max_updates=400)
    panel.set_snapshot(t.snapshot())
    panel._update_path()
    assert panel._left is not None or panel.is_computing()
    qtbot.waitUntil(lambda: panel._plan is not first, timeout=20_000)
    assert panel._plan.step == t.step_count
    panel.context.set_training(False)
    _settle(panel)


def test_a_kept_run_that_diverged_does_not_shrink_the_slice_to_a_corner(qtbot):
    exp = presets.get("diabetes-regression")
    keeper = RunsKeeper()
    keeper.add_runs(runs.compare(exp, "learning_rate", [1.0, 0.001], updates=30))  # 1.0 blows up within a few
    assert np.abs(keeper.runs[0].path).max() > 1e6
    t = Trainer(exp)
    panel = _panel(qtbot, t, keeper)
    panel.finish()
    alphas, betas, _ = panel.grid()
    m, b = closed_form_line(t.dataset)
    assert alphas[0] < 5 < alphas[-1] and alphas[0] < m < alphas[-1] and betas[0] < b < betas[-1]
    assert alphas[-1] - alphas[0] < 200 and betas[-1] - betas[0] < 200  # the start and the minimum fill the slice
    assert len(panel.kept_paths()) == 2  # both still drawn (the far one as far as the slice goes)
    _settle(panel)

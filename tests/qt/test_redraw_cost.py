"""What makes a live redraw cheap, asserted as mechanisms (no timings): a growing curve moves its plot's range a few
times, not at every redraw; a redraw makes no pens; the weight history's curves become polygons, not pyqtgraph's byte
stream; tiles and colour scales keep the weights' float type and set nothing that did not change."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage, QPainter

from nnstudio.core.network import LayerSpec
from nnstudio.qt.main_window import MainWindow
from nnstudio.qt.panels.bounds import LIMIT
from nnstudio.qt.panels.curves import CurvesPanel
from nnstudio.qt.panels.weights import WeightsPanel
from nnstudio.qt.panels.weights_layer import on_scale, symmetric_scale
from nnstudio.training import Experiment, Trainer
from tests.qt.panel_helpers import panel_on, random_digits


def spiral(epochs=100):
    exp = Experiment(name="spiral", dataset="spiral", layers=[LayerSpec(8, "tanh"), LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", init="xavier", optimizer="adam", learning_rate=0.01,
                     batch_size=16, shuffle=True, epochs=epochs)
    return Trainer(exp)


def shown_curves(qtbot, updates):
    """The curves panel, shown, on the spiral run after ``updates`` updates (no snapshot set); and the trainer."""
    t = spiral()
    t.run(max_updates=updates)
    return t, panel_on(qtbot, CurvesPanel, t, (500, 600))


def digits_trainer(hidden, rows, epochs, dtype="float32"):
    """784-``hidden``-10 on ``rows`` random digits, not yet trained (for the weights panel's 784-input views)."""
    exp = Experiment(name="digits", dataset="random-784", layers=[LayerSpec(hidden, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.05, batch_size=64,
                     epochs=epochs, preprocessing="none", dtype=dtype)
    return Trainer(exp, random_digits(rows))


# -- ranges that follow the data -----------------------------------------------------------------------------------
def test_a_growing_loss_curve_moves_the_range_a_few_times_and_stays_in_view(qtbot):
    """pyqtgraph's auto range set a new range at every redraw of a growing curve (new ticks, labels, grid, every item
    repainted); the followed range moves only when the curve reaches its edge."""
    t, panel = shown_curves(qtbot, 100)
    MainWindow._draw_view(panel, t.snapshot())
    vb = panel.loss_plot.getViewBox()
    changes = []
    vb.sigXRangeChanged.connect(lambda *_: changes.append(1))
    redraws = 60
    for _ in range(redraws):
        t.run(max_updates=3)
        snap = t.snapshot()
        MainWindow._draw_view(panel, snap)  # as the window draws during a run (auto ranges worked out, painted)
        (x0, x1), (y0, y1) = vb.viewRange()
        x, y = panel.curve_arrays()["loss per update"]
        assert x0 <= x.min() and x.max() <= x1 and y0 <= y.min() and y.max() <= y1
    assert not any(vb.autoRangeEnabled())
    assert len(changes) <= redraws // 4, len(changes)


def test_the_learners_zoom_stops_the_following_and_the_a_button_fits_again(qtbot):
    t, panel = shown_curves(qtbot, 30)
    panel.set_snapshot(t.snapshot())
    vb, follow = panel.loss_plot.getViewBox(), panel.loss_area.range
    assert follow.following
    vb.scaleBy((0.5, 0.5))  # a zoom with the mouse wheel does this, then says so:
    vb.sigRangeChangedManually.emit([True, True])
    zoomed = vb.viewRange()
    t.run(max_updates=200)
    panel.set_snapshot(t.snapshot())
    assert not follow.following and vb.viewRange() == zoomed  # the learner's view stays
    button = panel.loss_plot.getPlotItem().autoBtn
    button.clicked.emit(button)  # the "A" button
    x, _ = panel.curve_arrays()["loss per update"]
    assert follow.following and vb.viewRange()[0][1] >= x.max()


def test_followed_range_adds_headroom_only_where_the_data_crossed(qapp):
    from nnstudio.qt.panels.fastplot import FollowedRange

    plot = pg.PlotItem()
    data = {"b": ((0.0, 100.0), (0.0, 1.0))}
    follow = FollowedRange(plot, lambda: data["b"])
    assert follow.fit()
    (x0, x1), (y0, y1) = plot.getViewBox().viewRange()
    assert x0 < 0 < 100 < x1 < 103 and y0 < 0 and 1 < y1 < 1.03  # margins only
    data["b"] = ((0.0, 110.0), (0.0, 1.0))
    assert follow.follow()
    (_, x1), (y0b, y1b) = plot.getViewBox().viewRange()
    assert x1 > 120 and (y0b, y1b) == (y0, y1)  # headroom on the right only; y untouched
    data["b"] = ((0.0, 115.0), (0.1, 0.9))
    assert not follow.follow()  # inside, and filling most of it: nothing set
    assert follow.changes == 2


@pytest.mark.parametrize("height", [90, 160, 400])
def test_a_curve_at_a_tick_on_the_plots_edge_keeps_that_ticks_number(qtbot, height):
    """An accuracy that reached 1 lies on the plot's top edge; pyqtgraph drops a number that would stick out of the
    plot, so the range leaves a few pixels beyond the data on a vertical axis whatever the plot's height."""
    from nnstudio.qt.panels.fastplot import FollowedRange

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, height)
    widget.show()
    qtbot.waitExposed(widget)
    plot = widget.getPlotItem()
    plot.showGrid(x=True, y=True)  # (as the curves have: it changes what pyqtgraph counts as sticking out)
    plot.plot([0, 10, 20], [0.5, 0.75, 1.0])
    follow = FollowedRange(plot, lambda: ((0.0, 20.0), (0.5, 1.0)))
    assert follow.fit()
    (_, _), (y0, y1) = plot.getViewBox().viewRange()
    pixels = plot.getViewBox().height()
    assert (y1 - 1.0) / (y1 - y0) * pixels >= FollowedRange.PIXELS - 0.01
    assert (0.5 - y0) / (y1 - y0) * pixels >= FollowedRange.PIXELS - 0.01
    axis = plot.getAxis("left")
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        texts = [text for _rect, _flags, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()
    assert "1.0" in texts or "1" in texts, texts
    # resized while following: the margins are pixels, so they are worked out again for the new height
    widget.resize(300, 90 if height > 90 else 400)
    qtbot.wait(20)
    (_, _), (y0, y1) = plot.getViewBox().viewRange()
    pixels = plot.getViewBox().height()
    assert (y1 - 1.0) / (y1 - y0) * pixels >= FollowedRange.PIXELS - 0.01
    assert (0.5 - y0) / (y1 - y0) * pixels >= FollowedRange.PIXELS - 0.01


# -- no new pens per redraw ----------------------------------------------------------------------------------------
def test_a_curves_redraw_makes_no_pens(qtbot, monkeypatch):
    t, panel = shown_curves(qtbot, 40)
    panel.set_snapshot(t.snapshot())
    made = []
    real = pg.mkPen
    monkeypatch.setattr(pg, "mkPen", lambda *a, **k: made.append(a) or real(*a, **k))
    for _ in range(5):
        t.run(max_updates=5)
        panel.set_snapshot(t.snapshot())
    assert made == []


# -- polygons, not pyqtgraph's byte stream -------------------------------------------------------------------------
def test_grouped_weight_curves_become_one_polygon_each(qtbot, monkeypatch):
    """48 sampled weights of a 784-input network are drawn as one item per parameter; its path is made a polygon per
    curve (pyqtgraph's path for a ``connect`` array goes through a byte stream Qt decodes point by point)."""
    trainer = digits_trainer(32, 256, 30)
    trainer.run()
    panel = panel_on(qtbot, WeightsPanel, trainer, (700, 500))
    streams = []
    real = pg.functions.arrayToQPath
    monkeypatch.setattr(pg.functions, "arrayToQPath",
                        lambda x, y, connect="all", **k: streams.append(connect) or real(x, y, connect, **k))
    MainWindow._draw_view(panel, trainer.snapshot())
    history = panel.history
    assert history.groups and not [c for c in streams if isinstance(c, np.ndarray)]
    x, _ = history.arrays()
    width = history.plot.vb.width()
    assert len(x) <= 2 * width + 1  # at most two points per pixel column, per curve
    for group in history.groups:
        path = group.getPath()
        starts = sum(path.elementAt(i).isMoveTo() for i in range(path.elementCount()))
        assert starts == len(group.columns)  # one polyline per recorded weight
        gx, gy = group.getData()
        assert path.elementCount() == len(gx)  # every point handed over, in order
        np.testing.assert_array_equal([path.elementAt(i).y for i in range(len(gy))], gy)


def test_polylines_path_has_the_points_and_breaks_of_pyqtgraphs():
    from nnstudio.qt.panels.fastplot import Polylines, line_connect

    x = np.arange(10, dtype=float)
    y = x ** 2
    connect = np.ones(10, dtype=bool)
    connect[[2, 6]] = False  # breaks after points 2 and 6
    ours = Polylines(x=x, y=y, connect=connect, skipFiniteCheck=True).getPath()
    theirs = pg.PlotCurveItem(x=x, y=y, connect=connect, skipFiniteCheck=True).getPath()
    elements = [(ours.elementAt(i).x, ours.elementAt(i).y, ours.elementAt(i).isMoveTo())
                for i in range(ours.elementCount())]
    assert elements == [(theirs.elementAt(i).x, theirs.elementAt(i).y, theirs.elementAt(i).isMoveTo())
                        for i in range(theirs.elementCount())]
    assert [e[2] for e in elements].count(True) == 3
    assert line_connect(np.array([True, True, False])) == "all"  # the last point joins nothing anyway
    assert isinstance(line_connect(np.array([True, False, True])), np.ndarray)


# -- tiles and colour scales ---------------------------------------------------------------------------------------
def _mnist_like_panel(qtbot, dtype="float32"):
    trainer = digits_trainer(16, 128, 3, dtype)
    trainer.run(max_updates=5)
    panel = panel_on(qtbot, WeightsPanel, trainer, (700, 500))
    MainWindow._draw_view(panel, trainer.snapshot())
    return trainer, panel


def test_tiles_keep_float32_have_no_holes_and_leave_unchanged_levels_alone(qtbot, monkeypatch):
    trainer, panel = _mnist_like_panel(qtbot)
    tiles = panel.tile_view
    image = tiles.image.image
    assert image.dtype == np.float32 and not np.isnan(image).any()  # gaps are 0 (white): the fast image path
    W, b = trainer.snapshot().layer_weights()[0]
    for unit, tile in enumerate(panel.tile_arrays()):
        np.testing.assert_array_equal(tile, np.clip(W[:, unit], -tiles._levels[1], tiles._levels[1]).reshape(28, 28))
    set_levels = []
    real = tiles.colorbar.setLevels
    monkeypatch.setattr(tiles.colorbar, "setLevels", lambda *a, **k: set_levels.append(a) or real(*a, **k))
    trainer.run(max_updates=1)
    MainWindow._draw_view(panel, trainer.snapshot())
    W = trainer.snapshot().layer_weights()[0][0]
    np.testing.assert_array_equal(panel.tile_arrays()[3], np.clip(W[:, 3], -tiles._levels[1], tiles._levels[1]).reshape(28, 28))
    assert set_levels == []  # same scale: the colour bar (and its axis) is left as it is


def test_colour_scale_and_clipping_keep_the_float_type_and_skip_nan():
    W = np.array([[0.1, np.nan], [-0.7, 0.2]], dtype=np.float32)
    assert symmetric_scale(W, np.array([0.3], dtype=np.float32)) == 0.8
    assert symmetric_scale(np.full((2, 2), np.nan), None) == 1.0
    assert symmetric_scale(np.array([[np.inf, 1.0]]), np.array([np.nan])) == LIMIT
    assert symmetric_scale(np.zeros((3, 3)), None) == 1.0
    clipped = on_scale(np.array([np.inf, -5.0, np.nan, 0.25], dtype=np.float32), 1.0)
    assert clipped.dtype == np.float32
    np.testing.assert_array_equal(clipped, np.array([1.0, -1.0, np.nan, 0.25], dtype=np.float32))
    assert on_scale(np.array([3, -3]), 2.0).dtype == np.float64


@pytest.mark.parametrize("values,expected", [([[0.1, -2.0]], True), ([[0.1, np.nan]], False),
                                             ([[np.inf, 0.0]], False), ([[2e15, 0.0]], False),
                                             ([[-LIMIT, LIMIT]], True)])
def test_the_history_is_checked_by_two_reductions(values, expected):
    from nnstudio.qt.panels.weights_history import all_sane

    assert all_sane(np.asarray(values, dtype=np.float64)) is expected


def test_a_histogram_redraw_keeps_its_count_axis_when_the_bars_change_a_little(qtbot, monkeypatch):
    """Setting the count axis's ticks or range at every redraw made it lay its numbers out again each time."""
    trainer, panel = _mnist_like_panel(qtbot)
    panel.tabs.setCurrentIndex(0)  # the matrices and their histograms
    MainWindow._draw_view(panel, trainer.snapshot())
    hist = panel.layer_views[0].hist
    calls = []
    for name in ("setYRange",):
        real = getattr(hist, name)
        monkeypatch.setattr(hist, name, lambda *a, _r=real, _n=name, **k: calls.append(_n) or _r(*a, **k))
    axis = hist.getAxis("left")
    real_ticks = axis.setTicks
    monkeypatch.setattr(axis, "setTicks", lambda *a, **k: calls.append("setTicks") or real_ticks(*a, **k))
    tops = []
    for _ in range(3):
        trainer.run(max_updates=1)
        MainWindow._draw_view(panel, trainer.snapshot())
        tops.append(panel.layer_views[0].bars.opts["height"].max())
        (_, high) = hist.viewRange()[1]
        assert 0.8 * high <= max(tops[-1], 1) <= high  # the tallest bar is in view, filling most of the height
    assert calls == [], (calls, tops)

""""Export all panels" in short GUI steps: a fresh panel is made a plot per turn of the event loop (its first
snapshot too), and what it writes is what exporting the same panel made in one go writes."""

import csv

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from nnstudio.qt.background import Pause
from nnstudio.qt.export import export_all_steps, export_panel
from nnstudio.qt.panels import panel_classes
from nnstudio.qt.panels.base import PanelContext
from nnstudio.training import Trainer, presets


@pytest.fixture(scope="module")
def trained():
    t = Trainer(presets.get("gender-network"))
    t.run(max_updates=300)
    return t


def _context(trainer):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    return context


class PlotCount:
    """Counts the pyqtgraph plots made (a PlotItem, a colour bar: 20-40 ms each on the GUI thread)."""

    def __init__(self, monkeypatch):
        self.made = 0
        real = pg.PlotItem.__init__

        def init(item, *args, **kwargs):
            self.made += 1
            real(item, *args, **kwargs)

        monkeypatch.setattr(pg.PlotItem, "__init__", init)


class _NoCount:
    made = 0


def _run(steps, count: PlotCount | None, qtbot) -> tuple[list[int], object]:
    """Run a step generator the way ``background.run_steps`` does (the event loop turns between steps; a Pause or a
    task waited for is waited for here); returns the plots made in each step (none counted without ``count``), and
    what the generator returned."""
    per_step = []
    item = None
    count = count if count is not None else _NoCount()
    while True:
        before = count.made
        try:
            item = next(steps)
        except StopIteration as done:
            per_step.append(count.made - before)
            return per_step, done.value
        per_step.append(count.made - before)
        if isinstance(item, Pause):
            qtbot.wait(int(item.seconds * 1000))
        elif hasattr(item, "wait"):
            item.wait()
        else:
            qtbot.wait(1)


def test_every_panel_is_made_a_plot_per_turn(qtbot, monkeypatch, trained):
    """Each turn of making a panel (``Panel.in_turns``) makes at most one pyqtgraph plot, and the panels that have
    several take several turns."""
    count = PlotCount(monkeypatch)
    for name, cls in panel_classes().items():
        made = []
        per_step, panel = _run(cls.in_turns(_context(trained), made), count, qtbot)
        assert made == [panel] and isinstance(panel, cls)
        assert max(per_step) <= 1, f"{name}: a turn made {max(per_step)} plots"
        if sum(per_step) > 1:
            assert len(per_step) >= sum(per_step)
        panel.close()
        panel.deleteLater()


def test_the_weights_panels_first_snapshot_makes_its_plots_a_turn_at_a_time(qtbot, monkeypatch, trained):
    from nnstudio.qt.panels.weights import WeightsPanel

    panel = WeightsPanel(_context(trained))
    qtbot.addWidget(panel)
    count = PlotCount(monkeypatch)
    per_step, _ = _run(panel.snapshot_parts(trained.snapshot()), count, qtbot)
    assert sum(per_step) == 3 * len(trained.snapshot().layers)  # heatmap, colour bar, histogram per layer
    assert max(per_step) <= 1
    drawn = WeightsPanel(_context(trained))  # the same snapshot handed over in one go
    qtbot.addWidget(drawn)
    drawn.set_snapshot(trained.snapshot())
    drawn.finish()
    assert [v.matrix().tolist() for v in panel.layer_views] == [v.matrix().tolist() for v in drawn.layer_views]
    assert panel.history.arrays()[0].tolist() == drawn.history.arrays()[0].tolist()


def test_export_all_steps_has_no_step_that_makes_more_than_one_plot(qtbot, monkeypatch, trained, tmp_path):
    count = PlotCount(monkeypatch)
    classes = list(panel_classes().values())
    per_step, index = _run(export_all_steps(classes, _context(trained), trained.snapshot(), tmp_path), count, qtbot)
    assert index == tmp_path / "index.html"
    assert max(per_step) <= 1
    assert sum(per_step) >= 15  # (it did make every panel's plots)


def _at_once(cls, context, snap, qtbot):
    """The panel made and given the snapshot in one go each, then drawn as the export draws it."""
    panel = cls(context)
    qtbot.addWidget(panel)
    panel.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    panel.resize(1200, 800)
    panel.show()
    qtbot.wait(1)
    panel.setUpdatesEnabled(False)
    panel.set_snapshot(snap)
    if panel.compute_in_background():
        qtbot.waitUntil(lambda: not panel.is_computing(), timeout=10000)
    else:
        panel.finish()
    panel.setUpdatesEnabled(True)
    panel.repaint()
    qtbot.wait(1)
    return panel


@pytest.mark.parametrize("name", ["weights", "curves", "surface", "predictions"])
def test_the_files_are_those_of_the_panel_made_in_one_go(qtbot, tmp_path, trained, name):
    """Made a part at a time or at once, a panel writes the same SVG and CSV, byte for byte, and the same PNG (to a
    shade at the borders of the bands it is drawn in)."""
    cls = panel_classes()[name]
    context = _context(trained)
    _run(export_all_steps([cls], context, trained.snapshot(), tmp_path / "steps"), None, qtbot)
    whole = _at_once(cls, context, trained.snapshot(), qtbot)
    (tmp_path / "whole").mkdir()
    for kind in ("svg", "csv", "png"):
        export_panel(whole, tmp_path / "whole" / f"{name}.{kind}", *((2400, 1600) if kind == "png" else ()))
    assert (tmp_path / "steps" / f"{name}.svg").read_bytes() == (tmp_path / "whole" / f"{name}.svg").read_bytes()
    with open(tmp_path / "steps" / f"{name}.csv", newline="") as a, open(tmp_path / "whole" / f"{name}.csv",
                                                                           newline="") as b:
        assert list(csv.reader(a)) == list(csv.reader(b))
    a, b = QImage(str(tmp_path / "steps" / f"{name}.png")), QImage(str(tmp_path / "whole" / f"{name}.png"))
    assert a.size() == b.size()
    differ = sum(a.pixel(x, y) != b.pixel(x, y) for x in range(0, a.width(), 6) for y in range(0, a.height(), 6))
    assert differ < 0.01 * (a.width() // 6) * (a.height() // 6)


def test_export_reads_every_panels_rows_on_the_gui_thread(qtbot, monkeypatch, trained, tmp_path):
    """The writer threads only write: what a panel shows (its CSV rows) is read from its widgets on the thread that
    owns them."""
    import threading

    from nnstudio.qt.panels.base import Panel

    readers = []
    for cls in {c for c in panel_classes().values()} | {Panel}:
        if "csv_table" in vars(cls):
            real = vars(cls)["csv_table"]

            def recording(panel, real=real):
                readers.append(threading.current_thread() is threading.main_thread())
                return real(panel)

            monkeypatch.setattr(cls, "csv_table", recording)
    _run(export_all_steps(list(panel_classes().values()), _context(trained), trained.snapshot(), tmp_path),
         PlotCount(monkeypatch), qtbot)
    assert len(readers) >= len(panel_classes()) and all(readers)


def test_a_frozen_context_hears_no_later_change(trained):
    """An export's panels are made on a frozen copy of the window's context: what the learner does meanwhile (another
    dataset, another selected weight) does not reach them half way."""
    live = _context(trained)
    live.select_weight((0, 1))
    frozen = live.frozen()
    heard = []
    frozen.dataChanged.connect(lambda: heard.append("data"))
    frozen.selectionChanged.connect(lambda s: heard.append(s))
    other = Trainer(presets.get("trask-neuron"))
    live.set_data(other.dataset, other.experiment)
    live.select_weight((1, 0))
    assert heard == [] and frozen.dataset is trained.dataset and frozen.selection == (0, 1)
    assert frozen.prepared().X_train is not None

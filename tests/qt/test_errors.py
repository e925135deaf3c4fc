"""Unexpected errors in paints and timers: reported once, never in a loop of boxes, and the view recovers."""

import sys
import threading

import numpy as np
import pyqtgraph as pg
import pytest
import shiboken6
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from nnstudio.qt import errors


@pytest.fixture
def reporter(qtbot, monkeypatch):
    r = errors.ErrorReporter()
    monkeypatch.setattr(sys, "excepthook", r.excepthook)
    monkeypatch.setattr(threading, "excepthook", r.thread_excepthook)
    yield r
    if r.box is not None and shiboken6.isValid(r.box):
        r.box.close()


def _boxes():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.objectName() == "errorDialog"
            and w.isVisible()]


class RaisingItem(pg.GraphicsObject):
    def boundingRect(self):
        return QRectF(0, 0, 1, 1)

    @errors.guarded
    def paint(self, p, *args):
        raise RuntimeError("paint went wrong")


class CurveThatRaisesOnData(pg.PlotCurveItem):
    @errors.guarded
    def paint(self, p, *args):
        if self.xData is not None and len(self.xData):
            raise ValueError("these numbers cannot be drawn")
        return super().paint(p, *args)


def _repaint_for(qtbot, plot, ms=300):
    timer = QTimer()
    timer.timeout.connect(plot.viewport().update)
    timer.start(5)
    qtbot.wait(ms)
    timer.stop()


def test_a_paint_that_raises_is_reported_once_and_its_item_hidden(qtbot, reporter, capsys):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    item = RaisingItem()
    plot.addItem(item)
    plot.show()
    _repaint_for(qtbot, plot)
    assert reporter.total() >= 1
    assert len(_boxes()) == 1, "one box, not one per repaint"
    assert not item.isVisible()
    assert "RaisingItem that raised was hidden" in reporter.box.text()
    assert capsys.readouterr().err.count("Traceback") == 1


def test_a_curve_whose_data_cannot_be_painted_is_cleared_and_takes_new_data(qtbot, reporter):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    curve = CurveThatRaisesOnData()
    plot.addItem(curve)
    curve.setData(np.arange(5.0), np.arange(5.0))
    plot.show()
    _repaint_for(qtbot, plot)
    assert len(_boxes()) == 1 and curve.isVisible()
    assert curve.xData is None or len(curve.xData) == 0  # cleared: the panel's next snapshot brings fresh data
    assert list(reporter.counts.values()) == [1]


def test_pyqtgraphs_own_items_are_guarded(qtbot, reporter, monkeypatch):
    """A pyqtgraph curve whose paint raises (here: its path cannot be built) is caught before Qt's C++ sees it."""
    errors.guard_paints()
    assert getattr(pg.PlotCurveItem.paint, "__nnstudio_guarded__", False)
    assert getattr(pg.ScatterPlotItem.paint, "__nnstudio_guarded__", False)

    def no_path(self):
        raise OverflowError("coordinates too large for a path")

    monkeypatch.setattr(pg.PlotCurveItem, "getPath", no_path)
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    curve = plot.plot([0.0, 1.0, 2.0], [0.0, 1e30, 2.0])
    plot.show()
    _repaint_for(qtbot, plot)
    assert len(_boxes()) == 1 and "OverflowError" in reporter.box.text()
    assert reporter.total() == 1, "cleared after the first failure, so it does not raise again"
    assert curve.curve.xData is None or len(curve.curve.xData) == 0


def test_a_timer_that_keeps_raising_is_counted_not_shown_again(qtbot, reporter, capsys):
    messages = []
    reporter.reported.connect(messages.append)
    timer = QTimer()
    timer.timeout.connect(lambda: 1 / 0)
    timer.start(2)
    qtbot.waitUntil(lambda: reporter.total() >= 30, timeout=5000)
    timer.stop()
    assert len(_boxes()) == 1
    assert "again" in messages[-1]
    err = capsys.readouterr().err
    assert err.count("Traceback") == 1 and err.count("\n") < 40, "repeats must not flood stderr"
    # a different error still gets its own report once the first box is closed
    reporter.box.close()
    qtbot.waitUntil(lambda: reporter.box is None, timeout=2000)
    QTimer.singleShot(0, lambda: [][1])
    qtbot.waitUntil(lambda: reporter.box is not None, timeout=2000)
    assert "IndexError" in reporter.box.text()


def test_an_error_in_another_thread_is_handled_in_the_gui_thread(qtbot, reporter):
    seen = []
    reporter.reported.connect(lambda text: seen.append((text, threading.current_thread() is threading.main_thread())))
    worker = threading.Thread(target=lambda: {}["missing"], name="surface-job")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    assert "KeyError" in seen[0][0] and "surface-job" in seen[0][0] and seen[0][1]


def test_one_panel_that_raises_does_not_stop_the_others_and_is_reported_once(qtbot, monkeypatch):
    from nnstudio.qt.main_window import MainWindow

    r = errors.ErrorReporter(show_boxes=False)
    monkeypatch.setattr(errors, "_reporter", r)
    w = MainWindow(remember_layout=False)
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.worker.latest() is not None, timeout=5000)
    shown = []
    w.statusBar().messageChanged.connect(shown.append)

    def broken(snap):
        raise ValueError("cannot show this")

    monkeypatch.setattr(w.curves, "set_snapshot", broken)
    w.timer.stop()  # the test pulls
    for i in range(5):
        w.step()
        qtbot.waitUntil(lambda: w.worker.latest() is not None and w.worker.latest().step == i + 1, timeout=3000)
        w.draw_budget = type(w.draw_budget)()  # every view due at every pull
        w.pull_snapshot()
    assert w.network_view.snapshot is w.worker.latest(), "the other views go on"
    assert len(r.counts) == 1 and r.total() >= 5, "one kind, counted at each snapshot"
    assert any("Curves panel" in m for m in shown)
    w.close()


def test_the_network_drawing_that_raises_is_reported_and_the_painter_ended(qtbot, monkeypatch):
    from nnstudio.qt.panels import network
    from nnstudio.qt.panels.base import PanelContext

    r = errors.ErrorReporter(show_boxes=False)
    monkeypatch.setattr(errors, "_reporter", r)
    panel = network.NetworkPanel(PanelContext())
    qtbot.addWidget(panel)
    panel.resize(400, 300)

    def broken(p, panel, focused):
        p.drawLine(0, 0, 10, 10)
        raise ZeroDivisionError("a layout with no room")

    monkeypatch.setattr(network, "paint_network", broken)
    panel.grab()  # would raise out of grab(), with the painter left open (Qt warns at the next paint)
    panel.grab()
    assert r.total() == 2 and len(r.counts) == 1

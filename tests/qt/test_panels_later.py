"""Panels under tabs not on show at start are made when first shown (the window opens sooner: bench/startup.py),
and then behave as if they had been there all along."""

from nnstudio.qt.panels.base import Panel

LATER = ("weights", "activation", "predictions", "surface", "gallery", "drawing")


def test_only_the_panels_on_show_are_made_at_start(window, qtbot):
    qtbot.waitUntil(lambda: not window.later.held, timeout=3000)  # the first paint
    assert sorted(window.later.waiting) == sorted(LATER)
    for attr in LATER:
        dock = getattr(window, f"{attr}_dock")
        assert not isinstance(dock.widget(), Panel), attr
    assert isinstance(window.curves_dock.widget(), Panel) and window.curves_dock.widget() is window.__dict__["curves"]
    assert window.curves in window.snapshot_views and window.network_view in window.snapshot_views


def test_the_panels_on_show_wait_for_the_first_paint_and_show_the_run_then(qtbot):
    """Until the window is first painted even the Curves tab on show holds a placeholder (pyqtgraph is not imported
    yet); a lesson opened meanwhile still reaches the panel made after the paint, which shows the latest snapshot."""
    from nnstudio.qt.main_window import MainWindow

    w = MainWindow(remember_layout=False)
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    assert w.later.held and "curves" in w.later.waiting
    w.session.open_lesson("perceptron-50k")  # T4: its curves on log-log axes
    assert "curves" in w.later.waiting
    w.show()
    qtbot.waitUntil(lambda: not w.later.held and w.worker.latest() is not None, timeout=5000)
    curves = w.curves_dock.widget()
    assert isinstance(curves, Panel) and curves is w.__dict__["curves"]
    assert curves.scale() == "log_log" and curves.errors_check.isChecked()
    qtbot.waitUntil(lambda: curves.snapshot is w.worker.latest(), timeout=3000)
    qtbot.waitUntil(lambda: w.later.started, timeout=3000)
    assert w.data_panel._scatter is not None  # made after the paint too
    w.close()


def test_showing_a_tab_makes_its_panel_and_feeds_it_the_latest_snapshot(window, qtbot):
    window.weights_dock.raise_()
    qtbot.waitUntil(lambda: "weights" not in window.later.waiting, timeout=3000)
    panel = window.weights_dock.widget()
    assert isinstance(panel, Panel) and panel is window.weights and panel in window.snapshot_views
    window.pull_snapshot()
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=3000)
    assert panel.snapshot is window.worker.latest()


def test_asking_for_a_panel_makes_it_and_earlier_settings_reach_it(window, qtbot):
    window.session.open_lesson("gender-network")
    qtbot.waitUntil(lambda: window.controller.dataset.name == "gender", timeout=5000)
    assert "activation" in window.later.waiting  # its tab was never shown
    activation = window.activation  # made now, on first use
    assert "activation" not in window.later.waiting and window.activation_dock.widget() is activation
    assert activation.step_check.isChecked()  # the gender lesson's step beside the sigmoid, set before it existed


def test_a_confusion_cell_shows_its_images_in_a_gallery_not_made_yet(qtbot, window):
    """The gallery made by the click itself still hears which cell was clicked."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("image_sets", Path(__file__).with_name("image_sets.py"))
    image_sets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(image_sets)
    ds = image_sets.digit_set(200, 80, (28, 28), 10)
    exp = image_sets.trained(ds, hidden=None, epochs=1).experiment
    assert window.controller.open_experiment(exp, dataset=ds)
    qtbot.waitUntil(lambda: window.context.dataset is ds, timeout=5000)
    assert "gallery" in window.later.waiting
    window.context.show_images(3, 5, True)
    assert "gallery" not in window.later.waiting
    qtbot.waitUntil(lambda: not window.gallery.visibleRegion().isEmpty(), timeout=3000)
    assert window.gallery.true_combo.currentText() == "3" and window.gallery.answer_combo.currentText() == "5"


def test_a_window_closed_before_its_start_is_over_makes_nothing_more(qtbot):
    """Closed (or deleted) between its first paint and the panels made after it, the window is left alone: no panel
    is made on it and nothing raises (the data scatter used to be fitted into a splitter already deleted)."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    from nnstudio.qt.main_window import MainWindow

    closed = []
    for delete in (False, True):
        w = MainWindow(remember_layout=False)
        w.session.ask_unsaved = lambda: "discard"
        w.show()
        qtbot.waitUntil(lambda w=w: w.later._preloading is not None, timeout=5000)  # painted: the start goes on
        later = w.later
        w.close()
        if delete:
            w.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            assert not shiboken6.isValid(w)
        qtbot.wait(800)  # the preload done, its polls and the calls after it due
        closed.append(later.started)  # the calls that wait for the start (the data scatter's making) never made
    assert closed == [False, False]

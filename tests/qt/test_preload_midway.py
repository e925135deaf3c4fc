"""The preload (panels_later._preload_steps) goes on over many turns of the event loop: a window closed, a panel
asked for or a tab shown in the middle of it."""

from nnstudio.qt import panels_later
from nnstudio.qt.panels.base import Panel


def _window_mid_preload(qtbot, monkeypatch):
    from nnstudio.qt.main_window import MainWindow

    import time

    monkeypatch.setattr(panels_later, "SLICE", 0.0)  # one step per turn of the event loop: ~700 turns
    real = panels_later._preload_steps

    def slow():  # 2 ms a step: with pyqtgraph imported already (by earlier tests in the process) the ~700 turns
        for _ in real():  # went by between two looks of the wait below
            time.sleep(0.002)
            yield

    monkeypatch.setattr(panels_later, "_preload_steps", slow)
    w = MainWindow(remember_layout=False)
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.later._preloading not in (None, False), timeout=5000)
    return w


def test_closed_mid_preload_the_rest_is_dropped_and_nothing_is_made(qtbot, monkeypatch):
    w = _window_mid_preload(qtbot, monkeypatch)
    steps = w.later._preloading
    w.close()
    assert w.later._preloading is False and steps.gi_frame is None  # closed
    qtbot.wait(300)
    assert w.later.held and not w.later.started and "curves" in w.later.waiting


def test_a_panel_asked_for_and_a_tab_shown_mid_preload(qtbot, monkeypatch):
    w = _window_mid_preload(qtbot, monkeypatch)
    try:
        activation = w.activation  # made now, pyqtgraph imported in one piece if it was not yet
        assert isinstance(activation, Panel) and w.later._preloading
        w.weights_dock.raise_()  # held: made once the preload is over
        qtbot.waitUntil(lambda: w.later.started, timeout=10000)
        assert isinstance(w.weights_dock.widget(), Panel)
        assert "curves" in w.later.waiting  # under the tab shown meanwhile: made when shown
        w.curves_dock.raise_()
        qtbot.waitUntil(lambda: isinstance(w.curves_dock.widget(), Panel), timeout=5000)
        assert w.activation is activation and w.activation_dock.widget() is activation
        assert w.later._preloading is False
    finally:
        w.close()


def test_a_step_that_fails_ends_the_preload_and_the_start_goes_on(qtbot, monkeypatch):
    """The preload is only a warm-up: a step raising must not leave the window held (tabs on their placeholders,
    the after-release calls never made)."""
    from nnstudio.qt.main_window import MainWindow

    def failing():
        yield
        raise RuntimeError("a module broke while importing")

    monkeypatch.setattr(panels_later, "_preload_steps", failing)
    w = MainWindow(remember_layout=False)
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.later.started, timeout=5000)
    assert w.later._preloading is False and not w.later.held
    w.close()

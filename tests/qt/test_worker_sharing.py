"""How a running worker shares the interpreter with the GUI thread: it waits while the window draws
(``hold_for_gui``) and lets go of the lock now and then, so the window never starves."""

import dataclasses
import threading
import time

from nnstudio.qt import worker as worker_module
from nnstudio.training import presets


def _long_run(controller, qtbot):
    exp = dataclasses.replace(presets.get("gender-network"), epochs=10**7)
    assert controller.open_experiment(exp)
    w = controller.worker
    qtbot.waitUntil(lambda: w.latest() is not None and w.latest().epoch == 0, timeout=5000)
    w.run()
    qtbot.waitUntil(lambda: w.running and w._trainer.step_count > 50, timeout=5000)
    return w


def test_a_run_waits_while_the_gui_draws(controller, qtbot):
    w = _long_run(controller, qtbot)
    try:
        with w.hold_for_gui():
            time.sleep(0.02)  # an update already under way finishes
            before = w._trainer.step_count
            time.sleep(0.06)  # shorter than GUI_WAIT: the run must not move at all
            during = w._trainer.step_count
        assert during == before
        qtbot.waitUntil(lambda: w._trainer.step_count > during + 50, timeout=5000)
    finally:
        w.pause()
        qtbot.waitUntil(lambda: not w.running, timeout=5000)


def test_a_long_hold_only_slows_the_run(controller, qtbot, monkeypatch):
    """A GUI busy for longer than GUI_WAIT (a big file opening) lets training creep on instead of stopping it."""
    monkeypatch.setattr(worker_module, "GUI_WAIT", 0.02)
    w = _long_run(controller, qtbot)
    try:
        with w.hold_for_gui():
            before = w._trainer.step_count
            time.sleep(0.3)
            during = w._trainer.step_count - before
        assert 3 <= during <= 30  # one update per 20 ms wait, give or take
    finally:
        w.pause()
        qtbot.waitUntil(lambda: not w.running, timeout=5000)


def test_another_thread_gets_the_interpreter_lock_promptly_during_a_run(controller, qtbot):
    """A small network trains almost entirely in Python; without the run letting go of the lock every SLICE, a
    thread waking every 10 ms here waited 9-13 ms for it at the median, and up to 60 ms; with it, 0.4 ms (2-4 ms
    with two other busy processes on this 2-core machine). The bounds sit between the two; with the release switched
    off this failed in about half the runs here, so it catches a lasting regression, not every run of one."""
    w = _long_run(controller, qtbot)
    gaps = []

    def ticker():
        last = time.perf_counter()
        for _ in range(100):
            time.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last - 0.01)
            last = now

    try:
        t = threading.Thread(target=ticker)
        t.start()
        t.join(timeout=20)
        assert not t.is_alive()
        gaps.sort()
        assert gaps[50] < 0.006, f"median wait {gaps[50] * 1000:.1f} ms"
        assert gaps[-3] < 0.04, f"third-worst wait {gaps[-3] * 1000:.1f} ms"
    finally:
        w.pause()
        qtbot.waitUntil(lambda: not w.running, timeout=5000)

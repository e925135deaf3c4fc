"""The studio window driven through its controls (found by objectName), as a learner would use it."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QMessageBox,
                               QPushButton, QSlider, QToolButton, QWidget)

from nnstudio.qt.main_window import MainWindow
from nnstudio.qt.panels.surface import LossSurfacePanel


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"  # never a blocking question in tests
    w.show()
    qtbot.waitUntil(lambda: w.worker.latest() is not None, timeout=5000)
    w.pull_snapshot()
    yield w
    w.session.ask_unsaved = lambda: "discard"
    w.close()
    assert not w.worker_thread.thread.isRunning()


def button(w, name):
    b = w.findChild(QToolButton, name) or w.findChild(QPushButton, name)
    assert b is not None, name
    return b


def weights(w):
    return [p.copy() for p in w.worker.latest().weights]


def test_opens_ready_on_the_first_lesson(window, qtbot):
    assert window.windowTitle().endswith(" — NN Studio") and window.windowTitle().count("NN Studio") == 1
    assert "One sigmoid neuron" in window.windowTitle()
    assert window.controller.experiment.name == "trask-neuron"
    np.testing.assert_allclose(weights(window)[0].ravel(), [-0.16595599, 0.44064899, -0.99977125], atol=1e-8)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.network_view, timeout=3000)


def test_step_once_changes_update_count_and_weights(window, qtbot):
    before = weights(window)
    qtbot.mouseClick(button(window, "stepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.worker.latest().step == 1, timeout=3000)
    window.pull_snapshot()
    assert window.status_labels["updates"].text() == "updates 1"
    assert not np.array_equal(weights(window)[0], before[0])
    assert window.isWindowModified()


def test_run_until_an_epoch_finishes_pause_and_reset(window, qtbot, in_gui_thread):
    start = weights(window)
    window.controller.edit(window.controller.experiment.replace(epochs=10**6), "many epochs")
    with qtbot.waitSignal(in_gui_thread(window.worker.epochFinished), timeout=5000):
        qtbot.mouseClick(button(window, "runButton"), Qt.MouseButton.LeftButton)
    assert window.run_action.isChecked() and window.run_action.text() == "Pause"
    qtbot.mouseClick(button(window, "runButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.worker.running, timeout=5000)
    assert not window.run_action.isChecked()
    assert window.worker.latest().step > 0
    qtbot.mouseClick(button(window, "resetButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.worker.latest().step == 0, timeout=3000)
    assert all(np.array_equal(a, b) for a, b in zip(weights(window), start))


def test_add_remove_layer_and_undo_through_the_builder(window, qtbot):
    qtbot.mouseClick(window.builder.findChild(QPushButton, "addLayerButton"), Qt.MouseButton.LeftButton)
    assert len(window.controller.experiment.layers) == 2
    qtbot.waitUntil(lambda: len(window.worker.latest().weights) == 3 or len(window.worker.latest().weights) == 4,
                    timeout=3000)
    remove = window.builder.findChild(QAbstractButton, "removeLayerButton_1")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert len(window.controller.experiment.layers) == 1
    window.undo_action.trigger()
    assert len(window.controller.experiment.layers) == 2
    window.redo_action.trigger()
    assert len(window.controller.experiment.layers) == 1


def test_space_runs_and_pauses_but_not_in_a_text_field(window, qtbot):
    window.controller.edit(window.controller.experiment.replace(epochs=10**6), "many epochs")
    window.activateWindow()
    window.network_view.setFocus()
    qtbot.waitUntil(lambda: window.network_view.hasFocus(), timeout=3000)
    qtbot.keyClick(window.network_view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.worker.running, timeout=3000)
    qtbot.keyClick(window.network_view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.worker.running, timeout=3000)
    steps = window.worker.latest().step
    field = window.try_it.findChild(QLineEdit, "tryInput_1")
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=3000)
    qtbot.keyClick(field, Qt.Key.Key_Space)
    qtbot.wait(200)
    assert not window.worker.running and window.worker.latest().step == steps
    qtbot.keyClick(window.network_view, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.worker.latest().step == steps + 1, timeout=3000)


def test_try_it_updates_with_training(window, qtbot):
    out = window.try_it.findChild(type(window.try_it.output), "tryOutput")
    window.pull_snapshot()
    first = out.text()
    assert first.startswith("0.")
    window.worker.run()
    qtbot.waitUntil(lambda: not window.worker.running and window.worker.latest().epoch == 1000, timeout=10000)
    window.pull_snapshot()
    assert out.text() != first and float(out.text().split()[0]) > 0.99  # [1, 0, 0] -> 1


def test_save_and_reopen_gives_identical_weights(window, qtbot, tmp_path, in_gui_thread):
    path = tmp_path / "lesson.nnstudio"
    window.session.ask_save_path = lambda: path
    with qtbot.waitSignal(in_gui_thread(window.worker.runFinished), timeout=10000):
        window.worker.run()
    assert window.worker.latest().epoch == 1000
    qtbot.waitUntil(lambda: window.controller.dirty, timeout=3000)  # set by the queued report in the GUI thread
    assert window.session.save_as()
    assert path.exists() and not window.controller.dirty and not window.isWindowModified()
    assert "lesson" in window.windowTitle()
    saved = weights(window)
    other = MainWindow(open_path=path)
    qtbot.addWidget(other)
    try:
        qtbot.waitUntil(lambda: other.worker.latest() is not None and other.worker.latest().step == 1000,
                        timeout=5000)
        assert all(np.array_equal(a, b) for a, b in zip(saved, [p.copy() for p in other.worker.latest().weights]))
        assert not other.controller.dirty
    finally:
        other.close()


def test_damaged_session_is_explained_and_changes_nothing(window, qtbot, tmp_path):
    path = tmp_path / "broken.nnstudio"
    path.write_text('{"format": "nnstudio-session", "version": 1, "experiment": 5}')
    before = window.controller.experiment
    assert not window.session.open_path(path)
    box = window.findChild(QMessageBox, "problemDialog")
    assert box is not None and "broken.nnstudio" in box.text()
    assert window.controller.experiment is before


def test_bad_csv_shows_a_dialog_and_leaves_the_session(window, qtbot, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,label\n1,2,x\n3,oops,y\n5,6,x\n")
    before = window.controller.experiment
    dialog = window.data_panel.import_csv(str(path))  # the preview opens; the error comes on import
    qtbot.mouseClick(dialog.findChild(QPushButton, "csvImportButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(isinstance(b, QMessageBox) and b.objectName() == "csvErrorDialog" and b.isVisible()
                                for b in QApplication.topLevelWidgets()), timeout=3000)
    box = next(b for b in QApplication.topLevelWidgets() if b.objectName() == "csvErrorDialog" and b.isVisible())
    assert "line 3" in box.text() and "oops" in box.text()
    assert window.controller.experiment == before


def test_divergence_pauses_and_explains(window, qtbot):
    window.session.open_lesson("diabetes-regression")
    window.controller.edit(window.controller.experiment.replace(learning_rate=1.0), "learning rate 1")
    window.worker.run()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "divergedDialog") is not None, timeout=5000)
    box = window.findChild(QMessageBox, "divergedDialog")
    assert "smaller learning rate" in box.text()
    assert not window.worker.running and not window.run_action.isChecked()
    assert all(np.isfinite(p).all() for p in weights(window))


@pytest.mark.parametrize("then", ["another network", "reset"])
def test_the_divergence_message_goes_with_the_run_it_speaks_of(window, qtbot, then):
    """Left open, the message explained a run no longer on show: another lesson's network, or weights reset."""
    window.session.open_lesson("diabetes-regression")
    window.controller.edit(window.controller.experiment.replace(learning_rate=1.0), "learning rate 1")
    window.worker.run()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "divergedDialog") is not None, timeout=5000)
    box = window.findChild(QMessageBox, "divergedDialog")
    assert box.isVisible()
    window.show_message("warning", "Something else", "still to read", "problemDialog")
    if then == "reset":
        window.reset()
    else:
        window.session.open_lesson("gender-network")
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=3000)
    assert window.findChild(QMessageBox, "problemDialog").isVisible()  # other messages stay


def test_lessons_ask_before_discarding_unsaved_work(window, qtbot):
    window.controller.set_dirty(True)
    answers = iter(["cancel", "discard"])
    window.session.ask_unsaved = lambda: next(answers)
    lesson = window.findChild(type(window.run_action), "lesson_gender-network")
    lesson.trigger()
    assert window.controller.experiment.name == "trask-neuron"
    lesson.trigger()
    assert window.controller.experiment.name == "gender-network"
    assert not window.controller.dirty


def test_closing_with_unsaved_work_can_be_cancelled(window, qtbot):
    window.controller.set_dirty(True)
    window.session.ask_unsaved = lambda: "cancel"
    window.close()
    assert window.isVisible() and window.worker_thread.thread.isRunning()


def test_speed_control_paces_the_run(window, qtbot):
    slider = window.findChild(QSlider, "speedSlider")
    slider.setValue(0)
    assert window.worker.updates_per_second == 1.0
    window.worker.run()
    qtbot.waitUntil(lambda: window.worker.latest().step >= 1, timeout=3000)
    window.worker.pause()
    qtbot.waitUntil(lambda: not window.worker.running, timeout=3000)
    assert window.worker.latest().step < 1000  # paced, not run to the end


def test_every_control_is_named_for_screen_readers_and_tests(window):
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QSlider)
    missing = [f"{type(w).__name__} {w.objectName()!r} {getattr(w, 'text', lambda: '')()!r}"
               for w in window.findChildren(QWidget) if isinstance(w, kinds) and w.isVisibleTo(window)
               and not w.objectName().startswith("qt_") and w.parent() is not None
               and not type(w.parent()).__name__.startswith("QDockWidget")
               and (not w.objectName() or not w.accessibleName())]
    assert missing == []
    actions = [a for a in window.findChildren(type(window.run_action)) if a.text() and not a.isSeparator()
               and not a.objectName().startswith("qt_")]
    unnamed = [a.text() for a in actions if not a.objectName() and not a.menu()]
    assert unnamed == []


def test_layout_is_remembered_and_can_be_reset(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.curves_dock.hide()
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    try:
        assert not again.curves_dock.isVisible()
        again.reset_layout_action.trigger()
        assert again.curves_dock.isVisible()
    finally:
        again.close()


def _run_script(code, timeout=60):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_closing_the_window_during_a_run_exits_cleanly(tmp_path):
    done = _run_script(f"""
        import sys
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, {str(tmp_path)!r})
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        from nnstudio.qt.main_window import MainWindow
        w = MainWindow()
        w.show()
        w.controller.edit(w.controller.experiment.replace(epochs=10**7), "long")
        w.session.ask_unsaved = lambda: "discard"
        QTimer.singleShot(100, w.run_action.trigger)
        def close():
            assert w.worker.running, "the run should be going"
            w.close()
        QTimer.singleShot(800, close)
        app.exec()
        print("steps", w.worker.latest().step, "thread running", w.worker_thread.thread.isRunning())
    """)
    assert done.returncode == 0, done.stderr
    assert "thread running False" in done.stdout
    assert "Destroyed while thread" not in done.stderr and "Traceback" not in done.stderr


def test_smoke_the_real_app_starts_and_quits(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NNSTUDIO_QUIT_AFTER_MS="1500", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-m", "nnstudio"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_an_error_inside_the_worker_becomes_a_dialog_and_the_session_stays_usable(window, qtbot, monkeypatch):
    from nnstudio.training.trainer import Trainer

    real_step = Trainer.step
    monkeypatch.setattr(Trainer, "step", lambda self: (_ for _ in ()).throw(RuntimeError("simulated fault")))
    window.worker.step()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None, timeout=3000)
    box = window.findChild(QMessageBox, "errorDialog")
    assert "simulated fault" in box.text() and "Traceback" in box.detailedText()
    monkeypatch.setattr(Trainer, "step", real_step)
    window.worker.step()
    qtbot.waitUntil(lambda: window.worker.latest().step == 1, timeout=3000)


def test_session_saved_by_the_command_line_opens_in_the_studio(qtbot, tmp_path):
    path = tmp_path / "cli.nnstudio"
    done = subprocess.run([sys.executable, "-m", "nnstudio", "train", "--preset", "gender-network", "--epochs", "30",
                           "--save", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    w = MainWindow(open_path=path)
    qtbot.addWidget(w)
    try:
        qtbot.waitUntil(lambda: w.worker.latest() is not None and w.worker.latest().epoch == 30, timeout=5000)
        assert w.controller.experiment.name == "gender-network" and "cli" in w.windowTitle()
        assert w.session.recent_files()[0].endswith("cli.nnstudio")
        assert w.findChild(type(w.run_action), "recentFile_1") is not None
    finally:
        w.close()


def test_worker_reports_are_handled_in_the_gui_thread(window, qtbot, monkeypatch, in_gui_thread):
    from PySide6.QtCore import QThread

    gui = QThread.currentThread()
    threads = []
    real = window._update_title
    monkeypatch.setattr(window, "_update_title", lambda: (threads.append(QThread.currentThread()), real()))
    window.controller.set_dirty(False)
    with qtbot.waitSignal(in_gui_thread(window.worker.runFinished), timeout=10000):
        window.worker.run()
    qtbot.waitUntil(lambda: window.controller.dirty, timeout=3000)
    assert threads and all(t is gui for t in threads)


def test_export_all_panels_writes_every_panel_and_an_index(window, qtbot, tmp_path):
    window.worker.run()
    qtbot.waitUntil(lambda: window.worker.latest().epoch == 1000, timeout=10000)
    window.session.ask_export_folder = lambda: tmp_path / "out"
    index = window.export_all_panels()
    names = {p.name for p in (tmp_path / "out").iterdir()}
    for panel in ("network", "weights", "curves", "activation", "surface", "predictions"):
        assert {f"{panel}.png", f"{panel}.svg", f"{panel}.csv"} <= names
    assert "index.html" in names and "Loss surface" in index.read_text()


def test_all_panels_are_docked_and_fed(window, qtbot):
    window.session.open_lesson("gender-network")
    window.curves_dock.raise_()
    window.step()
    qtbot.waitUntil(lambda: window.worker.latest().step == 1, timeout=3000)
    window.pull_snapshot()
    qtbot.waitUntil(lambda: window.curves.snapshot is not None and window.curves.snapshot.step == 1, timeout=3000)
    # a panel under another tab of its dock is not drawn for nothing...
    assert window.weights.snapshot is None or window.weights.snapshot.step == 0
    # ...and gets the latest snapshot as soon as its tab is raised
    for dock, panel in ((window.weights_dock, window.weights), (window.activation_dock, window.activation),
                        (window.predictions_dock, window.predictions), (window.surface_dock, window.surface)):
        dock.raise_()
        qtbot.waitUntil(lambda p=panel: p.snapshot is not None and p.snapshot.step == 1, timeout=3000)
    assert window.activation.findChild(QAbstractButton, "showStepCheck").isChecked()


def _on_screen(widget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def test_each_lesson_opens_on_the_plot_its_tutorial_draws(window, qtbot):
    from nnstudio.qt.main_window import LESSON_VIEWS
    from nnstudio.training import presets

    assert set(LESSON_VIEWS) == set(presets.PRESETS)  # every lesson says what it shows first
    window.session.open_lesson("perceptron-50k")  # T4: the rows' errors on log-log axes
    qtbot.waitUntil(lambda: _on_screen(window.curves), timeout=3000)
    assert window.curves.scale() == "log_log" and window.curves.errors_check.isChecked()
    window.session.open_lesson("diabetes-regression")  # T5: the loss over (m, b) and the path
    qtbot.waitUntil(lambda: _on_screen(window.surface), timeout=3000)
    assert not _on_screen(window.curves) and window.curves.scale() == "linear"
    window.surface_dock.raise_()
    window.session.open_lesson("trask-neuron")  # T1: accuracy per iteration
    qtbot.waitUntil(lambda: _on_screen(window.curves), timeout=3000)
    assert not _on_screen(window.surface)


def test_a_selected_weight_of_a_big_network_is_recorded_at_every_update(window, qtbot):
    """Networks over 512 parameters record a sample of 48 weights; one the learner selects is followed from then on,
    also in the middle of a run, and the weights panel draws it from those records."""
    import dataclasses

    from nnstudio.core.network import LayerSpec
    from nnstudio.training import presets

    exp = dataclasses.replace(presets.get("gender-network"), epochs=10**6,
                              layers=[LayerSpec(300, "sigmoid"), LayerSpec(1, "sigmoid")])
    assert window.controller.open_experiment(exp)
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().weights[0].shape == (2, 300),
                    timeout=5000)
    snap = window.worker.latest()
    assert len(snap.tracked) < sum(w.size for w in snap.weights)
    index = next(i for i in range(600) if i not in set(snap.tracked.tolist()))  # an unrecorded W1 weight
    window.weights_dock.raise_()
    window.worker.run()
    qtbot.waitUntil(lambda: window.worker.latest().step > 20, timeout=5000)
    window.context.select_weight((0, index))
    qtbot.waitUntil(lambda: window.worker.latest().followed_index == index
                    and len(window.worker.latest().followed_x) > 50, timeout=5000)
    window.worker.pause()
    qtbot.waitUntil(lambda: not window.worker.running, timeout=5000)
    window.pull_snapshot()
    snap = window.worker.latest()
    fx = snap.followed_x
    assert np.array_equal(fx, np.arange(fx[0], fx[0] + len(fx)))  # every update since it was selected
    qtbot.waitUntil(lambda: window.weights.snapshot is snap, timeout=3000)
    window.weights.finish()
    x, curves = window.weights.history_arrays()
    label = next(k for k in curves if k.endswith(" · every update"))
    assert label.startswith(f"W1[{index // 300},{index % 300}]")
    assert np.array_equal(curves[label][-len(fx) - 1:-1], snap.followed_values)
    window.context.select_weight(None)
    qtbot.waitUntil(lambda: window.worker._follow_request is None, timeout=1000)


# -- saving and exporting off the GUI thread ---------------------------------------------------------------------------
def train_a_little(window, qtbot, steps=30):
    for _ in range(steps):
        window.worker.step()
    qtbot.waitUntil(lambda: window.worker.latest().step == steps, timeout=5000)
    window.controller.set_dirty(True)


def temporaries(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_saving_runs_on_the_training_thread_while_the_window_stays_live(window, qtbot, tmp_path, monkeypatch,
                                                                        heartbeat):
    import json
    import threading

    from nnstudio.qt import worker as worker_module
    from nnstudio.training.session import Session

    train_a_little(window, qtbot)
    beat, seen = heartbeat(), {}
    real = worker_module.save_session

    def save(session, path, progress):
        seen["thread"] = threading.get_ident()
        seen["ticked"] = beat.reached.wait(10)  # the GUI thread's timer ticks only if its event loop runs
        return real(session, path, progress)

    monkeypatch.setattr(worker_module, "save_session", save, raising=False)
    path = tmp_path / "live.nnstudio"
    window.session.ask_save_path = lambda: path
    assert window.session.save_as()
    assert seen["ticked"] and seen["thread"] != threading.get_ident()
    assert not window.controller.dirty and "live" in window.windowTitle()
    saved = json.loads(path.read_text(encoding="utf-8"))  # what the old serialiser gave for the same session
    assert saved == json.loads(json.dumps(Session(window.worker._trainer, saved["ui"]).to_dict()))
    assert not window.findChild(QWidget, "taskPanel").isVisible()


def test_a_cancelled_save_leaves_the_file_and_the_session_as_they_were(window, qtbot, tmp_path, monkeypatch):
    import threading
    import time

    from PySide6.QtCore import QTimer

    from nnstudio.qt import worker as worker_module

    path = tmp_path / "keep.nnstudio"
    window.session.ask_save_path = lambda: path
    assert window.session.save_as()
    before = path.read_bytes()
    train_a_little(window, qtbot)
    halfway = threading.Event()
    real = worker_module.save_session

    def slow_save(session, target, report):
        def progress(fraction):
            report(fraction)
            if fraction > 0.3:  # part of the file is written: wait here for the learner
                halfway.set()
                while True:
                    report(fraction)
                    time.sleep(0.002)

        return real(session, target, progress)

    monkeypatch.setattr(worker_module, "save_session", slow_save, raising=False)

    def press_escape_halfway():
        if halfway.is_set():
            qtbot.keyClick(window.network_view, Qt.Key.Key_Escape)
        else:
            QTimer.singleShot(5, press_escape_halfway)

    QTimer.singleShot(5, press_escape_halfway)
    assert not window.session.save()
    assert path.read_bytes() == before and temporaries(tmp_path) == []
    assert window.controller.dirty and window.isWindowModified() and window.controller.path == path
    assert "as it was" in window.statusBar().currentMessage()
    monkeypatch.setattr(worker_module, "save_session", real, raising=False)
    assert window.session.save() and path.read_bytes() != before  # and the next save works


def test_a_failed_save_is_explained_and_keeps_the_previous_file(window, qtbot, tmp_path, monkeypatch):
    import os

    path = tmp_path / "keep.nnstudio"
    path.write_text("previous")
    window.session.ask_save_path = lambda: path
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    assert not window.session.save_as()
    box = window.findChild(QMessageBox, "problemDialog")
    assert box is not None and "disk full" in box.text() and "unchanged" in box.text()
    assert path.read_text() == "previous" and temporaries(tmp_path) == []


def test_a_run_goes_on_after_a_save(window, qtbot, tmp_path):
    window.controller.edit(window.controller.experiment.replace(epochs=10**7), "long")
    window.worker.run()
    qtbot.waitUntil(lambda: window.worker.running, timeout=3000)
    window.session.ask_save_path = lambda: tmp_path / "running.nnstudio"
    assert window.session.save_as()
    qtbot.waitUntil(lambda: window.worker.running, timeout=3000)
    window.worker.pause()


def test_export_draws_a_panel_at_a_time_with_the_window_live(window, qtbot, tmp_path, monkeypatch, heartbeat):
    from nnstudio.qt import background

    import threading

    from nnstudio.qt.panels import surface, surface_job

    tasks, real = [], background.run_steps
    monkeypatch.setattr(background, "run_steps", lambda *a: tasks.append(real(*a)) or tasks[-1])
    grids = []  # the threads that computed a loss surface
    for module in (surface, surface_job):
        monkeypatch.setattr(module, "compute", lambda *a, c=module.compute, **k: grids.append(
            threading.get_ident()) or c(*a, **k))
    beat = heartbeat()
    window.session.ask_export_folder = lambda: tmp_path / "out"
    before = beat.count
    index = window.export_all_panels()
    assert beat.count - before > 20  # the timer kept its turns while the export went on
    assert grids and threading.get_ident() not in grids
    assert index == tmp_path / "out" / "index.html" and tasks[0].fraction == 1.0
    from nnstudio.qt.panels import panel_classes

    # every panel's 3 files and the index, nothing else
    assert len(list((tmp_path / "out").iterdir())) == 3 * len(panel_classes()) + 1 == 22


def test_a_cancelled_export_leaves_the_folder_as_it_was(window, qtbot, tmp_path, monkeypatch):
    from nnstudio.qt import export

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    drawn = []
    real = export.render_svg

    def render_svg(widget, title=""):
        drawn.append(title)
        if len(drawn) == 3:  # two panels are done (their files are being written): the learner presses Escape
            qtbot.keyClick(window.network_view, Qt.Key.Key_Escape)
        return real(widget, title)

    monkeypatch.setattr(export, "render_svg", render_svg)
    window.session.ask_export_folder = lambda: folder
    assert window.export_all_panels() is None
    qtbot.waitUntil(lambda: [p.name for p in folder.iterdir()] == ["notes.txt"], timeout=10000)
    assert len(drawn) == 3 and "cancelled" in window.statusBar().currentMessage()


def test_no_widget_hides_qts_own_methods_with_an_attribute(window):
    """A widget that stores something under the name of one of QWidget's methods (the lesson panel kept the studio in
    ``self.window``) breaks every caller of that method: a startup bench's paint watcher raised inside Qt's event
    filter and the process crashed on its way out."""
    window.later.make_all()
    names = ("window", "parent", "show", "hide", "update", "close", "size", "font", "palette", "layout", "style")
    hidden = [(type(w).__name__, name) for w in window.findChildren(QWidget) + [window] for name in names
              if not callable(getattr(w, name))]
    assert hidden == []


def test_a_closed_window_lets_go_of_its_training_arrays(qtbot):
    """A big table's prepared arrays (MNIST: 250 MB) go when the window closes, however long something else still
    refers to the window: the worker's Trainer, the controller's and the panels' context's arrays."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.worker.latest() is not None, timeout=5000)
    assert w.controller.prepared is not None and w.context.prepared_if_made() is not None
    w.close()
    assert not w.worker_thread.thread.isRunning()
    assert w.worker._trainer is None and w.controller.prepared is None
    assert w.context.prepared_if_made() is None and w.context._prepared is None
    assert w.worker.latest() is not None  # the last snapshot stays readable


def test_a_closed_window_keeps_no_training_rows_in_its_panels(qtbot):
    """The loss surface keeps the rows it computes on (the Trainer's own arrays): they go with the window too."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.worker.latest() is not None, timeout=5000)
    surface = w.surface  # (made now: PanelsLater)
    assert isinstance(surface, LossSurfacePanel)
    X, _ = surface._data_rows()  # as any computed surface does (recompute / least_squares_weights)
    assert np.shares_memory(X, w.controller.prepared.X_train)  # the Trainer's own rows
    w.close()
    assert w.context.prepared_if_made() is None
    assert surface._rows is None, "the surface panel still holds the Trainer's training rows"


def test_a_session_opens_on_a_thread_of_its_own_and_a_cancelled_open_changes_nothing(window, qtbot, tmp_path,
                                                                                    monkeypatch):
    """An MNIST session takes a second or two to read: File -> Open reads it off the GUI thread, with progress and
    Cancel in the status bar, and the window keeps drawing meanwhile."""
    import threading
    import time

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QPushButton

    from nnstudio.training.session import Session

    path = tmp_path / "s.nnstudio"
    window.session.ask_save_path = lambda: path
    train_a_little(window, qtbot)
    assert window.session.save_as()
    saved_step = window.worker.latest().step
    real = Session.load
    threads, halfway, hold = [], threading.Event(), threading.Event()

    def slow_load(p, progress=None):
        threads.append(threading.current_thread())

        def report(fraction):
            progress(fraction)
            if fraction >= 0.5 and hold.is_set():  # read and parsed: wait here, as a big file's Trainer may
                halfway.set()
                while True:
                    progress(fraction)
                    time.sleep(0.002)

        return real(p, report)

    monkeypatch.setattr(Session, "load", staticmethod(slow_load))
    window.session.new()
    assert window.session.open_path(path)
    assert threads and threads[-1] is not threading.main_thread()
    qtbot.waitUntil(lambda: window.worker.latest().step == saved_step, timeout=5000)
    # now cancel part-way, from the status bar's Cancel
    window.session.new()
    before = window.controller.experiment
    hold.set()
    def cancel_halfway():
        if halfway.is_set():
            window.findChild(QPushButton, "taskCancelButton").click()
        else:
            QTimer.singleShot(150, cancel_halfway)  # (the window goes on for a while meanwhile)

    QTimer.singleShot(150, cancel_halfway)  # (the window goes on for a while meanwhile)
    assert window.session.open_path(path) is False  # (the Cancel was pressed by the event loop, turning meanwhile)
    assert window.controller.experiment is before and "Not opened" in window.statusBar().currentMessage()

"""The fault matrix in the studio: File > Open (``SessionMenu.open_path``) of every damaged session of
tests/test_fault_matrix.py is refused with a one-line message, and the studio keeps its experiment, weights and title.
Also: a window that fails while it is being built ends the process with one line, never with an abort."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

_spec = importlib.util.spec_from_file_location("fault_matrix", Path(__file__).parents[1] / "test_fault_matrix.py")
matrix = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fault_matrix", matrix)
_spec.loader.exec_module(matrix)
address_space_limit = matrix.address_space_limit  # the same guard against a regression that allocates gigabytes


@pytest.fixture(scope="module")
def studio(qapp, tmp_path_factory):
    """One window for all cases, holding a trained session (so weights and title are not a lesson's defaults)."""
    from nnstudio.qt.main_window import MainWindow

    folder = tmp_path_factory.mktemp("studio")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    good = folder / "good-run.nnstudio"
    good.write_text(matrix._good("session"))
    w = MainWindow(remember_layout=False)
    w.session.ask_unsaved = lambda: "discard"
    assert w.session.open_path(good)
    yield w, folder
    w.close()
    w.shutdown()
    assert not w.worker_thread.thread.isRunning()


def _state(w):
    snap = w.worker.latest()
    return (w.controller.experiment, [p.copy() for p in snap.weights], snap.step, w.windowTitle(),
            w.controller.path, w.controller.dirty)


@pytest.mark.parametrize("case", matrix.SESSION_CASES, ids=matrix.ids(matrix.SESSION_CASES))
def test_file_open_refuses_and_the_studio_stays_as_it_was(studio, qtbot, capfd, case):
    w, folder = studio
    qtbot.waitUntil(lambda: w.worker.latest() is not None and w.worker.latest().step == 50, timeout=5000)
    before = _state(w)
    path = case.write(folder)
    assert w.session.open_path(path) is False
    box = w._dialogs[-1]
    assert isinstance(box, QMessageBox) and box.objectName() == "problemDialog"
    matrix.assert_one_line(box.text(), path.name, case.expect)
    printed = [line for line in capfd.readouterr().err.splitlines() if line.startswith("nnstudio: ")]
    assert printed == [f"nnstudio: {box.text()}"]
    box.done(0)
    qtbot.waitUntil(lambda: box not in w._dialogs, timeout=2000)
    after = _state(w)
    assert after[0] is before[0]  # the same experiment object: nothing was installed
    assert all(np.array_equal(a, b) for a, b in zip(before[1], after[1])) and len(before[1]) == len(after[1])
    assert after[2:] == before[2:]
    assert w.worker_thread.thread.isRunning()


def test_a_window_that_fails_while_being_built_ends_in_one_line_without_an_abort(tmp_path):
    # whatever escapes MainWindow.__init__ after its training thread started must not abort the process
    # ("QThread: Destroyed while thread is still running")
    path = tmp_path / "run.nnstudio"
    path.write_text(matrix._good("session"))
    code = f"""
        import sys
        import nnstudio.qt.session_menu as menu
        def broken(self, path, **_):
            raise RuntimeError("simulated fault while opening")
        menu.SessionMenu.open_path = broken
        from nnstudio.qt.app import main
        sys.exit(main([{str(path)!r}]))
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NNSTUDIO_QUIT_AFTER_MS="300", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120,
                          env=env)
    lines = [line for line in done.stderr.splitlines() if line.strip() and "propagateSizeHints" not in line]
    assert done.returncode == 1, done.stderr
    assert lines == ["nnstudio: the studio could not start (RuntimeError: simulated fault while opening)"]


def test_the_good_session_opened_in_full(studio):
    w, _ = studio
    assert w.controller.experiment.optimizer == "adam" and "good-run" in w.windowTitle()
    assert json.loads(matrix._good("session"))["state"]["step"] == w.worker.latest().step

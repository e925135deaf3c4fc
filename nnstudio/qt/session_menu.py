"""Session files in the studio: new, open, recent, save, save as, import CSV, lessons, and the question asked
before unsaved work would be lost. File dialogs and the question are methods of their own so tests can answer
them."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from nnstudio.qt.background import CANCELLED, FINISHED, run_in_thread, status_panel, wait_in
from nnstudio.training import Experiment, presets
from nnstudio.training.session import Session, SessionError

SESSION_FILTER = "NN Studio sessions (*.nnstudio);;All files (*)"
MAX_RECENT = 8


class SessionMenu:
    def __init__(self, window):
        self.window = window
        self.controller = window.controller
        w = window
        self.new_action = w._action("New", "newAction", "Start a new, untitled session", self.new,
                                    QKeySequence.StandardKey.New)
        self.open_action = w._action("Open…", "openAction", "Open a saved session (Ctrl+O)", self.open,
                                     QKeySequence.StandardKey.Open)
        self.save_action = w._action("Save", "saveAction", "Save the session: network, weights, history (Ctrl+S)",
                                     self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = w._action("Save As…", "saveAsAction", "Save the session under a new name", self.save_as,
                                        QKeySequence("Ctrl+Shift+S"))
        self.import_action = w._action("Import CSV…", "importCsvAction",
                                       "Load your own table: a header row, numeric features and a target column",
                                       lambda: w.data_panel.import_csv())
        self.import_idx_action = w._action("Import IDX image folder…", "importIdxAction",
                                           "Load a folder of images in MNIST's own format (train-images-idx3-ubyte, "
                                           "train-labels-idx1-ubyte, and optionally the t10k pair): Fashion-MNIST, "
                                           "Kuzushiji-MNIST and the like",
                                           lambda: w.data_panel.import_idx())
        self.export_all_action = w._action("Export all panels…", "exportAllAction",
                                           "Write every panel as PNG, SVG and CSV into a folder, with an index page",
                                           lambda: w.export_all_panels())
        self.recent_menu = QMenu("Open Recent", window)
        self.recent_menu.setObjectName("recentMenu")

    def fill_file_menu(self, menu: QMenu) -> None:
        menu.addActions([self.new_action, self.open_action])
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        menu.addActions([self.save_action, self.save_as_action])
        menu.addSeparator()
        menu.addAction(self.import_action)
        menu.addAction(self.import_idx_action)
        menu.addAction(self.export_all_action)
        self._fill_recent()

    # -- questions (replaced in tests) -----------------------------------------------------------------------------------
    def ask_unsaved(self) -> str:
        """"save", "discard" or "cancel"."""
        answer = QMessageBox.question(
            self.window, "Unsaved changes", f"Save the changes to {self.controller.session_name} first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def ask_open_path(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Open session", str(self._folder()), SESSION_FILTER)
        return Path(name) if name else None

    def ask_save_path(self) -> Path | None:
        start = self.controller.path or self._folder() / f"{self.controller.default_file_stem}.nnstudio"
        name, _ = QFileDialog.getSaveFileName(self.window, "Save session", str(start), SESSION_FILTER)
        if not name:
            return None
        path = Path(name)
        return path if path.suffix else path.with_suffix(".nnstudio")

    def ask_export_folder(self) -> Path | None:
        name = QFileDialog.getExistingDirectory(self.window, "Export all panels into", str(self._folder()))
        return Path(name) if name else None

    def _folder(self) -> Path:
        recent = self.recent_files()
        return Path(recent[0]).parent if recent else Path.home()

    # -- the flows -------------------------------------------------------------------------------------------------------
    def may_discard(self) -> bool:
        """True when the current work may be replaced: nothing unsaved, saved now, or the learner said discard."""
        if not self.controller.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new(self) -> None:
        if self.may_discard():
            self.controller.open_experiment(Experiment(name="untitled", title="Untitled"))

    def open_lesson(self, name: str) -> None:
        if self.may_discard() and self.controller.open_experiment(presets.get(name)):
            self.window.show_lesson_views(name)
            self.window.statusBar().showMessage(f"Preset: {presets.PRESETS[name].title}", 5000)

    def open(self) -> None:
        if not self.may_discard():
            return
        path = self.ask_open_path()
        if path is not None:
            self.open_path(path)

    def open_path(self, path: Path, in_background: bool = True) -> bool:
        """Open a session file. Session.load checks all of it first, so a damaged or foreign file is explained in
        one line (in a message, and on stderr for whoever started the studio from a terminal) and the studio keeps
        its experiment, weights and title. The file is read on a thread of its own, with progress and Cancel in
        the status bar (an MNIST session takes a second or two); ``in_background=False`` reads it in line (the
        window's own start, before its event loop runs)."""
        if in_background:
            task = run_in_thread(lambda report: Session.load(path, report), name="open session")
            state = wait_in(self.window, status_panel(self.window), task, f"Opening {path.name}…")
            if state == CANCELLED:
                self.window.statusBar().showMessage(f"Not opened: {path.name}; the session on show is as it was.",
                                                    5000)
                return False
            if state != FINISHED:
                error = task.error
                if not isinstance(error, SessionError):  # not a file's fault: say what happened, keep the details
                    self.window.show_message("warning", "Cannot open the session",
                                             f"{path}: {type(error).__name__}: {error}", "problemDialog",
                                             task.details)
                    return False
                return self._refused(path, error)
            session = task.result
        else:
            try:
                session = Session.load(path)
            except SessionError as e:
                return self._refused(path, e)
        if not self.controller.open_experiment(session.trainer.experiment, trainer=session.trainer, path=path):
            return False
        self.controller.runs.set_runs(session.kept_runs)
        state = session.ui.get("window_state")
        if isinstance(state, str):  # checked by Session.load: ASCII base64
            from PySide6.QtCore import QByteArray

            self.window.restoreState(QByteArray.fromBase64(state.encode("ascii")))
        self._remember(path)
        self.window.statusBar().showMessage(f"Opened {path.name}", 4000)
        return True

    def _refused(self, path: Path, error: SessionError) -> bool:
        print(f"nnstudio: {error}", file=sys.stderr)
        self.window.show_message("warning", "Cannot open the session", str(error), "problemDialog")
        self._forget(path)
        return False

    def save(self) -> bool:
        path = self.controller.path
        if path is None:
            return self.save_as()
        return self._save_to(path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        return path is not None and self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        """Save on the training thread, with progress and Cancel in the status bar; the window stays live (training
        pauses meanwhile and goes on afterwards). True once the file is written; cancelled or failed, the previous
        file is as it was."""
        worker = self.window.worker
        was_running = worker.running or self.window.run_action.isChecked()  # also a run asked for, not yet begun
        generation = worker.generation  # the session being saved: another may be open by the time the save is done
        worker.pause()
        ui = {"window_state": bytes(self.window.saveState().toBase64()).decode("ascii")}
        task = worker.save(str(path), ui, self.controller.runs.runs)
        state = wait_in(self.window, status_panel(self.window), task, f"Saving {path.name}…")
        if was_running:
            worker.run()
        if state == CANCELLED:
            self.window.statusBar().showMessage(f"Not saved; {path.name} is as it was.", 5000)
            return False
        if state != FINISHED:
            error = task.error
            self.window.show_message("warning", "The session was not saved",
                                     f"{path}: {type(error).__name__}: {error}\n"
                                     "The previous file, if any, is unchanged.", "problemDialog", task.details)
            return False
        self._remember(path)
        if worker.generation != generation:
            self.window.statusBar().showMessage(f"Saved {path.name} (the session open now is another one)", 6000)
            return False
        self.controller.set_path(path)
        self.controller.set_dirty(False)
        self.window.statusBar().showMessage(f"Saved {path.name}", 4000)
        return True


    # -- recent files ----------------------------------------------------------------------------------------------------
    @staticmethod
    def recent_files() -> list[str]:
        value = QSettings().value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        files = [str(path.resolve())] + [f for f in self.recent_files() if f != str(path.resolve())]
        QSettings().setValue("recentFiles", files[:MAX_RECENT])
        self._fill_recent()

    def _forget(self, path: Path) -> None:
        QSettings().setValue("recentFiles", [f for f in self.recent_files() if f != str(Path(path).resolve())])
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for i, name in enumerate(files, start=1):
            action = QAction(f"{i}. {Path(name).name}", self.recent_menu)
            action.setObjectName(f"recentFile_{i}")
            action.setToolTip(name)
            action.triggered.connect(lambda _=False, n=name: self.may_discard() and self.open_path(Path(n)))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(files))

"""The timeline under the toolbar: a slider over every update of the run, to go back to any of them (and forward
again as far as the run went), with "Keep this run" and the list of kept runs beside it.

Dragging the slider pauses a run and puts the Trainer back where it stood after that update (training.timeline:
the nearest checkpoint, then the few updates from there trained again, exactly): every panel shows the network as it
was then. Training on from there is a branch: the run as it stood is kept for comparison. While dragging, requests go
to the worker at most ``DRAG_HZ`` times a second, and only the newest waiting one is carried out.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QSlider, QToolBar

from nnstudio.numbers import count
from nnstudio.qt.widgets import setup

DRAG_HZ = 12


class TimelineBar(QToolBar):
    def __init__(self, window):
        super().__init__("Timeline", window)
        self.setObjectName("timelineToolbar")
        self.toggleViewAction().setObjectName("timelineToolbarToggleAction")
        self.window_, self.controller, self.worker = window, window.controller, window.worker
        self._snap = None
        self._pending: int | None = None
        self._pending_generation = 0  # the worker's generation when the pending step was chosen (see _send)
        self.addWidget(QLabel(" Timeline "))
        self.slider = setup(QSlider(Qt.Orientation.Horizontal), "timelineSlider", "Timeline",
                            "Drag back to any earlier update: every panel shows the network as it was then. "
                            "Training on from there keeps the run as it was, for comparison.")
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(320)
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self._on_value)
        self.addWidget(self.slider)
        self.label = setup(QLabel(), "timelineLabel", "Where the run stands",
                           "Every update can be gone back to exactly: checkpoints are kept every few updates "
                           "(further apart for a big network, to bound the memory), and the updates between are "
                           "trained again from the nearest one.")
        self.label.setMinimumWidth(260)
        self.addWidget(self.label)
        self.addSeparator()
        self.keep_action = QAction("Keep this run", self)
        self.keep_action.setObjectName("keepRunAction")
        self.keep_action.setToolTip("Keep this run's curves and path on screen, in a colour of its own, to compare "
                                    "with the next runs")
        self.keep_action.triggered.connect(self.keep)
        self.addAction(self.keep_action)
        setup(self.widgetForAction(self.keep_action), "keepRunButton", "Keep this run", self.keep_action.toolTip())
        # how many runs are kept, and a way to forget them (one by one: Train -> Kept runs; a menu that pops up from
        # a toolbar button would hold the event loop while it is open)
        self.runs_label = setup(QLabel(), "keptRunsLabel", "Kept runs", "Runs kept for comparison: the curves and "
                                "the loss surface draw them in their colours; Train -> Kept runs forgets one")
        self.addWidget(self.runs_label)
        self.forget_action = QAction("Forget them", self)
        self.forget_action.setObjectName("forgetKeptRunsAction")
        self.forget_action.setToolTip("Forget every kept run (Train -> Kept runs forgets one)")
        self.forget_action.triggered.connect(self.controller.runs.clear)
        self.addAction(self.forget_action)
        setup(self.widgetForAction(self.forget_action), "forgetKeptRunsButton", "Forget the kept runs",
              self.forget_action.toolTip())
        self.runs_menu = QMenu("Kept runs", self)
        self.runs_menu.setObjectName("keptRunsMenu")
        self.runs_menu.aboutToShow.connect(self._fill_runs_menu)
        self.compare_action = QAction("Compare…", self)
        self.compare_action.setObjectName("compareAction")
        self.compare_action.setToolTip("Train this network at several values of one setting, from the same start, "
                                       "and keep each run to compare")
        self.compare_action.triggered.connect(self.ask_compare)
        self.addAction(self.compare_action)
        setup(self.widgetForAction(self.compare_action), "compareButton", "Compare", self.compare_action.toolTip())
        self._timer = QTimer(self, singleShot=True, interval=1000 // DRAG_HZ, timeout=self._send)
        self.controller.runs.changed.connect(self._on_runs_changed)
        self._on_runs_changed()

    # -- showing -------------------------------------------------------------------------------------------------------
    def show_snapshot(self, snap) -> None:
        """Follow the run (unless the learner holds the slider)."""
        if snap is None or snap is self._snap:
            return
        self._snap = snap
        end = max(snap.timeline_end, snap.step)
        start = min(snap.timeline_steps[0], snap.step) if snap.timeline_steps else snap.step  # (a session opened
        #   at update 25 starts its timeline there: nothing before it can be reached)
        if not self.slider.isSliderDown() and self._pending is None:
            self.slider.blockSignals(True)
            self.slider.setRange(start, end)
            self.slider.setEnabled(end > start)  # (one update to show: nowhere to go, and the handle sits at the left)
            self.slider.setValue(snap.step)
            self.slider.blockSignals(False)
        elif self.slider.maximum() < end:
            self.slider.setMaximum(end)
            self.slider.setEnabled(True)
        self._say(self.slider.value() if self.slider.isSliderDown() else snap.step, end)

    def _say(self, step: int, end: int) -> None:
        snap = self._snap
        text = f"update {count(step)} of {count(end)}"
        if snap is not None and step < end:
            text += " · Run or Step goes on from here"
        self.label.setText(text)
        if snap is not None and snap.timeline_steps:
            kept = [s for s in snap.timeline_steps if s <= step]
            if kept and kept[-1] != step:
                how = f"trained again from the checkpoint at update {count(kept[-1])}"
            else:
                how = "a checkpoint"
            self.label.setToolTip(f"Update {count(step)}: {how}. Checkpoints every {count(snap.timeline_stride)} "
                                  f"updates; every update between is reached exactly by training forward.")

    # -- going back ----------------------------------------------------------------------------------------------------
    def _on_value(self, value: int) -> None:
        if self._snap is not None and value == self._snap.step and self._pending is None:
            return
        if self._pending is None:
            self._pending_generation = self.worker.generation
        self._pending = value
        self._say(value, self.slider.maximum())
        if self.window_.run_action.isChecked():  # a run pauses: the learner is looking back
            self.window_.run_action.setChecked(False)
        if not self._timer.isActive():
            self._timer.start()

    def _send(self) -> None:
        step, self._pending = self._pending, None
        if step is not None:
            # the step was chosen on the run on show then: another network or session since (a layer changed while
            # the slider was being let go) has other updates, and the request goes nowhere
            self.worker.rewind(step, generation=self._pending_generation)

    def go_to(self, step: int) -> None:
        """Go to ``step`` now (as a learner letting go of the slider there)."""
        self.slider.setValue(int(step))
        self._timer.stop()
        self._send()

    def ask_compare(self) -> None:
        """Open the Compare dialog (window-modal, not blocking); Compare in it trains and keeps the runs."""
        from PySide6.QtCore import Qt as _Qt

        from nnstudio.qt.compare_dialog import CompareDialog

        snap = self.worker.latest()
        dialog = CompareDialog(self.window_, self.controller.experiment, snap.step if snap and snap.step else 100,
                               snap.n_train if snap is not None else 0,
                               snap.samples_per_second if snap is not None else 0.0)
        dialog.setAttribute(_Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: compare(self.window_, *dialog.chosen) if dialog.chosen else None)
        dialog.open()

    # -- kept runs -----------------------------------------------------------------------------------------------------
    def keep(self) -> None:
        run = self.controller.keep_run()
        if run is None:
            self.window_.statusBar().showMessage("Nothing to keep yet: the run has no update.", 4000)
        else:
            self.window_.statusBar().showMessage(f"Kept as {run.name}: its curves stay on screen beside the next "
                                                 "runs.", 5000)

    def _on_runs_changed(self) -> None:
        n = len(self.controller.runs.runs)
        self.runs_label.setText(f" kept runs: {n} " if n else " no kept runs ")
        self.forget_action.setEnabled(bool(n))

    def _fill_runs_menu(self) -> None:
        menu, keeper = self.runs_menu, self.controller.runs
        menu.clear()
        for run in keeper.runs:
            action = menu.addAction(f"Forget {keeper.legend(run, self.controller.experiment)}")
            action.triggered.connect(lambda _=False, r=run: keeper.remove(r))
        if keeper.runs:
            menu.addSeparator()
            menu.addAction(self.forget_action)
        else:
            menu.addAction("No run is kept yet").setEnabled(False)


def compare(window, setting: str, values: list, updates: int) -> bool:
    """Train one run per value from the same start on another thread (progress and Cancel in the status bar) and
    keep them all; the current run is left as it is. Returns whether the runs were kept."""
    from nnstudio.qt.background import FINISHED, run_in_thread, status_panel, wait_in
    from nnstudio.training import runs

    controller = window.controller
    experiment = controller.experiment
    task = run_in_thread(lambda report: runs.compare(experiment, setting, values, updates, progress=report),
                         None, "compare")
    state = wait_in(window, status_panel(window), task, f"Comparing {len(values)} runs…")
    if state != FINISHED:
        if task.error is not None:
            window.show_message("warning", "The comparison did not finish", str(task.error), "problemDialog",
                                task.details)
        return False
    controller.runs.add_runs(task.result)
    window.statusBar().showMessage(f"Kept {len(task.result)} runs: {', '.join(r.name for r in task.result)}.", 6000)
    return True

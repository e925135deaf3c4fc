"""The studio's main window: the network view in the middle, docks around it, the training controls on top and
the figures of the run in the status bar. It assembles and wires; the panels draw, the controller decides, the
worker trains."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QGraphicsView, QLabel, QMainWindow, QMenu, QMessageBox, QSlider,
                               QToolButton, QWidget)

from nnstudio.numbers import count, fixed, fmt, percent
from nnstudio.qt import errors, lesson_dock
from nnstudio.qt.icon import app_icon
from nnstudio.qt.controller import StudioController
from nnstudio.qt.draw_budget import DrawBudget, share_for
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.network import NetworkPanel
from nnstudio.qt.panels.try_it import TryItPanel
from nnstudio.qt.panels_later import PanelsLater
from nnstudio.qt.session_menu import SessionMenu
from nnstudio.qt.widgets import setup
from nnstudio.qt.worker import WorkerThread
from nnstudio.training import early_stopping, presets
from nnstudio.training.trainer import Snapshot

FIRST_LESSON = "trask-neuron"
SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 0]  # updates per second; 0 = as fast as possible
PULL_MS = 50  # the window pulls the latest snapshot 20 times a second
STATUS_S = 0.25  # while training runs, the status bar's numbers change at most 4 times a second
# What each lesson shows first: the plot its tutorial draws (see shared/SEEDS.md). The step beside the sigmoid comes
# with the gender data (_on_dataset_changed).
LESSON_VIEWS = {
    "trask-neuron": ("curves", "linear"),  # T1 plots the accuracy per iteration
    "gender-network": ("curves", "linear"),  # T2 plots its loss curve
    "mnist-tutorial": ("curves", "linear"),  # T3 reports its accuracy per epoch
    "mnist-fast": ("curves", "linear"),
    "perceptron-50k": ("curves", "log_log"),  # T4: each row's error against the iteration, on log-log axes
    "diabetes-regression": ("surface", "linear"),  # T5: the loss over (m, b) with the path descent takes
}


class MainWindow(QMainWindow):
    def __init__(self, open_path: str | Path | None = None, remember_layout: bool = True):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.remember_layout = remember_layout
        self.worker_thread = WorkerThread()
        self.worker = self.worker_thread.worker
        self.controller = StudioController(self.worker, self)
        self.controller.builder = self._build_in_background
        self._dialogs: list[QMessageBox] = []
        self._last_snapshot: Snapshot | None = None
        self._status_at = -1e9  # when the status bar was last written
        self.draw_budget = DrawBudget()
        self._shut_down = False
        self.resize(1360, 860)

        self.context = PanelContext(self)
        self.context.runs = self.controller.runs
        self.network_view = NetworkPanel(self.context)
        self.setCentralWidget(self.network_view)
        self._build_docks()
        self._build_actions()
        self.session = SessionMenu(self)
        self._build_menus()
        self._build_toolbar()
        self._build_timeline()
        self._build_status_bar()
        self._connect()
        self._build_inspector()
        lesson_dock.install(self)  # the Lesson dock, File -> Open lesson…, Help -> Lessons (self.lessons)
        self._default_state = self.saveState()
        if remember_layout:
            self._restore_layout()

        self.timer = QTimer(self)
        self.timer.setObjectName("snapshotTimer")
        self.timer.timeout.connect(self.pull_snapshot)
        self.timer.start(PULL_MS)

        opened = bool(open_path and self.session.open_path(Path(open_path), in_background=False))
        if not opened:
            self.controller.open_experiment(presets.get(FIRST_LESSON))
            self.show_lesson_views(FIRST_LESSON)
        if remember_layout:  # the first start opens the first lesson; later ones the page the learner left
            lesson_dock.start(self, opened)
        self._update_title()
        QTimer.singleShot(0, self.network_view.setFocus)
        QTimer.singleShot(0, self._tidy_tab_bars)

    def _tidy_tab_bars(self) -> None:
        """Tabs of docks that share a place keep their whole titles (scroll arrows when they do not fit) instead of
        being cut to "Cur…", "Weig…"; Qt makes these tab bars itself, when docks are tabbed together."""
        from PySide6.QtWidgets import QTabBar

        for bar in self.findChildren(QTabBar):
            if bar.parent() is self:
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)

    # -- building ------------------------------------------------------------------------------------------------------
    def _dock(self, widget: QWidget, title: str, name: str, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        dock.dockLocationChanged.connect(lambda _area: QTimer.singleShot(0, self._tidy_tab_bars))
        dock.toggleViewAction().setObjectName(f"{name}ToggleAction")
        dock.toggleViewAction().setToolTip(f"Show or hide the {title} panel")
        return dock

    def _build_docks(self) -> None:
        from nnstudio.qt.builder import BuilderPanel
        from nnstudio.qt.data_panel import DataPanel
        from nnstudio.qt.settings_panel import TrainingSettingsPanel

        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.data_panel = DataPanel(self.controller, scatter_later=True)
        self.builder = BuilderPanel(self.controller)
        self.settings_panel = TrainingSettingsPanel(self.controller)
        self.try_it = TryItPanel()
        self.panels = [self.network_view]  # and each panel in a dock once it is made:
        self.snapshot_views = [*self.panels, self.try_it]
        # self.curves, self.weights etc. are made when first shown (those on show at the start just after the first
        # paint: pyqtgraph is not imported before it) or asked for (__getattr__)
        self.later = PanelsLater(self)
        self.later.after_release(self.data_panel.make_scatter)
        later = self.later.dock
        self.data_dock = self._dock(self.data_panel, "Data", "dataDock", left)
        self.builder_dock = self._dock(self.builder, "Network", "builderDock", left)
        self.settings_dock = self._dock(self.settings_panel, "Training", "settingsDock", left)
        self.tabifyDockWidget(self.builder_dock, self.settings_dock)
        self.builder_dock.raise_()
        # the live panels share one tab group on the right, so the network keeps the middle at full height
        panels = "nnstudio.qt.panels."
        self.curves_dock = later("curves", panels + "curves", "CurvesPanel", "Curves", "curvesDock", right)
        self.weights_dock = later("weights", panels + "weights", "WeightsPanel", "Weights", "weightsDock", right)
        self.activation_dock = later("activation", panels + "activation", "ActivationPanel", "Activation",
                                     "activationDock", right)
        self.predictions_dock = later("predictions", panels + "predictions", "PredictionsPanel", "Predictions",
                                      "predictionsDock", right)
        self.surface_dock = later("surface", panels + "surface", "LossSurfacePanel", "Loss surface", "surfaceDock",
                                  right)
        self.gallery_dock = later("gallery", panels + "gallery", "GalleryPanel", "Gallery", "galleryDock", right)
        self.drawing_dock = later("drawing", panels + "drawing", "DrawingPanel", "Draw", "drawDock", right)
        tabs = (self.curves_dock, self.weights_dock, self.activation_dock, self.predictions_dock, self.surface_dock,
                self.gallery_dock, self.drawing_dock)
        for first, second in zip(tabs, tabs[1:]):
            self.tabifyDockWidget(first, second)
        self.curves_dock.raise_()
        self.try_dock = self._dock(self.try_it, "Try it", "tryDock", right)
        self.resizeDocks([self.data_dock, self.curves_dock], [390, 560], Qt.Orientation.Horizontal)
        self.resizeDocks([self.curves_dock, self.try_dock], [600, 210], Qt.Orientation.Vertical)

    def __getattr__(self, name: str):
        """A panel not made yet (see PanelsLater) is made when the window's code first asks for it."""
        later = self.__dict__.get("later")
        if later is not None and name in later.waiting:
            return later.make(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _action(self, text: str, name: str, tip: str, slot, shortcut=None, checkable=False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)  # shortcuts work whichever dock has the focus
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.run_action = a("Run", "runAction", "Run training until the epoch limit, or pause it (Space)",
                            self._on_run_toggled, "Space", checkable=True)
        self.step_action = a("Step", "stepAction", "One parameter update: w ← w − η·∂L/∂w on the next batch (S)",
                             self.step, ["S", "Right"])
        self.step_epoch_action = a("Step epoch", "stepEpochAction", "Updates until the current epoch ends (E)",
                                   self.step_epoch, "E")
        self.reset_action = a("Reset", "resetAction", "Back to the same starting weights; the history is cleared",
                              self.reset, "Ctrl+R")
        self.undo_action = self.controller.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setObjectName("undoAction")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setToolTip("Undo the last change to the network or its settings (Ctrl+Z)")
        self.redo_action = self.controller.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setObjectName("redoAction")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        self.redo_action.setToolTip("Redo the change just undone (Ctrl+Shift+Z)")
        self.addActions([self.undo_action, self.redo_action])
        self.quit_action = a("Quit", "quitAction", "Stop training and close NN Studio (Ctrl+Q)", self.close,
                             QKeySequence.StandardKey.Quit)
        self.reset_layout_action = a("Reset layout", "resetLayoutAction", "Put every panel back where it started",
                                     self.reset_layout)
        self.about_action = a("About NN Studio", "aboutAction", "Version and credits", self._about)
        self.keys_action = a("Keyboard shortcuts", "keysAction", "The keys that drive the studio", self._keys)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setObjectName("fileMenu")
        self.session.fill_file_menu(file_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.setObjectName("editMenu")
        edit.addActions([self.undo_action, self.redo_action])
        view = bar.addMenu("&View")
        view.setObjectName("viewMenu")
        for dock in (self.data_dock, self.builder_dock, self.settings_dock, self.curves_dock, self.predictions_dock,
                     self.surface_dock, self.weights_dock, self.activation_dock, self.gallery_dock, self.drawing_dock,
                     self.try_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.reset_layout_action)
        train = bar.addMenu("&Train")
        train.setObjectName("trainMenu")
        train.addActions([self.run_action, self.step_action, self.step_epoch_action, self.reset_action])
        # the tutorials' set-ups, ready to run (the guided lessons, page by page, are under Help -> Lessons)
        lessons = bar.addMenu("&Presets")
        lessons.setObjectName("lessonsMenu")
        lessons.setToolTipsVisible(True)
        for name, preset in presets.PRESETS.items():
            action = lessons.addAction(preset.title)
            action.setObjectName(f"lesson_{name}")
            action.setToolTip(preset.description)
            action.setStatusTip(preset.description)
            action.triggered.connect(lambda _=False, n=name: self.session.open_lesson(n))
        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        help_menu.addActions([self.keys_action, self.about_action])

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Training")
        tb.setObjectName("trainingToolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tb.toggleViewAction().setObjectName("trainingToolbarToggleAction")
        for action, name in ((self.run_action, "runButton"), (self.step_action, "stepButton"),
                             (self.step_epoch_action, "stepEpochButton"), (self.reset_action, "resetButton")):
            tb.addAction(action)
            button = tb.widgetForAction(action)
            button.setObjectName(name)
            button.setAccessibleName(action.text())
        tb.addSeparator()
        for action, name in ((self.undo_action, "undoButton"), (self.redo_action, "redoButton")):
            tb.addAction(action)
            tb.widgetForAction(action).setObjectName(name)
            tb.widgetForAction(action).setAccessibleName(action.text().replace("&", ""))
        tb.addSeparator()
        tb.addWidget(QLabel(" Speed "))
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setObjectName("speedSlider")
        self.speed_slider.setAccessibleName("Training speed")
        self.speed_slider.setToolTip("Updates per second while running: slow it down to watch each update")
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setValue(len(SPEEDS) - 1)
        self.speed_slider.setFixedWidth(150)
        self.speed_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_slider.valueChanged.connect(self._on_speed)
        tb.addWidget(self.speed_slider)
        self.speed_label = QLabel()
        self.speed_label.setObjectName("speedLabel")
        self.speed_label.setMinimumWidth(90)
        tb.addWidget(self.speed_label)
        self._on_speed(self.speed_slider.value())

    def _build_timeline(self) -> None:
        from nnstudio.qt.timeline_bar import TimelineBar

        self.addToolBarBreak()
        self.timeline_bar = TimelineBar(self)
        self.addToolBar(self.timeline_bar)
        train = self.menuBar().findChild(QMenu, "trainMenu")
        train.addSeparator()
        train.addActions([self.timeline_bar.keep_action, self.timeline_bar.compare_action])
        train.addMenu(self.timeline_bar.runs_menu)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_labels = {}
        for key, tip in (("epoch", "Epochs completed"), ("updates", "Parameter updates done"),
                         ("loss", "Loss of the last batch, before its update"),
                         ("metric", "Accuracy (or R² for regression) on the training set after the last epoch"),
                         ("speed", "Training samples per second")):
            label = QLabel()
            label.setObjectName(f"{key}StatusLabel")
            label.setToolTip(tip)
            label.setMinimumWidth(110)
            bar.addPermanentWidget(label)
            self.status_labels[key] = label
        # shown while the run has stalled with saturated sigmoid/tanh neurons (nnstudio/training/diagnose.py)
        self.saturation_button = setup(QToolButton(), "saturationButton", "Saturated neurons",
                                       "Training is stuck with saturated neurons: click for what happened")
        self.saturation_button.setText("⚠ saturated")
        self.saturation_button.setAutoRaise(True)
        self.saturation_button.setStyleSheet("color: #b35900; font-weight: bold;")
        self.saturation_button.clicked.connect(
            lambda: self.show_message("info", "Saturated neurons", self._saturation_note or "", "saturationDialog"))
        self.saturation_button.hide()
        self._saturation_note: str | None = None
        bar.insertPermanentWidget(0, self.saturation_button)

    def _connect(self) -> None:
        c, w = self.controller, self.worker
        c.experimentChanged.connect(self._on_experiment_changed)
        c.datasetChanged.connect(self._on_dataset_changed)
        c.dirtyChanged.connect(lambda _d: self._update_title())
        c.pathChanged.connect(lambda _p: self._update_title())
        c.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        c.weightsReset.connect(lambda text: self.statusBar().showMessage(text, 6000))
        c.problem.connect(lambda title, text: self.show_message("warning", title, text, "problemDialog"))
        self.data_panel.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        if errors.reporter() is not None:
            errors.reporter().reported.connect(self._on_error_reported)
        w.snapshotReady.connect(self.pull_snapshot)
        w.runningChanged.connect(self._on_running_changed)
        w.runFinished.connect(self._on_run_finished)
        w.diverged.connect(self._on_diverged)
        w.failed.connect(self._on_worker_failed)
        w.notice.connect(self._on_worker_notice)
        self.context.selectionChanged.connect(self._follow_selection)
        self.context.dataChanged.connect(self._follow_selection)
        self.context.imagesRequested.connect(self._show_gallery)
  # worker signals go to bound methods only (see controller.py)

    def _show_gallery(self, *request) -> None:
        """A confusion cell was clicked: bring the gallery forward (it filters itself to the cell's images)."""
        if self.context.dataset is not None and self.context.dataset.image_shape is not None:
            if "gallery" in self.later.waiting:  # made now, it missed this request: ask again
                self.later.make("gallery")
                self.context.imagesRequested.emit(*request)
                return
            self.gallery_dock.show()
            self.gallery_dock.raise_()

    def _follow_selection(self, *_) -> None:
        """A selected weight that the Trainer does not record at every update (a big network records a sample) is
        followed from now on, so its history panel curve gets every update, not the coarse path alone."""
        sel, snap = self.context.selection, self.worker.latest()
        index = None
        if sel is not None and snap is not None and sel[0] < len(snap.weights) and sel[1] < snap.weights[sel[0]].size:
            index = sum(w.size for w in snap.weights[:sel[0]]) + sel[1]  # in the concatenated weight vector
            if index in snap.tracked:
                index = None
        self.worker.follow(index)

    # -- the backprop inspector (issue 10) -----------------------------------------------------------------------------
    def _build_inspector(self) -> None:
        """The "Inside one update" dock, the step-inside mode of Step (Shift+S, a toolbar toggle) and their wiring: the
        inspector asks the worker for the next update in stages, and makes it through the ordinary Step."""
        from PySide6.QtWidgets import QMenu, QToolBar

        from nnstudio.qt.panels.inspector import InspectorPanel

        self.inspector = InspectorPanel(self.context)
        self.inspector_dock = self._dock(self.inspector, "Inside one update", "inspectorDock",
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.drawing_dock, self.inspector_dock)
        self.curves_dock.raise_()
        self.panels.append(self.inspector)
        self.snapshot_views.append(self.inspector)
        self.step_inside_action = self._action(
            "Step inside", "stepInsideAction", "Step through the next update stage by stage, every number on show: "
            "S or → goes on one stage, ← goes back (Shift+S)", self._on_step_inside, "Shift+S", checkable=True)
        self.previous_stage_action = self._action("Previous stage", "previousStageAction",
                                                  "Back one stage of the update (←, in step-inside mode)",
                                                  self.inspector.previous_stage, "Left")
        self.previous_stage_action.setEnabled(False)
        tb = self.findChild(QToolBar, "trainingToolbar")
        tb.insertAction(self.reset_action, self.step_inside_action)
        button = tb.widgetForAction(self.step_inside_action)
        button.setObjectName("stepInsideButton")
        button.setAccessibleName("Step inside")
        self.menuBar().findChild(QMenu, "trainMenu").insertAction(self.reset_action, self.step_inside_action)
        self.menuBar().findChild(QMenu, "viewMenu").insertAction(self.try_dock.toggleViewAction(),
                                                                 self.inspector_dock.toggleViewAction())
        self.inspector.inspectRequested.connect(self.worker.inspect)
        self.inspector.finishRequested.connect(self._step_now)
        self.inspector.highlightChanged.connect(self.network_view.set_highlight)
        self.worker.inspected.connect(self.inspector.set_inspection)  # a bound method of a GUI object: queued
        self.worker.failed.connect(self.inspector.request_failed)
        self.inspector_dock.visibilityChanged.connect(self.inspector.set_shown)

    def _on_step_inside(self, on: bool) -> None:
        self.previous_stage_action.setEnabled(on)
        if on:
            self.inspector_dock.show()
            self.inspector_dock.raise_()
            if self.inspector.inspection is None and not self.inspector.awaiting:
                self.inspector.start()
        self.statusBar().showMessage("Step inside: S or → goes on one stage of the update, ← goes back; the last "
                                     "stage makes the update." if on else "Step makes whole updates again.", 6000)

    # -- training controls ---------------------------------------------------------------------------------------------
    def _on_run_toggled(self, on: bool) -> None:
        if on:
            snap = self.worker.latest()
            if snap is not None and snap.epoch >= self.controller.experiment.epochs:
                self.statusBar().showMessage(f"The epoch limit ({self.controller.experiment.epochs}) is reached: "
                                             "raise it in the Training panel, or Reset.", 6000)
                self._set_run_checked(False)
                return
            self.worker.run()
        else:
            self.worker.pause()
        self.run_action.setText("Pause" if on else "Run")

    def _set_run_checked(self, on: bool) -> None:
        self.run_action.blockSignals(True)
        self.run_action.setChecked(on)
        self.run_action.blockSignals(False)
        self.run_action.setText("Pause" if on else "Run")

    def _on_running_changed(self, running: bool) -> None:
        self._set_run_checked(running)
        self.context.set_training(running)
        for action in (self.step_action, self.step_epoch_action):
            action.setEnabled(not running)

    def _on_run_finished(self, reason: str) -> None:
        snap = self.worker.latest()
        if snap is not None:
            self._check_saturation(snap)  # a run that ends stuck says why, rather than only that it ended
        if reason == "early-stopped" and snap is not None and snap.best_epoch is not None:
            self.statusBar().showMessage(early_stopping.message(snap.epoch, snap.best_epoch, snap.best_test_loss),
                                         15000)
        elif reason == "finished" and not self._saturation_note:
            self.statusBar().showMessage("Training reached the epoch limit.", 5000)

    def _on_diverged(self, reason: str) -> None:
        self.worker.pause()
        self.show_message("warning", "Training diverged", reason, "divergedDialog")

    def _on_error_reported(self, summary: str) -> None:
        self.statusBar().showMessage(summary, 8000)

    def _on_worker_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def _on_worker_failed(self, message: str, details: str) -> None:
        self._set_run_checked(False)
        self.show_message("critical", "Training stopped by an error",
                          f"{message}\n\nThe session is still open: you can change a setting, reset, or save.",
                          "errorDialog", details)

    def export_all_panels(self) -> Path | None:
        """Every panel as PNG, SVG and CSV into a folder, with an index page (fresh panels drawn off screen at a
        standard size, so hidden tabs export as well as visible ones). One panel is drawn per turn of the event
        loop and the files are written on other threads, with progress and Cancel in the status bar; the window
        stays live. Returns the index page, or None (cancelled or failed: the folder is as it was)."""
        from nnstudio.qt.background import CANCELLED, FINISHED, run_steps, status_panel, wait_in
        from nnstudio.qt.export import export_all_steps
        from nnstudio.qt.panels import panel_classes

        folder = self.session.ask_export_folder()
        snap = self.worker.latest()
        if folder is None or snap is None:
            return None
        task = run_steps(export_all_steps(list(panel_classes().values()), self.context.frozen(), snap, folder), self)
        state = wait_in(self, status_panel(self), task, f"Exporting the panels to {Path(folder).name}…")
        if state == CANCELLED:
            self.statusBar().showMessage("Export cancelled; nothing was written.", 5000)
            return None
        if state != FINISHED:
            error = task.error
            self.show_message("warning", "Export failed", f"{folder}: {error}", "problemDialog",
                              None if isinstance(error, (OSError, ValueError)) else task.details)
            return None
        self.statusBar().showMessage(f"Exported {len(panel_classes())} panels to {folder} (see index.html)", 6000)
        return task.result

    def _build_in_background(self, work, text: str):
        """``work(report)`` (reading files of images, building a big Trainer: its first pass over the data takes
        seconds) on another thread, the window drawing meanwhile with its input held back and the status bar saying
        what is going on, with a bar showing the fraction ``work`` reports (if it does); returns
        what ``work`` returns, or raises its error. It cannot be cancelled half way (the pass has no points to stop
        at), so no Cancel is offered; it is short next to a run."""
        from nnstudio.qt.background import FINISHED, run_in_thread, status_panel, wait_in

        panel = status_panel(self)
        task = run_in_thread(work, None, "build")
        panel.cancel_button.hide()
        try:
            state = wait_in(self, panel, task, text)
        finally:
            panel.cancel_button.show()
        if state != FINISHED:
            raise task.error if task.error is not None else RuntimeError("the network was not built")
        return task.result

    def step(self) -> None:
        if self.step_inside_action.isChecked():  # step-inside mode: Step goes on one stage of the update
            self.inspector_dock.show()
            self.inspector_dock.raise_()
            self.inspector.next_stage()
            return
        self._step_now()

    def _step_now(self) -> None:
        if not self.worker.running:
            self.worker.step()
            self.controller.set_dirty(True)

    def step_epoch(self) -> None:
        if not self.worker.running:
            self.worker.step_epoch()
            self.controller.set_dirty(True)

    def reset(self) -> None:
        self.controller.keep_run_before_reset()  # the run so far stays on screen beside the new one
        self.worker.reset()
        self._close_messages("divergedDialog")  # (about weights that are gone)
        self.statusBar().showMessage("Weights back at their starting values.", 4000)

    def _on_speed(self, index: int) -> None:
        rate = SPEEDS[index]
        self.worker.updates_per_second = float(rate)
        self.speed_label.setText("max speed" if rate == 0 else f"{rate} updates/s")

    # -- snapshots -----------------------------------------------------------------------------------------------------
    def pull_snapshot(self) -> None:
        snap = self.worker.latest()
        if snap is None:
            return
        self._feed_views(snap)
        if snap is self._last_snapshot:
            return
        now = time.perf_counter()
        if self.worker.running and now - self._status_at < STATUS_S:
            return  # the numbers change faster than anyone reads them; each change re-lays out the status bar
        self._last_snapshot, self._status_at = snap, now
        self.timeline_bar.show_snapshot(snap)  # (as seldom: its slider and label repaint the toolbar)
        labels = self.status_labels
        labels["epoch"].setText(f"epoch {count(snap.epoch)}")
        labels["updates"].setText(f"updates {count(snap.step)}")
        labels["loss"].setText("loss –" if snap.step == 0 else f"loss {fmt(snap.loss, 6)}")
        metric = snap.train_metric
        shown = percent(metric) if snap.metric_name == "accuracy" else fixed(metric, 4)
        labels["metric"].setText(f"{snap.metric_name} {shown}" if metric == metric else f"{snap.metric_name} –")
        labels["speed"].setText(f"{count(snap.samples_per_second)} samples/s" if self.worker.running else "paused")
        if not self.worker.running:
            self._check_saturation(snap)

    def _check_saturation(self, snap: Snapshot) -> None:
        """Say so when training has stalled with saturated neurons (the loss stuck, nothing diverged): once in the
        status bar when it starts, and by the warning button for as long as it lasts."""
        from nnstudio.training.diagnose import saturation_note

        note = saturation_note(snap)
        if note and note != self._saturation_note:
            self.statusBar().showMessage(note, 15000)
        self._saturation_note = note
        self.saturation_button.setVisible(note is not None)
        self.saturation_button.setToolTip(note or "")

    def _feed_views(self, snap: Snapshot) -> None:
        """Give the snapshot to the visible views the draw budget allows (all of them while paused): the GUI thread
        shares Python's interpreter lock with training, so drawing time is training time lost (see draw_budget)."""
        # on screen: a panel under another tab of its dock still counts as isVisible(), but has nothing to show
        visible = [view for view in self.snapshot_views if view.isVisible() and not view.visibleRegion().isEmpty()]
        self.draw_budget.share = share_for(sum(w.size for w in snap.weights), self.worker.run_in_child)
        due = self.draw_budget.due(visible, snap, self.worker.running)
        if not due:
            return
        with self.worker.hold_for_gui():
            costs = {}
            for view in due:
                start = time.thread_time()
                self._guarded(view, lambda v=view: self._draw_view(v, snap, paint=False))
                costs[view] = time.thread_time() - start
            # then each window paints once, every view's changes together: one pass over the window's dirty regions
            # and one flush to the screen instead of one per view (the paint is shared out among the views drawn)
            by_window = {}
            for view in costs:
                by_window.setdefault(view.window(), []).append(view)
            for window, views in by_window.items():
                start = time.thread_time()
                self._guarded(views[0], lambda w=window: QCoreApplication.sendPostedEvents(
                    w, QEvent.Type.UpdateRequest))
                share = (time.thread_time() - start) / len(views)
                for view in views:
                    self.draw_budget.fed(view, snap, costs[view] + share)

    @staticmethod
    def _guarded(view, draw) -> None:
        try:
            draw()
        except Exception:  # one view's error must not stop the others, nor come back 20 times a second
            reporter = errors.reporter()
            if reporter is None:  # no studio error handling installed (tests): let it be seen
                raise
            reporter.report(*sys.exc_info(), f"in the {getattr(view, 'title', '') or 'a'} panel")

    @staticmethod
    def _draw_view(view, snap: Snapshot, paint: bool = True) -> None:
        view.set_snapshot(snap)
        view.draw_pending()
        # draw now, once: pyqtgraph works out auto ranges just before painting, which changes the axes and asks for a
        # second paint, and scenes post their repaints; both would otherwise happen later, outside the hold and the
        # measured cost
        for graphics in view.findChildren(QGraphicsView):
            scene = graphics.scene()
            if hasattr(scene, "prepareForPaint"):
                scene.prepareForPaint()
            QCoreApplication.sendPostedEvents(scene, 0)
        # only what changed: the window's pending update request paints the regions marked dirty (a plot whose range
        # stayed keeps its axes, tick labels and frame). view.repaint() painted the whole panel, every child and
        # every scene item, each time
        if paint:
            QCoreApplication.sendPostedEvents(view.window(), QEvent.Type.UpdateRequest)

    def show_lesson_views(self, name: str) -> None:
        """Bring forward the panel a lesson's tutorial plots, with its axes (lessons not listed change nothing)."""
        if name not in LESSON_VIEWS:
            return
        tab, scale = LESSON_VIEWS[name]
        self.later.when_made("curves", "scale", lambda curves: curves.set_scale(scale))
        self.later.when_made("curves", "errors", lambda curves: curves.errors_check.setChecked(True))
        {"curves": self.curves_dock, "surface": self.surface_dock}[tab].raise_()

    def _on_experiment_changed(self, exp) -> None:
        if self.controller.dataset is not None:
            self.context.set_data(self.controller.dataset, exp, self.controller.prepared)
        self._update_title()

    def _on_dataset_changed(self, ds) -> None:
        # the Trainer's prepared arrays go with the data: views never prepare a big table again on this thread
        self.context.set_data(ds, self.controller.experiment, self.controller.prepared)
        self.try_it.set_dataset(ds)
        step = ds.name == "gender"  # the lesson sets the step beside the sigmoid
        self.later.when_made("activation", "compare_step", lambda panel: panel.set_compare_step(step))
        self._last_snapshot = None
        self._close_messages("divergedDialog")  # a new network: the run that diverged is no longer on show

    # -- messages, title, layout ---------------------------------------------------------------------------------------
    def show_message(self, kind: str, title: str, text: str, name: str, details: str | None = None) -> QMessageBox:
        """A window-modal message that does not block (tests find it by objectName)."""
        icon = {"warning": QMessageBox.Icon.Warning, "critical": QMessageBox.Icon.Critical,
                "info": QMessageBox.Icon.Information}[kind]
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName(name)
        if details:
            box.setDetailedText(details)
        box.finished.connect(lambda _r, b=box: self._dialogs.remove(b) if b in self._dialogs else None)
        self._dialogs.append(box)
        box.open()
        return box

    def _close_messages(self, name: str) -> None:
        """Close the open messages called ``name`` (one that speaks of a run no longer on show)."""
        for box in [b for b in self._dialogs if b.objectName() == name]:
            box.done(QMessageBox.StandardButton.Ok)

    def _update_title(self) -> None:
        # the session first, the application last: a title that ends with the application's display name is not
        # given it a second time by Qt's platform windows (which append it otherwise)
        self.setWindowTitle(f"{self.controller.session_name}[*] — NN Studio")
        self.setWindowModified(self.controller.dirty)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in self.findChildren(QDockWidget):
            dock.show()

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def _about(self) -> None:
        from nnstudio.qt.about import show_about

        show_about(self)  # version, data licences, libraries

    def _keys(self) -> None:
        from nnstudio.qt.about import show_shortcuts

        show_shortcuts(self)  # read from the window's actions

    # -- closing -------------------------------------------------------------------------------------------------------
    def closeEvent(self, event):
        if not self.session.may_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop training and the worker thread (idempotent); remember the layout."""
        if self._shut_down:
            return
        self._shut_down = True
        self.timer.stop()
        self.later.finish()
        if errors.reporter() is not None:
            errors.reporter().close_box()
        if self.remember_layout:
            settings = QSettings()
            settings.setValue("window/geometry", self.saveGeometry())
            settings.setValue("window/state", self.saveState())
        if self.worker_thread.shutdown():
            # a closed window lets go of its training data (MNIST: 250 MB) at once, however long something else
            # still refers to the window itself
            self.worker._trainer = None  # (its last snapshot stays readable: weights and figures, no tables)
            self.controller.prepared = None
            self.context.forget_prepared()

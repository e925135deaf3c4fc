"""The loss surface: the data loss over a 2-D slice of weight space around the current weights (a heatmap with
contour lines), with the path gradient descent took drawn on it; or the 1-D cut along the first axis, the parabola
of tutorial T5. The grid is computed in the background (``surface_job``); between recomputes only the path and the
current point move, so the panel stays cheap while training runs."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core import losses
from nnstudio.numbers import count, fmt
from nnstudio.qt.panels.base import Panel
from nnstudio.qt.panels.surface_job import (
    CHOSEN,
    MODES,
    PCA,
    RANDOM,
    PlanError,
    SlicePlan,
    SurfaceJob,
    SurfaceRequest,
    SurfaceResult,
    compute,
    make_plan,
    path_length,
    weight_label,
)
from nnstudio.qt.panels.surface_view import SurfaceView
from nnstudio.qt.widgets import setup
from nnstudio.training.trainer import Snapshot

SAMPLE_ROWS = 2000  # bigger training sets are evaluated on a fixed random sample of this many rows
AUTO_FLOP_LIMIT = 2e10  # during a run, grids costlier than this (~0.2 s here) wait for the pause
LIST_LIMIT = 200  # weights offered in the axis lists of a big network (plus the selected one)
PATH_MS = 100  # the path and current point are redrawn at most 10 times a second
PAUSE_MS = 700  # no new snapshot for this long counts as "training paused": re-centre the grid
EXTEND_S = 2.0  # a path that left the slice gets a new one at most this often


class LossSurfacePanel(Panel):
    name = "surface"
    title = "Loss surface"
    description = ("The loss over a slice of weight space around the current weights, with the path gradient "
                   "descent has taken across it.")
    surfaceReady = Signal()  # a computed grid (or cut) is on show

    def parts(self):
        context = self.context
        self._job = SurfaceJob(self)
        self._job.progressed.connect(self._on_progress)
        self._job.finished.connect(self._on_finished)
        self._job.failed.connect(self._on_failed)
        self._token = 0
        self._auto_job = False  # the running computation was started by the panel itself, not asked for
        self._plan: SlicePlan | None = None  # of the grid on show
        self._result: SurfaceResult | None = None
        self._pending: SlicePlan | None = None  # being computed
        self._auto_mode = True  # the learner has not picked a slice for this network yet
        self._arch = None
        self._rows: tuple[np.ndarray, np.ndarray] | None = None  # all training rows as the network sees them
        self._path = np.zeros((0, 2))
        self._path_x = np.zeros(0)  # the update of each path point
        self._left: int | None = None  # position in the path where it left the plot
        self._message = ""
        self._pause = QTimer(self, singleShot=True, interval=PAUSE_MS, timeout=self._on_pause)
        self._settings = QTimer(self, singleShot=True, interval=250, timeout=self.recompute)
        self._path_timer = QTimer(self, singleShot=True, interval=PATH_MS, timeout=self._on_path_timer)
        self._path_due = False
        self._build_controls()
        yield
        yield from self._build_view()
        context.dataChanged.connect(self._on_data_changed)
        context.trainingChanged.connect(self._on_training_changed)
        context.selectionChanged.connect(self._on_selection)
        context.preparedForgotten.connect(self._forget_rows)
        if context.runs is not None:  # kept runs' paths are drawn on the slice when they share its weight space
            context.runs.changed.connect(self._on_runs_changed)
        self._extended_at = -1e9  # when the grid was last extended because the path left it (during a run)
        self._minimum = None  # (the rows it is for, the least-squares weights or None): see least_squares_weights

    # -- building ------------------------------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.mode_combo = setup(QComboBox(), "surfaceModeCombo", "Slice of weight space",
                                   "Which plane through weight space to show the loss on")
        self.mode_combo.addItems(MODES)
        self.x_combo = setup(QComboBox(), "surfaceWeightXCombo", "Weight on the horizontal axis",
                                "The weight varied along the horizontal axis (the others stay as they are)")
        self.y_combo = setup(QComboBox(), "surfaceWeightYCombo", "Weight on the vertical axis",
                                "The weight varied along the vertical axis (the others stay as they are)")
        self.seed_spin = setup(QSpinBox(), "surfaceSeedSpin", "Seed of the random directions",
                                  "Seed of the random directions: another seed gives another random slice")
        self.seed_spin.setRange(0, 9999)
        self.resolution_spin = setup(QSpinBox(), "surfaceResolutionSpin", "Grid resolution",
                                        "Grid points along each axis (more is finer and slower)")
        self.resolution_spin.setRange(11, 301)
        self.resolution_spin.setValue(61)
        self.cut_check = setup(QCheckBox("1-D cut"), "surfaceCutCheck", "One-dimensional cut",
                                  "Show the loss along the horizontal axis only, as a curve")
        self.row_spin = setup(QSpinBox(), "surfaceRowSpin", "Training row of the cut",
                              "The loss of the whole training table (all), or of one training row alone: the "
                              "parabola of one point")
        self.row_spin.setRange(0, 0)
        self.row_spin.setSpecialValueText("all rows")
        self.log_check = setup(QCheckBox("log colour"), "surfaceLogCheck", "Logarithmic colour scale",
                                  "Colour by the logarithm of the loss, so the valley floor keeps its detail")
        self.log_check.setChecked(True)
        self.recompute_button = setup(QPushButton("Recompute"), "surfaceRecomputeButton", "Recompute the surface",
                                         "Compute the surface again around the current weights")
        self.progress = setup(QProgressBar(), "surfaceProgress", "Surface computation progress",
                                 "How much of the grid has been computed")
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(110)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # shown and hidden with every grid: the panel is not laid out again
        self.progress.setSizePolicy(policy)
        self.progress.hide()
        self.note = QLabel("")
        self.note.setObjectName("surfaceNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        for widget in (self.mode_combo, self.x_combo, self.y_combo):
            widget.currentIndexChanged.connect(self._on_settings)
        self.seed_spin.valueChanged.connect(self._on_settings)
        self.resolution_spin.valueChanged.connect(self._on_settings)
        self.cut_check.toggled.connect(self._on_settings)
        self.row_spin.valueChanged.connect(self._on_settings)
        self.log_check.toggled.connect(lambda _=False: self._show_result())
        self.recompute_button.clicked.connect(self.recompute)
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        self.x_label, self.y_label, self.seed_label = QLabel("x:"), QLabel("y:"), QLabel("seed:")
        for w in (self.mode_combo, self.x_label, self.x_combo, self.y_label, self.y_combo, self.seed_label,
                  self.seed_spin):
            row1.addWidget(w)
        row1.addStretch(1)
        row2.addWidget(QLabel("grid:"))
        for w in (self.resolution_spin, self.cut_check, self.row_spin, self.log_check, self.recompute_button):
            row2.addWidget(w)
        row2.addStretch(1)
        row2.addWidget(self.progress)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addLayout(row1)
        self._layout.addLayout(row2)
        self._layout.addWidget(self.note)
        self._sync_controls()

    def _build_view(self):
        self.view = SurfaceView(later=True)
        yield from self.view.parts()
        for plot in self.view.plots():
            self.adopt_plot(plot)
        self._layout.addWidget(self.view, 1)

    # -- snapshots and data --------------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        super().set_snapshot(snap)
        if self.row_spin.maximum() != snap.n_train:
            self.row_spin.blockSignals(True)
            self.row_spin.setMaximum(snap.n_train)
            self.row_spin.blockSignals(False)
        key = (snap.parameter_names, tuple(w.shape for w in snap.weights), snap.layers)
        if key != self._arch:
            self._arch = key
            self._fill_weight_lists(snap)
            self._clear()
        if self._plan is None and self._pending is None:
            self._auto_recompute()  # the first look at this network: no waiting
        elif not self.context.training:
            # single steps: re-centre once they stop coming. (Not during a run: its snapshots may come a second or
            # more apart when drawing is costly, which is no pause; the end of the run re-centres.)
            self._pause.start()
        if self._path_timer.isActive():
            self._path_due = True  # drawn when the timer runs out
        else:
            self._update_path()
            self._path_timer.start()

    def _on_path_timer(self) -> None:
        if self._path_due:
            self._path_due = False
            self._update_path()
            self._path_timer.start()

    def _on_data_changed(self) -> None:
        self.row_spin.blockSignals(True)
        self.row_spin.setValue(0)  # the rows of the new table are others (its range follows its snapshots)
        self.row_spin.blockSignals(False)
        self._job.cancel()
        self._auto_mode = True
        self._arch = None
        self._rows = None
        self.snapshot = None
        self._clear()
        self._set_message("")

    def _forget_rows(self) -> None:
        self._rows = self._minimum = None

    def _on_selection(self, selection) -> None:
        if selection is None or self.snapshot is None or self.mode_combo.currentText() != CHOSEN:
            return
        weights = self.snapshot.weights
        if not (0 <= selection[0] < len(weights) and 0 <= selection[1] < weights[selection[0]].size):
            return  # a selection from another network
        flat = sum(w.size for w in self.snapshot.weights[:selection[0]]) + selection[1]
        self._ensure_listed(flat)
        if self.y_combo.currentData() == flat:
            self.y_combo.setCurrentIndex(self.y_combo.findData(self.x_combo.currentData()))
        self.x_combo.setCurrentIndex(self.x_combo.findData(flat))

    def _fill_weight_lists(self, snap: Snapshot) -> None:
        n = sum(w.size for w in snap.weights)
        flats = list(range(min(n, LIST_LIMIT)))
        sel = self.context.selection
        if sel is not None and sel[0] < len(snap.weights):
            flats.append(sum(w.size for w in snap.weights[:sel[0]]) + sel[1])
        for combo, default in ((self.x_combo, flats[0] if sel is None else flats[-1]), (self.y_combo, 1)):
            combo.blockSignals(True)
            combo.clear()
            for flat in sorted(set(flats)):
                combo.addItem(weight_label(snap, flat), flat)
            combo.setCurrentIndex(max(combo.findData(min(default, n - 1)), 0))
            combo.blockSignals(False)
        if n > LIST_LIMIT:
            tip = f"The first {LIST_LIMIT} of {n} weights (and the selected one); select a weight elsewhere to add it"
            self.x_combo.setToolTip(tip)
            self.y_combo.setToolTip(tip)

    def _ensure_listed(self, flat: int) -> None:
        for combo in (self.x_combo, self.y_combo):
            if combo.findData(flat) < 0:
                combo.blockSignals(True)
                combo.addItem(weight_label(self.snapshot, flat), flat)
                combo.blockSignals(False)

    # -- computing -----------------------------------------------------------------------------------------------------
    def _on_settings(self, *_) -> None:
        if self.sender() is self.mode_combo:
            self._auto_mode = False
        self._sync_controls()
        if self.snapshot is not None:
            self._settings.start()

    def _sync_controls(self) -> None:
        mode, cut = self.mode_combo.currentText(), self.cut_check.isChecked()
        for w in (self.x_label, self.x_combo):
            w.setVisible(mode == CHOSEN)
        for w in (self.y_label, self.y_combo):
            w.setVisible(mode == CHOSEN and not cut)
        for w in (self.seed_label, self.seed_spin):
            w.setVisible(mode == RANDOM)
        self.log_check.setVisible(not cut)  # the cut stays linear: the T5 parabola should look like one
        self.row_spin.setVisible(cut)

    def _on_pause(self) -> None:
        plan = self._plan
        if plan is not None and plan.fixed and self._left is None:
            return  # the exact surface of a two-weight network does not move with the run
        if self.snapshot is not None and (plan is None or plan.step != self.snapshot.step):
            self._auto_recompute()

    def grid_cost(self) -> float:
        """Floating-point operations of one grid: points × rows × weights × 2 (a forward pass per point)."""
        snap = self.snapshot
        n_rows = min(len(self.context.prepared().X_train), SAMPLE_ROWS)
        n = self.resolution_spin.value()
        points = n if self.cut_check.isChecked() else n * n
        return 2.0 * points * n_rows * sum(w.size for w in snap.weights)

    def _auto_recompute(self) -> None:
        """Recompute unprompted, except during a run when the grid is costly: it would take the CPU from training
        (the learner can still press Recompute)."""
        if self.context.training and self.grid_cost() > AUTO_FLOP_LIMIT:
            if self._plan is None:
                self._set_message("This surface takes a while to compute: it appears when training pauses "
                                  "(or press Recompute).")
            return
        if self.recompute():
            self._auto_job = True

    def _on_training_changed(self, running: bool) -> None:
        if running:
            self._pause.stop()
        if running and self._auto_job and self.is_computing() and self.grid_cost() > AUTO_FLOP_LIMIT:
            # a costly grid the panel started on its own would take a core and the interpreter lock from training
            self.cancel()
            self._set_message("Training started, so this surface waits for the next pause (or press Recompute).")
        if not running and self.snapshot is not None and self.isVisible():
            self._on_pause()

    def _choose_default_mode(self, snap: Snapshot) -> None:
        n = sum(w.size for w in snap.weights)
        mode = CHOSEN if n <= 3 else (PCA if path_length(snap) >= 3 else RANDOM)
        self.mode_combo.blockSignals(True)
        self.mode_combo.setCurrentText(mode)
        self.mode_combo.blockSignals(False)
        self._sync_controls()

    def _make_request(self) -> SurfaceRequest | None:
        """The next request for the current snapshot and settings (None, with the reason shown, if there is none)."""
        snap = self.snapshot
        if snap is None or self.context.experiment is None:
            return None
        self._settings.stop()
        self._pause.stop()
        if self._auto_mode:
            self._choose_default_mode(snap)
        try:
            plan = make_plan(snap, self.mode_combo.currentText(), self.x_combo.currentData() or 0,
                             self.y_combo.currentData() if self.y_combo.currentData() is not None else 1,
                             self.seed_spin.value(), self.resolution_spin.value(), self.cut_check.isChecked(),
                             extra=[run.path for run in self._kept_runs()[0]], anchors=self._anchors(snap))
        except PlanError as e:
            self._set_message(str(e))
            return None
        X, Y = self._data_rows()
        row = self.row_spin.value() if self.cut_check.isChecked() else 0
        if 0 < row <= len(X):
            X, Y = X[row - 1:row], Y[row - 1:row]
        self._token += 1
        self._pending = plan
        return SurfaceRequest(self._token, snap.weights[0].shape[0], tuple(snap.layers), snap.dtype,
                              tuple(snap.weights), self.context.experiment.loss, X, Y, plan.centre, plan.d1, plan.d2,
                              plan.alphas, plan.betas, SAMPLE_ROWS, (float(plan.origin[0]), float(plan.origin[1])))

    def recompute(self) -> bool:
        """Compute the surface around the current weights in the background (any running computation is
        cancelled). False when no slice can be made yet; the panel says why."""
        request = self._make_request()
        if request is None:
            return False
        self._auto_job = False  # asked for (by the learner or a setting); _auto_recompute marks its own
        self.progress.setValue(0)
        self.progress.show()
        self._set_message("")  # (and the note says what is being worked out, while nothing is on show)
        self._job.start(request)
        return True

    def cancel(self) -> None:
        """Stop a running computation (the grid on show stays)."""
        self._job.cancel()
        self._token += 1
        self._pending = None
        self.progress.hide()
        self._update_note()

    def is_computing(self) -> bool:
        return self._pending is not None

    def compute_in_background(self) -> bool:
        """Compute the surface for the current snapshot on the panel's thread (as ``finish`` would in line)."""
        if self._pending is not None and self.snapshot is not None and self._pending.step == self.snapshot.step:
            return True  # already under way
        return self.recompute()

    def finish(self) -> None:
        """Compute the surface for the current snapshot now, on this thread (headless export)."""
        self._job.cancel()
        self._job.wait()
        request = self._make_request()
        if request is not None:
            self._on_finished(compute(request))

    def _data_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Every training row as the network sees them: the Trainer's arrays, handed over as they are (the job
        takes its sample of SAMPLE_ROWS on its own thread)."""
        if self._rows is None:
            prepared = self.context.prepared()
            self._rows = (prepared.X_train, prepared.Y_train)
        return self._rows

    def _on_progress(self, token: int, fraction: float) -> None:
        if token == self._token:
            self.progress.setValue(int(round(100 * fraction)))

    def _on_failed(self, token: int, message: str) -> None:
        if token == self._token:
            self._pending = None
            self.progress.hide()
            self._set_message(f"The surface could not be computed: {message}")

    def _on_finished(self, result: SurfaceResult) -> None:
        if result.request.token != self._token or not result.complete:
            return
        self._plan, self._result, self._pending = self._pending, result, None
        self.progress.hide()
        self._show_result()
        self._update_path()
        self.surfaceReady.emit()

    # -- drawing -------------------------------------------------------------------------------------------------------
    def _clear(self) -> None:
        self._plan = self._result = self._pending = None
        self._path = np.zeros((0, 2))
        self._path_x = np.zeros(0)
        self._left = None
        self.view.clear()
        self.progress.hide()

    def _show_result(self) -> None:
        plan, result = self._plan, self._result
        if plan is None or result is None:
            return
        if result.request.is_cut:
            self.view.show_cut(plan, result.Z)
        else:
            log = self.log_check.isChecked()
            problem = self.view.show_grid(plan, result.picture(log), log)
            if problem:
                self._set_message(problem)
        self._left = self.view.show_path(self._path)
        self._update_note()

    def _update_path(self) -> None:
        plan, snap = self._plan, self.snapshot
        if plan is None or snap is None or snap.current_flat_weights().size != plan.centre.size:
            return
        with np.errstate(all="ignore"):  # a diverged path: its far points become inf or NaN, never an error
            self._path_x, self._path = plan.project_path(snap)
        self._left = self.view.show_path(self._path)
        self._show_kept_paths()
        self._update_note()
        self._extend_if_left()

    # -- kept runs and what the slice must show ------------------------------------------------------------------
    def _kept_runs(self) -> tuple[list, list]:
        """(runs whose path lives in this network's weight space, runs that do not), among the kept runs on the
        same data."""
        keeper, exp, snap = self.context.runs, self.context.experiment, self.snapshot
        if keeper is None or exp is None or snap is None:
            return [], []
        n = sum(w.size for w in snap.weights)
        alike, other = [], []
        for run in keeper.comparable(exp):
            (alike if run.same_weight_space(exp) and run.path.shape[1:] == (n,) and len(run.path) else other
             ).append(run)
        return alike, other

    def _anchors(self, snap) -> list[np.ndarray]:
        """Weight vectors the slice always shows besides the path: the minimum of a straight-line model (one identity
        neuron on squared error: T5), worked out by least squares."""
        minimum = self.least_squares_weights(snap)
        return [minimum] if minimum is not None else []

    def least_squares_weights(self, snap) -> np.ndarray | None:
        """The weights of the lowest loss for one identity neuron with a bias on (mean) squared error, in the
        network's order (W then b); None for any other network."""
        exp = self.context.experiment
        if (exp is None or len(snap.layers) != 1 or snap.layers[0].activation != "identity"
                or not snap.layers[0].bias or exp.loss not in ("mse", "squared_error") or exp.l1 or exp.l2):
            return None
        X, Y = self._data_rows()
        if Y.shape[1] != 1 or not len(X):
            return None
        # it depends on the rows alone, not on the weights: worked out once for them, not at every path redraw
        if self._minimum is None or self._minimum[0] is not X:
            A = np.column_stack([np.asarray(X, np.float64), np.ones(len(X))])
            with np.errstate(all="ignore"):
                sol = np.linalg.lstsq(A, np.asarray(Y, np.float64)[:, 0], rcond=None)[0]
            self._minimum = (X, sol if np.isfinite(sol).all() else None)
        return self._minimum[1]

    def _on_runs_changed(self) -> None:
        if self._plan is not None:
            self._update_path()
            alike = self._kept_runs()[0]
            if alike and self._plan.fixed:  # the exact surface grows to show them
                self.recompute()

    def _show_kept_paths(self) -> None:
        plan, keeper, exp = self._plan, self.context.runs, self.context.experiment
        alike, _ = self._kept_runs()
        paths, entries = [], []
        with np.errstate(all="ignore"):
            for run in alike:
                colour = keeper.colour(run)
                paths.append((plan.project(run.path), colour))
                entries.append(f"<span style='color:rgb{tuple(colour)}; font-size:large'>&#9679;</span>&nbsp;"
                               + keeper.legend(run, exp).replace(" ", "&nbsp;"))
            minimum = self.least_squares_weights(self.snapshot) if self.snapshot is not None else None
            shown = plan.project(minimum)[0] if minimum is not None else None
        self.view.show_kept_paths(paths)
        self.view.show_minimum(shown)
        if shown is not None and plan.axes is not None and not self.cut_check.isChecked():  # (drawn on the plane)
            entries.append("<span style='color:rgb(200,160,0); font-size:large'>&#9733;</span>&nbsp;lowest&nbsp;loss "
                           "(least&nbsp;squares)")
        self.view.set_extra_legend("".join(" &nbsp;&nbsp; " + e for e in entries))

    def kept_paths(self) -> list[np.ndarray]:
        """The kept runs' paths as drawn (display coordinates), for tests and exports."""
        return self.view.kept_points()

    def _extend_if_left(self) -> None:
        """The path left the slice: compute a slice that holds it again without waiting for a pause (off this
        thread; at most every few seconds, and during a run only when the grid is cheap)."""
        import time

        if self._left is None or self._pending is not None or self.snapshot is None:
            return
        now = time.monotonic()
        if now - self._extended_at < EXTEND_S:
            return
        if self.context.training and self.grid_cost() > AUTO_FLOP_LIMIT:
            return
        self._extended_at = now
        if self.recompute():
            self._auto_job = True

    def left_note(self) -> str:
        """Where the path left the plot, in words ("" when it did not)."""
        k = self._left
        if k is None or k >= len(self._path):
            return ""
        rest = self._path[k:]
        far = np.abs(rest[np.isfinite(rest)]) if rest.size else np.zeros(0)
        update = count(self._path_x[k]) if k < len(self._path_x) else count(k)
        if not np.isfinite(rest).all(axis=1)[0] and not far.size:
            return f"The path left the plot at update {update}: its weights stopped being finite numbers."
        reach = f" (its coordinates reach {fmt(float(far.max()))})" if far.size else ""
        return f"The path left the plot at update {update}{reach}; it is drawn as far as the plot goes."

    def _set_message(self, text: str) -> None:
        self._message = text
        self._update_note()

    def _update_note(self) -> None:
        parts = [self._message] if self._message else []
        exp, prepared_rows = self.context.experiment, self._rows
        plan = self._plan
        pending = self._pending
        if plan is None and pending is not None:  # the first picture is under way: the empty frame says what comes
            points = len(pending.alphas) * max(len(pending.betas), 1)
            around = "the starting weights" if pending.fixed else f"the weights of update {count(pending.step)}"
            parts.append(f"Working out the loss at {count(points)} points around {around}…")
        if plan is not None and exp is not None and prepared_rows is not None:
            n_all = len(self.context.prepared().X_train)
            rows = (f"all {count(n_all)} training rows" if n_all <= SAMPLE_ROWS
                    else f"a fixed random sample of {count(SAMPLE_ROWS)} of the {count(n_all)} training rows")
            penalty = " (without the L1/L2 penalty)" if exp.l1 or exp.l2 else ""
            centred = ("the starting weights" if plan.fixed else f"the weights of update {count(plan.step)}")
            parts.append(f"{losses.get(exp.loss).title}{penalty} on {rows}; grid centred on {centred}.")
            if plan.note:
                parts.append(plan.note)
            if plan.fixed:
                parts.append("Every weight is on an axis, so this is the exact loss: the picture stays put while "
                             "the run moves on.")
            elif self.snapshot is not None and self.snapshot.step != plan.step and not self._message:
                parts.append("The path has moved on since; the grid re-centres when training pauses.")
        if plan is not None and self.cut_check.isChecked() and self.row_spin.value() > 0:
            parts.append(f"The curve is the loss of training row {count(self.row_spin.value())} alone.")
        other = self._kept_runs()[1]
        if other:
            names = ", ".join(r.name for r in other)
            parts.append(f"Not drawn here: {names} (another network, so its path lies in another weight space).")
        left = self.left_note()
        if left:
            parts.append(left)
        self.note.setText(" ".join(parts))

    # -- what tests and exports read -----------------------------------------------------------------------------------
    def grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(alphas, betas, Z) of the grid on show, in display coordinates; betas is empty for a 1-D cut."""
        if self._plan is None or self._result is None:
            return np.zeros(0), np.zeros(0), np.zeros((0, 0))
        p = self._plan
        betas = p.betas + p.origin[1] if len(p.betas) else np.zeros(0)
        return p.alphas + p.origin[0], betas, self._result.Z.copy()

    def path_points(self) -> np.ndarray:
        return self._path.copy()

    def current_point(self) -> tuple[float, float]:
        if not len(self._path):
            return (float("nan"), float("nan"))
        return float(self._path[-1, 0]), float(self._path[-1, 1])

    def axes(self) -> tuple[str, str]:
        if self._plan is None:
            return ("", "")
        if self._result is not None and self._result.request.is_cut:
            return (self._plan.labels[0], "loss")
        return self._plan.labels

    def csv_table(self) -> tuple[list[str], list[list]]:
        alphas, betas, Z = self.grid()
        if Z.ndim == 1:
            return ["alpha", "loss"], [[float(a), float(z)] for a, z in zip(alphas, Z)]
        return ["alpha", "beta", "loss"], [[float(a), float(b), float(Z[j, i])]
                                           for j, b in enumerate(betas) for i, a in enumerate(alphas)]


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(LossSurfacePanel, "diabetes-regression", None, (720, 560))

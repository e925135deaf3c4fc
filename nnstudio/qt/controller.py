"""The studio's model of the open session: the Experiment being edited, its dataset, undo history, file and dirty
state. Docks read from it and ask it for changes; it validates each change by building a Trainer before accepting
it, so a bad edit is explained and changes nothing. Accepted edits are undoable commands.

Settings that leave the network and its data alone (learning rate, optimizer, batch size, penalties, epoch limit)
go to the running Trainer without a reset; anything else builds a new Trainer from the same seed (the weights go
back to their starting values, and the status bar says so).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from nnstudio import data
from nnstudio.data.dataset import DataError, Dataset
from nnstudio.qt.runs_keeper import RunsKeeper
from nnstudio.qt.worker import TrainingWorker
from nnstudio.training.experiment import Experiment, ExperimentError
from nnstudio.training.trainer import PreparedData, Trainer

# A Trainer whose first evaluation (a forward pass over every training and test row) costs more multiply-adds than
# this is built off the GUI thread when the window offers a way (``StudioController.builder``): about a tenth of a
# second or more on the GUI thread in float64 (measured: 1e7 took 60 ms, 4e7 330 ms; a 2-1024-256-1 network on
# 100,000 rows took 8.5 s).
BUILD_IN_BACKGROUND = 1e7


def build_cost(exp: Experiment, ds: Dataset) -> float:
    """Multiply-adds of a Trainer's first evaluation of ``exp`` on ``ds``: every row through every weight."""
    params, _ = exp.size(ds.n_features, 0)
    rows = ds.n_samples + (len(ds.X_test) if ds.X_test is not None else 0)
    return float(rows) * params


class ExperimentCommand(QUndoCommand):
    """Replace the experiment with another; undo puts the old one back."""

    def __init__(self, controller: "StudioController", old: Experiment, new: Experiment, text: str,
                 prepared: Trainer | None):
        super().__init__(text)
        self.controller, self.old, self.new = controller, old, new
        self._prepared = prepared  # the Trainer built while validating, used by the first redo

    def redo(self):
        self.controller._install(self.new, self._prepared)
        self._prepared = None

    def undo(self):
        self.controller._install(self.old, None)


class StudioController(QObject):
    experimentChanged = Signal(object)  # Experiment: refresh every editor
    datasetChanged = Signal(object)  # Dataset (with the learner's edits applied)
    weightsReset = Signal(str)  # why the network was rebuilt
    dirtyChanged = Signal(bool)
    pathChanged = Signal(object)  # Path | None
    message = Signal(str)  # a line for the status bar
    problem = Signal(str, str)  # title, text: something the learner asked for could not be done

    def __init__(self, worker: TrainingWorker, parent: QObject | None = None):
        super().__init__(parent)
        self.worker = worker
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setObjectName("undoStack")
        self.experiment: Experiment | None = None
        self.dataset: Dataset | None = None
        self.prepared: PreparedData | None = None  # the arrays the current Trainer trains on, for the views
        self.path: Path | None = None
        self.dirty = False
        self._datasets: dict[str, Dataset] = {}  # loaded datasets by (name, params); imported CSVs live here
        self.adapted: tuple[Experiment, str] | None = None  # see adapted_note
        # builder(work, text) -> result: runs work(report) (reading files of images, building a big Trainer) off the
        # GUI thread while the window stays live and shows report(fraction), and returns its result or raises its
        # error. None: do it here (a controller alone).
        self.builder = None
        # A bound method of this GUI-thread object, never a lambda: PySide6 runs a lambda connected to a signal from
        # another thread in that thread, and everything here must happen in the GUI thread.
        worker.runFinished.connect(self._on_run_finished)
        # runs kept for comparison: by hand, before a change resets the weights, and when training goes on from an
        # earlier update (the run as it stood)
        self.runs = RunsKeeper(self)
        self.keep_runs_automatically = True
        worker.branched.connect(self._on_branched)

    # -- opening -----------------------------------------------------------------------------------------------------
    def open_experiment(self, experiment: Experiment, trainer: Trainer | None = None, path: Path | None = None,
                        dataset: Dataset | None = None) -> bool:
        """Start a new session on ``experiment`` (a lesson, an opened file): undo history cleared, not dirty.
        ``trainer`` is a ready Trainer (from a session file); ``dataset`` a dataset loaded by the caller (CSV)."""
        if dataset is not None:
            self._datasets[self._dataset_key(experiment)] = dataset
        try:
            trainer = trainer if trainer is not None else self._build(experiment)
        except (ExperimentError, DataError) as e:
            self.problem.emit("Cannot open this experiment", str(e))
            return False
        if trainer.experiment.dataset == "csv":
            self._datasets[self._dataset_key(trainer.experiment)] = trainer.source_dataset
        self.undo_stack.clear()
        self.runs.clear()  # another session: its runs (if any) come with it
        self._install(trainer.experiment, trainer, announce=False)
        self.set_path(path)
        self.set_dirty(False)
        return True

    # -- editing -----------------------------------------------------------------------------------------------------
    def edit(self, new: Experiment, text: str, prepared: Trainer | None = None) -> bool:
        """Ask for ``new`` to replace the current experiment, as one undoable step named ``text``. Returns whether
        it was accepted; a refused edit emits ``problem`` and re-emits the current experiment so editors revert.
        ``prepared``: a Trainer already built for ``new`` (off the GUI thread), used instead of building one."""
        if self.experiment is None or new == self.experiment:
            return True
        try:
            new.validate()
            if new.architecture_key() == self.experiment.architecture_key():
                prepared = None
            elif prepared is None or prepared.experiment != new:
                prepared = self._build(new)
        except (ExperimentError, DataError) as e:
            self.problem.emit("That change cannot be made", str(e))
            self.experimentChanged.emit(self.experiment)
            return False
        self.undo_stack.push(ExperimentCommand(self, self.experiment, new, text, prepared))
        return True

    def import_dataset(self, dataset: Dataset, params: dict, text: str = "Import CSV",
                       trainer: Trainer | None = None) -> bool:
        """Switch to an imported dataset (already loaded and validated), adapting the network's settings to it.
        ``trainer``: one built off the GUI thread for ``import_experiment(experiment, dataset, params)``."""
        key = json.dumps({"name": "csv", **params}, sort_keys=True, default=str)
        self._datasets[key] = dataset
        exp = self.experiment.replace(dataset="csv", dataset_params=dict(params), excluded_rows=(), cell_edits=())
        return self._switch(exp, dataset, text, new_dataset=True, prepared=trainer)

    @classmethod
    def import_experiment(cls, base: Experiment, dataset: Dataset, params: dict) -> Experiment:
        """What ``base`` becomes when ``dataset`` is imported (pure: any thread may ask)."""
        exp = base.replace(dataset="csv", dataset_params=dict(params), excluded_rows=(), cell_edits=())
        return cls._switched(exp, dataset, new_dataset=True)[0]

    def choose_dataset(self, name: str, params: dict | None = None) -> bool:
        """Switch to a registered dataset. Another dataset gets settings that fit it (loss, batch, learning rate) and
        a name of its own; new parameters for the same dataset keep the learner's settings and preprocessing."""
        same = name == self.experiment.dataset
        exp = self.experiment.replace(dataset=name, dataset_params=dict(params or {}), excluded_rows=(),
                                      cell_edits=(), preprocessing=self.experiment.preprocessing if same else "dataset")
        try:
            ds = self._load(exp)
        except (DataError, ExperimentError, KeyError) as e:
            self.problem.emit("Cannot load that dataset", str(e.args[0]) if isinstance(e, KeyError) else str(e))
            self.experimentChanged.emit(self.experiment)
            return False
        return self._switch(exp, ds, f"Dataset: {ds.title}", new_dataset=not same)

    @staticmethod
    def _switched(exp: Experiment, ds: Dataset, new_dataset: bool) -> tuple[Experiment, list[str]]:
        """``exp`` adapted to ``ds`` (settings, and a name of its own on another dataset), with what changed."""
        from nnstudio.training.adapt import adapt_to_dataset

        new, changes = adapt_to_dataset(exp, ds, new_dataset)
        if new_dataset:
            # a lesson on other data is no longer that lesson: the window title and file name follow the data
            new = new.replace(name="untitled", title=ds.title, description="")
        return new, changes

    def _switch(self, exp: Experiment, ds: Dataset, text: str, new_dataset: bool,
                prepared: Trainer | None = None) -> bool:
        """One undoable step to ``exp`` on ``ds``, with the settings adapted to the data; says what changed."""
        from nnstudio.training.adapt import hint_for

        new, changes = self._switched(exp, ds, new_dataset)
        hint = hint_for(new, ds)
        note = "Adapted to this data (Ctrl+Z undoes it): " + "; ".join(changes) + "." if changes else ""
        note = " ".join(part for part in (note, hint) if part)
        self.adapted = (new, note)  # set before the edit installs it: the docks refresh during the install
        if not self.edit(new, text, prepared):
            self.adapted = None
            return False
        if changes:
            self.message.emit(f"{ds.title}: {len(changes)} setting{'s' if len(changes) > 1 else ''} adapted to the "
                              "data (see the Data panel; Ctrl+Z undoes it).")
        return True

    @property
    def adapted_note(self) -> str:
        """What the last dataset switch changed in the settings (and advice), while its experiment is the current
        one; "" otherwise (after an undo, another edit, another session)."""
        if self.adapted is not None and self.adapted[0] is self.experiment:
            return self.adapted[1]
        return ""

    @staticmethod
    def adapt_to_dataset(exp: Experiment, ds: Dataset) -> Experiment:
        """The output layer sized for ``ds`` with an activation and loss that suit its task (kept if they fit)."""
        from nnstudio.training.adapt import adapt_to_dataset

        return adapt_to_dataset(exp, ds, new_dataset=False)[0]

    # -- internals ---------------------------------------------------------------------------------------------------
    @staticmethod
    def _dataset_key(exp: Experiment) -> str:
        return json.dumps({"name": exp.dataset, **exp.dataset_params}, sort_keys=True, default=str)

    def _load(self, exp: Experiment) -> Dataset:
        key = self._dataset_key(exp)
        if key not in self._datasets:
            source = data.DATASETS[exp.dataset]
            if source.heavy and self.builder is not None:  # files of images: read off the GUI thread
                self._datasets[key] = self.builder(lambda report: source.load(report, **exp.dataset_params),
                                                   f"Loading {source.title}…")
            else:
                self._datasets[key] = source.load(**exp.dataset_params)
        return self._datasets[key]

    def _build(self, exp: Experiment) -> Trainer:
        try:
            ds = self._load(exp)
        except KeyError as e:
            raise ExperimentError(str(e.args[0]) if e.args else str(e)) from None
        if self.builder is not None and build_cost(exp, ds) > BUILD_IN_BACKGROUND:
            exp.validate()
            return self.builder(lambda report: Trainer(exp, ds), "Building the network…")
        return Trainer(exp, ds)

    def _install(self, exp: Experiment, trainer: Trainer | None, announce: bool = True) -> None:
        """Make ``exp`` current: a new Trainer where the network or data changed, else new settings in place."""
        old = self.experiment
        rebuild = trainer is not None or old is None or exp.architecture_key() != old.architecture_key()
        if rebuild:
            if trainer is None:
                try:
                    trainer = self._build(exp)
                except (ExperimentError, DataError) as e:  # e.g. a CSV that vanished since; keep what we have
                    self.problem.emit("Cannot restore that state", str(e))
                    return
            if old is not None and announce:
                self.keep_run_before_reset(same_data_as=exp)
            self.experiment = exp
            self.dataset = trainer.dataset
            # the Trainer's own arrays (never written after it is made): views read them instead of making a copy
            self.prepared = PreparedData(trainer.train_rows, trainer.preprocessing, trainer.X_train, trainer.Y_train,
                                         trainer.X_test, trainer.Y_test)
            self.worker.set_trainer(trainer)
            self.datasetChanged.emit(self.dataset)
            if announce:
                self.weightsReset.emit("The network or its data changed: the weights start again from their "
                                       "initial values.")
        else:
            self.experiment = exp
            self.worker.apply_settings(exp)
            if announce:
                self.message.emit("Setting changed: it takes effect from the next update (weights kept).")
        self.experimentChanged.emit(exp)
        if announce:
            self.set_dirty(True)

    def keep_run(self, name: str | None = None):
        """Keep the current run for comparison (nothing before its first update); returns the kept run or None."""
        return self.runs.keep(self.worker.latest(), self.experiment, name)

    def keep_run_before_reset(self, same_data_as: Experiment | None = None) -> None:
        """Before the weights go back to a start: keep the run so far, when runs are kept automatically (and, given
        ``same_data_as``, only if that experiment trains on the same data: other data's curves mean nothing)."""
        old = self.experiment
        if not self.keep_runs_automatically or old is None:
            return
        if same_data_as is not None and (old.dataset, old.dataset_params) != (same_data_as.dataset,
                                                                             same_data_as.dataset_params):
            return
        self.keep_run()

    def _on_branched(self, snap, settings) -> None:
        """Training went on from an earlier update: the run as it stood is kept."""
        self.runs.keep(snap, settings)
        self.message.emit(f"Training goes on from an earlier update; the run as it was (to update {snap.step:,}) is "
                          "kept for comparison.")

    def _on_run_finished(self, _reason: str) -> None:
        self.set_dirty(True)

    def set_dirty(self, dirty: bool) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.dirtyChanged.emit(dirty)

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.pathChanged.emit(path)

    @property
    def session_name(self) -> str:
        """What the session is called in the window title and the save question: the file's name once saved,
        else the experiment's title (a lesson's title; the dataset's for a network of the learner's own)."""
        if self.path is not None:
            return self.path.stem
        if self.experiment is None:
            return "untitled"
        return self.experiment.title or self.experiment.name

    @property
    def default_file_stem(self) -> str:
        """A file name for a first save: the lesson's short name, or the dataset's for the learner's own network
        ("spiral", "pts" for pts.csv), made safe for any file system."""
        import re

        if self.path is not None:
            return self.path.stem
        exp = self.experiment
        if exp is None:
            return "untitled"
        if exp.name and exp.name != "untitled":
            stem = exp.name
        else:
            stem = exp.dataset
            if exp.dataset == "csv" and exp.dataset_params.get("path"):
                stem = Path(str(exp.dataset_params["path"])).stem
        stem = re.sub(r"[^\w.-]+", "-", stem).strip(".-")
        return stem[:60] or "untitled"

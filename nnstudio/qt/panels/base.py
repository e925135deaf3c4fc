"""What every live panel shares: a name for exports and the command line, a right-click export menu, and the
shared selection (which weight and which sample the learner is looking at).

A panel is made by ``parts()``, a generator that yields between costly parts (a pyqtgraph plot costs 20-40 ms to
make); ``__init__`` runs it through, and "Export all panels" runs it a part per turn of the event loop
(``Panel.make_in_turns``), so that making a fresh panel never holds the window up. ``snapshot_parts`` does the same
for a panel's first snapshot."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from nnstudio.data.dataset import Dataset
from nnstudio.training.experiment import Experiment
from nnstudio.training.trainer import PreparedData, Snapshot, prepare_arrays


class PanelContext(QObject):
    """State the panels share: the dataset and experiment on show, the arrays the network trains on, the selected
    weight and sample."""

    selectionChanged = Signal(object)  # (parameter index, flat index within it) or None
    sampleChanged = Signal(int)
    dataChanged = Signal()
    trainingChanged = Signal(bool)  # a run started or stopped: heavy panels wait for the pause
    imagesRequested = Signal(int, int, bool)  # (true class, predicted class, test set): the gallery shows them
    preparedForgotten = Signal()  # forget_prepared: a panel that keeps the prepared arrays lets go of them too

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.experiment: Experiment | None = None
        self.selection: tuple[int, int] | None = None
        self.sample = 0
        self.training = False
        self._prepared: PreparedData | None = None
        self._prepared_for = None  # (dataset, _data_key) the prepared arrays were made from
        self.runs = None  # the RunsKeeper of runs kept for comparison (qt.runs_keeper), when the studio has one

    def set_data(self, dataset: Dataset, experiment: Experiment, prepared: PreparedData | None = None) -> None:
        """Show ``dataset`` and ``experiment``. A new dataset, a new network shape or another experiment (a lesson
        opened, even one with the same network and table) is a data change: the selected weight and sample belonged
        to the old network, so they are cleared, and every panel hears ``dataChanged`` (then ``selectionChanged`` /
        ``sampleChanged`` if those were set). A setting changed while paused (the learning rate) is not.

        ``prepared``: the arrays the Trainer of ``dataset`` and ``experiment`` trains on (its own, never copied:
        nothing writes them after the Trainer is made); without them ``prepared()`` makes them again when asked."""
        changed = dataset is not self.dataset or self._identity(experiment) != self._identity(self.experiment)
        if prepared is not None:
            self._prepared, self._prepared_for = prepared, (dataset, self._data_key(experiment))
        elif self._prepared is not None and not self._made_for(dataset, experiment):
            self._prepared = None  # made for other data, rows or preprocessing
        self.dataset, self.experiment = dataset, experiment
        if changed:
            old_selection, old_sample = self.selection, self.sample
            self.selection = None
            self.sample = 0
            self.dataChanged.emit()
            if old_selection is not None:
                self.selectionChanged.emit(None)
            if old_sample != 0:
                self.sampleChanged.emit(0)

    @staticmethod
    def _identity(experiment: Experiment | None):
        """What makes another network: its shape and data (``architecture_key``), and which experiment it is."""
        return None if experiment is None else (experiment.name, experiment.architecture_key())

    @staticmethod
    def _data_key(experiment: Experiment | None):
        """What ``prepare_arrays`` takes from the experiment: rows left out, cell edits, preprocessing, dtype (all in
        its ``architecture_key``)."""
        return None if experiment is None else experiment.architecture_key()

    def _made_for(self, dataset: Dataset | None, experiment: Experiment | None) -> bool:
        made = self._prepared_for
        return made is not None and made[0] is dataset and made[1] == self._data_key(experiment)

    def prepared(self) -> PreparedData:
        """The arrays the network trains on (preprocessed inputs, encoded targets): the Trainer's own when the
        window handed them over, else made once per data change."""
        if self._prepared is None:
            self._prepared = prepare_arrays(self.dataset, self.experiment)
            self._prepared_for = (self.dataset, self._data_key(self.experiment))
        return self._prepared

    def forget_prepared(self) -> None:
        """Let go of the prepared arrays (a closed window: MNIST's are 250 MB); ``prepared()`` makes them again if
        anyone asks."""
        self._prepared = self._prepared_for = None
        self.preparedForgotten.emit()

    def prepared_if_made(self) -> PreparedData | None:
        """The arrays ``prepared()`` gives, when they are already at hand (never made here: for a big set that takes
        seconds, and any thread may ask)."""
        return self._prepared if self._made_for(self.dataset, self.experiment) else None

    def show_images(self, true_class: int, predicted_class: int, test: bool) -> None:
        """Ask for the images of true class ``true_class`` answered ``predicted_class`` (a confusion cell): the
        gallery shows them, the window brings it forward."""
        self.imagesRequested.emit(int(true_class), int(predicted_class), bool(test))

    def frozen(self) -> "PanelContext":
        """A copy of what is on show now (dataset, experiment, prepared arrays, selected weight and sample) that
        nothing changes afterwards: panels made on it (an export's) hear no later change of the window's context."""
        copy = PanelContext()
        copy.dataset, copy.experiment = self.dataset, self.experiment
        copy.selection, copy.sample = self.selection, self.sample
        copy._prepared, copy._prepared_for = self._prepared, self._prepared_for
        return copy

    def set_training(self, running: bool) -> None:
        if running != self.training:
            self.training = running
            self.trainingChanged.emit(running)

    def select_weight(self, selection: tuple[int, int] | None) -> None:
        if selection != self.selection:
            self.selection = selection
            self.selectionChanged.emit(selection)

    def select_sample(self, index: int) -> None:
        if index != self.sample:
            self.sample = index
            self.sampleChanged.emit(index)


def run_through(parts) -> None:
    """Make every part of a ``parts()`` generator now (what a constructor does unless told ``later``)."""
    for _ in parts:
        pass


class Panel(QWidget):
    """A live view of snapshots. Subclasses set ``name``/``title``/``description`` and implement
    ``set_snapshot`` and ``csv_table``; ``export_widget`` is what PNG and SVG exports draw. They make their widgets
    in ``parts()`` (or, for a panel that is quick to make, in their own ``__init__``)."""

    name = ""
    title = ""
    description = ""
    exporting = False  # True while export_panel draws it for a file (a view may then draw at full quality)

    def __init__(self, context: PanelContext, parent: QWidget | None = None, later: bool = False):
        """With ``later`` the panel's parts are not made yet: the caller runs ``parts()`` (see ``in_turns``)."""
        super().__init__(parent)
        self.context = context
        self.snapshot: Snapshot | None = None
        self.setObjectName(f"{self.name}Panel")
        self.setAccessibleName(self.title)
        if not later:
            run_through(self.parts())

    def parts(self):
        """Make the panel's widgets, yielding between costly parts (each pyqtgraph plot costs 20-40 ms): a
        generator. Subclasses put here what a constructor would do."""
        yield from ()

    @classmethod
    def in_turns(cls, context: PanelContext, made: list):
        """Make a panel a part per turn of the event loop, as steps for ``background.run_steps`` (it yields between
        parts). The panel is put in ``made`` at once, so that whoever stops the steps half way can close it; the
        generator returns it."""
        if cls.parts is Panel.parts:  # made by its own __init__, in one go
            made.append(cls(context))
            return made[-1]
        panel = cls(context, later=True)
        made.append(panel)
        for _ in panel.parts():
            yield
        yield  # (the last part was made in this turn: what the caller does next waits for the next)
        return panel

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap

    def snapshot_parts(self, snap: Snapshot):
        """``set_snapshot`` and the drawing it starts, yielding between costly parts (a panel's first snapshot may
        make plots: the weights panel makes one per layer); a generator. "Export all panels" runs it a part per turn
        of the event loop."""
        self.set_snapshot(snap)
        yield from ()

    def csv_table(self) -> tuple[list[str], list[list]]:
        """The numbers the panel shows, as a header and rows (for CSV export)."""
        raise NotImplementedError

    def finish(self) -> None:
        """Complete any deferred or background work now, synchronously (before a headless export)."""

    def compute_in_background(self) -> bool:
        """Start the background work ``finish`` would do in line, without waiting for it; True if there is some
        (then ``is_computing()`` says when it is over). "Export all panels" calls this, or else ``finish``."""
        return False

    def is_computing(self) -> bool:
        """Whether background work for the snapshot on show is still under way."""
        return False

    def draw_pending(self) -> None:
        """Draw now what ``set_snapshot`` left to a throttle timer; never waits for background work. The window calls
        it right after ``set_snapshot`` so that the drawing it times includes everything the snapshot caused."""

    def export_widget(self) -> QWidget:
        return self

    # -- right-click export -------------------------------------------------------------------------------------------
    def contextMenuEvent(self, event):
        menu = self.export_menu()
        menu.exec(event.globalPos())

    def adopt_plot(self, plot) -> None:
        """Give a pyqtgraph plot's right-click menu this panel's exports instead of pyqtgraph's own dialog
        (which would export one plot of the panel, and without the CSV the learner expects)."""
        actions = []
        for kind, label in (("png", "Export panel as PNG…"), ("svg", "Export panel as SVG…"),
                            ("csv", "Export panel data as CSV…")):
            action = QAction(label, plot)
            action.setObjectName(f"{self.name}PlotExport_{kind}")
            action.triggered.connect(lambda _=False, k=kind: self.ask_and_export(k))
            actions.append(action)
        for old in plot.scene().contextMenu:
            old.setParent(None)  # pyqtgraph's own "Export..." goes with its last reference, at once
        plot.scene().contextMenu = actions
        # one right-click menu, the panel's: pyqtgraph's own would pop up as well
        item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else None
        if item is not None:
            item.setMenuEnabled(False)

    def export_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName(f"{self.name}ExportMenu")
        for kind, label in (("png", "Export PNG…"), ("svg", "Export SVG…"), ("csv", "Export CSV (data)…")):
            action = menu.addAction(label)
            action.setObjectName(f"export_{kind}")
            action.triggered.connect(lambda _=False, k=kind: self.ask_and_export(k))
        return menu

    def ask_export_path(self, kind: str) -> tuple[Path | None, tuple[int, int] | None]:
        """File name (and, for PNG, a pixel size) from the learner; replaced in tests."""
        from nnstudio.qt.export_dialog import ask_export

        return ask_export(self, kind)

    def _compute_for_export(self) -> bool | None:
        """Work out what the panel shows (a loss surface of 301 x 301 points takes seconds) off the GUI thread
        before an export, the window drawing meanwhile with its input held and the status bar saying so: True when
        done that way, False when the panel has no such work (the export finishes it in line), None if the
        learner cancelled (Escape or Cancel)."""
        if not self.compute_in_background():
            return False
        from PySide6.QtWidgets import QMainWindow

        from nnstudio.qt.background import CANCELLED, Pause, run_steps, status_panel, wait_in

        def steps():
            while self.is_computing():
                yield Pause(0.03)

        task = run_steps(steps(), self)
        window = self.window()
        if isinstance(window, QMainWindow):
            state = wait_in(window, status_panel(window), task, f"Working out the {self.title} for the export…")
        else:
            state = task.wait()
        return None if state == CANCELLED else True

    def ask_and_export(self, kind: str) -> Path | None:
        from nnstudio.qt.export import export_panel

        path, size = self.ask_export_path(kind)
        if path is None:
            return None
        computed = self._compute_for_export()
        if computed is None:
            return None  # cancelled while it was being worked out
        try:
            return export_panel(self, path, *(size or (None, None)), computed=computed)
        except (OSError, ValueError) as e:
            box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", f"{path}: {e}", QMessageBox.StandardButton.Ok,
                              self)
            box.setObjectName("exportErrorDialog")
            box.open()
            return None


def show_demo(panel_cls, preset: str, epochs: int | None = None, size: tuple[int, int] = (700, 500),
              setup=None) -> None:
    """Show a panel on its own with sample data: ``preset`` trained for ``epochs`` (default: the whole lesson).
    Each panel module's ``__main__`` calls this; ``setup(panel)`` may adjust the panel before it is shown."""
    from PySide6.QtWidgets import QApplication

    from nnstudio.training import Trainer, presets

    app = QApplication.instance() or QApplication([])
    trainer = Trainer(presets.get(preset))
    trainer.run(max_epochs=epochs)
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = panel_cls(context)
    if setup is not None:
        setup(panel)
    panel.set_snapshot(trainer.snapshot())
    panel.resize(*size)
    panel.show()
    app.exec()

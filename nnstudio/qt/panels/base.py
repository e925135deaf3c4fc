"""What every live panel shares: a name for exports and the command line, a right-click export menu, and the
shared selection (which weight and which sample the learner is looking at)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from nnstudio.data.dataset import Dataset
from nnstudio.training.experiment import Experiment
from nnstudio.training.trainer import PreparedData, Snapshot, prepare_arrays


class PanelContext(QObject):
    """State the panels share: the dataset and experiment on show, the selected weight and sample."""

    selectionChanged = Signal(object)  # (parameter index, flat index within it) or None
    sampleChanged = Signal(int)
    dataChanged = Signal()
    trainingChanged = Signal(bool)  # a run started or stopped: heavy panels wait for the pause

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.experiment: Experiment | None = None
        self.selection: tuple[int, int] | None = None
        self.sample = 0
        self.training = False
        self._prepared: PreparedData | None = None

    def set_data(self, dataset: Dataset, experiment: Experiment) -> None:
        """Show ``dataset`` and ``experiment``. A new dataset, a new network shape or another experiment (a lesson
        opened, even one with the same network and table) is a data change: the selected weight and sample belonged
        to the old network, so they are cleared, and every panel hears ``dataChanged`` (then ``selectionChanged`` /
        ``sampleChanged`` if those were set). A setting changed while paused (the learning rate) is not."""
        changed = dataset is not self.dataset or self._identity(experiment) != self._identity(self.experiment)
        self.dataset, self.experiment = dataset, experiment
        if changed:
            self._prepared = None
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

    def prepared(self) -> PreparedData:
        """The arrays the network trains on (preprocessed inputs, encoded targets), made once per data change."""
        if self._prepared is None:
            self._prepared = prepare_arrays(self.dataset, self.experiment)
        return self._prepared

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


class Panel(QWidget):
    """A live view of snapshots. Subclasses set ``name``/``title``/``description`` and implement
    ``set_snapshot`` and ``csv_table``; ``export_widget`` is what PNG and SVG exports draw."""

    name = ""
    title = ""
    description = ""

    def __init__(self, context: PanelContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.snapshot: Snapshot | None = None
        self.setObjectName(f"{self.name}Panel")
        self.setAccessibleName(self.title)

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap

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

    def ask_and_export(self, kind: str) -> Path | None:
        from nnstudio.qt.export import export_panel

        path, size = self.ask_export_path(kind)
        if path is None:
            return None
        try:
            return export_panel(self, path, *(size or (None, None)))
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

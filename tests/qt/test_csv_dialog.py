"""Importing a CSV file: a good file becomes the session's dataset; a bad one is explained (file, line, column) and
leaves the session exactly as it was; cancel changes nothing."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from nnstudio.qt.csv_dialog import ImportCsvDialog, import_csv_file

GOOD = "weight,height,sex\n133,65,female\n160,72,male\n152,70,male\n120,60,female\n140,68,male\n118,62,female\n"


def write(tmp_path, text, name="people.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(p)


@pytest.fixture
def host(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    w.show()
    return w


def error_box(parent):
    boxes = [b for b in parent.findChildren(QMessageBox, "csvErrorDialog") if b.isVisible()]
    assert len(boxes) == 1, "expected one visible csvErrorDialog"
    return boxes[0]


def test_a_good_file_imports(qtbot, controller, host, tmp_path):
    path = write(tmp_path, GOOD)
    dialog = import_csv_file(controller, path, host)
    assert isinstance(dialog, ImportCsvDialog) and dialog.isVisible()
    preview = dialog.findChild(QWidget, "csvPreviewTable")
    assert (preview.rowCount(), preview.columnCount()) == (6, 3)
    assert preview.item(0, 2).text() == "female"
    assert not preview.item(0, 0).flags() & Qt.ItemFlag.ItemIsEditable
    assert dialog.csvTargetCombo.currentText() == "sex"
    assert dialog.csvTaskCombo.currentData() == "auto"
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.csvImportButton, Qt.MouseButton.LeftButton)
    ds = controller.dataset
    assert ds.name.startswith("csv:") and ds.name == "csv:people.csv"
    assert ds.task == "binary" and ds.class_names == ("female", "male")
    assert controller.experiment.dataset == "csv"
    assert controller.experiment.dataset_params == ds.params
    assert controller.experiment.layers[-1].units == 1
    qtbot.waitUntil(lambda: controller.worker.latest().n_train == 6, timeout=5000)
    controller.undo_stack.undo()
    assert controller.dataset.name == "toy"


def test_target_task_and_test_share_are_used(controller, host, tmp_path):
    path = write(tmp_path, "a,b,c\n" + "".join(f"{i},{i * 2},{i % 3}\n" for i in range(20)))
    dialog = import_csv_file(controller, path, host)
    dialog.csvTargetCombo.setCurrentText("b")
    dialog.csvTaskCombo.setCurrentIndex(dialog.csvTaskCombo.findData("regression"))
    assert not dialog.csvSeedSpin.isEnabled()
    dialog.csvTestFractionSpin.setValue(0.25)
    assert dialog.csvSeedSpin.isEnabled()
    dialog.csvSeedSpin.setValue(3)
    assert dialog.try_import()
    ds = controller.dataset
    assert ds.task == "regression" and ds.feature_names == ("a", "c") and ds.target_names == ("b",)
    assert ds.n_samples == 15 and len(ds.X_test) == 5
    assert ds.params["seed"] == 3 and ds.params["test_fraction"] == 0.25


@pytest.mark.parametrize("text, where", [
    ("a,b,label\n1,2,x\n3,4\n5,6,y\n", "line 3"),  # a ragged row: too few cells
    ("a,b,label\n1,2,x\n3,abc,y\n5,6,y\n", 'line 3, column 2 ("b")'),  # text in a numeric column
    ("a,b,label\n1,2,x\n3,nan,y\n5,6,y\n", "line 3, column 2"),
])
def test_a_bad_file_is_explained_and_changes_nothing(qtbot, controller, host, tmp_path, text, where):
    path = write(tmp_path, text, "bad.csv")
    before, steps = controller.experiment, controller.undo_stack.count()
    dialog = import_csv_file(controller, path, host)
    assert isinstance(dialog, ImportCsvDialog)  # the preview shows the file as it is
    qtbot.mouseClick(dialog.csvImportButton, Qt.MouseButton.LeftButton)
    box = error_box(dialog)
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text().startswith("bad.csv, ") and where in box.text()
    assert box.windowModality() == Qt.WindowModality.WindowModal
    assert dialog.isVisible()  # still open, to fix the settings or cancel
    assert controller.experiment == before and controller.undo_stack.count() == steps
    assert controller.dataset.name == "toy"
    # a second try reuses the same message box
    box.close()
    qtbot.mouseClick(dialog.csvImportButton, Qt.MouseButton.LeftButton)
    assert error_box(dialog) is box


def test_a_ragged_row_is_visible_in_the_preview(controller, host, tmp_path):
    dialog = import_csv_file(controller, write(tmp_path, "a,b,c\n1,2,0\n3,4,1,9\n5,6,0\n"), host)
    table = dialog.csvPreviewTable
    assert table.columnCount() == 4 and table.item(1, 3).text() == "9"
    assert "more cells" in table.item(1, 3).toolTip()


def test_wrong_settings_are_explained_and_can_be_fixed(qtbot, controller, host, tmp_path):
    path = write(tmp_path, GOOD)
    dialog = import_csv_file(controller, path, host)
    dialog.csvTaskCombo.setCurrentIndex(dialog.csvTaskCombo.findData("regression"))
    before = controller.experiment
    assert not dialog.try_import()
    assert '"female" is not a number' in error_box(dialog).text()
    assert controller.experiment == before
    dialog.csvTaskCombo.setCurrentIndex(dialog.csvTaskCombo.findData("classification"))
    assert dialog.try_import()
    assert controller.dataset.name == "csv:people.csv"


def test_cancel_changes_nothing(qtbot, controller, host, tmp_path):
    before, steps = controller.experiment, controller.undo_stack.count()
    dialog = import_csv_file(controller, write(tmp_path, GOOD), host)
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        qtbot.mouseClick(dialog.csvCancelButton, Qt.MouseButton.LeftButton)
    assert controller.experiment == before and controller.undo_stack.count() == steps
    assert controller.dataset.name == "toy"


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"\n\n   \n", "empty"),
    (b"a,b\n\xff\xfe\x00\x01,2\n", "UTF-8"),
    (bytes(range(256)) * 4, "UTF-8"),
    (None, "no such file"),
])
def test_a_file_that_cannot_be_previewed_is_refused_at_once(controller, host, tmp_path, content, expected):
    path = str(tmp_path / "missing.csv") if content is None else write(tmp_path, content, "odd.csv")
    before, steps = controller.experiment, controller.undo_stack.count()
    shown = import_csv_file(controller, path, host)
    assert isinstance(shown, QMessageBox) and shown.objectName() == "csvErrorDialog"
    assert error_box(host) is shown and expected in shown.text()
    assert not host.findChildren(ImportCsvDialog)
    assert controller.experiment == before and controller.undo_stack.count() == steps


def test_without_a_parent_the_boxes_are_top_level(controller, tmp_path, qtbot):
    shown = import_csv_file(controller, write(tmp_path, b"", "empty.csv"))
    assert shown in QApplication.topLevelWidgets() and shown.isVisible()
    shown.close()
    dialog = import_csv_file(controller, write(tmp_path, GOOD))
    assert dialog in QApplication.topLevelWidgets()
    dialog.reject()


def test_every_control_is_named_and_explained(controller, host, tmp_path):
    dialog = import_csv_file(controller, write(tmp_path, GOOD), host)
    for name in ("csvPreviewTable", "csvTargetCombo", "csvTaskCombo", "csvTestFractionSpin", "csvSeedSpin",
                 "csvImportButton", "csvCancelButton"):
        w = dialog.findChild(QWidget, name)
        assert w is not None, name
        assert w.accessibleName() and w.toolTip(), name


# -- a big file is read off the GUI thread ------------------------------------------------------------------------------
def test_the_file_is_read_and_the_network_built_on_another_thread_while_the_window_stays_live(
        qtbot, controller, host, tmp_path, monkeypatch, heartbeat):
    import threading

    from nnstudio.qt import csv_dialog
    from nnstudio.training.trainer import Trainer

    beat, seen = heartbeat(), {}
    real_load, real_init = csv_dialog.load_csv, Trainer.__init__

    def load(*args, **kwargs):
        seen["load"] = threading.get_ident()
        seen["ticked"] = beat.reached.wait(10)  # the GUI thread's timer ticks only if its event loop runs
        return real_load(*args, **kwargs)

    def build(self, experiment, *args, **kwargs):
        if experiment.dataset == "csv":
            seen.setdefault("built", []).append(threading.get_ident())
        real_init(self, experiment, *args, **kwargs)

    monkeypatch.setattr(csv_dialog, "load_csv", load)
    monkeypatch.setattr(Trainer, "__init__", build)
    dialog = import_csv_file(controller, write(tmp_path, GOOD), host)
    assert dialog.try_import()
    gui = threading.get_ident()
    assert seen["ticked"] and seen["load"] != gui
    assert seen["built"] and gui not in seen["built"]  # the controller used the network built with the data
    assert controller.dataset.name == "csv:people.csv"


def test_cancel_during_an_import_stops_it_and_changes_nothing(qtbot, controller, host, tmp_path, monkeypatch):
    import threading
    import time

    from PySide6.QtCore import QTimer

    from nnstudio.qt import csv_dialog

    started = threading.Event()

    def endless_load(path, progress=None, **settings):
        started.set()
        while True:  # a file that takes for ever, until the learner cancels
            progress(0.3)
            time.sleep(0.002)

    monkeypatch.setattr(csv_dialog, "load_csv", endless_load)
    before, steps = controller.experiment, controller.undo_stack.count()
    dialog = import_csv_file(controller, write(tmp_path, GOOD), host)
    shown = []

    def cancel_once_started():
        if not started.is_set():
            QTimer.singleShot(5, cancel_once_started)
            return
        shown.append((dialog.progress.isVisible(), dialog.csvImportButton.isEnabled()))
        qtbot.mouseClick(dialog.csvCancelButton, Qt.MouseButton.LeftButton)

    QTimer.singleShot(5, cancel_once_started)
    assert not dialog.try_import()
    assert shown == [(True, False)]  # progress on show, Import unavailable meanwhile
    assert dialog.isVisible() and dialog.csvImportButton.isEnabled() and not dialog.progress.isVisible()
    assert controller.experiment == before and controller.undo_stack.count() == steps
    assert not [b for b in dialog.findChildren(QMessageBox) if b.isVisible()]
    # the dialog's Cancel closes it when nothing is being read
    with qtbot.waitSignal(dialog.rejected, timeout=2000):
        qtbot.mouseClick(dialog.csvCancelButton, Qt.MouseButton.LeftButton)


def test_progress_reaches_the_end(qtbot, controller, host, tmp_path, monkeypatch):
    from nnstudio.data import csv_table
    from nnstudio.qt import csv_dialog

    from nnstudio.qt import background

    monkeypatch.setattr(csv_table, "CHUNK_CHARS", 100)
    tasks, fractions = [], []
    real, real_report = csv_dialog.start_import, background.Task.report

    def start(*args):
        task = real(*args)
        tasks.append(task)
        return task

    def report(task, fraction):  # every report the work makes, whenever it makes it (a connection made after
        fractions.append(fraction)  # the thread started could miss the first ones)
        return real_report(task, fraction)

    monkeypatch.setattr(csv_dialog, "start_import", start)
    monkeypatch.setattr(background.Task, "report", report)
    rows = "".join(f"{i},{i % 50},{'ab'[i % 2]}\n" for i in range(400))
    dialog = import_csv_file(controller, write(tmp_path, "x,z,k\n" + rows), host)
    assert dialog.try_import()
    assert tasks[0].fraction == 1.0 and fractions == sorted(fractions) and len(set(fractions)) > 2


def test_a_long_table_is_measured_on_its_first_rows_only(qtbot, controller, tmp_path, monkeypatch):
    """Fitting the data table's columns after an import asks the model for a few rows' cells, not hundreds."""
    from nnstudio.qt.data_panel import DataPanel
    from nnstudio.qt.data_table import DataTableModel

    rows = [0]
    real = DataTableModel.data

    def data(self, index, *args):
        rows[0] = max(rows[0], index.row())
        return real(self, index, *args)

    monkeypatch.setattr(DataTableModel, "data", data)
    panel = DataPanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    text = "x,z,k\n" + "".join(f"{i},{i % 50},{'ab'[i % 2]}\n" for i in range(3000))
    dialog = import_csv_file(controller, write(tmp_path, text), panel)
    assert dialog.try_import() and panel.model.rowCount() == 3000
    assert rows[0] < 100  # the deepest row looked at (it was row 199: a third of a second per import here)

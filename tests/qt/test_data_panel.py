"""The data dock: choosing datasets, generator parameters, leaving rows out, editing cells (with undo), refusing bad
input, and the scatter plot of two-feature sets. Widgets are driven by object name."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QFileDialog,
                               QHeaderView, QLineEdit, QTableView, QWidget)

from nnstudio.data import DATASETS
from nnstudio.qt.csv_dialog import ImportCsvDialog
from nnstudio.qt.data_panel import IMPORT, DataPanel

LISTED = [name for name, source in DATASETS.items() if source.listed]


@pytest.fixture
def panel(qtbot, controller):
    p = DataPanel(controller)
    qtbot.addWidget(p)
    p.resize(420, 600)
    p.show()
    return p


def pick(panel, name):
    combo = panel.findChild(QComboBox, "datasetCombo")
    combo.setCurrentIndex(combo.findData(name))


def table(panel):
    return panel.findChild(QTableView, "dataTable")


def total_rows(ds):
    return ds.n_samples + (len(ds.X_test) if ds.has_test else 0)


def test_combo_lists_every_listed_dataset_then_import(panel):
    combo = panel.findChild(QComboBox, "datasetCombo")
    data = [combo.itemData(i) for i in range(combo.count())]
    assert [d for d in data if d is not None] == LISTED + [IMPORT]
    assert combo.currentData() == "toy"
    assert combo.itemText(combo.count() - 1).startswith("Import CSV")


@pytest.mark.parametrize("name", LISTED)
def test_picking_a_dataset_switches_and_fills_the_table(panel, controller, name):
    pick(panel, name)
    ds = controller.dataset
    assert ds.name == name
    assert controller.experiment.dataset == name
    assert table(panel).model().rowCount() == total_rows(ds)
    assert table(panel).model().columnCount() == ds.n_features + 2
    assert panel.findChild(QComboBox, "datasetCombo").currentData() == name
    generated = "size" in DATASETS[name].defaults
    for spin in ("sizeSpin", "noiseSpin", "dataSeedSpin", "testFractionSpin"):
        assert panel.findChild(QAbstractSpinBox, spin).isVisible() == generated


def test_generator_parameters_regenerate_the_set(panel, controller):
    pick(panel, "xor")
    size = panel.findChild(QAbstractSpinBox, "sizeSpin")
    assert size.value() == 200
    size.setValue(60)
    assert controller.experiment.dataset_params["size"] == 60
    assert total_rows(controller.dataset) == 60
    assert table(panel).model().rowCount() == 60
    before = controller.dataset.X.copy()
    panel.findChild(QAbstractSpinBox, "dataSeedSpin").setValue(7)
    assert controller.experiment.dataset_params["seed"] == 7
    assert not np.array_equal(before, controller.dataset.X)
    panel.findChild(QAbstractSpinBox, "testFractionSpin").setValue(0.0)
    assert not controller.dataset.has_test and controller.dataset.n_samples == 60
    panel.findChild(QAbstractSpinBox, "noiseSpin").setValue(0.2)
    assert controller.experiment.dataset_params["noise"] == pytest.approx(0.2)
    assert controller.undo_stack.count() == 5  # the dataset, then one step per parameter
    controller.undo_stack.undo()
    assert panel.findChild(QAbstractSpinBox, "noiseSpin").value() == pytest.approx(0.05)


def test_spin_boxes_commit_only_whole_values(panel):
    pick(panel, "xor")
    for name in ("sizeSpin", "noiseSpin", "dataSeedSpin", "testFractionSpin"):
        assert not panel.findChild(QAbstractSpinBox, name).keyboardTracking()


def test_unticking_a_row_leaves_it_out_of_training(qtbot, panel, controller):
    view = table(panel)
    model = view.model()
    view.setCurrentIndex(model.index(2, 0))
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert controller.experiment.excluded_rows == (2,)
    assert controller.undo_stack.text(controller.undo_stack.index() - 1) == "Leave out row 3"
    assert model.data(model.index(2, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    qtbot.waitUntil(lambda: controller.worker.latest().n_train == 3, timeout=5000)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert controller.experiment.excluded_rows == ()
    qtbot.waitUntil(lambda: controller.worker.latest().n_train == 4, timeout=5000)
    controller.undo_stack.undo()
    assert model.data(model.index(2, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked


def test_leaving_out_every_row_is_refused(panel, controller):
    model = table(panel).model()
    for row in range(3):
        assert model.setData(model.index(row, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    before = controller.experiment
    assert not model.setData(model.index(3, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert controller.experiment == before and controller.problems
    assert model.data(model.index(3, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert "excluded" in panel.messageLabel.text() and not panel.messageLabel.isHidden()


def test_editing_a_cell_records_it_and_undo_reverts_the_table(qtbot, panel, controller):
    pick(panel, "gender")
    view = table(panel)
    model = view.model()
    assert model.headerData(1, Qt.Orientation.Vertical) == "Bob"
    index = model.index(1, 1)
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.findChild(QLineEdit, "cellEditor")
    assert editor is not None and editor.text() == "160"
    editor.selectAll()
    qtbot.keyClicks(editor, "170")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn of the event loop
    qtbot.waitUntil(lambda: controller.experiment.cell_edits == ((1, 0, 170.0),), timeout=2000)
    assert controller.dataset.X[1, 0] == 170
    assert model.data(index) == "170"
    assert model.data(index, Qt.ItemDataRole.FontRole).bold()
    assert not model.data(model.index(1, 2), Qt.ItemDataRole.FontRole)
    # the same cell again replaces the first edit rather than adding a second
    assert model.setData(index, "175.5")
    assert controller.experiment.cell_edits == ((1, 0, 175.5),)
    controller.undo_stack.undo()
    assert model.data(index) == "170"
    controller.undo_stack.undo()
    assert controller.experiment.cell_edits == ()
    assert model.data(index) == "160"
    assert not model.data(index, Qt.ItemDataRole.FontRole)


def test_a_class_target_takes_a_name_or_its_number(panel, controller):
    pick(panel, "gender")
    model = table(panel).model()
    target = model.index(0, 3)  # Alice: female
    assert model.data(target) == "female"
    assert model.setData(target, "Male")
    assert controller.experiment.cell_edits == ((0, 2, 0.0),)
    assert model.data(target) == "male"
    assert model.setData(target, "1")
    assert controller.experiment.cell_edits == ((0, 2, 1.0),)
    assert controller.dataset.describe_target(0) == "female"


def test_the_target_editor_lists_the_classes(qtbot, panel, controller):
    pick(panel, "gender")
    view = table(panel)
    index = view.model().index(1, 3)
    view.edit(index)
    combo = view.findChild(QComboBox, "targetEditor")
    assert [combo.itemText(i) for i in range(combo.count())] == ["male", "female"]
    assert combo.currentText() == "male"
    combo.setCurrentIndex(1)
    combo.activated.emit(1)
    assert controller.experiment.cell_edits == ((1, 2, 1.0),)
    assert view.model().data(index) == "female"


@pytest.mark.parametrize("text", ["abc", "nan", "NaN", "inf", "-inf", "", "1,5", "-1e308", "1e16"])
def test_bad_feature_input_changes_nothing(panel, controller, text):
    pick(panel, "gender")
    before, steps = controller.experiment, controller.undo_stack.count()
    model = table(panel).model()
    assert not model.setData(model.index(0, 1), text)
    assert controller.experiment == before and controller.undo_stack.count() == steps
    assert model.data(model.index(0, 1)) == "133"
    assert not panel.messageLabel.isHidden() and "Alice" in panel.messageLabel.text()


def test_bad_class_input_changes_nothing(panel, controller):
    pick(panel, "gender")
    before = controller.experiment
    model = table(panel).model()
    for text in ("robot", "2", "-1", "0.5"):
        assert not model.setData(model.index(0, 3), text)
    assert controller.experiment == before
    assert "male, female" in panel.messageLabel.text()


def test_regression_target_is_a_number(panel, controller):
    pick(panel, "diabetes-bmi")
    model = table(panel).model()
    assert model.setData(model.index(0, 2), "250")
    assert controller.experiment.cell_edits == ((0, 1, 250.0),)
    assert not model.setData(model.index(0, 2), "lots")


def test_test_rows_come_last_and_cannot_be_changed(panel, controller):
    pick(panel, "xor")
    ds = controller.dataset
    model = table(panel).model()
    first_test = model.index(ds.n_samples, 0)
    assert model.data(first_test) == "test"
    assert model.headerData(ds.n_samples, Qt.Orientation.Vertical) == "T1"
    assert not model.flags(first_test) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.flags(model.index(ds.n_samples, 1)) & Qt.ItemFlag.ItemIsEditable
    assert not model.setData(first_test, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert float(model.data(model.index(ds.n_samples, 1), Qt.ItemDataRole.EditRole)) == ds.X_test[0, 0]
    assert model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsEditable  # 150 training rows: small enough


def test_big_tables_are_not_editable_but_rows_can_be_left_out(panel, controller):
    pick(panel, "xor")
    panel.findChild(QAbstractSpinBox, "sizeSpin").setValue(2000)
    model = table(panel).model()
    assert model.rowCount() == 2000
    assert not model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(model.index(0, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert controller.experiment.excluded_rows == (0,)


def test_scatter_shows_two_feature_sets_only(panel, controller):
    plot = panel.scatterPlot
    assert panel.findChild(type(plot), "scatterPlot") is plot
    assert not plot.isVisible()  # toy: three features
    pick(panel, "xor")
    assert plot.isVisible()
    ds = controller.dataset
    assert plot.point_counts() == {"train": ds.n_samples, "left_out": 0, "test": len(ds.X_test)}
    model = table(panel).model()
    model.setData(model.index(0, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert plot.point_counts() == {"train": ds.n_samples - 1, "left_out": 1, "test": len(ds.X_test)}
    legend = [label.text for _sample, label in plot.legend.items]
    assert legend == ["class 0", "class 1", "test (ring)", "left out"]
    controller.undo_stack.undo()
    assert [label.text for _sample, label in plot.legend.items] == ["class 0", "class 1", "test (ring)"]
    pick(panel, "toy")
    assert not plot.isVisible()
    pick(panel, "gender")
    assert plot.isVisible() and plot.point_counts()["test"] == 0
    assert [label.text for _sample, label in plot.legend.items] == ["male", "female"]


def test_a_scatter_made_later_shows_the_data_chosen_meanwhile(qtbot, controller):
    """The window's data panel makes its scatter plot after the first paint (it imports pyqtgraph): a placeholder of
    its size stands in, shown for two-feature sets, and the plot, once made, shows the data chosen before it was."""
    later = DataPanel(controller, scatter_later=True)
    qtbot.addWidget(later)
    later.resize(420, 600)
    later.show()
    placeholder = later.findChild(QWidget, "scatterPlaceholder")
    assert later._scatter is None and not placeholder.isVisible()  # toy: three features
    pick(later, "xor")
    assert later._scatter is None and placeholder.isVisible()
    model = table(later).model()
    model.setData(model.index(0, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    plot = later.make_scatter()
    assert later.scatterPlot is plot and later.findChild(type(plot), "scatterPlot") is plot
    ds = controller.dataset
    assert plot.isVisible() and plot.point_counts() == {"train": ds.n_samples - 1, "left_out": 1,
                                                        "test": len(ds.X_test)}
    qtbot.waitUntil(lambda: later.findChild(QWidget, "scatterPlaceholder") is None, timeout=3000)
    assert later.splitter.widget(1) is plot
    pick(later, "toy")
    assert not plot.isVisible()


def test_scatter_items_are_reused(panel):
    pick(panel, "xor")
    items = list(panel.scatterPlot.train_items)
    panel.findChild(QAbstractSpinBox, "sizeSpin").setValue(100)
    pick(panel, "spiral")
    assert panel.scatterPlot.train_items == items


def test_import_entry_opens_a_file_dialog_and_keeps_the_current_choice(qtbot, panel, controller, tmp_path):
    path = tmp_path / "pts.csv"
    path.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", encoding="utf-8")
    combo = panel.findChild(QComboBox, "datasetCombo")
    combo.setCurrentIndex(combo.findData(IMPORT))
    assert combo.currentData() == "toy"
    files = panel.findChild(QFileDialog, "csvFileDialog")
    assert files is not None and files.isVisible()
    files.fileSelected.emit(str(path))
    files.close()
    dialog = panel.findChild(ImportCsvDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.mouseClick(dialog.csvImportButton, Qt.MouseButton.LeftButton)
    assert controller.dataset.name == "csv:pts.csv"
    assert combo.currentData() == "csv" and "pts.csv" in combo.currentText()
    assert table(panel).model().rowCount() == 4
    assert table(panel).model().data(table(panel).model().index(1, 3)) == "y"


def _interactive(widget):
    """Controls a learner can use, leaving out the inner parts Qt builds (a spin box's line edit, headers...)."""
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QAbstractItemView, QLineEdit)
    found = []
    for w in widget.findChildren(QWidget):
        if not isinstance(w, kinds) or isinstance(w, QHeaderView) or w.objectName().startswith("qt_"):
            continue
        parent, inner = w.parentWidget(), False
        while parent is not None and parent is not widget:
            if isinstance(parent, (QAbstractSpinBox, QComboBox, QAbstractItemView)) or \
                    type(parent).__name__ == "QComboBoxPrivateContainer":
                inner = True
            parent = parent.parentWidget()
        if not inner:
            found.append(w)
    return found


def test_every_control_is_named_and_explained(panel):
    pick(panel, "xor")
    controls = _interactive(panel) + [panel.scatterPlot]
    assert {"datasetCombo", "sizeSpin", "noiseSpin", "dataSeedSpin", "testFractionSpin", "dataTable",
            "scatterPlot"} <= {w.objectName() for w in controls}
    for w in controls:
        assert w.objectName() and w.accessibleName() and w.toolTip(), type(w).__name__


@pytest.mark.parametrize("name", ["toy", "gender", "diabetes-bmi", "spiral"])
def test_columns_are_fitted_to_their_texts_without_asking_every_cell_every_role(qtbot, controller, monkeypatch,
                                                                                name):
    """The columns are at least as wide as Qt's own fit (no text cut), at most a little wider, and sizing them reads
    each measured cell's text once, instead of Qt's dozen roles per cell (110 ms after a 20-column import)."""
    from nnstudio.qt.data_table import DataTableModel

    calls = []
    real = DataTableModel.data

    def data(model, index, role=Qt.ItemDataRole.DisplayRole):
        calls.append((index.row(), index.column(), role))
        return real(model, index, role)

    monkeypatch.setattr(DataTableModel, "data", data)  # (before Qt first calls it: PySide remembers the override)
    p = DataPanel(controller)
    qtbot.addWidget(p)
    p.resize(420, 600)
    p.show()
    if name not in LISTED:
        pytest.skip(f"{name} is not listed")
    pick(p, name)
    header, model = table(p).horizontalHeader(), table(p).model()
    calls.clear()
    p._fit_columns()
    ours = [header.sectionSize(c) for c in range(model.columnCount() - 1)]  # (the last column stretches)
    text_cells = [c for c in calls if c[1] > 0]  # (the tick column is Qt's to size)
    assert text_cells and len(text_cells) == len(set(text_cells))
    assert {role for _, _, role in text_cells} == {Qt.ItemDataRole.DisplayRole}
    table(p).resizeColumnsToContents()
    qts = [header.sectionSize(c) for c in range(model.columnCount() - 1)]
    assert all(q <= o <= max(q, 52) + 16 for o, q in zip(ours, qts)), (ours, qts)

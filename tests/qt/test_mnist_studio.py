"""MNIST in the studio: listed in the dataset picker, read and built off the GUI thread (the window keeps its turns),
trained in single precision, its table shown without measuring 784 columns of decimals."""

import dataclasses
import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox

from nnstudio import data
from nnstudio.qt import controller as controller_module


def _replace_loader(monkeypatch, loader) -> None:
    """The registry's mnist entry with another loader, for this test."""
    monkeypatch.setitem(data.DATASETS._items, "mnist", dataclasses.replace(data.DATASETS["mnist"], loader=loader))


def test_mnist_is_in_the_dataset_picker(window):
    combo = window.data_panel.findChild(QComboBox, "datasetCombo")
    assert combo.findData("mnist") >= 0


def test_picking_mnist_reads_it_off_the_gui_thread_while_the_window_keeps_its_turns(window, heartbeat,
                                                                                     monkeypatch):
    source = data.DATASETS["mnist"]
    assert source.heavy
    loads = []
    real = source.loader
    beat = None

    def watched(**params):
        # the read waits until the GUI thread's timer has ticked 10 times more: it can only if the GUI thread is
        # not the one reading (else this times out, and the assertion below fails)
        loads.append((threading.get_ident(), beat.reached.wait(10)))
        return real(**params)

    _replace_loader(monkeypatch, watched)
    beat = heartbeat(enough=10)
    assert window.controller.choose_dataset("mnist", {"subset": 1000, "subset_seed": 0})
    assert loads and all(thread != threading.get_ident() and ticked for thread, ticked in loads)
    ds, exp = window.controller.dataset, window.controller.experiment
    assert ds.name == "mnist" and ds.image_shape == (28, 28) and ds.n_samples == 1000
    assert exp.dtype == "float32" and exp.layers[-1].units == 10
    assert controller_module.build_cost(exp, ds) > controller_module.BUILD_IN_BACKGROUND  # built off-thread too
    assert window.worker.latest().weights[0].shape == (784, exp.layers[0].units)
    model = window.data_panel.model
    assert not np.any(model.rounded) and model.data(model.index(0, 1)) in {str(v) for v in range(256)}


def test_the_status_bar_shows_how_much_of_the_images_is_read(window, monkeypatch):
    """The loader's progress reaches the status bar's bar while it reads (it waits until the bar shows it)."""
    from PySide6.QtCore import QTimer

    from nnstudio.qt.background import status_panel

    real = data.DATASETS["mnist"].loader
    shown = threading.Event()
    seen = []

    def slow(progress=None, **params):
        progress(0.4)
        seen.append(shown.wait(10))
        return real(progress=progress, **params)

    panel = status_panel(window)

    def look() -> None:
        if panel.isVisible() and panel.bar.value() == 400:
            seen.append(panel.label.text())
            shown.set()

    timer = QTimer(window, interval=10, timeout=look)
    timer.start()
    _replace_loader(monkeypatch, slow)
    try:
        assert window.controller.choose_dataset("mnist", {"subset": 1000, "subset_seed": 0})
    finally:
        timer.stop()
    assert seen[0] == "Loading MNIST digits (70,000 images)…" and True in seen
    assert window.controller.dataset.n_samples == 1000


def test_a_dataset_that_cannot_be_read_is_refused_and_nothing_changes(window, monkeypatch):
    before = window.controller.experiment

    def broken(**params):
        raise data.DataError("train-images-idx3-ubyte.gz: 47,040,000 bytes of pixels expected, 1,000 found")

    _replace_loader(monkeypatch, broken)
    assert not window.controller.choose_dataset("mnist", {"subset": 1000, "subset_seed": 0})
    assert window.controller.experiment is before


@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
def test_a_table_of_whole_numbers_is_not_checked_for_long_decimals(dtype):
    from nnstudio.qt.data_table import DataTableModel
    from nnstudio.data.dataset import Dataset

    X = np.arange(40, dtype=dtype).reshape(4, 10)
    ds = Dataset(name="w", title="w", task="binary", X=X, y=np.array([0, 1, 0, 1]),
                 feature_names=tuple(f"p{i}" for i in range(10)), class_names=("a", "b"))
    model = DataTableModel()
    model.set_data(ds)
    assert model.rounded.shape == (10,) and not model.rounded.any()


def test_the_subset_control_trains_on_fewer_images_and_back_to_all(window):
    from PySide6.QtWidgets import QSpinBox

    assert window.controller.choose_dataset("mnist", {"subset": 0, "subset_seed": 0})
    spin = window.data_panel.findChild(QSpinBox, "subsetSpin")
    assert spin.isVisibleTo(window.data_panel) and spin.text() == "all" and spin.accessibleName()
    for name in ("sizeSpin", "noiseSpin"):  # a generator's settings are not an image set's
        assert not getattr(window.data_panel, name).isVisibleTo(window.data_panel)
    spin.setValue(1000)
    ds = window.controller.dataset
    assert ds.n_samples == 1000 and len(ds.X_test) == 10000
    assert window.controller.experiment.dataset_params["subset"] == 1000
    counts = np.bincount(ds.y, minlength=10)
    assert counts.sum() == 1000 and counts.min() >= 80  # each digit keeps its share (about 100)
    spin.setValue(70000)  # more than there are: refused, nothing changes
    assert window.controller.dataset is ds and spin.value() == 1000
    window.controller.undo_stack.undo()
    assert window.controller.dataset.n_samples == 60000
    assert window.data_panel.findChild(QSpinBox, "subsetSpin").text() == "all"


def test_file_import_idx_folder_opens_any_image_set_and_refuses_a_wrong_folder(window, tmp_path):
    from PySide6.QtGui import QAction

    from nnstudio.data.idx import write_idx

    rng = np.random.default_rng(0)
    folder = tmp_path / "tiny-set"
    folder.mkdir()
    for part, n in (("train", 60), ("t10k", 15)):
        write_idx(folder / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 12, 10)).astype(np.uint8))
        write_idx(folder / f"{part}-labels-idx1-ubyte.gz", (np.arange(n) % 3).astype(np.uint8))
    action = window.findChild(QAction, "importIdxAction")
    assert action is not None and action.text().startswith("Import IDX")
    assert window.data_panel.import_idx(str(folder))
    ds, exp = window.controller.dataset, window.controller.experiment
    assert ds.image_shape == (12, 10) and ds.n_classes == 3 and ds.n_samples == 60 and len(ds.X_test) == 15
    assert exp.layers[-1].units == 3 and window.worker.latest().weights[0].shape[0] == 120
    assert window.data_panel.datasetCombo.currentText().endswith("(imported)")
    (tmp_path / "empty").mkdir()
    assert not window.data_panel.import_idx(str(tmp_path / "empty"))
    assert window.controller.dataset is ds  # refused, nothing changed

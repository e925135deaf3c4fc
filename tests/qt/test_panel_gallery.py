"""The gallery shows the test images with their true class, the network's answer and its probability, a page at a
time; filters keep the wrong answers (surest first) or one confusion cell, which a click on the confusion matrix
chooses; the window brings the gallery forward. Image data of any size and class count; other data gets one line."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QPushButton, QSpinBox, QToolTip, QWidget

from nnstudio.data.dataset import Dataset
from nnstudio.numbers import percent
from nnstudio.qt.panels import panel_classes
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.gallery import WHAT_FOR, GalleryPanel
from nnstudio.qt.panels.gallery_canvas import GalleryCanvas
from nnstudio.qt.panels.predictions import TEST, PredictionsPanel
from nnstudio.training import Trainer, presets

_spec = importlib.util.spec_from_file_location("image_sets", Path(__file__).with_name("image_sets.py"))
image_sets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_sets)


@pytest.fixture(scope="module")
def digits():
    """Seven-segment digits 28x28 (uint8 0..255, as MNIST), a network trained briefly: right and wrong answers."""
    return image_sets.trained(image_sets.digit_set(400, 160, (28, 28), 10), hidden=12, epochs=1)


def make(qtbot, trainer, size=(640, 560), context=None):
    if context is None:
        context = PanelContext()
        context.set_data(trainer.dataset, trainer.experiment)
    panel = GalleryPanel(context)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    panel.set_snapshot(trainer.snapshot())
    qtbot.waitUntil(lambda: panel.answers is not None and not panel.is_computing(), timeout=10000)
    return context, panel


def expected(trainer, X):
    """(answer, probability of it) per row, from the snapshot itself."""
    out = trainer.snapshot().predict(X)
    return out.argmax(axis=1), out.max(axis=1)


def child(panel, kind, name):
    found = panel.findChild(kind, name)
    assert found is not None, name
    return found


def test_each_picture_has_its_true_class_answer_and_probability(qtbot, digits):
    _, panel = make(qtbot, digits)
    ds = digits.dataset
    answer, probability = expected(digits, ds.X_test)
    shown = panel.shown_positions()
    tiles = panel.canvas.tiles()
    assert len(shown) == len(tiles) == panel.canvas.page_size() and list(shown) == list(range(len(shown)))
    for p, tile in zip(shown, tiles):
        assert (tile.true, tile.answer) == (ds.y_test[p], answer[p])
        assert tile.true_name == ds.class_names[ds.y_test[p]] and tile.answer_name == ds.class_names[answer[p]]
        assert tile.sureness == percent(probability[p], 0)
        assert tile.wrong == (answer[p] != ds.y_test[p])
    assert any(t.wrong for t in tiles) and not all(t.wrong for t in tiles)  # a network that is partly right
    cols, _ = panel.canvas.grid()
    mosaic = panel.canvas._mosaic_array
    for k, p in enumerate(shown[:5]):  # the pixels drawn are the image's own (uint8 0..255: black 0, white 255)
        r, c = divmod(k, cols)
        assert np.array_equal(mosaic[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28], ds.X_test[p].reshape(28, 28))
    right = int((answer == ds.y_test).sum())
    assert panel.note.text().startswith(f"160 of 160 test images shown; the network gets {right} right")
    at = panel.canvas.image_rect(0).center()  # hovering the first picture
    QApplication.sendEvent(panel.canvas, QHelpEvent(QEvent.Type.ToolTip, at, panel.canvas.mapToGlobal(at)))
    assert QToolTip.text().startswith(f"Test image 1: true class {ds.class_names[ds.y_test[0]]}; the network says "
                                      f"{ds.class_names[answer[0]]} ({percent(probability[0])})")
    assert "Next: " in QToolTip.text()


def test_misclassified_only_puts_the_surest_mistakes_first(qtbot, digits):
    _, panel = make(qtbot, digits)
    ds = digits.dataset
    answer, probability = expected(digits, ds.X_test)
    child(panel, QCheckBox, "galleryWrongCheck").setChecked(True)
    assert child(panel, QComboBox, "galleryOrderCombo").currentData() == "surest"
    wrong = np.flatnonzero(answer != ds.y_test)
    want = wrong[np.argsort(-probability[wrong], kind="stable")]
    assert list(panel.positions) == list(want)
    shown = panel.shown_positions()
    assert all(t.wrong for t in panel.canvas.tiles())
    sure = probability[shown]
    assert np.all(np.diff(sure) <= 1e-6)  # most confidently wrong first
    header, rows = panel.csv_table()
    assert header[:4] == ["set", "image", "true class", "answer"] and len(rows) == len(wrong)
    assert rows[0][1] == want[0] + 1 and rows[0][4] == pytest.approx(probability[want[0]], rel=1e-5)


def test_true_class_and_answer_filters(qtbot, digits):
    _, panel = make(qtbot, digits)
    ds = digits.dataset
    answer, _ = expected(digits, ds.X_test)
    child(panel, QComboBox, "galleryTrueCombo").setCurrentIndex(1 + 8)
    assert list(panel.positions) == list(np.flatnonzero(ds.y_test == 8))
    child(panel, QComboBox, "galleryAnswerCombo").setCurrentIndex(1 + int(answer[ds.y_test == 8][0]))
    k = int(answer[ds.y_test == 8][0])
    assert list(panel.positions) == list(np.flatnonzero((ds.y_test == 8) & (answer == k)))
    child(panel, QComboBox, "gallerySetCombo").setCurrentText("training set")
    qtbot.waitUntil(lambda: panel.answers is not None and not panel.answers.test, timeout=10000)
    train_answer, _ = expected(digits, ds.X)
    assert list(panel.positions) == list(np.flatnonzero((ds.y == 8) & (train_answer == k)))


def ten_thousand() -> Trainer:
    """10,000 random 28x28 test images: enough that a widget per picture would freeze the window."""
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, (200, 784)).astype(np.uint8)
    X_test = rng.integers(0, 256, (10_000, 784)).astype(np.uint8)
    ds = Dataset(name="noise", title="noise", task="multiclass", X=X, y=rng.integers(0, 10, 200),
                 feature_names=tuple(f"p{i}" for i in range(784)), class_names=tuple("0123456789"),
                 X_test=X_test, y_test=rng.integers(0, 10, 10_000), image_shape=(28, 28))
    from nnstudio.core.network import LayerSpec
    from nnstudio.training import Experiment

    exp = Experiment(name="noise", dataset="noise", layers=[LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                     init="xavier", preprocessing="standardize", dtype="float32", epochs=1, batch_size=100)
    return Trainer(exp, ds)


def test_ten_thousand_images_are_paged_through_one_canvas(qtbot):
    trainer = ten_thousand()
    context, panel = make(qtbot, trainer, size=(600, 500))
    size = panel.canvas.page_size()
    assert 10 <= size < 200 and panel.pages() == -(-10_000 // size)
    assert not panel.canvas.findChildren(QWidget)  # one widget draws the page, not a widget per picture
    assert panel.canvas._mosaic_array.shape[0] * panel.canvas._mosaic_array.shape[1] <= size * 784
    assert list(panel.shown_positions()) == list(range(size))
    QTest.mouseClick(child(panel, QPushButton, "galleryNextButton"), Qt.MouseButton.LeftButton)
    assert list(panel.shown_positions()) == list(range(size, 2 * size))
    assert child(panel, QSpinBox, "galleryPageSpin").value() == 2
    child(panel, QSpinBox, "galleryPageSpin").setValue(panel.pages())
    assert panel.shown_positions()[-1] == 9_999 and len(panel.canvas.tiles()) == 10_000 - (panel.pages() - 1) * size
    assert not child(panel, QPushButton, "galleryNextButton").isEnabled()
    centre = QPointF(panel.canvas.width() / 2, panel.canvas.height() / 2)
    wheel = QWheelEvent(centre, panel.canvas.mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(panel.canvas, wheel)  # wheel up: the page before
    assert child(panel, QSpinBox, "galleryPageSpin").value() == panel.pages() - 1
    first = panel.shown_positions()[0]
    panel.resize(900, 700)  # more pictures to a page: the first one on show stays on show
    QApplication.processEvents()
    assert panel.canvas.page_size() > size and first in panel.shown_positions()


def test_the_answers_are_worked_out_off_the_gui_thread_with_the_trainers_own_arrays(qtbot, monkeypatch):
    import threading

    from nnstudio.qt.panels import gallery_numbers

    trainer = ten_thousand()
    threads, used = [], []
    real = gallery_numbers.answers

    def spy(snap, ds, test, cache, prepared=None):
        threads.append(threading.current_thread() is threading.main_thread())
        used.append(gallery_numbers._inputs_from_prepared(prepared, snap, ds, test) is not None)
        return real(snap, ds, test, cache, prepared)

    monkeypatch.setattr(gallery_numbers, "answers", spy)
    context = PanelContext()
    from nnstudio.training.trainer import PreparedData

    prepared = PreparedData(trainer.train_rows, trainer.preprocessing, trainer.X_train, trainer.Y_train,
                            trainer.X_test, trainer.Y_test)  # the Trainer's own arrays, as the window hands them over
    context.set_data(trainer.dataset, trainer.experiment, prepared)
    make(qtbot, trainer, context=context)
    assert threads == [False] and used == [True]


def test_clicking_a_confusion_cell_shows_exactly_its_images(qtbot, digits):
    ds = digits.dataset
    context = PanelContext()
    context.set_data(ds, digits.experiment)
    predictions = PredictionsPanel(context)
    qtbot.addWidget(predictions)
    predictions.resize(600, 560)
    predictions.show()
    predictions.set_combo.setCurrentText(TEST)
    predictions.set_snapshot(digits.snapshot())
    qtbot.waitUntil(lambda: not predictions.is_computing() and predictions.confusion() is not None, timeout=10000)
    _, gallery = make(qtbot, digits, context=context)
    M = predictions.confusion()
    off = [(i, j) for i in range(10) for j in range(10) if i != j and M[i, j] > 0]
    i, j = max(off, key=lambda cell: M[cell])
    view = predictions.matrix_plot
    qtbot.waitUntil(lambda: view.cell_at(view.cell_centre(i, j)) == (i, j), timeout=3000)
    assert view.hover_text(i, j).endswith("Click to see these images in the gallery.")
    with qtbot.waitSignal(context.imagesRequested) as heard:
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         view.mapFromScene(view.cell_centre(i, j)))
    assert heard.args == [i, j, True]
    answer, probability = expected(digits, ds.X_test)
    cell = np.flatnonzero((ds.y_test == i) & (answer == j))
    assert len(gallery.positions) == M[i, j] == len(cell)
    assert sorted(gallery.positions) == list(cell)
    assert list(gallery.positions) == list(cell[np.argsort(-probability[cell], kind="stable")])  # surest first
    assert gallery.true_combo.currentText() == ds.class_names[i]
    assert gallery.answer_combo.currentText() == ds.class_names[j]


@pytest.mark.parametrize("shape,classes,uint8", [((12, 10), 3, False), ((8, 8), 10, True)])
def test_other_image_sizes_and_class_counts(qtbot, shape, classes, uint8):
    ds = image_sets.digit_set(120, 60, shape, classes, uint8=uint8)
    trainer = image_sets.trained(ds, hidden=None, epochs=1)
    _, panel = make(qtbot, trainer)
    h, w = shape
    tiles = panel.canvas.tiles()
    assert len(tiles) == min(60, panel.canvas.page_size())
    assert {t.true_name for t in tiles} <= set(ds.class_names)
    mosaic = panel.canvas._mosaic_array
    assert mosaic.shape[0] % h == 0 and mosaic.shape[1] % w == 0
    first = mosaic[:h, :w].astype(float)
    lo, hi = min(ds.X.min(), ds.X_test.min()), max(ds.X.max(), ds.X_test.max())
    assert np.allclose(first, np.rint((ds.X_test[0].reshape(h, w).astype(float) - lo) * 255 / (hi - lo)))
    panel.grab()


def test_data_that_is_not_pictures_gets_one_line(qtbot):
    trainer = Trainer(presets.get("gender-network"))
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = GalleryPanel(context)
    qtbot.addWidget(panel)
    panel.set_snapshot(trainer.snapshot())
    panel.finish()
    assert panel.note.text() == WHAT_FOR and panel.canvas.tiles() == []
    assert not child(panel, QComboBox, "galleryTrueCombo").isVisibleTo(panel)
    assert panel.csv_table()[1] == []
    context.show_images(0, 1, True)  # a confusion click on other data changes nothing
    assert panel.canvas.tiles() == []


def test_a_diverged_network_is_shown_and_said(qtbot, digits):
    snap = digits.snapshot()
    bad = [np.full_like(w, np.nan) if k == 0 else w for k, w in enumerate(snap.weights)]
    from dataclasses import replace

    context = PanelContext()
    context.set_data(digits.dataset, digits.experiment)
    panel = GalleryPanel(context)
    qtbot.addWidget(panel)
    panel.resize(600, 500)
    panel.show()
    panel.set_snapshot(replace(snap, weights=tuple(bad)))
    panel.finish()
    assert "not numbers" in panel.note.text()
    assert {t.sureness for t in panel.canvas.tiles()} == {"–"}
    panel.grab()


def test_every_control_is_named(qtbot, digits):
    _, panel = make(qtbot, digits)
    for kind in (QComboBox, QCheckBox, QPushButton, QSpinBox, GalleryCanvas):
        for widget in panel.findChildren(kind):
            assert widget.objectName() and widget.accessibleName() and widget.toolTip(), widget
    assert "gallery" in panel_classes()


def test_the_window_brings_the_gallery_forward_for_a_cell(qtbot, window):
    ds = image_sets.digit_set(200, 80, (28, 28), 10)
    exp = image_sets.trained(ds, hidden=None, epochs=1).experiment
    assert window.controller.open_experiment(exp, dataset=ds)
    qtbot.waitUntil(lambda: window.context.dataset is ds, timeout=5000)
    window.curves_dock.raise_()
    qtbot.waitUntil(lambda: window.gallery.visibleRegion().isEmpty(), timeout=3000)
    window.context.show_images(3, 5, True)
    qtbot.waitUntil(lambda: not window.gallery.visibleRegion().isEmpty(), timeout=3000)
    assert window.gallery.true_combo.currentText() == "3" and window.gallery.answer_combo.currentText() == "5"


def test_another_dataset_drops_the_old_answers(qtbot, digits):
    context, panel = make(qtbot, digits)
    panel.wrong_check.setChecked(True)
    other = image_sets.trained(image_sets.digit_set(60, 30, (8, 8), 4), hidden=None, epochs=1)
    context.set_data(other.dataset, other.experiment)
    assert panel.answers is None and panel.snapshot is None and panel.canvas.tiles() == []
    assert not panel.wrong_check.isChecked() and panel.true_combo.count() == 1 + 4
    panel.set_snapshot(other.snapshot())
    panel.finish()
    assert len(panel.answers.true) == 30 and panel.canvas._mosaic_array.shape[0] % 8 == 0


def test_export_draws_the_pictures_and_lists_the_images(qtbot, digits, tmp_path):
    """What ``nnstudio plot --panel gallery`` and "Export all panels" do: a fresh panel, off screen."""
    import csv

    from PySide6.QtGui import QImage

    from nnstudio.qt.export import export_panel, offscreen_panel

    context = PanelContext()
    context.set_data(digits.dataset, digits.experiment)
    panel = offscreen_panel(GalleryPanel, context, digits.snapshot(), 900, 700)
    qtbot.addWidget(panel)
    image = QImage(str(export_panel(panel, tmp_path / "g.png", 900, 700)))
    greys = {image.pixelColor(x, y).name() for x in range(0, 900, 7) for y in range(150, 700, 7)}
    assert "#000000" in greys and "#ffffff" in greys and len(greys) > 20  # pictures, captions, chips
    with open(export_panel(panel, tmp_path / "g.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["set", "image", "true class", "answer", "probability of the answer"] and len(rows) == 161

"""The drawing pad: strokes drawn with the mouse become ink; the ink is prepared as MNIST's digits were
(``digit_prep``) and put through the network on show, whose probabilities the bars give, as you draw and as it
trains; Clear starts again; an empty canvas gives a hint, not an answer."""

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from nnstudio.data.digit_prep import centre_of_mass, prepare_digit
from nnstudio.numbers import percent
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.drawing import HINT, WHAT_FOR, DrawingPanel
from nnstudio.qt.panels.drawing_canvas import DrawingCanvas
from nnstudio.training import Trainer, presets

_spec = importlib.util.spec_from_file_location("image_sets", Path(__file__).with_name("image_sets.py"))
image_sets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_sets)


@pytest.fixture(scope="module")
def digits():
    return image_sets.trained(image_sets.digit_set(300, 0, (28, 28), 10), hidden=16, epochs=3)


def make(qtbot, trainer, size=(520, 620)):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = DrawingPanel(context)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_snapshot(trainer.snapshot())
    panel.finish()
    return panel


def stroke(panel, points):
    """Press, move through ``points`` (in ink pixels) and release, as a hand would, on the canvas found by name."""
    canvas = panel.findChild(DrawingCanvas, "drawCanvas")
    at = [canvas.to_widget(x, y).toPoint() for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at[0])
    for point in at[1:]:
        QTest.mouseMove(canvas, point)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at[-1])
    panel.finish()


def heights(panel):
    return panel.bar_values()


def test_a_drawn_stroke_is_prepared_and_answered(qtbot, digits):
    panel = make(qtbot, digits)
    assert panel.answer.text() == HINT and panel.outputs is None and panel.prepared is None
    assert not heights(panel).any()
    stroke(panel, [(200, 40 + 10 * k) for k in range(21)])  # a vertical bar off to the right
    ink = panel.canvas.ink()
    assert ink.shape == (280, 280) and ink.any()
    cols = np.flatnonzero(ink.any(axis=0))
    assert cols[0] > 170 and cols[-1] < 230  # a thick stroke where the mouse went, and only there
    assert 0 < np.count_nonzero((ink > 0) & (ink < 255))  # anti-aliased edges
    want = prepare_digit(ink, (28, 28))
    assert np.array_equal(panel.prepared, want)
    assert np.allclose(centre_of_mass(panel.prepared), (14, 14), atol=0.5)
    out = digits.snapshot().predict(want.reshape(1, -1).astype(float))[0]  # raw 0..255, as MNIST's are stored
    assert np.allclose(panel.outputs, out, atol=1e-6)
    assert np.allclose(heights(panel), out, atol=1e-6)
    k = int(np.argmax(out))
    assert panel.answer.text() == f"The network says {k} ({percent(out[k])})"
    assert [row[0] for row in panel.csv_table()[1]] == list("0123456789")
    assert not panel.preview.pixmap().isNull() and panel.preview.pixmap().width() == 28 * 4


def test_the_answer_changes_as_you_draw_and_as_the_network_trains(qtbot, digits):
    panel = make(qtbot, digits)
    stroke(panel, [(90 + 10 * k, 60) for k in range(11)])  # a top bar...
    first = panel.outputs.copy()
    stroke(panel, [(190, 60 + 10 * k) for k in range(18)])  # ...and a stroke down: a 7
    second = panel.outputs.copy()
    assert not np.allclose(first, second)
    other = image_sets.trained(digits.dataset, hidden=16, epochs=1, seed=5)
    panel.set_snapshot(other.snapshot())
    panel.finish()
    assert np.allclose(panel.outputs, other.snapshot().predict(panel.prepared.reshape(1, -1).astype(float))[0])


def test_clear_starts_again(qtbot, digits):
    panel = make(qtbot, digits)
    stroke(panel, [(140, 140)])  # a click: a dot
    assert panel.outputs is not None
    QTest.mouseClick(panel.findChild(QPushButton, "drawClearButton"), Qt.MouseButton.LeftButton)
    panel.finish()
    assert not panel.canvas.ink().any() and panel.prepared is None and panel.outputs is None
    assert panel.answer.text() == HINT and not heights(panel).any()
    assert panel.csv_table()[1] == []


def test_other_sizes_take_the_pictures_shape_and_the_datas_own_values(qtbot):
    ds = image_sets.digit_set(90, 0, (12, 10), 3, uint8=False)  # 12 high, 10 wide, values 0..1, 3 classes
    trainer = image_sets.trained(ds, hidden=None, epochs=2)
    panel = make(qtbot, trainer)
    h, w = panel.canvas.ink().shape
    assert (h, w) == (280, round(280 * 10 / 12))
    stroke(panel, [(60 + 5 * k, 40 + 9 * k) for k in range(20)])
    assert panel.prepared.shape == (12, 10)
    raw = panel.prepared.reshape(1, -1) / 255.0  # the data's white is 1
    assert np.allclose(panel.outputs, trainer.snapshot().predict(raw)[0], atol=1e-6)
    assert len(heights(panel)) == 3


def test_data_that_is_not_pictures_gets_one_line(qtbot):
    trainer = Trainer(presets.get("gender-network"))
    panel = make(qtbot, trainer)
    assert panel.answer.text() == WHAT_FOR
    assert not panel.canvas.isVisibleTo(panel) and not panel.bars_plot.isVisibleTo(panel)
    assert panel.csv_table()[1] == []


def test_a_diverged_network_gives_no_answer(qtbot, digits):
    panel = make(qtbot, digits)
    snap = digits.snapshot()
    panel.set_snapshot(replace(snap, weights=tuple(np.full_like(w, np.nan) for w in snap.weights)))
    stroke(panel, [(140, 40 + 10 * k) for k in range(20)])
    assert "not numbers" in panel.answer.text()
    assert np.isfinite(heights(panel)).all()
    panel.grab()


def test_controls_are_named(qtbot, digits):
    panel = make(qtbot, digits)
    for widget in (panel.canvas, panel.clear_button, panel.preview, panel.bars_plot):
        assert widget.objectName() and widget.accessibleName() and widget.toolTip()


def test_the_window_has_a_draw_panel_and_try_it_points_there(qtbot, window):
    ds = image_sets.digit_set(100, 0, (28, 28), 10)
    exp = image_sets.trained(ds, hidden=None, epochs=1).experiment
    assert window.controller.open_experiment(exp, dataset=ds)
    qtbot.waitUntil(lambda: window.drawing.usable(), timeout=5000)
    window.drawing_dock.raise_()
    qtbot.waitUntil(lambda: not window.drawing.visibleRegion().isEmpty(), timeout=3000)
    stroke(window.drawing, [(140, 40 + 10 * k) for k in range(20)])
    qtbot.waitUntil(lambda: window.drawing.outputs is not None, timeout=3000)
    assert "Draw panel" in window.try_it.note.text()


def test_named_classes_get_bars_lying_down(qtbot):
    """Class names that are words ("Ankle boot") would overlap under standing bars: the bars lie down, the names on
    the left, each bar as long as its probability."""
    names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    ds = replace(image_sets.digit_set(100, 0, (28, 28), 10), class_names=names)
    trainer = image_sets.trained(ds, hidden=None, epochs=1)
    panel = make(qtbot, trainer)
    assert panel.horizontal
    stroke(panel, [(140, 40 + 10 * k) for k in range(20)])
    assert np.allclose(panel.bar_values(), panel.outputs)
    ticks = panel.bars_plot.getAxis("left")._tickLevels[0]
    assert [name for _, name in ticks] == list(names)
    panel.grab()


def test_a_stroke_drawn_in_many_moves_has_the_edges_of_one_line(qtbot, digits):
    """Each move redraws the whole stroke as one path: the anti-aliased edges of its pieces do not pile up where they
    meet (they made the edge of a straight stroke ragged)."""
    panel = make(qtbot, digits)
    stroke(panel, [(200, 40 + 10 * k) for k in range(21)])
    many = panel.canvas.ink()
    QTest.mouseClick(panel.findChild(QPushButton, "drawClearButton"), Qt.MouseButton.LeftButton)
    stroke(panel, [(200, 40), (200, 240)])
    one = panel.canvas.ink()
    assert np.abs(many.astype(int) - one.astype(int)).max() <= 2
    stroke(panel, [(60, 60), (60, 100)])  # a second stroke adds to the first
    assert (panel.canvas.ink() >= one).all() and panel.canvas.ink()[80, 60] == 255


@pytest.mark.parametrize("size", [(560, 440), (900, 380), (420, 700)])
def test_a_short_or_narrow_panel_keeps_the_bars_readable_and_the_canvas_square(qtbot, digits, size):
    """The canvas used to take a height equal to its width, leaving the bars 40 pixels and their 0-1 numbers piled
    on one another; now the bars keep their room and the canvas draws the largest square that fits."""
    from nnstudio.qt.panels.drawing import BARS_MIN_HEIGHT

    panel = make(qtbot, digits, size)
    canvas = panel.findChild(DrawingCanvas, "drawCanvas")
    assert panel.bars_plot.height() >= BARS_MIN_HEIGHT
    r = canvas.ink_rect()
    assert r.width() == pytest.approx(r.height()) and r.width() >= 100
    assert r.left() >= 0 and r.top() >= 0 and r.right() <= canvas.width() and r.bottom() <= canvas.height()
    stroke(panel, [(6, 6), (22, 22)])  # still drawn where the ink is shown
    assert panel.prepared is not None and panel.prepared.any()

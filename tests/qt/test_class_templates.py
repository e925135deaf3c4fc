"""Pictures of weights for image data: a network without a hidden layer shows its class templates (each output unit's
incoming weights as a picture of the data's own shape, named by its class in the class colour, on a symmetric colour
scale); with hidden layers the first layer's units, shaped by the data's ``image_shape`` when it has one."""

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.colormaps import class_colour
from nnstudio.qt.panels.weights import WeightsPanel

_spec = importlib.util.spec_from_file_location("image_sets", Path(__file__).with_name("image_sets.py"))
image_sets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_sets)


def make(qtbot, trainer, snap=None, size=(620, 560)):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = WeightsPanel(context)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    panel.set_snapshot(snap or trainer.snapshot())
    panel.finish()
    return context, panel


@pytest.mark.parametrize("shape,classes", [((28, 28), 10), ((12, 10), 3)])
def test_a_network_without_a_hidden_layer_shows_its_class_templates(qtbot, shape, classes):
    trainer = image_sets.trained(image_sets.digit_set(150, 0, shape, classes), hidden=None, epochs=2)
    context, panel = make(qtbot, trainer)
    W, b = trainer.snapshot().layer_weights()[0]
    assert panel.tabs.isTabVisible(1) and panel.tabs.currentIndex() == 1
    assert panel.tabs.tabText(1) == "Class templates"
    tiles = panel.tile_arrays()
    assert len(tiles) == classes
    for k, tile in enumerate(tiles):
        assert tile.shape == shape and np.array_equal(tile, W[:, k].reshape(shape))
    tv = panel.tile_view
    assert [label.textItem.toPlainText() for label in tv.labels] == list(trainer.dataset.class_names)
    assert [label.color.getRgb()[:3] for label in tv.labels] == [class_colour(k) for k in range(classes)]
    lo, hi = tv.colorbar.levels()
    assert lo == -hi and hi >= np.abs(W).max()  # symmetric, and every weight on it
    assert "Class templates" in tv.title.text
    h, w = shape
    x0, y0 = tv.origin(classes - 1)
    pixel = tv.plot.getViewBox().mapViewToScene(QPointF(x0 + 3.5, y0 + 2.5))  # row 2, column 3 of the last class
    panel._hover(pixel)
    assert panel.info.text().startswith(f"W1[{2 * w + 3},{classes - 1}] = ")
    assert f"(pixel {2 * w + 3} at row 2, column 3 → class {classes - 1})" in panel.info.text()
    assert tv.cell_at(pixel) == (2 * w + 3, classes - 1)


def test_hidden_units_take_the_datas_own_shape(qtbot):
    """12x10 = 120 inputs is no square: the pictures come from ``image_shape`` (before, there were none)."""
    trainer = image_sets.trained(image_sets.digit_set(120, 0, (12, 10), 3), hidden=6, epochs=1)
    _, panel = make(qtbot, trainer)
    W, _ = trainer.snapshot().layer_weights()[0]
    assert panel.tabs.tabText(1) == "Pictures"
    tiles = panel.tile_arrays()
    assert len(tiles) == 6 and all(np.array_equal(t, W[:, u].reshape(12, 10)) for u, t in enumerate(tiles))
    assert [label.textItem.toPlainText() for label in panel.tile_view.labels] == [str(u) for u in range(6)]
    assert "Layer 1, all 6 units" in panel.tile_view.title.text


def test_picture_shape():
    from nnstudio.qt.panels.weights_tiles import picture_shape

    assert picture_shape(784) == (28, 28) and picture_shape(784, (28, 28)) == (28, 28)
    assert picture_shape(120, (12, 10)) == (12, 10) and picture_shape(120) is None
    assert picture_shape(64, (4, 16)) == (4, 16) and picture_shape(64) == (8, 8)
    assert picture_shape(30, (12, 10)) is None  # another layer's inputs: not the picture


def test_templates_cope_with_nan_and_inf(qtbot):
    trainer = image_sets.trained(image_sets.digit_set(100, 0, (28, 28), 10), hidden=None, epochs=1)
    snap = trainer.snapshot()
    W = np.array(snap.weights[0])
    W[:, 0] = np.nan
    W[5, 1] = np.inf
    W[6, 1] = -1e30
    bad = replace(snap, weights=(W, *snap.weights[1:]))
    _, panel = make(qtbot, trainer, bad)
    assert panel.tabs.tabText(1) == "Class templates"
    tiles = panel.tile_arrays()
    assert np.isnan(tiles[0]).all()
    lo, hi = panel.tile_view.colorbar.levels()
    assert np.isfinite([lo, hi]).all() and lo == -hi
    finite = np.concatenate([t[np.isfinite(t)] for t in tiles])
    assert np.abs(finite).max() <= hi  # inf and -1e30 clipped to the scale's ends
    panel.grab()

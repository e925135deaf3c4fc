"""The weights panel: heatmaps hold exactly the snapshot's weights and biases on a symmetric scale that only grows,
history curves are the recorded weights, hovering names a weight, clicking selects it, image inputs get pictures."""

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from nnstudio.core.network import LayerSpec
from nnstudio.qt.export import export_panel
from nnstudio.qt.panels.base import PanelContext
from nnstudio.numbers import fixed
from nnstudio.qt.panels.weights import WeightsPanel, fmt
from nnstudio.training import Experiment, Trainer, presets
from tests.qt.panel_helpers import random_digits


def _trainer(preset, epochs):
    t = Trainer(presets.get(preset))
    t.run(max_epochs=epochs)
    return t


def _spiral_trainer():
    exp = Experiment(name="spiral", dataset="spiral", layers=[LayerSpec(8, "tanh"), LayerSpec(8, "relu"),
                                                              LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", init="xavier", optimizer="adam", learning_rate=0.01,
                     batch_size=16, epochs=3)
    t = Trainer(exp)
    t.run()
    return t


def _make(qtbot, trainer, size=(700, 500)):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = WeightsPanel(context)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    panel.set_snapshot(trainer.snapshot())
    qtbot.waitUntil(lambda: panel.layer_views[0].plot.getViewBox().width() > 20, timeout=3000)
    panel.finish()
    return context, panel


def _expected_images(snap):
    return [np.vstack([W, b[None, :]]) if b is not None else W for W, b in snap.layer_weights()]


def test_names_and_controls(qtbot):
    _, panel = _make(qtbot, _trainer("gender-network", 5))
    assert panel.objectName() == "weightsPanel" and panel.accessibleName() == "Weights"
    for widget in (panel.refit_button, panel.tabs):
        assert widget.objectName() and widget.accessibleName() and widget.toolTip()


def test_heatmaps_hold_the_weights_and_biases_exactly(qtbot):
    trainer = _trainer("gender-network", 50)
    _, panel = _make(qtbot, trainer)
    arrays = panel.image_arrays()
    expected = _expected_images(trainer.snapshot())
    assert [a.shape for a in arrays] == [(3, 2), (3, 1)]  # 2 inputs + bias row, 2 hidden units + bias row
    for got, want in zip(arrays, expected):
        assert np.array_equal(got, want)


def test_layer_without_bias_is_the_bare_matrix(qtbot):
    trainer = _trainer("trask-neuron", 100)
    _, panel = _make(qtbot, trainer)
    (W,) = panel.image_arrays()
    assert np.array_equal(W, trainer.snapshot().weights[0])


def test_levels_are_symmetric_contain_every_value_and_only_grow(qtbot):
    trained = _trainer("gender-network", 300)
    _, panel = _make(qtbot, trained)
    levels = panel.levels()
    for (lo, hi), values in zip(levels, _expected_images(trained.snapshot())):
        assert lo == -hi and hi >= np.abs(values).max()
    fresh = Trainer(presets.get("gender-network"))  # same shapes, smaller starting weights
    panel.set_snapshot(fresh.snapshot())
    assert panel.levels() == levels  # the scale kept its meaning
    panel.refit_scales()
    refit = panel.levels()
    for (lo, hi), values in zip(refit, _expected_images(fresh.snapshot())):
        assert lo == -hi and np.abs(values).max() <= hi
    assert any(r[1] < old[1] for r, old in zip(refit, levels))


def test_histograms_count_every_weight(qtbot):
    trainer = _spiral_trainer()
    _, panel = _make(qtbot, trainer)
    for view, (W, _) in zip(panel.layer_views, trainer.snapshot().layer_weights()):
        assert sum(view.bars.opts["height"]) == W.size
        assert view.hist.getViewBox().viewRange()[0][0] < -view.scale * 0.99


def test_history_curves_are_the_recorded_weights(qtbot):
    trainer = _trainer("perceptron-50k", 5000)
    _, panel = _make(qtbot, trainer)
    snap = trainer.snapshot()
    x, curves = panel.history_arrays()
    assert list(curves) == ["W1[0,0]", "W1[1,0]", "W1[2,0]"]
    # thinned to at most two points per pixel column of the plot (and at least half that), the last one kept
    width = panel.history.plot.vb.width()
    assert len(snap.weight_x) > 2001 and width / 2 < len(x) <= 2 * width + 1 and x[-1] == snap.weight_x[-1]
    idx = np.searchsorted(snap.weight_x, x)
    assert np.array_equal(snap.weight_x[idx], x)
    for k, label in enumerate(curves):
        assert np.array_equal(curves[label], snap.weight_values[idx, k])


def test_every_weight_of_a_small_network_gets_a_labelled_curve(qtbot):
    trainer = _trainer("gender-network", 10)
    _, panel = _make(qtbot, trainer)
    _, curves = panel.history_arrays()
    assert list(curves) == ["W1[0,0]", "W1[0,1]", "W1[1,0]", "W1[1,1]", "b1[0]", "b1[1]", "W2[0,0]", "W2[1,0]",
                            "b2[0]"]
    assert [label for _, label in ((s, lab.text) for s, lab in panel.history.legend.items)] == list(curves)


def test_hover_text_names_value_and_gradient(qtbot):
    trainer = _trainer("gender-network", 20)
    _, panel = _make(qtbot, trainer)
    snap = trainer.snapshot()
    v, g = snap.weights[2][1, 0], snap.gradients[2][1, 0]
    assert panel.hover_text(1, 1, 0) == f"W2[1,0] = {v:.4f} (input 1 → unit 0), gradient {fmt(g)}"
    assert panel.hover_text(0, 0, 1).startswith(f"W1[0,1] = {snap.weights[0][0, 1]:.4f} (input 0 weight")
    assert panel.hover_text(0, 2, 1).startswith(f"b1[1] = {snap.weights[1][1]:.4f} (bias of unit 1)")
    assert fmt(-0.0012) == "-0.0012" and fmt(2.5e-6) == "2.500e-06"


def test_hovering_and_clicking_a_cell_on_screen(qtbot):
    trainer = _trainer("gender-network", 20)
    context, panel = _make(qtbot, trainer)
    view = panel.layer_views[0]
    centre = view.plot.getViewBox().mapViewToScene(QPointF(1.5, 1.5))  # row 1 (height), unit 1
    panel._hover(centre)
    assert panel.info.text() == panel.hover_text(0, 1, 1)
    bias = view.plot.getViewBox().mapViewToScene(QPointF(0.5, view.n_in + view.gap + view.bias_h / 2))
    panel._hover(bias)
    assert panel.info.text().startswith("b1[0] = ")
    with qtbot.waitSignal(context.selectionChanged):
        panel._clicked(SimpleNamespace(button=lambda: Qt.MouseButton.LeftButton, scenePos=lambda: centre))
    assert context.selection == (0, 3)  # W1 is 2x2: row 1, column 1 is flat index 3
    assert view.highlight.isVisible() and view.highlight.rect().topLeft() == QPointF(1, 1)


def test_click_selects_and_thickens_the_curve(qtbot):
    trainer = _trainer("gender-network", 20)
    context, panel = _make(qtbot, trainer)
    panel.click_cell(1, 0, 0)
    assert context.selection == (2, 0)
    panel.click_cell(1, 2, 0)  # the bias row of layer 2
    assert context.selection == (3, 0)
    panel.finish()
    widths = {label: curve.opts["pen"].widthF() for label, curve in zip(panel.history.labels, panel.history.curves)}
    assert widths["b2[0]"] > 3 and all(w < 2 for label, w in widths.items() if label != "b2[0]")


def test_picture_tiles_for_image_inputs(qtbot):
    exp = Experiment(name="digits", dataset="random-784", layers=[LayerSpec(32, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.05, batch_size=64,
                     epochs=1, preprocessing="none", dtype="float32")
    trainer = Trainer(exp, random_digits(256))
    trainer.run()
    context, panel = _make(qtbot, trainer)
    assert panel.tabs.isTabVisible(1) and panel.tabs.currentIndex() == 1
    W, b = trainer.snapshot().layer_weights()[0]
    tiles = panel.tile_arrays()
    assert len(tiles) == 32
    for unit, tile in enumerate(tiles):
        assert tile.shape == (28, 28) and np.array_equal(tile, W[:, unit].reshape(28, 28))
    images = panel.image_arrays()  # the matrix view is kept too
    assert np.array_equal(images[0], np.vstack([W, b[None, :]]))
    tv = panel.tile_view
    x0, y0 = tv.origin(5)
    pixel = tv.plot.getViewBox().mapViewToScene(QPointF(x0 + 3.5, y0 + 2.5))  # row 2, column 3 of unit 5's picture
    panel._hover(pixel)
    assert panel.info.text().startswith(f"W1[{2 * 28 + 3},5] = ")
    panel.click_cell(0, 2 * 28 + 3, 5)
    assert context.selection == (0, (2 * 28 + 3) * 32 + 5)
    assert tv.highlight.isVisible()
    # 48 sampled weights are recorded; an unrecorded selected weight is followed along the coarse full path
    x, curves = panel.history_arrays()
    assert len([k for k in curves if not k.endswith(" · coarse path")]) == 48
    assert "W1[59,5] · coarse path" in curves


def test_the_hidden_tab_is_drawn_when_shown_or_read(qtbot):
    """While the pictures are on show a redraw leaves the hidden heatmaps alone (drawing them cost most of a redraw);
    their colour scale still grows with the weights, and they catch up when their tab is shown or when they are
    read (exports). The other way round likewise."""
    exp = Experiment(name="digits", dataset="random-784", layers=[LayerSpec(32, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.05, batch_size=64,
                     epochs=1, preprocessing="none", dtype="float32")
    trainer = Trainer(exp, random_digits(256))
    trainer.run()
    _, panel = _make(qtbot, trainer)
    assert panel.tabs.currentIndex() == 1
    first = trainer.snapshot()
    W0 = first.layer_weights()[0][0]
    assert np.array_equal(panel.layer_views[0].image.image, W0)
    W, b = [w.copy() for w in first.layer_weights()[0]]
    W[3, 4] = 40 * panel.layer_views[0].scale  # beyond the scale: it must grow
    weights = (W, b, *first.weights[2:])
    from dataclasses import replace

    later = replace(first, weights=weights, step=first.step + 1)
    panel.set_snapshot(later)
    panel.draw_pending()
    view = panel.layer_views[0]
    assert np.array_equal(view.image.image, W0)  # hidden: not drawn...
    assert view.scale >= 40 * abs(W0).max() and tuple(view.colorbar.levels()) == (-view.scale, view.scale)
    assert np.array_equal(panel.tile_arrays()[4], np.clip(W[:, 4], -view.scale, view.scale).reshape(28, 28))
    panel.tabs.setCurrentIndex(0)  # ...until shown
    assert np.array_equal(view.image.image, W)
    panel.set_snapshot(first)  # now the pictures are hidden
    panel.draw_pending()
    assert np.array_equal(view.image.image, W0)
    assert panel.tile_view._W is W  # the hidden pictures still show the later weights...
    assert np.array_equal(panel.tile_arrays()[4], W0[:, 4].reshape(28, 28))  # read: caught up


def test_other_network_shapes_rebuild_the_items(qtbot):
    gender = _trainer("gender-network", 5)
    context, panel = _make(qtbot, gender)
    spiral = _spiral_trainer()
    context.set_data(spiral.dataset, spiral.experiment)  # dataChanged
    panel.set_snapshot(spiral.snapshot())
    assert len(panel.layer_views) == 3
    for got, want in zip(panel.image_arrays(), _expected_images(spiral.snapshot())):
        assert np.array_equal(got, want)
    panel.set_snapshot(gender.snapshot())  # a new shape without dataChanged works too
    panel.finish()
    assert [a.shape for a in panel.image_arrays()] == [(3, 2), (3, 1)]
    assert not panel.tabs.isTabVisible(1)


def test_images_are_redrawn_at_most_eight_times_a_second(qtbot):
    a, b = Trainer(presets.get("gender-network")), _trainer("gender-network", 30)
    _, panel = _make(qtbot, a)
    panel.set_snapshot(a.snapshot())  # drawn now, or deferred if the last redraw was under 1/8 s ago...
    panel.set_snapshot(b.snapshot())  # ...and this one, microseconds later, is deferred either way
    assert np.array_equal(panel.layer_views[0].image.image, a.snapshot().weights[0])
    qtbot.waitUntil(lambda: np.array_equal(panel.layer_views[0].image.image, b.snapshot().weights[0]), timeout=2000)


def test_csv_table_lists_every_weight_and_bias(qtbot):
    trainer = _trainer("gender-network", 20)
    _, panel = _make(qtbot, trainer)
    header, rows = panel.csv_table()
    snap = trainer.snapshot()
    assert header == ["parameter", "row", "column", "value", "gradient"]
    assert len(rows) == sum(w.size for w in snap.weights) == 9
    assert rows[1] == ["W1", 0, 1, float(snap.weights[0][0, 1]), float(snap.gradients[0][0, 1])]
    assert rows[4] == ["b1", "", 0, float(snap.weights[1][0]), float(snap.gradients[1][0])]


@pytest.mark.parametrize("preset", ["trask-neuron", "gender-network"])
def test_export_png_svg_csv(qtbot, tmp_path, preset):
    _, panel = _make(qtbot, _trainer(preset, 20))
    png = export_panel(panel, tmp_path / "w.png", 800, 500)
    image = QImage(str(png))
    assert (image.width(), image.height()) == (800, 500)
    colours = {image.pixel(x, y) for x in range(0, 800, 13) for y in range(0, 500, 11)}
    assert len(colours) > 20
    root = ET.parse(export_panel(panel, tmp_path / "w.svg")).getroot()
    assert root.tag.endswith("svg")
    lines = (export_panel(panel, tmp_path / "w.csv")).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "parameter,row,column,value,gradient"
    assert len(lines) == 1 + len(panel.csv_table()[1])


def test_hovering_and_clicking_a_history_curve(qtbot):
    trainer = _trainer("trask-neuron", 300)
    context, panel = _make(qtbot, trainer)
    x, curves = panel.history_arrays()
    vb = panel.history.plot.vb
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] >= x[-1], timeout=3000)  # auto-ranged onto the data
    i = len(x) // 2
    point = panel.history.plot.vb.mapViewToScene(QPointF(x[i], curves["W1[2,0]"][i]))
    panel._hover_history(point)
    assert panel.info.text() == f"W1[2,0] = {fixed(curves['W1[2,0]'][i])} after update {int(x[i])} (click to select it)"
    panel._clicked_history(SimpleNamespace(button=lambda: Qt.MouseButton.LeftButton, scenePos=lambda: point))
    assert context.selection == (0, 2)


def test_right_click_on_a_plot_opens_only_the_panel_export_menu(qtbot, monkeypatch):
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMenu

    opened = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, *a: opened.append("pyqtgraph menu"))
    monkeypatch.setattr(WeightsPanel, "contextMenuEvent", lambda panel, ev: opened.append("panel menu"))
    _, panel = _make(qtbot, _trainer("gender-network", 5))
    for view, scene_point in ((panel.view, panel.layer_views[0].plot.vb.mapViewToScene(QPointF(0.5, 0.5))),
                              (panel.history.widget, panel.history.plot.vb.sceneBoundingRect().center())):
        opened.clear()
        pos = view.mapFromScene(scene_point)
        QTest.mouseClick(view.viewport(), Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, pos)
        QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                                  view.viewport().mapToGlobal(pos)))
        assert opened == ["panel menu"]


def test_many_history_curves_share_a_point_budget(qtbot):
    """48 sampled weights of a long run keep about a point a pixel each (their paths were most of a redraw), the
    first and last recorded updates always among them, every kept point a recorded one."""
    from nnstudio.qt.panels.weights_history import POINT_BUDGET

    exp = Experiment(name="digits", dataset="random-784", layers=[LayerSpec(32, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.05, batch_size=64,
                     epochs=200, preprocessing="none", dtype="float32")
    trainer = Trainer(exp, random_digits(256))
    trainer.run()
    snap = trainer.snapshot()
    assert len(snap.weight_x) > 700
    _, panel = _make(qtbot, trainer)
    x, curves = panel.history_arrays()
    sampled = [k for k in curves if not k.endswith(" · coarse path")]
    assert len(sampled) == 48
    assert len(x) <= 501 and len(x) <= POINT_BUDGET // 48 + 1
    assert x[0] == snap.weight_x[0] and x[-1] == snap.weight_x[-1] and np.isin(x, snap.weight_x).all()

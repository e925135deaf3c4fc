"""Views show the network and data of now: a lesson or dataset change clears what belonged to the old one (the
selected weight first), classes have one colour everywhere, log-log curves keep their early updates, and rebuilding a
view leaves no Python wrapper of an object Qt has deleted."""

import gc
import sys

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.qt.data_scatter import DataScatter
from nnstudio.qt.panels import panel_classes
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.curves import CurvesPanel
from nnstudio.qt.panels.predictions import PredictionsPanel
from nnstudio.qt.panels.try_it import TryItPanel
from nnstudio.qt.panels.weights import HINT, WeightsPanel
from nnstudio.training import Experiment, Trainer, presets


def trained(name, epochs=None):
    t = Trainer(presets.get(name))
    t.run(max_epochs=epochs)
    return t


# -- stale selection ---------------------------------------------------------------------------------------------------
def test_another_lesson_clears_the_selection_even_with_the_same_network(qtbot):
    """trask-neuron and perceptron-50k share their table and their network's shape: opening one after the other kept
    the old selection (no data change was seen at all)."""
    a, b = Trainer(presets.get("trask-neuron")), Trainer(presets.get("perceptron-50k"))
    assert a.experiment.architecture_key() == b.experiment.architecture_key()
    context = PanelContext()
    context.set_data(a.dataset, a.experiment)
    context.select_weight((0, 1))
    context.select_sample(2)
    heard = []
    context.dataChanged.connect(lambda: heard.append("data"))
    context.selectionChanged.connect(lambda sel: heard.append(("selection", sel)))
    context.sampleChanged.connect(lambda i: heard.append(("sample", i)))
    context.set_data(a.dataset, b.experiment)
    assert context.selection is None and context.sample == 0
    assert heard == ["data", ("selection", None), ("sample", 0)]
    heard.clear()
    context.set_data(a.dataset, b.experiment.replace(learning_rate=0.5))  # a setting, not another network
    assert heard == []


def test_weights_panel_forgets_the_old_networks_selection(qtbot):
    a, b = trained("trask-neuron", 50), trained("perceptron-50k", 50)
    context = PanelContext()
    context.set_data(a.dataset, a.experiment)
    panel = WeightsPanel(context)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.set_snapshot(a.snapshot())
    panel.finish()
    panel.click_cell(0, 1, 0)
    panel.info.setText(panel.hover_text(0, 1, 0))
    panel.finish()
    assert panel.layer_views[0].highlight.isVisible()
    context.set_data(b.dataset, b.experiment)
    assert panel.snapshot is None and panel.info.text() == HINT  # nothing of the old network is left on show
    assert panel.history.arrays()[1] == {}
    panel.set_snapshot(b.snapshot())
    panel.finish()
    assert not any(view.highlight.isVisible() for view in panel.layer_views)
    assert panel.history.extra_label == ""


@pytest.mark.parametrize("name", ["network", "weights", "curves", "activation", "surface", "predictions"])
def test_every_panel_drops_the_old_network_on_a_data_change(qtbot, name):
    """Each panel shows the new network and data after a change, never the old snapshot (same shape or not)."""
    a, b = trained("gender-network", 20), Trainer(presets.get("trask-neuron"))
    context = PanelContext()
    context.set_data(a.dataset, a.experiment)
    panel = panel_classes()[name](context)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.set_snapshot(a.snapshot())
    panel.finish()
    context.set_data(b.dataset, b.experiment)
    assert panel.snapshot is None
    panel.grab()
    panel.set_snapshot(b.snapshot())
    panel.finish()
    panel.grab()


def test_try_it_waits_for_the_new_network(qtbot):
    a, b = trained("trask-neuron", 50), trained("perceptron-50k", 2000)
    panel = TryItPanel()
    qtbot.addWidget(panel)
    panel.set_dataset(a.dataset)
    panel.set_snapshot(a.snapshot())
    old = panel.output.text()
    panel.set_dataset(b.dataset)  # same table, same inputs: the old answer would still compute
    assert panel.output.text() == "–" and old != "–"
    panel.set_snapshot(b.snapshot())
    assert panel.output.text() not in ("–", old)


# -- one class palette -------------------------------------------------------------------------------------------------
def colour_of(brush) -> tuple[int, int, int]:
    c = pg.mkBrush(brush).color()
    return c.red(), c.green(), c.blue()


def three_classes() -> Trainer:
    rng = np.random.default_rng(3)
    y = np.repeat(np.arange(3), 30)
    X = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])[y] + rng.normal(0, 0.6, (90, 2))
    ds = Dataset(name="blobs3", title="three blobs", task="multiclass", X=X, y=y, feature_names=("a", "b"),
                 class_names=("red", "green", "blue"))
    exp = Experiment(name="blobs3", dataset="blobs3", layers=[LayerSpec(6, "tanh"), LayerSpec(3, "softmax")],
                     loss="softmax_cross_entropy", epochs=3)
    return Trainer(exp, ds)


def two_classes() -> Trainer:
    exp = Experiment(name="xor", dataset="xor", layers=[LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", epochs=3)
    return Trainer(exp)


@pytest.mark.parametrize("make", [two_classes, three_classes])
def test_classes_take_the_same_colour_in_every_view(qtbot, make):
    """The data scatter drew class 0 blue where the decision surface drew it orange."""
    t = make()
    t.run()
    ds = t.dataset
    scatter = DataScatter()
    qtbot.addWidget(scatter)
    scatter.show_dataset(ds, ())
    context = PanelContext()
    context.set_data(ds, t.experiment)
    predictions = PredictionsPanel(context)
    qtbot.addWidget(predictions)
    predictions.set_snapshot(t.snapshot())
    predictions.finish()
    assert predictions.kind == "plane"
    for k in range(ds.n_classes):  # the scatter and the decision surface's points
        assert colour_of(scatter.train_items[k].opts["brush"]) == colour_of(predictions.points_train[k].opts["brush"])
    from nnstudio.qt.panels.colormaps import class_colour

    predictions.view_combo.setCurrentText("confusion matrix")
    predictions.finish()
    strips = predictions.matrix_plot.class_colours(ds.n_classes)
    for k in range(ds.n_classes):
        expected = class_colour(k)
        assert colour_of(scatter.train_items[k].opts["brush"]) == expected
        assert colour_of(predictions.points_train[k].opts["brush"]) == expected
        assert tuple(int(v) for v in strips[k]) == expected
    if ds.task == "binary":  # the decision surface runs from class 0's colour (P = 0) to class 1's (P = 1)
        cmap = predictions.prob_image.getColorMap()
        low, high = (tuple(int(v) for v in cmap.map(p, mode="byte")[:3]) for p in (0.0, 1.0))
        assert low == predictions_light(class_colour(0)) and high == predictions_light(class_colour(1))


def predictions_light(rgb):
    from nnstudio.qt.panels.predictions import TINT, _light

    return _light(rgb, TINT)


# -- log-log curves keep the start of the run --------------------------------------------------------------------------
def test_log_log_curves_keep_every_early_update(qtbot, trained_lesson):
    t = trained_lesson("perceptron-50k")
    context = PanelContext()
    context.set_data(t.dataset, t.experiment)
    panel = CurvesPanel(context)
    qtbot.addWidget(panel)
    panel.set_scale("log_log")
    panel.set_snapshot(t.snapshot())
    snap = t.snapshot()
    early = set((snap.update_x[snap.update_x < 100] + 1).tolist())
    assert len(snap.update_x) > 2000 and early == set(range(1, 101)), "the history keeps every one of the first updates"
    x, y = panel.curve_arrays()["loss per update"]
    assert early <= set(x.tolist())  # drawn at update + 1: every one of the first hundred (two decades on log x)
    assert len(x) <= 2001 and x[0] == 1 and x[-1] == snap.update_x[-1] + 1
    idx = np.searchsorted(snap.update_x + 1, x)
    np.testing.assert_array_equal(snap.update_x[idx] + 1, x)
    np.testing.assert_array_equal(snap.update_loss[idx], y)  # every drawn point is a recorded one
    panel.set_scale("linear")
    x, _ = panel.curve_arrays()["loss per update"]
    assert not early <= set((x + 1).tolist())  # linear axes: evenly in the update number


# -- lifetimes ---------------------------------------------------------------------------------------------------------
def layout_item_wrappers(layout):
    """Python wrappers of layout items that ``layout`` keeps alive."""
    return [o for o in gc.get_objects() if type(o).__name__ in ("QWidgetItem", "QLayoutItem", "QSpacerItem")
            and any(r is layout for r in gc.get_referrers(o))]


def test_try_it_keeps_no_wrapper_of_a_deleted_layout_item(qtbot):
    """Item 3: QLayout.itemAt's QWidgetItem wrapper stays alive as the layout's child; Qt deletes the item with its
    button, the stale wrapper then answered for whatever Qt put at its address next: a ViewBox menu's widget, and a
    segfault in ``ViewBox.setMenuEnabled`` while the weights panel rebuilt."""
    gender, toy = Trainer(presets.get("gender-network")), Trainer(presets.get("trask-neuron"))
    panel = TryItPanel()
    qtbot.addWidget(panel)
    for ds in (gender.dataset, toy.dataset, gender.dataset, toy.dataset):
        panel.set_dataset(ds)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    assert layout_item_wrappers(panel.queries_layout) == []
    assert [b.text() for b in panel.query_buttons] == [q.label for q in toy.dataset.queries]


def test_rebuilding_the_weights_panel_makes_no_view_menus(qtbot, monkeypatch):
    """Each of pyqtgraph's ViewBox menus was built and destroyed at once (``setMenuEnabled(False)``): a tenth of a
    rebuild, and the destruction was where the crash struck. Plots are now made without them."""
    vb_module = sys.modules["pyqtgraph.graphicsItems.ViewBox.ViewBox"]
    made = []

    class Counting(vb_module.ViewBoxMenu):
        def __init__(self, view):
            made.append(view)
            super().__init__(view)

    monkeypatch.setattr(vb_module, "ViewBoxMenu", Counting)
    base = presets.get("gender-network")
    context = PanelContext()
    panel = WeightsPanel(context)
    qtbot.addWidget(panel)
    made.clear()
    for hidden in ([2], [2, 3], [3]):
        t = Trainer(base.replace(layers=[LayerSpec(h, "sigmoid") for h in hidden] + [LayerSpec(1, "sigmoid")]))
        context.set_data(t.dataset, t.experiment)
        panel.set_snapshot(t.snapshot())
        panel.finish()
    assert len(panel.layer_views) == 2 and made == []

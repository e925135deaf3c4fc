"""Each neuron's picture over the input plane: its values are that neuron's outputs from the snapshot's weights."""

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.qt.panels import neuron_maps
from nnstudio.qt.panels.colormaps import NEGATIVE, POSITIVE
from nnstudio.training import Trainer, presets


def _spiral_snapshot(updates=30):
    exp = presets.get("gender-network").replace(
        dataset="spiral", dataset_params={"size": 100}, batch_size=10, shuffle=True, initial_weights=None,
        layers=[LayerSpec(5, "tanh"), LayerSpec(3, "relu"), LayerSpec(1, "sigmoid")],
        loss="binary_cross_entropy", learning_rate=0.1)
    t = Trainer(exp)
    for _ in range(updates):
        t.step()
    return t


def test_each_neuron_map_equals_that_neurons_output_from_the_snapshot():
    t = _spiral_snapshot()
    snap = t.snapshot()
    axes = [np.linspace(-2, 2, 80), np.linspace(-1, 3, 80)]
    maps = neuron_maps.compute(snap, axes, size=9)
    assert [v.shape for v in maps.values] == [(5, 9, 9), (3, 9, 9), (1, 9, 9)]
    rng = np.random.default_rng(0)
    for _ in range(20):
        layer = int(rng.integers(3))
        unit = int(rng.integers(maps.values[layer].shape[0]))
        r, c = (int(v) for v in rng.integers(9, size=2))
        x = np.array([[maps.xs[c], maps.ys[r]]])
        # the neuron's output computed by hand from the weights, through the dataset's preprocessing
        a = t.preprocessing.apply(x, t.dtype)
        for (W, b), spec in zip(snap.layer_weights()[:layer + 1], snap.layers):
            from nnstudio.core import activations
            a = activations.get(spec.activation).forward(a @ W + (b if b is not None else 0))
        assert maps.value_at(layer, unit, r, c) == pytest.approx(float(a[0, unit]), rel=1e-12, abs=1e-12)
    # the output neuron's map is the decision surface
    out = snap.predict(np.column_stack([np.tile(maps.xs, 9), np.repeat(maps.ys, 9)]))[:, 0].reshape(9, 9)
    np.testing.assert_allclose(maps.values[-1][0], out, rtol=1e-12)


def test_colours_run_from_orange_through_white_to_blue_and_grey_for_not_finite():
    v = np.array([[[0.0, 0.5, 1.0, np.nan, np.inf]]])
    rgb = neuron_maps.colour(v, "sigmoid")[0, 0]
    assert tuple(rgb[0]) == NEGATIVE and tuple(rgb[1]) == (255, 255, 255) and tuple(rgb[2]) == POSITIVE
    assert tuple(rgb[3]) == tuple(rgb[4]) == neuron_maps.NOT_FINITE
    relu = neuron_maps.colour(np.array([[[0.0, 2.0, 4.0, 1e308 * 10]]]), "relu")[0, 0]
    assert tuple(relu[0]) == (255, 255, 255) and tuple(relu[2]) == POSITIVE and tuple(relu[3]) == neuron_maps.NOT_FINITE
    assert neuron_maps.colour(np.zeros((2, 3, 3)), "identity").dtype == np.uint8


def test_the_network_drawing_shows_each_units_map_for_two_feature_data(window, qtbot):
    from PySide6.QtWidgets import QCheckBox

    from nnstudio.qt.panels.neuron_maps import ENLARGED

    view = window.network_view
    check = view.findChild(QCheckBox, "networkMapsCheck")
    assert check.accessibleName() == "Show each neuron's map"
    window.session.open_lesson("trask-neuron")  # three inputs: no plane to draw on
    qtbot.waitUntil(lambda: window.worker.latest() is not None, timeout=5000)
    window.pull_snapshot()
    assert not view.show_maps() and check.isHidden()
    window.session.open_lesson("gender-network")  # weight and height: a plane
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().layers[0].units == 2,
                    timeout=5000)
    for _ in range(5):
        window.step_action.trigger()
    qtbot.waitUntil(lambda: window.worker.latest().step == 5, timeout=5000)
    window.pull_snapshot()
    assert view.show_maps() and check.isVisible()
    snap = view.snapshot
    maps = view.map_cache.maps
    assert [v.shape[0] for v in maps.values] == [2, 1]
    # the pictures drawn are the maps of this snapshot's weights
    expected = neuron_maps.compute(snap, [maps.xs, maps.ys], size=len(maps.xs))
    for a, b in zip(maps.values, expected.values):
        np.testing.assert_array_equal(a, b)
    image = view.map_cache.image(1, 0)
    assert (image.width(), image.height()) == (len(maps.xs), len(maps.ys))
    g = view.drawing_geometry()
    view.canvas.hover = view.hit_test(g.center(2, 0))  # the output unit: its map enlarged, the decision surface
    assert view.canvas.hover.kind == "node"
    picture = view.canvas.grab().toImage()
    centre = g.center(2, 0)
    assert picture.width() > ENLARGED
    # the enlarged map is drawn: some pixel beside the unit carries the class colours
    colours = {picture.pixelColor(int(centre.x() - 40 - k), int(centre.y())).name() for k in range(0, 120, 6)}
    assert len(colours) > 2
    check.setChecked(False)
    assert not view.show_maps()
    view.canvas.grab()  # drawn as circles again, without raising

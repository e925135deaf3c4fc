"""The backprop inspector in the studio: step inside an update stage by stage with the keyboard, read each weight's
gradient (the Trainer's own, confirmed by finite differences) after clicking its edge, make the update from the last
stage (the same weights as a plain Step, bit for bit), and go back without changing anything."""

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from nnstudio.core.network import LayerSpec
from nnstudio.numbers import fmt
from nnstudio.training import Experiment, Trainer, presets


def relu_network() -> Experiment:
    return Experiment(name="relu-xor", title="A 2-layer ReLU network", dataset="xor",
                      dataset_params={"size": 60, "seed": 3}, layers=[LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")],
                      init="he", seed=2, loss="binary_cross_entropy", optimizer="momentum", learning_rate=0.1,
                      batch_size=8, shuffle=True, l2=0.001)


def _open(window, qtbot, which: str) -> Experiment:
    exp = relu_network() if which == "relu" else presets.get(which)
    if which != "trask-neuron":
        assert window.controller.open_experiment(exp)
        qtbot.waitUntil(lambda: window.worker.latest() is not None
                        and window.worker.latest().layers == tuple(exp.layers), timeout=5000)
    window.pull_snapshot()
    return exp


def _trainer_state(window) -> str:
    """The Trainer's whole state, read while the worker is idle (the test waits for that)."""
    return json.dumps(window.worker._trainer.state_dict(), sort_keys=True, default=str)


def _click_edge(window, qtbot, selection):
    """Click the drawn edge (or bias) of parameter ``selection`` in the network panel."""
    net, ins = window.network_view, window.inspector.inspection
    p, flat = selection
    layer, is_bias = ins.layer_of(p)
    i, j = (-1, flat) if is_bias else divmod(flat, ins.old[p].shape[1])
    # a point of that edge no other edge crosses (or the bias's label)
    points = [net.edge_point(layer, i, j, t) for t in (0.3, 0.2, 0.4, 0.12, 0.5, 0.6, 0.7, 0.8)]
    if is_bias:
        points.insert(0, net.drawing_geometry().bias_labels[(layer, j)].center())
    point = next(q for q in points if q is not None and net.edge_at(q) == selection)
    qtbot.mouseClick(net.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(point.x()), round(point.y())))
    assert window.context.selection == selection


@pytest.mark.parametrize("which", ["trask-neuron", "gender-network", "relu"])
def test_stepping_inside_shows_the_trainers_gradients_and_makes_the_same_update(window, qtbot, which):
    exp = _open(window, qtbot, which)
    window.resize(1500, 950)
    panel = window.inspector
    plain = Trainer(exp)
    plain.step()  # the same update, made the plain way
    qtbot.keyClick(window.network_view, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)  # step-inside mode
    assert window.step_inside_action.isChecked() and window.inspector_dock.isVisible()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    ins = panel.inspection
    before = _trainer_state(window)

    # every weight: click its edge, read the gradient the panel shows, check it against finite differences
    shown = {}
    for p, arr in enumerate(ins.old):
        for flat in range(arr.size):
            _click_edge(window, qtbot, (p, flat))
            chain, check = panel.chain, panel.check
            assert (chain.parameter, chain.flat) == (p, flat)
            assert fmt(chain.gradient, 7) in panel.chain_text.text()
            assert check.relative < 1e-6 or check.kinks or abs(check.numeric - check.analytic) <= 10 * check.rounding
            shown[p, flat] = chain.gradient

    # walk forward to the last stage and all the way back with the keyboard: nothing changes
    n = len(panel.stage_list_)
    for k in range(1, n):
        qtbot.keyClick(window.network_view, Qt.Key.Key_S)
        assert panel.stage_index == k
        assert window.network_view.highlight is not None
    assert panel.next_button.text().startswith("Make the update")
    for k in range(n - 2, -1, -1):
        qtbot.keyClick(window.network_view, Qt.Key.Key_Left)
        assert panel.stage_index == k
    assert window.worker.latest().step == 0 and _trainer_state(window) == before
    for _ in range(n - 1):
        qtbot.keyClick(window.network_view, Qt.Key.Key_Right)

    # the last stage goes on into the update itself
    qtbot.keyClick(window.network_view, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.worker.latest().step == 1, timeout=5000)
    qtbot.waitUntil(lambda: panel.last_check is not None, timeout=5000)
    snap = window.worker.latest()
    assert panel.last_check is True and "bit for bit" in panel.check_label.text()
    for got, want, new in zip(snap.weights, plain.network.parameters(), ins.new):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, new)
    for (p, flat), g in shown.items():
        assert g == snap.gradients[p].ravel()[flat] == plain.network.gradients()[p].ravel()[flat]
    # and the next update is inspected at once, from its first stage
    qtbot.waitUntil(lambda: panel.inspection is not None and panel.inspection.step == 1, timeout=5000)
    assert panel.stage_index == 0
    # another tab in front of the inspector: the drawing no longer marks a stage; back in front, it does again
    window.curves_dock.raise_()
    assert window.network_view.highlight is None
    window.inspector_dock.raise_()
    assert window.network_view.highlight is not None


def test_a_batch_sample_is_picked_and_its_share_adds_up(window, qtbot):
    _open(window, qtbot, "trask-neuron")
    panel = window.inspector
    window.step_inside_action.trigger()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    window.context.select_weight((0, 0))
    shares = []
    for sample in range(1, 5):
        panel.sample_spin.setValue(sample)
        assert panel.chain.sample == sample - 1
        assert window.context.sample == sample - 1  # the network drawing shows the same row
        shares.append(panel.chain.contribution)
        assert f"Sample {sample}:" in panel.chain_text.text()
    assert panel.contributions is not None and panel.contributions.rowCount() == 5  # 4 samples and their sum
    np.testing.assert_allclose(sum(shares), panel.chain.gradient, rtol=1e-12)  # T1 sums its four rows


def test_each_stage_can_be_copied_as_text_and_csv(window, qtbot):
    _open(window, qtbot, "gender-network")
    panel = window.inspector
    window.inspector_dock.raise_()
    panel.start()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    window.context.select_weight((2, 1))
    panel.go_to(4)  # backward through the output layer
    menu = panel.export_menu()
    actions = {a.objectName(): a for a in menu.actions()}
    actions["copyStageTextAction"].trigger()
    text = QApplication.clipboard().text()
    assert "Backward: layer 2" in text and "δ = ∂L/∂s" in text and "W2[1,0]" in text
    actions["copyStageCsvAction"].trigger()
    csv_text = QApplication.clipboard().text()
    delta = panel.inspection.layers[1].delta[0, 0]
    assert repr(float(delta)) in csv_text  # every digit
    header, rows = panel.csv_table()
    assert rows and header[0] == "table"


def test_the_inspector_waits_while_training_runs(window, qtbot):
    panel = window.inspector
    window.inspector_dock.raise_()
    panel.start()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    window.context.set_training(True)
    assert not panel.next_button.isEnabled() and not panel.start_button.isEnabled()
    panel.next_stage()
    assert panel.stage_index == 0 and panel.finishing is None
    window.context.set_training(False)
    assert panel.next_button.isEnabled()


def test_a_step_made_elsewhere_replaces_the_inspected_update(window, qtbot):
    panel = window.inspector
    window.inspector_dock.show()
    window.inspector_dock.raise_()
    panel.start()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    panel.go_to(3)
    window.step_action.trigger()  # step-inside mode is off: a whole update
    qtbot.waitUntil(lambda: window.worker.latest().step == 1, timeout=5000)
    window.pull_snapshot()
    qtbot.waitUntil(lambda: panel.inspection is not None and panel.inspection.step == 1, timeout=5000)
    assert panel.stage_index == 0


def test_an_update_that_diverges_is_reported_and_the_walk_goes_on(window, qtbot):
    """A loss that is not finite stops the update (the Trainer keeps the weights): the inspector says so at the loss,
    has no backward stages, and making the update reports it rather than waiting for a new update count."""
    exp = presets.get("diabetes-regression").replace(initial_weights=[[[1e200]], [0.0]])
    assert window.controller.open_experiment(exp)
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().weights[0][0, 0] == 1e200,
                    timeout=5000)
    window.pull_snapshot()
    panel = window.inspector
    window.step_inside_action.trigger()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)
    assert panel.inspection.stopped and [s.kind for s in panel.stage_list_] == ["batch", "forward", "loss", "update"]
    window.context.select_weight((0, 0))
    assert "stops before the backward pass" in panel.chain_text.text()
    for _ in range(4):
        qtbot.keyClick(window.network_view, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: "was not made" in panel.check_label.text(), timeout=5000)
    assert panel.finishing is None and "diverged" in panel.check_label.text()


def test_big_layers_show_the_chosen_unit_and_its_neighbours(window, qtbot, tmp_path):
    """784 image inputs, 30 tanh units, 10 softmax outputs: every table stays small (the chosen unit and two either
    side), the rest is summarised, the chain rule of a first-layer weight is checked, and the update is exact."""
    from nnstudio.data.dataset import Dataset
    from nnstudio.qt.export import export_panel

    rng = np.random.default_rng(0)
    ds = Dataset(name="random-784", title="random digits", task="multiclass", X=rng.random((120, 784)),
                 y=rng.integers(0, 10, 120), feature_names=tuple(f"p{i}" for i in range(784)),
                 class_names=tuple(str(i) for i in range(10)))
    exp = Experiment(name="big", dataset="random-784", layers=[LayerSpec(30, "tanh", dropout=0.2),
                     LayerSpec(10, "softmax")], loss="softmax_cross_entropy", init="uniform", seed=0,
                     optimizer="adam", learning_rate=0.01, batch_size=32, shuffle=True, l2=1e-4)
    assert window.controller.open_experiment(exp, dataset=ds)
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().weights[0].shape == (784, 30),
                    timeout=10000)
    window.pull_snapshot()
    panel = window.inspector
    window.step_inside_action.trigger()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=10000)
    ins = panel.inspection
    window.context.select_weight((0, 400 * 30 + 12))  # pixel 400 into h13
    assert panel.chain.name == "W1[400,12]" and panel.check.relative < 1e-4
    assert "dropout" in [f.symbol for f in panel.chain.factors]
    for k in range(len(panel.stage_list_)):
        panel.go_to(k)
        tables = panel.stage.view.tables
        assert all(len(t.rows) <= 7 and len(t.header) <= 12 for t in tables), panel.stage.view.title
    panel.go_to(1)
    assert "h13 ◀" in panel.stage_text() and "more terms" in panel.stage_text()
    export_panel(panel, tmp_path / "stage.csv")
    assert "s = a·W + b" in (tmp_path / "stage.csv").read_text()
    panel.go_to(len(panel.stage_list_) - 1)
    panel.next_stage()
    qtbot.waitUntil(lambda: panel.last_check is not None, timeout=10000)
    assert panel.last_check is True
    for got, new in zip(window.worker.latest().weights, ins.new):
        np.testing.assert_array_equal(got, new)


def test_an_inspection_that_fails_is_reported_and_the_panel_stays_usable(window, qtbot, monkeypatch):
    from nnstudio.training import inspect_step

    panel = window.inspector
    monkeypatch.setattr(inspect_step, "_inspect", lambda trainer: 1 / 0)
    window.inspector_dock.raise_()
    panel.start()
    qtbot.waitUntil(lambda: not panel.awaiting, timeout=5000)
    assert "could not be worked out" in panel.check_label.text() and panel.start_button.isEnabled()
    monkeypatch.undo()
    panel.start()
    qtbot.waitUntil(lambda: panel.inspection is not None, timeout=5000)

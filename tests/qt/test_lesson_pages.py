"""Each tutorial lesson driven page by page in the studio (Next, as a learner would): the page's actions leave the
studio as the page describes, and the figures the page quotes are read back from the Trainer the lesson runs, and
match the tutorial's (shared/SEEDS.md; the same expectations as tests/training/test_presets.py)."""

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from nnstudio.core import activations
from nnstudio.data.builtin import closed_form_line
from nnstudio.qt.main_window import MainWindow

T1_START = [-0.16595599, 0.44064899, -0.99977125]  # SEEDS T1: np.random.seed(1); 2*random((3,1)) - 1
T1_END = [7.26283009, -0.21614618, -3.41703015]
T1_OUTPUTS = [0.03178421, 0.97414645, 0.97906682, 0.02576499]
TOY = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], float)


@pytest.fixture
def studio(qtbot):
    w = MainWindow(remember_layout=False)
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.worker.latest() is not None, timeout=5000)
    yield w
    for box in w.findChildren(QMessageBox):
        box.close()
    w.close()


def num(x: float, decimals: int) -> str:
    """A figure as the pages write it (a true minus sign)."""
    return f"{x:.{decimals}f}".replace("-", "−")


def quoted(studio, *figures: str) -> None:
    text = studio.lessons.page.text
    for figure in figures:
        assert figure in text, f"page {studio.lessons.page.title!r} should say {figure}"


def open_lesson(studio, name):
    assert studio.lessons.open_key(f"builtin:{name}")
    return studio.lessons


def settle(studio, qtbot, step: int, timeout=20000):
    """Wait until the lesson's run has made ``step`` updates and stopped; returns the latest snapshot."""
    # the window hears that the run ended (its Run button unchecked) a moment after the worker stops
    qtbot.waitUntil(lambda: studio.worker.latest().step == step and not studio.worker.running
                    and not studio.run_action.isChecked(), timeout=timeout)
    studio.pull_snapshot()
    return studio.worker.latest()


def test_t1_one_neuron_and_the_chain_rule(studio, qtbot):
    lessons = open_lesson(studio, "t1-chain-rule")
    start = settle(studio, qtbot, 0)
    assert studio.controller.experiment.name == "trask-neuron"
    np.testing.assert_allclose(start.weights[0].ravel(), T1_START, atol=1e-8)
    quoted(studio, ", ".join(num(w, 3) for w in T1_START))

    lessons.go(1)  # one update, three factors
    snap = settle(studio, qtbot, 1)
    assert studio.context.selection == (0, 0)
    y_hat = start.forward_layers(TOY)[-1][1].ravel()  # the studio's forward pass at the starting weights
    y = TOY[:, 0]
    factors = [(y_hat[r] - y[r], y_hat[r] * (1 - y_hat[r]), TOY[r, 0]) for r in range(4)]
    products = [a * b * c for a, b, c in factors]
    for r in (1, 2):  # the rows whose x1 is 1
        a, b, _ = factors[r]
        quoted(studio, num(y_hat[r], 3), f"{num(a, 3)} · {num(b, 3)} · 1 = **{num(products[r], 3)}**")
    gradient = snap.gradients[0].ravel()[0]  # the Trainer's own gradient of the first update
    assert gradient == pytest.approx(sum(products), abs=1e-12)
    quoted(studio, f"**{num(gradient, 3)}**", f"**{num(snap.weights[0].ravel()[0], 3)}**")
    assert snap.weights[0].ravel()[0] == pytest.approx(start.weights[0].ravel()[0] - gradient, abs=1e-12)

    lessons.go(2)  # a thousand updates
    snap = settle(studio, qtbot, 1000)
    np.testing.assert_allclose(snap.weights[0].ravel(), T1_END, atol=1e-8)
    np.testing.assert_allclose(snap.last_outputs.ravel(), T1_OUTPUTS, atol=1e-8)
    quoted(studio, ", ".join(num(w, 3) for w in T1_END), ", ".join(num(o, 3) for o in T1_OUTPUTS))
    quoted(studio, f"**{num(snap.predict([[1, 0, 0]])[0, 0], 3)}**")
    assert lessons.goal_met
    losses = snap.update_loss  # the loss of every update: the first below 0.01
    assert len(losses) == 1000
    quoted(studio, f"**{int(np.flatnonzero(losses < 0.01)[0]) + 1}**")

    lessons.go(3)  # inside the inspector
    assert studio.context.selection == (0, 0)
    if studio.lessons.driver.dock("inspector") is None:
        assert any("inspector is not in this version" in n for n in lessons.notes)


def test_t2_from_one_neuron_to_a_small_network(studio, qtbot):
    lessons = open_lesson(studio, "t2-gender-network")
    settle(studio, qtbot, 0)
    assert studio.controller.experiment.name == "gender-network"
    assert not studio.activation_dock.visibleRegion().isEmpty() and studio.activation.step_check.isChecked()
    w, b, x = np.array([0.0, 1.0]), 0.0, np.array([2.0, 3.0])
    total = float(w @ x + b)
    quoted(studio, f"**{total:g}**", f"σ(3) = **{num(activations.get('sigmoid').forward(np.array(total)), 3)}**")

    lessons.go(1)  # four people
    assert studio.lessons.driver.locked == ["datasetCombo"]
    shift = studio.controller.prepared.preprocessing.shift
    assert tuple(shift) == (135.0, 66.0)
    quoted(studio, "**135**", "**66**")
    snap = studio.worker.latest()
    names = snap.parameter_names
    n_w = sum(p.size for n, p in zip(names, snap.weights) if n.startswith("W"))
    n_b = sum(p.size for n, p in zip(names, snap.weights) if n.startswith("b"))
    quoted(studio, f"**{n_w}** weights and **{n_b}** biases")

    lessons.go(2)  # one person at a time
    snap = settle(studio, qtbot, 4000)
    assert snap.epoch == 1000 and lessons.goal_met
    quoted(studio, "**4,000**")
    lessons.go(3)  # try your own
    assert not studio.try_dock.visibleRegion().isEmpty()
    emily, frank = snap.predict([[128, 63], [155, 68]])[:, 0]
    assert emily > 0.9 and frank < 0.1  # as tests/training/test_presets.py
    assert abs(emily - 0.95) < 0.01 and abs(frank - 0.04) < 0.01  # the tutorial's ≈0.95 and ≈0.04
    quoted(studio, "**0.95**", "**0.04**", num(emily, 3), num(frank, 3))
    assert lessons.goal_met


def test_t3_mnist_with_one_hidden_layer(studio, qtbot):
    lessons = open_lesson(studio, "t3-mnist")
    qtbot.waitUntil(lambda: studio.controller.experiment.name == "mnist-tutorial", timeout=60000)
    snap = settle(studio, qtbot, 0)
    assert [w.shape for w in snap.weights] == [(784, 30), (30,), (30, 10), (10,)]
    assert [s.activation for s in snap.layers] == ["tanh", "softmax"]
    quoted(studio, "**784**", "**30** tanh", "**10** softmax")
    lessons.go(1)
    exp = studio.controller.experiment
    assert (exp.batch_size, exp.momentum, exp.learning_rate, exp.lr_decay, exp.l2) == (64, 0.9, 0.05, 0.001, 1e-4)
    quoted(studio, "Minibatches of 64", "Momentum 0.9", "(0.05 at first)", "1 + 0.001·i", "L2 penalty 0.0001")
    assert sorted(studio.lessons.driver.highlighted) == ["batchSizeSpin", "decaySpin", "l2Spin", "momentumSpin"]
    lessons.go(2)  # one epoch
    updates = -(-60000 // exp.batch_size)
    snap = settle(studio, qtbot, updates, timeout=120000)
    assert snap.epoch == 1
    quoted(studio, f"**{updates}**")
    assert snap.train_metric >= 0.85 and lessons.goal_met  # tests/training/test_mnist_presets.py: >= 85% after one
    lessons.go(3)  # dropout
    assert lessons.goal_met is False
    spin = studio.findChild(type(studio.builder.findChild(type(studio.settings_panel.learningRateSpin).__mro__[1],
                                                          "hiddenDropoutSpin_1")), "hiddenDropoutSpin_1")
    spin.setValue(0.2)
    qtbot.waitUntil(lambda: lessons.goal_met, timeout=60000)
    lessons.go(4)
    qtbot.waitUntil(lambda: studio.controller.experiment.name == "mnist-fast", timeout=60000)
    assert studio.controller.experiment.layers[0].units == 256
    quoted(studio, "**256** ReLU")


def test_t4_one_neuron_watched_for_50000_updates(studio, qtbot, trained_lesson):
    lessons = open_lesson(studio, "t4-perceptron-50k")
    snap = settle(studio, qtbot, 50_000, timeout=180000)
    assert studio.curves.scale() == "log_log" and studio.curves.errors_check.isChecked()
    reference = trained_lesson("perceptron-50k")  # the tutorial's loop, checked in tests/training/test_presets.py
    np.testing.assert_array_equal(snap.weights[0], reference.network.parameters()[0])
    w = snap.weights[0].ravel()
    quoted(studio, f"**{num(w[0], 2)}, {num(w[1], 3)}, {num(w[2], 2)}**")
    prediction = snap.predict([[1, 0, 0]])[0, 0]
    quoted(studio, f"**{prediction:.5f}**")
    assert lessons.goal_met
    lessons.go(1)
    assert np.abs(snap.error_values[-1]).max() < 0.005
    quoted(studio, "below **0.005**")
    lessons.go(2)
    assert studio.context.selection == (0, 0) and not studio.weights_dock.visibleRegion().isEmpty()
    lessons.go(3)  # leave out a row
    assert lessons.goal_met is False
    exp = studio.controller.experiment
    assert studio.controller.edit(exp.replace(excluded_rows=(3,)), "leave out row 4")
    assert lessons.goal_met
    lessons.go(4)  # a second layer: the lone neuron and a hidden layer of three kept side by side
    assert lessons.goal_met is False
    kept = studio.controller.runs.runs
    assert [r.name for r in kept] == ["no hidden layer", "hidden layer 3"] and all(r.steps == 5000 for r in kept)
    neuron, layered = (r.update_loss for r in kept)
    assert layered[30] >= neuron[30] and layered[-1] < neuron[-1]  # "waits on a plateau, then falls faster"
    drawn = studio.curves.curve_arrays()
    assert "no hidden layer loss per update" in drawn and "hidden layer 3 loss per update" in drawn
    studio.builder.addLayerButton.click()
    assert lessons.goal_met and len(studio.controller.experiment.layers) == 2


def test_t5_linear_regression_is_one_neuron(studio, qtbot):
    lessons = open_lesson(studio, "t5-linear-regression")
    snap = settle(studio, qtbot, 0)
    assert [float(w.ravel()[0]) for w in snap.weights] == [5.0, 10.0]
    quoted(studio, "m = **5**", "b = **10**")
    lessons.go(1)
    snap = settle(studio, qtbot, 10_000)
    m_ls, b_ls = closed_form_line(studio.controller.dataset)
    m, b = (float(w.ravel()[0]) for w in snap.weights)
    quoted(studio, f"m = **{m_ls:.2f}**, b = **{b_ls:.2f}**", f"m = **{m:.2f}**, b = **{b:.2f}**")
    assert abs(m - m_ls) < 0.05 and abs(b - b_ls) < 0.5  # as tests/training/test_presets.py
    quoted(studio, f"**{snap.train_metric:.0%}**", f"R² {snap.train_metric:.2f}")
    assert lessons.goal_met

    lessons.go(2)  # a step too big
    assert studio.controller.experiment.learning_rate == 1.0 and not lessons.goal_met
    x = studio.controller.prepared.X_train[:, 0]
    curvature = np.linalg.eigvalsh(2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])).max()
    quoted(studio, f"about **{1 / curvature:.4f}**", f"about **{2 / curvature:.4f}**")
    studio.run_action.trigger()
    qtbot.waitUntil(lambda: lessons.goal_met, timeout=10000)
    assert studio.worker.latest().step < 100  # "within a few dozen updates"

    lessons.go(3)  # the parabola and the path
    snap = settle(studio, qtbot, 100)
    assert studio.controller.experiment.learning_rate == 0.008
    assert 1 / curvature < 0.008 < 2 / curvature  # swings, yet settles
    surface = studio.surface
    assert surface.cut_check.isChecked() and surface.x_combo.currentData() == 0
    assert not studio.surface_dock.visibleRegion().isEmpty()
    m_path = snap.weight_values[:8, 0]
    steps = np.sign(np.diff(m_path))
    assert (steps[1:] != steps[:-1]).sum() >= 3  # the slope m jumps across the valley and back

    lessons.go(4)  # two learning rates side by side, kept and drawn on the parabola
    kept = studio.controller.runs.runs
    assert [r.name for r in kept] == ["learning rate 0.008", "learning rate 0.001"]
    swings = [int((np.sign(np.diff(r.path[:12, 0]))[1:] != np.sign(np.diff(r.path[:12, 0]))[:-1]).sum())
              for r in kept]
    assert swings[0] >= 3 and swings[1] == 0  # 0.008 jumps across, 0.001 slides down one side
    qtbot.waitUntil(lambda: len(studio.surface.kept_paths()) == 2, timeout=20000)

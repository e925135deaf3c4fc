"""The network builder edits the Experiment through the controller: layers added, removed, moved and changed, each
one undoable step; refused combinations leave everything as it was and the widgets show what is in force."""

import numpy as np
import pytest
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit,
                               QPushButton, QSpinBox, QToolButton)

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.qt.builder import BuilderPanel, summary_text


@pytest.fixture
def panel(qtbot, controller):
    p = BuilderPanel(controller)
    qtbot.addWidget(p)
    p.resize(320, 600)
    p.show()
    return p


def _spin(panel, name):
    return panel.findChild(QAbstractSpinBox, name)


def _shapes(controller):
    snap = controller.worker.latest()
    return [w.shape for w in snap.weights] if snap is not None else None


def _choose(combo: QComboBox, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered by {combo.objectName()}"
    combo.setCurrentIndex(index)


def _add(panel):
    panel.findChild(QPushButton, "addLayerButton").click()


def test_summary_counts_parameters():
    assert summary_text(3, [LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")]) == "3 → 4 tanh → 1 sigmoid · 21 parameters"
    assert summary_text(3, [LayerSpec(1, "sigmoid", bias=False)]) == "3 → 1 sigmoid · 3 parameters"


def test_shows_input_and_output_of_the_dataset(panel, controller):
    assert "3 → 1 sigmoid" in panel.summaryLabel.text()
    assert "Input: 3 features" in panel.inputTitle.text()
    assert "x1" in panel.inputNames.text()
    assert "P(1)" in panel.outputUnits.text()
    assert panel.findChild(QCheckBox, "outputBiasCheck").isChecked() is False
    assert panel.findChild(QSpinBox, "hiddenUnitsSpin_1") is None


def test_add_remove_and_undo_a_hidden_layer(qtbot, panel, controller):
    _add(panel)
    assert len(controller.experiment.layers) == 2
    assert controller.experiment.layers[0] == LayerSpec(4, "tanh", True, 0.0)
    assert controller.undo_stack.undoText() == "Add hidden layer"
    qtbot.waitUntil(lambda: _shapes(controller) == [(3, 4), (4,), (4, 1)], timeout=5000)
    assert _spin(panel, "hiddenUnitsSpin_1").value() == 4
    assert panel.findChild(QComboBox, "hiddenActivationCombo_1").currentData() == "tanh"
    assert "3 → 4 tanh → 1 sigmoid" in panel.summaryLabel.text()

    panel.findChild(QToolButton, "removeLayerButton_1").click()
    assert len(controller.experiment.layers) == 1
    qtbot.waitUntil(lambda: panel.findChild(QSpinBox, "hiddenUnitsSpin_1") is None, timeout=2000)
    qtbot.waitUntil(lambda: _shapes(controller) == [(3, 1)], timeout=5000)

    controller.undo_stack.undo()  # the layer comes back, and its card
    assert len(controller.experiment.layers) == 2
    assert _spin(panel, "hiddenUnitsSpin_1").value() == 4
    qtbot.waitUntil(lambda: _shapes(controller) == [(3, 4), (4,), (4, 1)], timeout=5000)


def test_new_layer_copies_the_last_hidden_layer(panel, controller):
    _add(panel)
    _spin(panel, "hiddenUnitsSpin_1").setValue(7)
    _choose(panel.findChild(QComboBox, "hiddenActivationCombo_1"), "relu")
    _add(panel)
    assert controller.experiment.layers[1] == LayerSpec(7, "relu", True, 0.0)
    assert len(controller.experiment.layers) == 3


def test_change_units_activation_bias_dropout(qtbot, panel, controller):
    _add(panel)
    _spin(panel, "hiddenUnitsSpin_1").setValue(6)
    assert controller.experiment.layers[0].units == 6
    assert controller.undo_stack.undoText() == "Hidden layer 1: 6 neurons"
    qtbot.waitUntil(lambda: _shapes(controller) == [(3, 6), (6,), (6, 1)], timeout=5000)

    _choose(panel.findChild(QComboBox, "hiddenActivationCombo_1"), "relu")
    assert controller.experiment.layers[0].activation == "relu"

    panel.findChild(QCheckBox, "hiddenBiasCheck_1").setChecked(False)
    assert controller.experiment.layers[0].bias is False
    qtbot.waitUntil(lambda: _shapes(controller) == [(3, 6), (6, 1)], timeout=5000)

    dropout = panel.findChild(QDoubleSpinBox, "hiddenDropoutSpin_1")
    assert (dropout.minimum(), dropout.maximum(), dropout.singleStep()) == (0.0, 0.9, 0.05)
    dropout.setValue(0.25)
    assert controller.experiment.layers[0].dropout == pytest.approx(0.25)
    assert controller.experiment.layers[0] == LayerSpec(6, "relu", False, 0.25)

    for _ in range(4):
        controller.undo_stack.undo()
    assert controller.experiment.layers[0] == LayerSpec(4, "tanh", True, 0.0)
    assert _spin(panel, "hiddenUnitsSpin_1").value() == 4
    assert panel.findChild(QComboBox, "hiddenActivationCombo_1").currentData() == "tanh"
    assert panel.findChild(QCheckBox, "hiddenBiasCheck_1").isChecked()
    assert dropout.value() == 0.0


def test_move_layers_up_and_down(panel, controller):
    _add(panel)
    _add(panel)
    _spin(panel, "hiddenUnitsSpin_1").setValue(3)
    _spin(panel, "hiddenUnitsSpin_2").setValue(5)
    assert not panel.findChild(QToolButton, "moveLayerUpButton_1").isEnabled()
    assert not panel.findChild(QToolButton, "moveLayerDownButton_2").isEnabled()

    panel.findChild(QToolButton, "moveLayerDownButton_1").click()
    assert [s.units for s in controller.experiment.layers] == [5, 3, 1]
    assert _spin(panel, "hiddenUnitsSpin_1").value() == 5
    assert _spin(panel, "hiddenUnitsSpin_2").value() == 3
    assert controller.undo_stack.undoText() == "Move hidden layer 1 down"

    panel.findChild(QToolButton, "moveLayerUpButton_2").click()
    assert [s.units for s in controller.experiment.layers] == [3, 5, 1]
    assert _spin(panel, "hiddenUnitsSpin_1").value() == 3


def test_refresh_never_edits(panel, controller):
    _add(panel)
    count = controller.undo_stack.count()
    controller.experimentChanged.emit(controller.experiment)
    controller.datasetChanged.emit(controller.dataset)
    assert controller.undo_stack.count() == count


def _items(combo):
    return [combo.itemData(i) for i in range(combo.count())]


def test_output_choices_fit_the_task(panel, controller):
    act, loss = panel.findChild(QComboBox, "outputActivationCombo"), panel.findChild(QComboBox, "lossCombo")
    assert set(_items(act)) == {"sigmoid", "tanh", "identity"}
    assert set(_items(loss)) == {"squared_error", "mse", "binary_cross_entropy"}
    assert "softmax" not in _items(panel.findChild(QComboBox, "outputActivationCombo"))
    assert "½" in loss.toolTip()  # the formula of the current loss

    assert controller.choose_dataset("diabetes-bmi")
    assert set(_items(act)) == {"identity", "tanh", "sigmoid", "relu", "leaky_relu"}
    assert set(_items(loss)) == {"squared_error", "mse"}
    assert "1 feature" in panel.inputTitle.text()

    rng = np.random.default_rng(0)
    three = Dataset("three", "Three classes", "multiclass", rng.normal(size=(30, 2)), np.arange(30) % 3,
                    ("a", "b"), class_names=("red", "green", "blue"))
    assert controller.import_dataset(three, {"path": "three.csv", "target": "class"})
    assert _items(act) == ["softmax"]
    assert set(_items(loss)) == {"squared_error", "mse", "softmax_cross_entropy"}
    assert "3 neurons" in panel.outputUnits.text() and "blue" in panel.outputUnits.text()


def test_output_changes_and_refused_combinations(panel, controller):
    act, loss = panel.findChild(QComboBox, "outputActivationCombo"), panel.findChild(QComboBox, "lossCombo")
    _choose(loss, "binary_cross_entropy")
    assert controller.experiment.loss == "binary_cross_entropy"
    before = controller.experiment

    _choose(act, "identity")  # cross-entropy needs a sigmoid output: refused
    assert controller.experiment == before
    assert controller.problems
    assert act.currentData() == "sigmoid"

    _choose(loss, "mse")
    _choose(act, "identity")  # fine with squared error
    assert controller.experiment.layers[-1].activation == "identity"
    panel.findChild(QCheckBox, "outputBiasCheck").setChecked(True)
    assert controller.experiment.layers[-1].bias is True


def test_step_activation_is_shown_but_refused(panel, controller):
    _add(panel)
    combo = panel.findChild(QComboBox, "hiddenActivationCombo_1")
    index = combo.findData("step")
    assert "illustration" in combo.itemText(index)
    assert "softmax" not in _items(combo)
    before, n_problems = controller.experiment, len(controller.problems)
    combo.setCurrentIndex(index)
    assert controller.experiment == before
    assert len(controller.problems) == n_problems + 1
    assert combo.currentData() == "tanh"


def test_fixed_starting_weights_are_dropped_when_shapes_change(panel, controller):
    from nnstudio.training import presets

    assert controller.open_experiment(presets.get("diabetes-regression"))
    _choose(panel.findChild(QComboBox, "outputActivationCombo"), "tanh")  # same shapes: kept
    assert controller.experiment.initial_weights is not None
    _add(panel)
    assert len(controller.experiment.layers) == 2
    assert controller.experiment.initial_weights is None


def test_every_control_is_named_and_explained(panel, controller):
    _add(panel)
    _add(panel)
    controls = [w for cls in (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit) for w in panel.findChildren(cls)
                if not w.objectName().startswith("qt_scrollarea")]
    assert len(controls) > 15
    for w in controls:
        assert w.objectName(), w
        assert w.accessibleName(), w.objectName()
        assert w.toolTip(), w.objectName()
    tips = panel.findChild(QComboBox, "hiddenActivationCombo_1").toolTip()
    assert "tanh" in tips and "=" in tips

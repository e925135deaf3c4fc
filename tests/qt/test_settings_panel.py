"""The training settings form: each control edits one Experiment field; optimisation settings keep the weights,
starting-point settings draw them again; controls that do not apply are disabled."""

import numpy as np
import pytest
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit, QSpinBox

from nnstudio.qt.settings_panel import Number, TrainingSettingsPanel


@pytest.fixture
def panel(qtbot, controller):
    p = TrainingSettingsPanel(controller)
    qtbot.addWidget(p)
    p.resize(320, 520)
    p.show()
    return p


def _weights(controller):
    return [np.array(w) for w in controller.worker.latest().weights]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _choose(combo: QComboBox, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered by {combo.objectName()}"
    combo.setCurrentIndex(index)


def test_shows_the_experiment(panel, controller):
    exp = controller.experiment
    assert panel.findChild(QAbstractSpinBox, "learningRateSpin").value() == exp.learning_rate
    assert panel.findChild(QComboBox, "optimizerCombo").currentData() == exp.optimizer
    assert panel.findChild(QComboBox, "initCombo").currentData() == exp.init
    batch = panel.findChild(QSpinBox, "batchSizeSpin")
    assert exp.batch_size == 0 and batch.text() == "full batch"
    assert panel.findChild(QSpinBox, "seedSpin").maximum() == 2**31 - 1
    note = panel.noteLabel.text()
    assert "kept" in note and "learning rate" in note and "start again" in note and "seed" in note


def test_learning_rate_change_keeps_the_weights(qtbot, panel, controller):
    before = _weights(controller)
    spin = panel.findChild(QAbstractSpinBox, "learningRateSpin")
    assert (spin.minimum(), spin.maximum(), spin.decimals()) == (1e-6, 100.0, 6)
    spin.setValue(0.5)
    assert controller.experiment.learning_rate == 0.5
    assert controller.undo_stack.undoText() == "Learning rate 0.5"
    qtbot.waitUntil(lambda: controller.worker.latest().learning_rate == 0.5, timeout=5000)
    assert _same(_weights(controller), before)

    controller.undo_stack.undo()
    assert spin.value() == 1.0


def test_seed_change_draws_new_starting_weights(qtbot, panel, controller):
    before = _weights(controller)
    panel.findChild(QSpinBox, "seedSpin").setValue(2)
    assert controller.experiment.seed == 2
    qtbot.waitUntil(lambda: not _same(_weights(controller), before), timeout=5000)
    assert [w.shape for w in _weights(controller)] == [w.shape for w in before]


def test_optimizer_settings_are_enabled_only_where_they_apply(panel, controller):
    combo = panel.findChild(QComboBox, "optimizerCombo")
    momentum, b1, b2 = (panel.findChild(QAbstractSpinBox, n) for n in ("momentumSpin", "beta1Spin", "beta2Spin"))
    assert controller.experiment.optimizer == "sgd"
    assert not momentum.isEnabled() and not b1.isEnabled() and not b2.isEnabled()
    for name, m_on, adam_on in (("momentum", True, False), ("nesterov", True, False), ("adam", False, True),
                                ("sgd", False, False)):
        _choose(combo, name)
        assert controller.experiment.optimizer == name
        assert momentum.isEnabled() is m_on
        assert b1.isEnabled() is adam_on and b2.isEnabled() is adam_on
    assert "v ← μv − η∇L" in momentum.toolTip()

    decay = panel.findChild(QAbstractSpinBox, "decaySpin")
    assert not decay.isEnabled()
    _choose(panel.findChild(QComboBox, "scheduleCombo"), "inverse")
    assert controller.experiment.lr_schedule == "inverse" and decay.isEnabled()


@pytest.mark.parametrize("name, value, field", [
    ("momentumSpin", 0.5, "momentum"), ("beta1Spin", 0.8, "beta1"), ("beta2Spin", 0.99, "beta2"),
    ("batchSizeSpin", 2, "batch_size"), ("l1Spin", 0.001, "l1"), ("l2Spin", 0.01, "l2"),
    ("decaySpin", 0.1, "lr_decay"), ("epochsSpin", 500, "epochs"), ("seedSpin", 7, "seed"),
])
def test_each_spin_edits_its_field(panel, controller, name, value, field):
    panel.findChild(QAbstractSpinBox, name).setValue(value)
    assert getattr(controller.experiment, field) == pytest.approx(value)
    assert type(getattr(controller.experiment, field)) is type(value)


@pytest.mark.parametrize("name, value, field", [
    ("initCombo", "xavier", "init"), ("biasInitCombo", "same", "bias_init"), ("dtypeCombo", "float32", "dtype"),
    ("preprocessingCombo", "standardize", "preprocessing"), ("scheduleCombo", "compound", "lr_schedule"),
])
def test_each_combo_edits_its_field(panel, controller, name, value, field):
    _choose(panel.findChild(QComboBox, name), value)
    assert getattr(controller.experiment, field) == value
    controller.undo_stack.undo()
    assert panel.findChild(QComboBox, name).currentData() == getattr(controller.experiment, field) != value


def test_shuffle_and_full_batch(panel, controller):
    panel.findChild(QCheckBox, "shuffleCheck").setChecked(True)
    assert controller.experiment.shuffle is True
    batch = panel.findChild(QSpinBox, "batchSizeSpin")
    batch.setValue(1)
    assert controller.experiment.batch_size == 1
    batch.setValue(0)
    assert controller.experiment.batch_size == 0 and controller.undo_stack.undoText() == "Full batch"


def test_number_display_drops_trailing_zeros(qtbot):
    spin = Number(1e-6, 100.0, 6)
    qtbot.addWidget(spin)
    spin.setValue(0.1)
    assert spin.text() == "0.1"
    spin.setValue(0.000125)
    assert spin.text() == "0.000125"
    spin.setValue(3)
    assert spin.text() == "3"


def test_refresh_never_edits(panel, controller):
    count = controller.undo_stack.count()
    controller.experimentChanged.emit(controller.experiment.replace(learning_rate=0.3, optimizer="adam"))
    assert controller.undo_stack.count() == count
    assert controller.experiment.learning_rate == 1.0


def test_every_control_is_named_and_explained(panel):
    controls = [w for cls in (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit) for w in panel.findChildren(cls)]
    assert len(controls) > 20
    for w in controls:
        assert w.objectName(), w
        assert w.accessibleName(), w.objectName()
        assert w.toolTip(), w.objectName()


def test_early_stopping_spin_edits_the_patience_and_keeps_the_weights(qtbot, panel, controller):
    assert controller.choose_dataset("gaussians")  # a dataset with test rows
    qtbot.waitUntil(lambda: controller.worker.latest().n_train == 150, timeout=5000)
    spin = panel.findChild(QSpinBox, "earlyStoppingSpin")
    assert spin.accessibleName() == "Early stopping patience" and "test loss" in spin.toolTip()
    assert spin.isEnabled() and spin.value() == 0 and spin.text() == "off"
    controller.worker.step()  # one update: a reset would take the weights back to update 0
    qtbot.waitUntil(lambda: controller.worker.latest().step == 1, timeout=5000)
    spin.setValue(5)
    assert controller.experiment.early_stopping == 5 and spin.text() == "5 epochs"
    assert controller.undo_stack.undoText() == "Early stopping after 5 epochs without progress"
    controller.worker.step()  # queued after the new settings: the update count goes on from 1
    qtbot.waitUntil(lambda: controller.worker.latest().step != 1, timeout=5000)
    assert controller.worker.latest().step == 2
    controller.undo_stack.undo()
    assert controller.experiment.early_stopping == 0 and spin.text() == "off"


def test_early_stopping_spin_says_it_does_nothing_without_test_rows(panel, controller):
    assert controller.dataset is not None and not controller.dataset.has_test  # the toy table
    spin = panel.findChild(QSpinBox, "earlyStoppingSpin")
    assert not spin.isEnabled() and "no test rows" in spin.toolTip()

"""Switching dataset: settings that fit the new data, said in the status bar, one undo step; the session's name
follows the data, so a CSV model is not saved under a lesson's name."""

import numpy as np
import pytest

from nnstudio.data.dataset import Dataset


def test_spiral_after_the_first_lesson_gets_settings_that_fit_and_one_undo_restores_all(controller):
    messages = []
    controller.message.connect(messages.append)
    before = controller.experiment
    depth = controller.undo_stack.count()
    assert controller.choose_dataset("spiral")
    exp = controller.experiment
    assert (exp.loss, exp.batch_size, exp.shuffle) == ("binary_cross_entropy", 32, True)
    assert exp.learning_rate == pytest.approx(0.1)
    assert exp.layers[-1].bias  # the first lesson's neuron has none; data need one
    assert controller.undo_stack.count() == depth + 1
    assert messages and "adapted" in messages[-1] and "Ctrl+Z" in messages[-1]
    note = controller.adapted_note
    assert "loss: binary cross-entropy" in note and "batch: 32 rows" in note and "learning rate: 0.1" in note
    assert "boundary is a straight line" in note  # a hint, not a change: no hidden layer on a spiral
    assert controller.session_name == controller.dataset.title and controller.default_file_stem == "spiral"
    controller.undo_stack.undo()
    assert controller.experiment == before and controller.adapted_note == ""
    controller.undo_stack.redo()
    assert "binary cross-entropy" in controller.adapted_note
    controller.undo_stack.undo()
    assert controller.session_name.startswith("One sigmoid neuron") and controller.default_file_stem == "trask-neuron"


def test_the_data_panel_shows_what_was_adapted_until_undone(qtbot, controller):
    from nnstudio.qt.data_panel import DataPanel

    panel = DataPanel(controller)
    qtbot.addWidget(panel)
    panel.show()
    label = panel.findChild(type(panel.adaptedLabel), "dataAdaptedLabel")
    assert label.isHidden()
    assert controller.choose_dataset("circles")
    assert label.isVisible() and "binary cross-entropy" in label.text() and label.wordWrap()
    controller.undo_stack.undo()
    assert label.isHidden()


def test_a_csv_model_is_named_after_its_file_not_the_lesson(controller):
    rng = np.random.default_rng(0)
    pts = Dataset("csv:pts.csv", "pts.csv", "regression", rng.normal(size=(30, 2)), rng.normal(size=30), ("a", "b"),
                  target_names=("y",))
    assert controller.import_dataset(pts, {"path": "/some/where/pts.csv", "target": "y"})
    assert controller.session_name == "pts.csv"
    assert controller.default_file_stem == "pts"
    assert controller.experiment.loss == "mse"

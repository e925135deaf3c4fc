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
    assert controller.undo_stack.count() == depth + 1
    assert messages and "binary cross-entropy" in messages[-1] and "Ctrl+Z" in messages[-1]
    assert "straight boundary" in messages[-1]  # a hint, not a change: no hidden layer on a spiral
    assert controller.session_name == controller.dataset.title and controller.default_file_stem == "spiral"
    controller.undo_stack.undo()
    assert controller.experiment == before
    assert controller.session_name.startswith("One sigmoid neuron") and controller.default_file_stem == "trask-neuron"


def test_a_csv_model_is_named_after_its_file_not_the_lesson(controller):
    rng = np.random.default_rng(0)
    pts = Dataset("csv:pts.csv", "pts.csv", "regression", rng.normal(size=(30, 2)), rng.normal(size=30), ("a", "b"),
                  target_names=("y",))
    assert controller.import_dataset(pts, {"path": "/some/where/pts.csv", "target": "y"})
    assert controller.session_name == "pts.csv"
    assert controller.default_file_stem == "pts"
    assert controller.experiment.loss == "mse"

"""Switching a network to another dataset proposes settings that fit the data, and keeps what already fits."""

import pytest

from nnstudio import data
from nnstudio.training import Trainer, presets
from nnstudio.training.adapt import adapt_to_dataset, hint_for


def test_the_first_tutorials_settings_do_not_follow_it_to_the_spiral():
    t1 = presets.get("trask-neuron")  # summed squared error, full batch, learning rate 1
    spiral = data.load("spiral")
    new, changes = adapt_to_dataset(t1, spiral)
    assert new.loss == "binary_cross_entropy"
    assert new.batch_size == 32 and new.shuffle
    assert new.learning_rate == pytest.approx(0.1)
    assert new.layers[-1].units == 1 and new.layers[-1].activation == "sigmoid"
    assert any(c.startswith("loss: binary cross-entropy") for c in changes)
    assert any(c.startswith("batch: 32 rows") for c in changes)
    assert any(c.startswith("learning rate: 0.1") for c in changes)
    Trainer(new.replace(dataset="spiral"), spiral)  # and it builds
    assert "boundary is a straight line" in hint_for(new.replace(dataset="spiral"), spiral)


def test_regression_and_multiclass_get_their_losses():
    t1 = presets.get("trask-neuron")
    diabetes = data.load("diabetes-bmi")  # 20 rows: the whole table stays one batch
    new, changes = adapt_to_dataset(t1, diabetes)
    assert new.loss == "mse" and new.batch_size == 0 and new.learning_rate == pytest.approx(0.1)
    assert new.layers[-1].activation == "sigmoid"  # an activation a regression can use is kept
    adam = presets.get("gender-network").replace(optimizer="adam")
    new, _ = adapt_to_dataset(adam, data.load("spiral"))
    assert new.learning_rate == pytest.approx(0.01)  # the rate follows the optimizer


def test_settings_that_already_fit_are_kept_and_nothing_is_said():
    gender = presets.get("gender-network").replace(loss="binary_cross_entropy", learning_rate=0.1)
    new, changes = adapt_to_dataset(gender, data.load("toy"))
    assert new.loss == gender.loss and new.batch_size == gender.batch_size
    assert new.learning_rate == gender.learning_rate and changes == []


def test_new_parameters_for_the_same_dataset_keep_the_learners_choices():
    exp = presets.get("trask-neuron").replace(dataset="spiral", loss="mse", batch_size=0, learning_rate=3.0)
    new, changes = adapt_to_dataset(exp, data.load("spiral", size=100), new_dataset=False)
    assert (new.loss, new.batch_size, new.learning_rate) == ("mse", 0, 3.0) and changes == []

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


def test_an_image_set_trains_in_single_precision_and_says_so():
    import numpy as np

    from nnstudio.data.dataset import Dataset

    rng = np.random.default_rng(0)
    images = Dataset(name="img", title="tiny images", task="multiclass", X=rng.integers(0, 256, (300, 12)).astype(
        np.uint8), y=rng.integers(0, 3, 300), feature_names=tuple(f"p{i}" for i in range(12)),
        class_names=("a", "b", "c"), image_shape=(3, 4))
    new, changes = adapt_to_dataset(presets.get("trask-neuron"), images)
    assert new.dtype == "float32" and any(c.startswith("precision: float32") for c in changes)
    same, changes = adapt_to_dataset(new, images, new_dataset=False)
    assert same.dtype == "float32" and not any(c.startswith("precision") for c in changes)
    tables, _ = adapt_to_dataset(presets.get("trask-neuron"), data.load("spiral"))
    assert tables.dtype == presets.get("trask-neuron").dtype  # a table of measurements keeps its precision


def test_many_inputs_get_initial_weights_scaled_to_them():
    import numpy as np

    from nnstudio.data.dataset import Dataset

    rng = np.random.default_rng(0)
    wide = Dataset(name="wide", title="wide", task="binary", X=rng.normal(size=(100, 200)), y=rng.integers(0, 2, 100),
                   feature_names=tuple(f"f{i}" for i in range(200)), class_names=("a", "b"))
    t1 = presets.get("trask-neuron")
    assert t1.init == "uniform"
    new, changes = adapt_to_dataset(t1, wide)
    assert new.init == "xavier" and any(c.startswith("initial weights: xavier") for c in changes)
    t = Trainer(new.replace(dataset="wide"), wide)
    z = t.X_train @ t.network.get_weights()[0]
    assert np.abs(z).mean() < 3  # sums of a sensible size (uniform [-1, 1) weights give about 6.5 here)
    narrow, _ = adapt_to_dataset(t1, data.load("spiral"))
    assert narrow.init == "uniform"  # two inputs: the learner's choice stands

"""The saturation note: spoken when sigmoid/tanh neurons saturated and training is stuck, silent otherwise."""

import dataclasses
import functools

import numpy as np
import pytest

from nnstudio.training import Trainer, presets
from nnstudio.training.diagnose import saturation_note


@functools.lru_cache(maxsize=None)  # each run once per test session; the tests only read them
def trained(name, learning_rate=None):
    exp = presets.get(name)
    t = Trainer(exp if learning_rate is None else exp.replace(learning_rate=learning_rate))
    assert t.run() == "finished"
    return t


def test_gender_network_at_lr_1e6_is_stuck_and_says_which_layers_saturated():
    t = trained("gender-network", learning_rate=1e6)
    assert t.evaluate(t.X_train, t.Y_train) == (0.5, 0.5)  # the silent failure the note is for
    note = saturation_note(t.snapshot())
    assert note is not None
    assert "2 of 2 sigmoid neurons in hidden layer 1" in note and "1 of 1 sigmoid neuron in the output layer" in note
    assert "loss 0.5" in note and "smaller learning rate" in note
    assert note.count(". ") <= 2 and "\n" not in note and len(note) < 400  # one or two plain sentences


def test_a_single_neuron_at_lr_1e6_is_named_as_the_output_layer():
    note = saturation_note(trained("trask-neuron", learning_rate=1e6).snapshot())
    assert note is not None and "1 of 1 sigmoid neuron in the output layer" in note


@pytest.mark.parametrize("name", ["trask-neuron", "gender-network", "perceptron-50k", "diabetes-regression"])
def test_silent_on_the_tutorial_presets(name, trained_lesson):
    assert saturation_note(trained_lesson(name).snapshot()) is None


def test_silent_before_training_and_on_tanh_that_learns():
    assert saturation_note(Trainer(presets.get("gender-network")).snapshot()) is None
    from nnstudio.core.network import LayerSpec

    exp = presets.get("gender-network").replace(layers=[LayerSpec(3, "tanh"), LayerSpec(1, "sigmoid")], epochs=300)
    assert saturation_note(trained_exp(exp).snapshot()) is None


def trained_exp(exp):
    t = Trainer(exp)
    t.run()
    return t


def test_saturated_tanh_layer_of_a_stuck_run_is_reported():
    # a stuck run's snapshot with its hidden z pushed far out: the note follows the slope of tanh
    snap = trained("gender-network", learning_rate=1e6).snapshot()
    from nnstudio.core.network import LayerSpec

    tanh = dataclasses.replace(snap, layers=(LayerSpec(2, "tanh"), snap.layers[1]),
                               layer_z=(np.full((1, 2), 4.5), np.zeros((1, 1))))
    assert "2 of 2 tanh neurons in hidden layer 1" in saturation_note(tanh)
    calm = dataclasses.replace(tanh, layer_z=(np.full((1, 2), 3.5), np.zeros((1, 1))))
    assert saturation_note(calm) is None  # tanh'(3.5) is 3.6e-3 of its steepest: still bending


def test_non_finite_z_is_left_to_the_divergence_message():
    snap = trained("gender-network", learning_rate=1e6).snapshot()
    nan = dataclasses.replace(snap, layer_z=tuple(np.full_like(z, np.nan) for z in snap.layer_z))
    assert saturation_note(nan) is None

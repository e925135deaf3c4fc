"""Kept runs: made from a snapshot, named by what differs, written and read back; comparisons from one start."""

import json
import math

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.training import Trainer, presets, runs


def _kept(exp, updates, name="Run 1"):
    t = Trainer(exp)
    start = t.network.get_weights()
    t.run(max_epochs=math.inf, max_updates=updates)
    return t, runs.KeptRun.from_snapshot(t.snapshot(), exp, name, start)


def test_compare_two_learning_rates_gives_the_curves_of_two_separate_runs():
    exp = presets.get("diabetes-regression")
    compared = runs.compare(exp, "learning_rate", [0.003, 0.001], updates=40)
    assert [r.name for r in compared] == ["learning rate 0.003", "learning rate 0.001"]
    for run, lr in zip(compared, (0.003, 0.001)):
        t, alone = _kept(exp.replace(learning_rate=lr), 40)
        np.testing.assert_array_equal(run.update_x, alone.update_x)
        np.testing.assert_array_equal(run.update_loss, alone.update_loss)
        np.testing.assert_array_equal(run.path, alone.path)
        for a, b in zip(run.final_weights, t.network.parameters()):
            np.testing.assert_array_equal(a, b)
    # from the same start, and apart afterwards
    for a, b in zip(compared[0].initial_weights, compared[1].initial_weights):
        np.testing.assert_array_equal(a, b)
    assert compared[0].final_loss != compared[1].final_loss
    assert len(compared[0].path) > 2 and compared[0].path.shape[1] == 2  # T5's m and b: the path in weight space


def test_compare_from_given_starting_weights():
    exp = presets.get("trask-neuron")
    start = [np.array([[0.5], [-0.25], [0.125]])]
    compared = runs.compare(exp, "learning_rate", [1.0, 0.1], updates=5, initial_weights=start)
    for run in compared:
        np.testing.assert_array_equal(run.initial_weights[0], start[0])


def test_one_against_two_hidden_layers():
    exp = presets.get("gender-network")
    compared = runs.compare(exp, "hidden_layers", [[2], [2, 2]], updates=20)
    assert [len(r.settings.layers) for r in compared] == [2, 3]
    assert runs.label(compared[1].settings, compared[0].settings) == "3 layers vs 2"
    assert not compared[0].same_weight_space(compared[1].settings)
    assert compared[0].same_weight_space(compared[0].settings.replace(learning_rate=0.5))


def test_differences_are_named_in_a_learners_words():
    a = presets.get("diabetes-regression")
    assert runs.differences(a.replace(learning_rate=0.003), a.replace(learning_rate=0.001)) == [
        "learning rate 0.003 vs 0.001"]
    assert runs.label(a, a) == "the same settings"
    b = a.replace(batch_size=0, optimizer="momentum")
    assert runs.differences(a.replace(batch_size=4), b) == ["optimizer sgd vs momentum", "batch size 4 vs all"]
    assert runs.differences(a, a.replace(seed=7)) == ["other starting weights"]
    with_hidden = a.replace(layers=[LayerSpec(3, "tanh"), *a.layers], initial_weights=None)
    assert runs.differences(with_hidden, a) == ["2 layers vs 1"]
    wider = a.replace(layers=[LayerSpec(5, "tanh"), *a.layers], initial_weights=None)
    assert runs.differences(with_hidden, wider) == ["1 hidden layer (3) vs 1 hidden layer (5)"]


def test_a_kept_run_survives_a_file_round_trip_even_after_a_divergence():
    exp = presets.get("diabetes-regression").replace(learning_rate=1e3)
    t, run = _kept(exp, 30)
    run.update_loss[-1] = np.inf  # a loss that overflowed at the last update: written as null, read as NaN
    text = json.dumps(run.to_dict(), allow_nan=False)
    back = runs.KeptRun.from_dict(json.loads(text))
    assert back.name == run.name and back.settings == run.settings
    np.testing.assert_array_equal(back.update_loss[:-1], run.update_loss[:-1])
    assert np.isnan(back.update_loss[-1])
    np.testing.assert_array_equal(back.path, run.path)
    np.testing.assert_array_equal(back.epoch_values, run.epoch_values)
    for a, b in zip(back.final_weights, run.final_weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("name"), "name"),
    (lambda d: d.update(update_x=[0, 2, 1]), "update_x: expected increasing"),
    (lambda d: d.update(update_loss=[1.0]), "update_loss: expected an array of"),
    (lambda d: d.update(path=[[1.0, 2.0, 3.0]] * len(d["path_x"])), "path: rows of 3 weights"),
    (lambda d: d.update(final_weights=[[[1.0]]]), "differ in shape"),
    (lambda d: d.update(settings={"format": "x"}), "settings"),
    (lambda d: d.update(epoch_values="lots"), "epoch_values"),
])
def test_a_damaged_kept_run_is_refused_naming_the_field(change, message):
    _, run = _kept(presets.get("diabetes-regression"), 10)
    d = json.loads(json.dumps(run.to_dict()))
    change(d)
    with pytest.raises(ValueError, match=message):
        runs.KeptRun.from_dict(d)


def test_compare_refuses_nonsense():
    exp = presets.get("trask-neuron")
    with pytest.raises(ValueError, match="two values"):
        runs.compare(exp, "learning_rate", [0.1], updates=5)
    with pytest.raises(ValueError, match="cannot compare"):
        runs.compare(exp, "colour", [1, 2], updates=5)
    with pytest.raises(ValueError, match="at least one update"):
        runs.compare(exp, "learning_rate", [1, 2], updates=0)


def test_a_long_comparison_hears_cancel_between_updates_not_once_a_twentieth(monkeypatch):
    """Cancel in the status bar stops a comparison at its next progress report. Those came once every twentieth of a
    run: for 10 million updates on MNIST, minutes during which Cancel did nothing (found by the monkey). They now
    come every PROGRESS_S of training; with 0, after every update."""
    from nnstudio.progress import Cancelled

    monkeypatch.setattr(runs, "PROGRESS_S", 0.0)
    heard = []

    def progress(fraction):
        heard.append(fraction)
        if len(heard) == 3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        runs.compare(presets.get("trask-neuron"), "learning_rate", [1.0, 0.5], 100_000, progress=progress)
    assert heard == [1 / 200_000, 2 / 200_000, 3 / 200_000]


def test_a_comparison_lets_go_of_the_interpreter_lock_as_it_trains(monkeypatch):
    """Comparisons train on a thread beside the window; a small network's updates are almost all Python, and the
    window's thread waited up to 1.3 s for the interpreter lock. Every SHARE_SLICE of training the thread now lets
    go of it (time.sleep(0)); with a slice of 0, before every update."""
    import time

    from nnstudio.training import threads

    monkeypatch.setattr(threads, "SHARE_SLICE", 0.0)
    monkeypatch.setattr(threads.sharing_the_lock, "__defaults__", (0.0,))
    slept = []
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: (slept.append(s), real_sleep(s)))
    kept = runs.compare(presets.get("trask-neuron"), "learning_rate", [1.0, 0.5], 40)
    assert [r.update_x[-1] for r in kept] == [39, 39]
    assert slept.count(0) >= 2 * 40

"""The timeline: checkpoints of a run, going back to any update, and going on from there exactly as the run did."""

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.training import Experiment, Trainer, checkpoint, presets
from nnstudio.training.timeline import Timeline


def _shuffled_with_dropout():
    """Minibatches in a shuffled order, dropout and Adam: every random stream and optimizer state in play."""
    return presets.get("gender-network").replace(
        dataset="xor", dataset_params={"size": 40}, batch_size=8, shuffle=True, optimizer="adam",
        learning_rate=0.01, layers=[LayerSpec(6, "relu", dropout=0.25), LayerSpec(1, "sigmoid")],
        loss="binary_cross_entropy",
        initial_weights=None, epochs=1000)


EXPERIMENTS = {
    "trask-neuron": lambda: presets.get("trask-neuron"),
    "gender-network": lambda: presets.get("gender-network"),
    "shuffled dropout adam": _shuffled_with_dropout,
    "momentum minibatches": lambda: presets.get("diabetes-regression").replace(
        optimizer="momentum", batch_size=3, shuffle=True, learning_rate=0.01),
}


def _run_recording(exp, n):
    """A Trainer run for n updates, and the checkpoint after each update (index = update count)."""
    t = Trainer(exp)
    states = [checkpoint.take(t)]
    for _ in range(n):
        assert not t.step().diverged
        states.append(checkpoint.take(t))
    return t, states


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_going_on_from_an_earlier_update_repeats_the_run_bit_for_bit(name):
    exp = EXPERIMENTS[name]()
    n = 45
    t, original = _run_recording(exp, n)
    timeline = Timeline()
    for cp in original[::7]:
        timeline.add(cp)
    for back_to in (0, 5, 14, 20, 44):  # checkpointed ones and ones between (trained forward to)
        replayed = timeline.rewind(t, back_to)
        assert replayed == back_to - timeline.nearest(back_to).step
        assert checkpoint.same_state(checkpoint.take(t), original[back_to])
        for step in range(back_to + 1, n + 1):
            t.step()
            assert checkpoint.same_state(checkpoint.take(t), original[step]), f"differs at update {step}"


def test_the_shuffled_run_crosses_epochs_in_the_test_above():
    """The 45 updates of the shuffled run span several epochs (so new data orders are drawn after a rewind)."""
    t, states = _run_recording(_shuffled_with_dropout(), 45)
    assert t.epoch >= 3 and len({id(s.order) for s in states if s.order is not None}) >= 3


def test_a_rewind_cuts_the_history_back_to_that_update():
    t, _ = _run_recording(_shuffled_with_dropout(), 30)
    timeline = Timeline()
    timeline.add(checkpoint.take(t))  # only the last update: rewinding to 30 means nothing is trained again
    t2 = Trainer(_shuffled_with_dropout())
    timeline2 = Timeline(min_stride=1)
    timeline2.record(t2)
    for _ in range(30):
        t2.step()
        timeline2.record(t2)
    assert len(timeline2) == 31 and timeline2.stride == 1
    timeline2.rewind(t2, 12)
    snap = t2.snapshot()
    assert snap.step == 12 and list(snap.update_x) == list(range(12))
    assert snap.epoch_x[-1] == t2.epoch and t2.epoch == 12 * 8 // 30  # 30 training rows, batches of 8


def test_checkpoints_stay_under_the_budget_by_spacing_out_and_every_update_stays_reachable():
    exp = EXPERIMENTS["momentum minibatches"]()
    t, original = _run_recording(exp, 300)
    per = original[1].nbytes
    timeline = Timeline(budget=per * 20, min_stride=1)
    t2 = Trainer(exp)
    timeline.record(t2)
    for _ in range(300):
        t2.step()
        timeline.record(t2)
    assert timeline.nbytes <= timeline.budget and timeline.stride > 1
    steps = timeline.steps
    assert steps[0] == 0 and timeline.end == 300 and all(s % timeline.stride == 0 for s in steps)
    for back_to in (299, 157, 1, 0, 300):
        timeline.rewind(t2, back_to)
        assert checkpoint.same_state(checkpoint.take(t2), original[back_to])
        assert timeline.exact(back_to) == (back_to in steps)


def test_a_change_of_settings_is_pinned_and_each_update_is_repeated_with_the_settings_of_its_time():
    exp = EXPERIMENTS["momentum minibatches"]()
    t = Trainer(exp)
    timeline = Timeline(budget=checkpoint.take(t).nbytes * 6, min_stride=1)
    originals = {}
    timeline.record(t)
    for step in range(1, 61):
        if step == 23:
            t.apply_settings(t.experiment.replace(learning_rate=0.002, optimizer="sgd"))
            timeline.record(t, pin=True)
        t.step()
        timeline.record(t)
        originals[t.step_count] = checkpoint.take(t)
    assert 22 in timeline.steps, "the checkpoint where the settings changed was thinned away"
    for back_to in (40, 10, 59):
        timeline.rewind(t, back_to)
        assert checkpoint.same_state(checkpoint.take(t), originals[back_to])
        assert t.experiment.learning_rate == (0.01 if back_to < 22 else 0.002)


def test_going_back_outside_the_timeline_is_refused_and_changes_nothing():
    t, _ = _run_recording(presets.get("trask-neuron"), 5)
    timeline = Timeline(min_stride=1)
    with pytest.raises(ValueError, match="no checkpoints"):
        timeline.rewind(t, 2)
    timeline.record(t)  # update 5
    before = checkpoint.take(t)
    for bad in (4, 6, -1):
        with pytest.raises(ValueError, match="not on the timeline"):
            timeline.rewind(t, bad)
    assert checkpoint.same_state(checkpoint.take(t), before)


def test_a_checkpoint_of_another_network_is_refused():
    cp = checkpoint.take(Trainer(presets.get("gender-network")))
    t = Trainer(presets.get("trask-neuron"))
    with pytest.raises(ValueError, match="parameters"):
        checkpoint.restore(t, cp)


def test_a_branch_forgets_the_abandoned_future():
    t, _ = _run_recording(presets.get("trask-neuron"), 0)
    timeline = Timeline(min_stride=1)
    timeline.record(t)
    for _ in range(10):
        t.step()
        timeline.record(t)
    timeline.rewind(t, 4)
    timeline.drop_after(4)
    assert timeline.steps == [0, 1, 2, 3, 4] and timeline.nbytes == sum(
        timeline.nearest(s).nbytes for s in range(5))
    t.step()
    assert timeline.record(t) and timeline.steps[-1] == 5


def test_big_tables_keep_no_outputs_in_a_checkpoint_and_know_none_after_a_restore():
    exp = presets.get("gender-network").replace(dataset="circles", dataset_params={"size": 8000},
                                                batch_size=64, shuffle=True, initial_weights=None,
                                                layers=[LayerSpec(4, "tanh"), LayerSpec(1, "sigmoid")],
                                                loss="binary_cross_entropy")
    t = Trainer(exp)
    assert not checkpoint.outputs_kept(t)
    for _ in range(3):
        t.step()
    cp = checkpoint.take(t)
    assert cp.outputs is None and cp.nbytes < 2000
    t.step()
    checkpoint.restore(t, cp)
    assert np.isnan(t.last_outputs).all()
    t.step()
    assert np.isfinite(t.last_outputs).sum() == 64


def test_by_default_one_update_in_32_is_checkpointed_and_the_others_are_trained_to():
    exp = EXPERIMENTS["shuffled dropout adam"]()
    t, original = _run_recording(exp, 100)
    t2 = Trainer(exp)
    timeline = Timeline()
    timeline.record(t2)
    for _ in range(100):
        t2.step()
        timeline.record(t2)
    assert timeline.steps == [0, 32, 64, 96] and timeline.end == 100
    assert timeline.rewind(t2, 95) == 31
    assert checkpoint.same_state(checkpoint.take(t2), original[95])
    assert timeline.rewind(t2, 100) == 4
    assert checkpoint.same_state(checkpoint.take(t2), original[100])


def test_the_trainer_records_its_own_timeline_and_a_rewind_keeps_the_whole_run_to_go_forward_again():
    exp = _shuffled_with_dropout()
    t = Trainer(exp)
    t.start_timeline()
    t.run(max_updates=100)
    whole = t.snapshot()
    assert t.timeline.steps == [0, 32, 64, 96] and t.timeline.end == 100
    t.timeline.rewind(t, 40)
    snap = t.snapshot()
    assert snap.step == 40 and list(snap.update_x) == list(range(40))
    np.testing.assert_array_equal(snap.update_loss, whole.update_loss[:40])
    t.timeline.rewind(t, 100)  # forward again, as far as the run went: its whole history is back
    again = t.snapshot()
    np.testing.assert_array_equal(again.update_loss, whole.update_loss)
    np.testing.assert_array_equal(again.epoch_values, whole.epoch_values)
    for a, b in zip(again.weights, whole.weights):
        np.testing.assert_array_equal(a, b)
    assert t.timeline.branch(t) is None  # at the end: nothing abandoned


def test_a_branch_hands_back_the_abandoned_run_and_training_goes_on_from_the_earlier_update():
    exp = _shuffled_with_dropout()
    t = Trainer(exp)
    t.start_timeline()
    t.run(max_updates=70)
    t.timeline.rewind(t, 30)
    abandoned, settings = t.timeline.branch(t)
    assert abandoned.step == 70 and len(abandoned.update_x) == 70 and settings is exp
    assert len(abandoned.initial_weights) == 4 and abandoned.timeline_end == 70
    assert t.timeline.steps == [0] and t.timeline.end == 30 and t.timeline.future is None
    t.apply_settings(t.experiment.replace(learning_rate=0.05))  # a change at the branch: pinned there
    assert t.timeline.steps == [0, 30]
    t.run(max_updates=10)
    assert t.step_count == 40 and t.timeline.end == 40
    ref = Trainer(exp)
    ref.run(max_updates=30)
    ref.apply_settings(ref.experiment.replace(learning_rate=0.05))
    ref.run(max_updates=10)
    assert checkpoint.same_state(checkpoint.take(t), checkpoint.take(ref))


def test_a_divergence_drops_the_undone_updates_checkpoint_and_a_reset_clears_the_timeline():
    exp = presets.get("diabetes-regression").replace(learning_rate=1.0)
    t = Trainer(exp)
    t.start_timeline(budget=10**6)
    t.timeline.min_stride = t.timeline.stride = 1
    assert t.run() == "diverged"
    assert t.timeline.steps[-1] <= t.step_count and t.timeline.end == t.step_count
    t.reset()
    assert t.timeline.steps == [0] and t.timeline.end == 0


def test_going_back_mid_epoch_to_a_checkpoint_without_outputs_or_order(monkeypatch):
    """A shuffled run a few updates into its first epoch keeps each batch's outputs in the epoch's order until they
    are read. Going back to update 0, whose checkpoint has no order yet and (for a table too big) no outputs, put the
    order back first and then read the outputs: 'NoneType' object is not subscriptable, an error box in the studio
    (found by the monkey, circles dataset). The outputs are now read while the order stands."""
    from nnstudio.training import checkpoint

    monkeypatch.setattr(checkpoint, "MAX_KEPT_OUTPUTS", 10)  # the table is 'too big': checkpoints keep no outputs
    exp = Experiment(name="c", dataset="circles", layers=[LayerSpec(6, "tanh"), LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", optimizer="sgd", learning_rate=0.1, batch_size=8, shuffle=True,
                     epochs=5)
    t = Trainer(exp)
    t.start_timeline()
    t.run(max_updates=5)
    t.timeline.rewind(t, 3)  # back to 3 (trained forward again from update 0: outputs wait in the order again)
    assert t._pending is not None and t.position > 0
    t.timeline.rewind(t, 0)  # and further back, standing before the run's end already
    assert t.step_count == 0 and t._order is None and np.isnan(t.last_outputs).all()
    t.run(max_updates=5)
    again = Trainer(exp)
    again.run(max_updates=5)
    np.testing.assert_array_equal(t.network.flat_parameters, again.network.flat_parameters)

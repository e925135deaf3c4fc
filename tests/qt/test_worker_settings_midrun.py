"""A setting changed while training runs takes effect from the next update, and the run goes on: in the worker
thread, in a child process (stopped and started again) and in a slowed-down run. Settings meant for a Trainer that
has been replaced since never reach its successor."""

import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.training import Experiment, Trainer, child_run
from nnstudio.training.threads import use_blas_threads
from tests.qt.panel_helpers import random_digits

use_blas_threads(1)  # as the studio does: a child run needs it

DATA = random_digits(600, seed=4)
BIG = Experiment(name="big", title="big", dataset="random-784",
                 layers=[LayerSpec(32, "relu"), LayerSpec(10, "softmax")], loss="softmax_cross_entropy", init="he",
                 optimizer="momentum", learning_rate=0.05, batch_size=50, shuffle=True, epochs=100_000,
                 dtype="float32", preprocessing="none")


def _opened(controller, qtbot, exp=BIG):
    """The worker with ``exp`` on DATA, and the list its runs' reasons for ending go to."""
    assert controller.open_experiment(exp, dataset=DATA)
    w = controller.worker
    qtbot.waitUntil(lambda: w.latest() is not None and w.latest().n_train == 600, timeout=5000)
    ended = []
    w.runFinished.connect(ended.append)
    return w, ended


def _start(controller, qtbot, exp, per_second: float = 0.0):
    w, ended = _opened(controller, qtbot, exp)
    w.updates_per_second = per_second
    w.run()
    qtbot.waitUntil(lambda: w.latest().step > 5, timeout=10000)
    return w, ended


@pytest.mark.parametrize("mode", ["thread", "child", "paced"])
def test_a_setting_changed_during_a_run_applies_at_once_and_the_run_goes_on(controller, qtbot, monkeypatch, mode):
    if mode == "child" and not child_run.available():
        pytest.skip("training in a child process needs Linux")
    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "1" if mode == "child" else "0")
    w, ended = _start(controller, qtbot, BIG, per_second=200.0 if mode == "paced" else 0.0)
    if mode == "child":
        qtbot.waitUntil(lambda: w.run_in_child, timeout=5000)
    assert controller.edit(BIG.replace(learning_rate=0.0123), "Learning rate")
    qtbot.waitUntil(lambda: w.latest().learning_rate == pytest.approx(0.0123), timeout=5000)
    changed_at = w.latest().step
    qtbot.waitUntil(lambda: w.latest().step > changed_at + 5, timeout=10000)  # ...and it trains on
    assert ended == [] and w._running
    if mode == "child":
        qtbot.waitUntil(lambda: w.run_in_child, timeout=5000)  # on in a child again
    assert w._trainer.experiment.learning_rate == 0.0123
    w.pause()
    qtbot.waitUntil(lambda: bool(ended), timeout=10000)
    assert ended == ["stopped"]


def test_a_run_of_n_updates_still_makes_n_after_a_change(controller, qtbot, monkeypatch):
    if not child_run.available():
        pytest.skip("training in a child process needs Linux")
    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "1")
    w, ended = _opened(controller, qtbot)
    w.run(3000)
    qtbot.waitUntil(lambda: w.latest().step > 20, timeout=10000)
    assert controller.edit(BIG.replace(learning_rate=0.02), "Learning rate")
    qtbot.waitUntil(lambda: bool(ended), timeout=60000)
    assert w.latest().step == 3000 and w.latest().learning_rate == pytest.approx(0.02)


def test_settings_for_a_replaced_trainer_do_not_reach_the_next(controller, qtbot):
    w = controller.worker
    first = Trainer(BIG, DATA)
    w.set_trainer(first)
    w.apply_settings(BIG.replace(learning_rate=0.5))  # for the first Trainer...
    second = Trainer(BIG.replace(learning_rate=0.07), DATA)
    w.set_trainer(second)  # ...replaced before the worker took the settings
    qtbot.waitUntil(lambda: w._trainer is second, timeout=5000)
    qtbot.wait(100)
    assert second.experiment.learning_rate == 0.07
    w.apply_settings(BIG.replace(learning_rate=0.03))
    qtbot.waitUntil(lambda: second.experiment.learning_rate == 0.03, timeout=5000)


@pytest.mark.parametrize("mode", ["thread", "paced"])
def test_a_setting_changed_after_a_rewind_asked_for_applies_after_it(controller, qtbot, monkeypatch, mode):
    """Requests are carried out in the order they were made: a rewind (which stops the run and puts the settings of
    that update back) asked for before a change of setting must not undo the change. A run takes new settings
    between its updates only while it is not being stopped."""
    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "0")
    w, ended = _start(controller, qtbot, BIG, per_second=300.0 if mode == "paced" else 0.0)
    qtbot.waitUntil(lambda: w.latest().step > 30, timeout=10000)
    rewound = []
    w.rewound.connect(rewound.append)
    w.rewind(10)
    assert controller.edit(BIG.replace(learning_rate=0.0123), "Learning rate")
    qtbot.waitUntil(lambda: bool(ended) and bool(rewound), timeout=10000)
    qtbot.wait(200)  # (the change's own request, after the rewind)
    assert rewound == [10] and ended == ["stopped"]
    assert w._trainer.step_count == 10
    assert w._trainer.experiment.learning_rate == 0.0123 == w.latest().learning_rate


def test_an_epoch_limit_lowered_during_a_run_switched_to_full_speed_ends_it(controller, qtbot, monkeypatch):
    """A slowed-down run switched to full speed goes on as Trainer.run, which takes new settings between updates:
    a lower epoch limit among them must end it there, as it ends any other run."""
    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "0")
    w, ended = _start(controller, qtbot, BIG, per_second=200.0)
    w.updates_per_second = 0.0  # the speed slider to the end: the paced run goes on flat out
    qtbot.waitUntil(lambda: w.latest().epoch >= 3, timeout=10000)
    limit = w.latest().epoch + 300  # (far enough ahead: the snapshot may be 50 ms behind, ~10 epochs flat out)
    assert controller.edit(BIG.replace(epochs=limit), "Epochs")
    qtbot.waitUntil(lambda: bool(ended), timeout=10000)
    assert ended == ["finished"] and w._trainer.epoch == limit


def test_changes_queued_around_a_rewind_are_applied_in_their_order(controller, qtbot, monkeypatch):
    """While the worker is busy (a long request: a save, a rewind that trains forward), a change of setting, a rewind
    and another change queue up: each change is applied in its turn, so the rewind (which puts back the settings of
    the update it goes to) undoes the first and the second stands, as the window shows it."""
    import time

    from nnstudio.training import inspect_step

    w, ended = _opened(controller, qtbot)
    w.run(30)
    qtbot.waitUntil(lambda: bool(ended), timeout=10000)
    real = inspect_step.inspect
    monkeypatch.setattr(inspect_step, "inspect", lambda t: (time.sleep(0.5), real(t))[1])  # keeps the worker busy
    rewound = []
    w.rewound.connect(rewound.append)
    w.inspect()
    assert controller.edit(BIG.replace(learning_rate=0.5), "Learning rate")
    w.rewind(10)
    assert controller.edit(BIG.replace(learning_rate=0.0123), "Learning rate")
    qtbot.waitUntil(lambda: bool(rewound), timeout=10000)
    qtbot.wait(200)
    assert w._trainer.step_count == 10
    assert w._trainer.experiment.learning_rate == 0.0123 == controller.experiment.learning_rate


def test_a_burst_of_changes_restarts_a_child_run_only_a_few_times(controller, qtbot, monkeypatch):
    """An arrow key held on a spin box changes a setting 30 times a second; each stop of a run in a child starts a new
    child. The run trains at least CHILD_SETTINGS_GAP between two such stops: a burst of 15 changes in 0.3 s makes a
    few children, not 15, and the last change is the one in force."""
    if not child_run.available():
        pytest.skip("training in a child process needs Linux")
    from nnstudio.qt import worker as worker_module

    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "1")
    children = []
    real = child_run.run_in_child
    monkeypatch.setattr(child_run, "run_in_child", lambda *a, **k: children.append(1) or real(*a, **k))
    w, ended = _start(controller, qtbot, BIG)
    qtbot.waitUntil(lambda: w.run_in_child, timeout=5000)
    for k in range(1, 16):
        assert controller.edit(BIG.replace(learning_rate=0.05 + 0.001 * k), "Learning rate")
        qtbot.wait(20)
    qtbot.waitUntil(lambda: w._trainer.experiment.learning_rate == pytest.approx(0.065), timeout=5000)
    qtbot.waitUntil(lambda: w.run_in_child, timeout=5000)
    # the first child, then one at most every CHILD_SETTINGS_GAP (0.25 s) while the burst lasts (~0.3-0.5 s), then
    # the one after the last change (taking each change at once made 12 here)
    assert worker_module.CHILD_SETTINGS_GAP >= 0.2
    assert len(children) <= 5
    assert ended == []
    w.pause()
    qtbot.waitUntil(lambda: bool(ended), timeout=10000)


def test_settings_replaced_while_the_run_takes_them_do_not_end_it(controller, qtbot, monkeypatch):
    """A run stopped for new settings reads the request, then takes it; if newer settings replaced it in between,
    the run goes on and takes the newer ones (it used to end as 'stopped', with no Pause)."""
    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "0")
    w, ended = _start(controller, qtbot, BIG)
    take = w._take_settings
    replaced = []

    def racing(seen=None, own=None):
        if seen is not None and not replaced:  # the run's own take, first time: newer settings arrive just now
            replaced.append(True)
            # what apply_settings does on the GUI thread (its queued signal aside: emitted from this, the worker's
            # own thread, it would call the slot at once)
            with w._lock:
                w._settings_asked += 1
                w._settings_request = (w._generation, BIG.replace(learning_rate=0.0456), w._settings_asked)
        return take(seen, own)

    monkeypatch.setattr(w, "_take_settings", racing)
    w.apply_settings(BIG.replace(learning_rate=0.0123))
    qtbot.waitUntil(lambda: w._trainer.experiment.learning_rate == 0.0456, timeout=5000)
    step = w.latest().step
    qtbot.waitUntil(lambda: w.latest().step > step + 5, timeout=10000)
    assert replaced and ended == [] and w._running
    w.pause()
    qtbot.waitUntil(lambda: bool(ended), timeout=10000)
    assert ended == ["stopped"]

"""A flat-out run of a large network trains in a child process (training.child_run): the worker ends where an
in-process run ends, says it runs in a child while it does, and goes back to its own thread for a followed weight."""

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.qt import worker as worker_module
from nnstudio.training import Experiment, Trainer, child_run

from nnstudio.training.threads import use_blas_threads  # noqa: E402

use_blas_threads(1)  # as the studio does (nnstudio.qt.app.main): a child run needs it (see child_run.available)
pytestmark = pytest.mark.skipif(not child_run.available(), reason="training in a child process needs Linux and fork")


@pytest.fixture(autouse=True)
def child_runs_on(monkeypatch):
    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "1")  # whatever the environment the tests run in says


def _data() -> Dataset:
    rng = np.random.default_rng(3)
    return Dataset(name="random-784", title="random digits", task="multiclass", X=rng.random((600, 784)),
                   y=rng.integers(0, 10, 600), feature_names=tuple(f"p{i}" for i in range(784)),
                   class_names=tuple(str(i) for i in range(10)))


DATA = _data()
EXP = Experiment(name="big", title="big", dataset="random-784",
                 layers=[LayerSpec(32, "relu"), LayerSpec(10, "softmax")], loss="softmax_cross_entropy", init="he",
                 optimizer="momentum", learning_rate=0.05, batch_size=50, shuffle=True, epochs=1000,
                 dtype="float32", preprocessing="none")


def _run(controller, qtbot, updates: int, follow: int | None = None):
    assert controller.open_experiment(EXP, dataset=DATA)
    w = controller.worker
    qtbot.waitUntil(lambda: w.latest() is not None and w.latest().n_train == 600, timeout=5000)
    w.follow(follow)
    child_run.last_stats = {}
    reasons = []
    w.runFinished.connect(reasons.append)
    w.run(updates)
    qtbot.waitUntil(lambda: bool(reasons), timeout=30000)
    assert not w.run_in_child
    return w, reasons[0]


def _same_as_in_process(w, updates: int) -> None:
    here = Trainer(EXP, DATA)
    here.start_timeline()
    here.run(max_updates=updates)
    t = w._trainer
    assert t.step_count == here.step_count == updates
    assert np.array_equal(t.network.flat_parameters, here.network.flat_parameters)
    assert np.array_equal(t.optimizer.state[0][0], here.optimizer.state[0][0])
    assert t.timeline.steps == here.timeline.steps
    assert np.array_equal(w.latest().weights[0], here.network.parameters()[0])


def test_a_large_network_trains_in_a_child_and_ends_as_in_process(controller, qtbot):
    w, reason = _run(controller, qtbot, 150)
    assert reason == "stopped"  # the updates asked for are done, not the run
    assert child_run.last_stats.get("messages", 0) > 0
    _same_as_in_process(w, 150)


def test_the_environment_variable_turns_it_off(controller, qtbot, monkeypatch):
    monkeypatch.setenv("NNSTUDIO_CHILD_RUN", "0")
    assert not worker_module.child_runs_enabled()
    w, _ = _run(controller, qtbot, 60)
    assert child_run.last_stats == {}
    _same_as_in_process(w, 60)


def test_a_followed_weight_keeps_the_run_in_the_worker_thread(controller, qtbot):
    w, _ = _run(controller, qtbot, 60, follow=5)
    assert child_run.last_stats == {}
    assert len(w.latest().followed_x) == 60


def test_pausing_a_run_in_a_child_stops_it(controller, qtbot):
    assert controller.open_experiment(EXP, dataset=DATA)
    w = controller.worker
    qtbot.waitUntil(lambda: w.latest() is not None and w.latest().n_train == 600, timeout=5000)
    reasons = []
    w.runFinished.connect(reasons.append)
    w.run()
    qtbot.waitUntil(lambda: bool(w.run_in_child and w.latest().step > 20), timeout=10000)
    with w.hold_for_gui():  # no wait for the window in a child's run: it goes on
        step = w.latest().step
        qtbot.waitUntil(lambda: w.latest().step > step, timeout=5000)
    w.pause()
    qtbot.waitUntil(lambda: bool(reasons), timeout=30000)
    assert reasons == ["stopped"]
    assert child_run.running_child() is None and not w.run_in_child
    t = w._trainer
    assert w.latest().step == t.step_count > 20


def test_a_killed_child_leaves_the_window_paused_where_the_trainer_stands(window, qtbot):
    """The child killed mid-run (out of memory, say): the error is shown, and the window is paused, not stuck
    'running' with Step greyed out, and shows the Trainer as it was put back (before the run), not the last
    progress the dead child sent."""
    import os
    import signal

    w = window.worker
    assert window.controller.open_experiment(EXP, dataset=DATA)
    qtbot.waitUntil(lambda: w.latest() is not None and w.latest().n_train == 600, timeout=5000)
    failures = []
    w.failed.connect(lambda message, _details: failures.append(message))
    window.run_action.trigger()
    pids = []

    def trained_a_while() -> bool:
        pid = child_run.running_child()
        if pid is not None and w.latest().step > 20:
            pids.append(pid)
        return bool(pids)

    qtbot.waitUntil(trained_a_while, timeout=10000)
    os.kill(pids[0], signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert "ChildRunError" in failures[0] and "SIGKILL" in failures[0]
    qtbot.waitUntil(lambda: window.step_action.isEnabled(), timeout=5000)
    assert window.step_epoch_action.isEnabled() and not window.run_action.isChecked() and not w.running
    assert w.latest().step == w._trainer.step_count == 0

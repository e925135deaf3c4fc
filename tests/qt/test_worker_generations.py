"""A snapshot of a Trainer that was replaced never reaches the views: until the worker thread has taken the new
Trainer, the latest snapshot is the old one's (a run finishing, say), and the window has already told its panels
about the new network and data."""

from PySide6.QtCore import Qt

from nnstudio.qt.worker import TrainingWorker
from nnstudio.training import Trainer, presets


def test_an_old_trainers_snapshot_is_hidden_once_a_new_one_is_handed_over(qtbot):
    w = TrainingWorker()  # lives in this thread: requests run at once unless queued
    old, new = Trainer(presets.get("gender-network")), Trainer(presets.get("perceptron-50k"))
    w.set_trainer(old)
    assert w.latest().n_train == old.n_train and len(w.latest().weights) == 4
    # the hand-over waits in the queue (the worker thread is busy finishing a run) ...
    w._set_trainer.disconnect()
    w._set_trainer.connect(w._do_set_trainer, Qt.ConnectionType.QueuedConnection)
    w.set_trainer(new)
    assert len(w.latest().weights) == 1  # the new one's first snapshot at once: the perceptron's one weight matrix
    w._publish(old.snapshot())  # ... and the run's last snapshot comes out meanwhile: dropped
    assert len(w.latest().weights) == 1
    qtbot.waitUntil(lambda: w._trainer is new, timeout=3000)
    w._publish(new.snapshot())
    assert len(w.latest().weights) == 1 and w.latest().n_train == new.n_train


def test_a_replaced_trainers_run_ends_without_a_word_to_the_window(controller, qtbot):
    """Opening a lesson during a run: the old run's end (runFinished, which marks the session modified) used to reach
    the window after the new, untouched session was open, and the learner was asked to save it."""
    import dataclasses

    w = controller.worker
    reports = []
    for name in ("runFinished", "diverged", "epochFinished"):
        # (runs in the emitting thread, at the emit, which holds the worker's lock: the generation read here is the
        # one the report was posted under; a report posted before the switch is the old session's business)
        getattr(w, name).connect(lambda *a, n=name: reports.append((n, w._generation)))
    assert controller.open_experiment(dataclasses.replace(presets.get("gender-network"), epochs=10**7))
    w.run()
    qtbot.waitUntil(lambda: w.running and w._trainer.step_count > 2000, timeout=5000)
    assert controller.open_experiment(presets.get("trask-neuron"))
    new = w._generation
    assert not controller.dirty
    qtbot.waitUntil(lambda: not w.running, timeout=5000)
    qtbot.wait(300)  # queued reports arrive
    assert not controller.dirty and [n for n, generation in reports if generation == new] == []


def test_a_rewind_asked_for_a_replaced_trainer_is_dropped_not_reported_as_an_error(qtbot):
    """The timeline slider moved during a run, then a layer was changed before the worker thread got to the rewind:
    the request, meant for the old run's update 60, reached the new network, whose timeline holds update 0 only, and
    the window said "Training stopped by an error: update 60 is not on the timeline" (found by the monkey)."""
    w = TrainingWorker()
    old, new = Trainer(presets.get("gender-network")), Trainer(presets.get("trask-neuron"))
    w.set_trainer(old)
    old.run(max_updates=100)
    failed, rewound = [], []
    w.failed.connect(lambda message, details: failed.append(message))
    w.rewound.connect(rewound.append)
    w._rewind.disconnect()
    w._rewind.connect(w._do_rewind, Qt.ConnectionType.QueuedConnection)  # waits while the thread is busy
    w.rewind(60)
    w.set_trainer(new)  # taken at once (this test's worker lives in its thread)
    qtbot.wait(50)  # the queued rewind comes
    assert failed == [] and rewound == [] and new.step_count == 0
    w.rewind(0)  # a request for the Trainer held now is carried out
    qtbot.waitUntil(lambda: rewound == [0], timeout=3000)
    assert failed == []

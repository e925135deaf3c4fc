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

"""The views of a big image set keep no float copy of its pixels and work a chunk at a time (issue 9: the studio stays
under 1 GB on MNIST). Measured with tracemalloc (numpy reports its buffers to it) and with a census of the arrays
alive; never with timings."""

import gc
import tracemalloc

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment
from nnstudio.training.trainer import PreparedData, Trainer

MB = 2**20


def digits(n_train: int, n_test: int, seed: int = 0) -> Dataset:
    """Random 28 x 28 uint8 pictures with labels 0..9: MNIST's shape without reading it."""
    rng = np.random.default_rng(seed)
    return Dataset(name="noise", title="noise", task="multiclass",
                   X=rng.integers(0, 256, (n_train, 784), dtype=np.uint8), y=rng.integers(0, 10, n_train),
                   feature_names=tuple(f"p{i}" for i in range(784)), class_names=tuple("0123456789"),
                   X_test=rng.integers(0, 256, (n_test, 784), dtype=np.uint8), y_test=rng.integers(0, 10, n_test),
                   image_shape=(28, 28))


def experiment(hidden: int = 16) -> Experiment:
    return Experiment(name="noise", dataset="noise", layers=[LayerSpec(hidden, "relu"), LayerSpec(10, "softmax")],
                      loss="softmax_cross_entropy", init="he", dtype="float32", epochs=1, batch_size=100)


def prepared_of(trainer: Trainer) -> PreparedData:
    return PreparedData(trainer.train_rows, trainer.preprocessing, trainer.X_train, trainer.Y_train,
                        trainer.X_test, trainer.Y_test)


def traced_peak(work):
    """(work's result, the most memory traced at once while it ran, in bytes)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def arrays_in(value) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        return [a for v in value.values() for a in arrays_in(v)]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in arrays_in(v)]
    return []


@pytest.fixture
def trainer():  # one per test: no other test's arrays linger in the census below
    """12,000 training and 10,000 test pictures: more training rows than the predictions panel judges in full."""
    return Trainer(experiment(), digits(12_000, 10_000))


def test_network_inputs_of_pixels_are_made_without_a_float64_copy(trainer):
    snap = trainer.snapshot()
    X = trainer.dataset.X_test  # 10,000 x 784 uint8: 7.5 MB; as float32 30 MB; as float64 60 MB
    inputs, peak = traced_peak(lambda: snap.network_inputs(X))
    assert inputs.dtype == np.float32
    np.testing.assert_array_equal(inputs, trainer.X_test)
    assert peak < inputs.nbytes + 8 * MB, f"{peak / MB:.0f} MB for {inputs.nbytes / MB:.0f} MB of inputs"


def test_the_gallery_answers_a_big_set_a_chunk_at_a_time_and_keeps_no_inputs(trainer):
    from nnstudio.qt.panels import gallery_numbers

    snap, ds = trainer.snapshot(), trainer.dataset
    (answers, cache), peak = traced_peak(lambda: gallery_numbers.answers(snap, ds, True, {}, None))
    assert peak < 12 * MB, f"{peak / MB:.0f} MB (the test set's inputs alone are 30 MB of float32)"
    assert not [a for a in arrays_in(cache) if a.nbytes > MB]
    want = snap.predict(ds.X_test[:300])
    np.testing.assert_array_equal(answers.predicted[:300], want.argmax(axis=1))
    np.testing.assert_allclose(answers.probabilities[:300], want, rtol=1e-3, atol=1e-4)


def test_the_predictions_read_the_trainers_inputs_in_chunks_and_keep_no_copy(trainer):
    from nnstudio.qt.panels import predictions_numbers

    snap, ds, prepared = trainer.snapshot(), trainer.dataset, prepared_of(trainer)
    for test in (True, False):  # every test row; a sample of 5,000 of the 12,000 training rows
        (out, y, note, cache), peak = traced_peak(
            lambda: predictions_numbers.answers(snap, ds, test, {}, prepared))
        # the test set's inputs are 30 MB of float32, the sample's 15 MB (31 MB as float64); the raw sample kept
        # (uint8) is 4 MB, a chunk of inputs 6 MB
        assert peak < 12 * MB, f"{peak / MB:.0f} MB judging the {'test' if test else 'training'} rows"
        kept = [a for a in arrays_in(cache) if a.nbytes > MB]
        assert all(a.dtype == np.uint8 for a in kept), [(a.dtype, a.shape) for a in kept]  # the raw sample only
        X = ds.X_test if test else cache["rows"][0]
        np.testing.assert_allclose(out[:200], snap.predict(X[:200]), rtol=1e-3, atol=1e-4)
        assert len(out) == len(y) == (10_000 if test else predictions_numbers.SAMPLE)


def test_without_the_trainers_arrays_the_predictions_work_in_chunks_too(trainer):
    from nnstudio.qt.panels import predictions_numbers

    snap, ds = trainer.snapshot(), trainer.dataset
    (out, y, note, cache), peak = traced_peak(lambda: predictions_numbers.answers(snap, ds, True, {}, None))
    assert peak < 12 * MB, f"{peak / MB:.0f} MB"
    assert not [a for a in arrays_in(cache) if a.nbytes > MB and a.dtype.kind == "f"]
    np.testing.assert_allclose(out[-100:], snap.predict(ds.X_test[-100:]), rtol=1e-3, atol=1e-4)


def float_tables(n_columns: int, min_rows: int) -> list[np.ndarray]:
    """Every float array alive with ``n_columns`` columns and at least ``min_rows`` rows (views counted by the
    buffer they look into), found through the objects the cycle collector knows."""
    gc.collect()
    found = {}
    for o in gc.get_objects():
        for r in gc.get_referents(o):
            if isinstance(r, np.ndarray):
                root = r
                while isinstance(root.base, np.ndarray):
                    root = root.base
                if (root.dtype.kind == "f" and root.ndim == 2 and root.shape[1] == n_columns
                        and root.shape[0] >= min_rows):
                    found[id(root)] = root
    return list(found.values())


def test_the_studio_on_a_big_image_set_holds_one_float32_copy_of_it(window, qtbot):
    """After opening a 784-16-10 float32 network on 12,000 pictures, a few updates and every panel's answers, the
    only float tables of 784 columns alive are the Trainer's own (its inputs, and the sample of 5,000 training rows
    it judges at each epoch's end): no float64 copy, no view's copy."""
    from PySide6.QtWidgets import QDockWidget

    from nnstudio.qt.panels.offthread import LatestJob

    # windows of earlier tests in this process (closed, not deleted) go first: one that opened MNIST held its tables
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from nnstudio.qt.main_window import MainWindow

    for other in QApplication.topLevelWidgets():
        if isinstance(other, MainWindow) and other is not window:
            other.close()
            other.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    ds = digits(12_000, 3_000, seed=2)
    for dock in (window.gallery_dock, window.predictions_dock):
        dock.setFloating(True)
        dock.show()
    for dock in window.findChildren(QDockWidget):
        dock.show()
    assert window.controller.open_experiment(experiment(), dataset=ds)
    window.surface.cancel()  # a grid over this network takes long; it reads the Trainer's arrays (and a sample)
    for _ in range(3):
        window.step()
        qtbot.wait(100)
    window.pull_snapshot()
    jobs = window.findChildren(LatestJob)
    qtbot.waitUntil(lambda: not any(job.busy() for job in jobs), timeout=20_000)
    window.surface.cancel()
    prepared = window.controller.prepared
    judged = [table.X for table in window.worker._trainer.judged if table is not None]  # its epoch-end sample
    # Trainers of earlier tests in this process that outlived their windows (a closed MNIST lesson's was seen in CI;
    # not found why yet) hold tables of their own: not this studio's copies, so left out by their Trainer
    from nnstudio.training.trainer import Trainer

    mine = window.worker._trainer
    others = {id(a) for t in gc.get_objects() if isinstance(t, Trainer) and t is not mine
              for a in (t.X_train, t.X_test, *(j.X for j in t.judged if j is not None)) if a is not None}
    tables = [t for t in float_tables(784, 1_000) if id(t) not in others]
    assert {id(t) for t in tables} <= {id(prepared.X_train), id(prepared.X_test), *map(id, judged)}, \
        [(t.dtype, t.shape) for t in tables]
    assert prepared.X_train.dtype == np.float32 and prepared.X_test.dtype == np.float32

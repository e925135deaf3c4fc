"""What an epoch's end measures: every row of a table up to 10,000 rows, a fixed sample of 5,000 of a bigger one."""

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, Trainer
from nnstudio.training.judging import ALL_ROWS, SAMPLE, judged_rows


def _blobs(n: int, seed=2) -> Dataset:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])[y] + rng.normal(0, 1.2, (n, 2))
    return Dataset(name="blobs", title="blobs", task="multiclass", X=X, y=y, feature_names=("a", "b"),
                   class_names=("r", "g", "b"))


def _hand_count(true, guess, k=3):
    M = np.zeros((k, k), dtype=int)
    np.add.at(M, (true, guess), 1)
    return M


def test_judged_rows_all_of_a_small_table_and_the_same_sample_of_a_big_one():
    assert judged_rows(ALL_ROWS) is None
    rows = judged_rows(ALL_ROWS + 1)
    assert len(rows) == SAMPLE == len(np.unique(rows)) and np.all(np.diff(rows) > 0) and rows[-1] <= ALL_ROWS
    np.testing.assert_array_equal(rows, judged_rows(ALL_ROWS + 1))  # fixed: the same rows at every epoch
    assert not np.array_equal(judged_rows(60_000)[:100], judged_rows(12_000)[:100])


@pytest.mark.parametrize("n_train", [12_000, 2_000])
def test_an_epochs_end_judges_the_sample_of_a_big_table_with_that_epochs_weights(n_train):
    ds = _blobs(n_train)
    exp = Experiment(name="b", dataset="blobs", layers=[LayerSpec(4, "tanh"), LayerSpec(3, "softmax")],
                     loss="softmax_cross_entropy", optimizer="sgd", learning_rate=0.1, batch_size=64, shuffle=True,
                     epochs=2)
    t = Trainer(exp, ds)
    t.run()
    snap = t.snapshot()
    rows = judged_rows(n_train)
    rows = np.arange(n_train) if rows is None else rows
    out = snap.predict(ds.X[rows])
    M = _hand_count(ds.y[rows], out.argmax(axis=1))
    np.testing.assert_array_equal(snap.train_confusion, M)
    assert snap.train_confusion.sum() == (SAMPLE if n_train > ALL_ROWS else n_train)
    assert snap.train_metric == pytest.approx(np.trace(M) / len(rows), abs=0)
    Y = np.eye(3)[ds.y[rows]]
    assert snap.epoch_values[-1, 0] == pytest.approx(t.loss_fn.value(out, Y), rel=1e-12)


def test_a_big_test_table_is_judged_on_its_sample_too():
    ds = _blobs(3_000)
    big = _blobs(11_000, seed=9)
    ds = Dataset(name="blobs", title="blobs", task="multiclass", X=ds.X, y=ds.y, X_test=big.X, y_test=big.y,
                 feature_names=("a", "b"), class_names=("r", "g", "b"))
    exp = Experiment(name="b", dataset="blobs", layers=[LayerSpec(3, "softmax")], loss="softmax_cross_entropy",
                     optimizer="sgd", learning_rate=0.1, batch_size=100, epochs=1)
    t = Trainer(exp, ds)
    t.run()
    snap = t.snapshot()
    rows = judged_rows(11_000)
    assert snap.train_confusion.sum() == 3_000 and snap.test_confusion.sum() == SAMPLE
    np.testing.assert_array_equal(snap.test_confusion, _hand_count(big.y[rows], snap.predict(big.X[rows]).argmax(1)))

"""What the end of an epoch measures: the loss, the metric (accuracy or R²) and the confusion counts of the weights
at that moment, dropout off, on the training rows and on the test rows.

A table of more than ``ALL_ROWS`` rows is judged on a fixed random sample of ``SAMPLE`` of them, the same rows at
every epoch (the predictions panel's rule for big tables). Judging is a forward pass, a third of what training on a
row costs: all 60,000 MNIST training rows at every epoch's end made an epoch half as long again, while 5,000 rows
tell the accuracy to within about half a percent. Tables of up to 10,000 rows (every tutorial's) are judged in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.training.classes import confusion_counts, predicted_classes

ALL_ROWS = 10_000
SAMPLE = 5_000


def judged_rows(n: int) -> np.ndarray | None:
    """The rows of an n-row table an epoch's end judges: None for all of them, else a fixed sample, in order."""
    if n <= ALL_ROWS:
        return None
    return np.sort(np.random.default_rng(0).choice(n, SAMPLE, replace=False))


@dataclass(frozen=True, eq=False)
class JudgedTable:
    """The rows of one table an epoch's end judges, with their true classes worked out once (None for
    regression); ``n_rows`` is the size of the whole table."""

    X: np.ndarray
    Y: np.ndarray
    true: np.ndarray | None
    n_rows: int

    @classmethod
    def of(cls, X: np.ndarray, Y: np.ndarray, task: str) -> "JudgedTable":
        n, rows = len(X), judged_rows(len(X))
        if rows is not None:
            X, Y = X[rows], Y[rows]
        true = predicted_classes(Y, task) if task in ("binary", "multiclass") else None
        return cls(X, Y, true, n)


def classes_and_counts(y_hat: np.ndarray, Y: np.ndarray, task: str,
                       true: np.ndarray | None = None) -> tuple[float, np.ndarray | None]:
    """(metric, confusion counts or None): accuracy and K x K counts of (true class, predicted class) for a
    classification task (binary at the 0.5 threshold), R² and None for regression."""
    if task in ("binary", "multiclass"):
        true = predicted_classes(Y, task) if true is None else true
        guess = predicted_classes(y_hat, task)
        k = 2 if task == "binary" else Y.shape[1]
        M = confusion_counts(true, guess, k)
        M.flags.writeable = False
        # np.mean(guess == true) without its Python wrapper (trask-neuron judges at every update)
        return (np.count_nonzero(guess == true) / len(true) if len(true) else float("nan")), M
    ss_res = float(np.sum((Y - y_hat) ** 2, dtype=np.float64))
    ss_tot = float(np.sum((Y - Y.mean(axis=0)) ** 2, dtype=np.float64))
    return (1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")), None

"""Turning a network's outputs into classes, and counting how they compare with the true ones. The Trainer's
accuracy and epoch-end confusion counts and the predictions panel all decide classes here, so they agree."""

from __future__ import annotations

import numpy as np


def predicted_classes(outputs: np.ndarray, task: str) -> np.ndarray:
    """Class per row of ``outputs`` (rows, units): binary, the first unit at 0.5 or above is class 1; multiclass, the
    largest unit. Works on one-hot or 0/1 target columns too, giving the true classes."""
    if task == "binary":
        return (outputs[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1)


def confusion_counts(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """M[i, j]: rows of true class i predicted as class j, shape (n_classes, n_classes)."""
    true, predicted = np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    return np.bincount(true * n_classes + predicted, minlength=n_classes * n_classes).reshape(n_classes, n_classes)

"""What the gallery shows, worked out from a snapshot and the data: every image's true class, the network's answer
and how sure it was; which images a filter keeps and in what order; a page of them as a greyscale mosaic. Plain numpy
that any thread may run (the panel runs ``answers`` on its own, ``offthread.LatestJob``: 10,000 test images through
a 784-128-10 network take 20-40 ms), a chunk of rows at a time.

Classes are decided by ``training.classes.predicted_classes``, as the Trainer's accuracy and the confusion matrix
decide them, so a confusion cell and the gallery filtered to it count the same images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.training.classes import predicted_classes
from nnstudio.training.trainer import Snapshot

CHUNK = 2_000  # rows put through the network at once (a 784-input float32 chunk: 6 MB; its float64 answer, never)
ORDERS = ("set", "surest", "least sure")


@dataclass(frozen=True, eq=False)
class Answers:
    """The network's answer for every image of one set (test or training), by position in that set."""

    test: bool
    true: np.ndarray  # (n,) int64: the true class
    predicted: np.ndarray  # (n,) int64: the class the network gives
    confidence: np.ndarray  # (n,) float64: its probability (binary: P(class 1) or 1 - that); NaN when not a number
    probabilities: np.ndarray  # (n, n_classes) float32: each class's probability, as the network gives them
    step: int  # the snapshot's update count

    @property
    def wrong(self) -> np.ndarray:
        return self.predicted != self.true


def images_of(ds, test: bool) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of the set the gallery shows: the test images, or all training images."""
    return (ds.X_test, ds.y_test) if test else (ds.X, ds.y)


def _inputs_from_prepared(prepared, snap: Snapshot, ds, test: bool):
    """The Trainer's own preprocessed rows for this set when they are what the snapshot would make (same
    preprocessing and dtype, no training row left out), else None."""
    if prepared is None:
        return None
    X = prepared.X_test if test else prepared.X_train
    if X is None or len(X) != len(images_of(ds, test)[0]) or X.dtype != np.dtype(snap.dtype):
        return None
    same = prepared.preprocessing is snap.preprocessing or prepared.preprocessing == snap.preprocessing
    return X if same else None


def outputs(snap: Snapshot, X: np.ndarray, inputs: np.ndarray | None = None,
            rows: np.ndarray | None = None) -> np.ndarray:
    """The network's outputs for ``X[rows]`` (every row without ``rows``), CHUNK rows at a time: from ``inputs``
    (the Trainer's preprocessed rows of the same set) when given, else preprocessed here chunk by chunk. No copy of
    the set's inputs is ever made whole (60,000 MNIST digits would be 188 MB as float32, twice that as float64)."""
    positions = np.arange(len(X)) if rows is None else np.asarray(rows)
    out = None
    for i in range(0, len(positions), CHUNK):
        take = positions[i:i + CHUNK]
        whole = rows is None and len(take) == len(X)  # one chunk of the whole set: no gathering
        a = (inputs if whole else inputs[take]) if inputs is not None else snap.network_inputs(X if whole else X[take])
        y = snap.forward_inputs(a)[-1][1]
        del a  # before the next chunk's inputs are made: one chunk at a time
        if out is None:
            out = np.empty((len(positions), y.shape[1]), dtype=y.dtype)
        out[i:i + len(take)] = y
    if out is None:  # no rows
        out = np.zeros((0, snap.layers[-1].units), dtype=np.dtype(snap.dtype))
    return out


def answers(snap: Snapshot, ds, test: bool, cache: dict, prepared=None) -> tuple[Answers, dict]:
    """Every image's answer with the snapshot's weights. ``prepared``: the Trainer's preprocessed arrays, used as
    they are when they fit (no copy); otherwise the images are preprocessed a chunk at a time (nothing is kept:
    ``cache`` comes back as it was)."""
    X, y = images_of(ds, test)
    inputs = _inputs_from_prepared(prepared, snap, ds, test)
    with np.errstate(all="ignore"):  # a diverged network answers inf and NaN: shown as such
        out = outputs(snap, X, inputs)
        predicted = predicted_classes(out, ds.task)
        probabilities = np.column_stack([1 - out[:, 0], out[:, 0]]) if ds.task == "binary" else out
        probabilities = np.asarray(probabilities, dtype=np.float32)
        confidence = probabilities[np.arange(len(out)), predicted].astype(np.float64)
    confidence[~np.isfinite(confidence)] = np.nan
    return Answers(test, np.asarray(y, dtype=np.int64), predicted.astype(np.int64), confidence, probabilities,
                   snap.step), cache


def chosen(a: Answers, true_class: int | None = None, answer: int | None = None, wrong_only: bool = False,
           order: str = "set") -> np.ndarray:
    """Positions (into the set) of the images the filter keeps, in ``order``: "set" (as stored), "surest" (most
    confident answer first: with ``wrong_only``, the most confidently wrong) or "least sure"; ties keep the set's
    order, answers that are not numbers come last."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; known: {', '.join(ORDERS)}")
    keep = np.ones(len(a.true), dtype=bool)
    if true_class is not None:
        keep &= a.true == true_class
    if answer is not None:
        keep &= a.predicted == answer
    if wrong_only:
        keep &= a.wrong
    positions = np.flatnonzero(keep)
    if order == "set":
        return positions
    c = a.confidence[positions]
    key = np.where(np.isnan(c), np.inf, -c if order == "surest" else c)
    return positions[np.argsort(key, kind="stable")]


def levels(ds) -> tuple[float, float]:
    """(black, white): the raw pixel values drawn as black and white, the smallest and largest of the data's (0 and
    255 for MNIST's uint8), the same for both sets; a set of one value gets a span of 1."""
    parts = [X for X in (ds.X, ds.X_test) if X is not None and X.size]
    if not parts:
        return 0.0, 1.0
    lo, hi = min(float(np.min(X)) for X in parts), max(float(np.max(X)) for X in parts)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def mosaic(X: np.ndarray, positions: np.ndarray, shape: tuple[int, int], black_white: tuple[float, float],
           cols: int) -> np.ndarray:
    """The images at ``positions`` of ``X`` side by side, ``cols`` to a row, as one uint8 greyscale array
    (rows * h, cols * w); empty places are black."""
    h, w = shape
    n = len(positions)
    rows = max(1, -(-n // max(cols, 1)))
    out = np.zeros((rows * h, cols * w), dtype=np.uint8)
    if not n:
        return out
    lo, hi = black_white
    pictures = (np.asarray(X[positions], dtype=np.float64) - lo) * (255.0 / (hi - lo))
    pictures = np.clip(np.rint(pictures), 0, 255).astype(np.uint8).reshape(n, h, w)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * h:(r + 1) * h, c * w:(c + 1) * w] = pictures[k]
    return out

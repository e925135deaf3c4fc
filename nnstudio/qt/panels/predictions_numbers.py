"""What the predictions panel shows, worked out from a snapshot and the data: plain numpy that any thread may run
(the panel runs it on its own, ``offthread.LatestJob``). Answering 6,400 points of the plane, judging 5,000 rows and
tracing the boundary took the GUI thread up to a second on big networks; here it takes the job's thread.

Nothing here keeps state: the rows judged are handed in and back in ``cache`` (a dict the
panel keeps per table; a new dict is returned when something was added)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.numbers import count, percent
from nnstudio.qt.panels.colormaps import class_colour
from nnstudio.qt.panels.contours import contour_segments, segments_to_xy
from nnstudio.qt.panels.gallery_numbers import _inputs_from_prepared, images_of, outputs
from nnstudio.training.classes import confusion_counts, predicted_classes
from nnstudio.training.trainer import Snapshot

TINT = 0.45  # how much colour a sure answer gives the background (the points keep full colour)
GRID = 80  # decision-surface grid points per axis
BIG, SAMPLE = 10_000, 5_000  # tables with more rows are judged on a fixed random sample of this many
LISTED = 12  # tables up to this size list every row's output


def judged_rows(ds, test: bool):
    """(X, y, note, positions) of the rows to judge: all of them (positions None), or a fixed random sample of a big
    table (X and y of the sample; positions: where they are in the table)."""
    X, y = (ds.X_test, ds.y_test) if test else (ds.X, ds.y)
    label = "test" if test else "training"
    if len(X) <= BIG:
        return X, y, f"all {count(len(X))} {label} rows", None
    keep = np.sort(np.random.default_rng(0).choice(len(X), SAMPLE, replace=False))
    return (X[keep], y[keep], f"a fixed random sample of {count(SAMPLE)} of the {count(len(X))} {label} rows",
            keep)


def rows_in(cache: dict, ds, test: bool) -> tuple[tuple, dict]:
    """``judged_rows`` from ``cache`` (kept per table, so a redraw during training does not draw the sample again):
    (rows, the cache with them)."""
    key = (id(ds), test)
    if cache.get("rows_key") != key or cache.get("dataset") is not ds:
        cache = {"rows_key": key, "rows": judged_rows(ds, test), "dataset": ds}
    return cache["rows"], cache


def answers(snap: Snapshot, ds, test: bool, cache: dict, prepared=None):
    """(network outputs, y, note, cache) for the rows judged, a chunk at a time: from the Trainer's preprocessed
    rows (``prepared``) when they fit, else preprocessed chunk by chunk (no copy of the table's network inputs is
    kept: the 10,000 MNIST test digits would be 30 MB of float32)."""
    (X, y, note, positions), cache = rows_in(cache, ds, test)
    inputs = _inputs_from_prepared(prepared, snap, ds, test)
    if inputs is not None:
        out = outputs(snap, inputs, inputs, positions)
    else:
        out = outputs(snap, X)
    return out, y, note, cache


def plane_axes(ds) -> list[np.ndarray]:
    """The decision surface's grid: GRID points along each feature, over the data and a tenth beyond."""
    X_all = ds.X if not ds.has_test else np.vstack([ds.X, ds.X_test])
    lo, hi = X_all.min(axis=0), X_all.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
    return [np.linspace(lo[k] - pad[k], hi[k] + pad[k], GRID) for k in range(2)]


@dataclass(frozen=True, eq=False)
class Plane:
    """The decision surface of one snapshot: the answers Z on the grid (P(class 1) for binary, every output
    otherwise), the background image, the boundary as pairs of points, the accuracy on the rows judged."""

    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray  # (len(ys), len(xs)) for binary, (len(ys), len(xs), K) otherwise
    image: np.ndarray  # binary: Z (levels 0..1); otherwise RGB uint8, the winning class's colour tinted by sureness
    rect: tuple[float, float, float, float]
    boundary_x: np.ndarray
    boundary_y: np.ndarray
    accuracy: float
    rows_note: str

    def table(self, ds) -> tuple[list[str], list[list]]:
        """Every grid point with the network's outputs there (for the CSV export)."""
        gx, gy = np.meshgrid(self.xs, self.ys)
        flat = self.Z.reshape(len(self.ys) * len(self.xs), -1)
        return (list(ds.feature_names) + list(ds.output_names),
                [[float(gx.flat[i]), float(gy.flat[i]), *map(float, flat[i])] for i in range(len(flat))])


def plane(snap: Snapshot, ds, axes, cache: dict, prepared=None) -> tuple[Plane, dict]:
    xs, ys = axes
    with np.errstate(all="ignore"):  # a diverged network answers inf and NaN: drawn (or not) as such
        gx, gy = np.meshgrid(xs, ys)
        out = snap.predict(np.column_stack([gx.ravel(), gy.ravel()]))
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        rect = (xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys))
        if ds.task == "binary":
            Z = out[:, 0].reshape(len(ys), len(xs))
            image = Z
            segments = contour_segments(Z, xs, ys, 0.5)
        else:
            Z = out.reshape(len(ys), len(xs), -1)
            K = Z.shape[2]
            winner, confidence = Z.argmax(axis=2), Z.max(axis=2)
            # NaN answers (a diverged network) are left white
            t = np.nan_to_num(np.clip((confidence - 1 / K) / (1 - 1 / K), 0, 1), nan=0.0)[..., None] * TINT
            colours = np.array([class_colour(k) for k in range(K)], dtype=np.float64)[winner]
            image = (255 + (colours - 255) * t).astype(np.uint8)
            margin = [Z[..., k] - np.delete(Z, k, axis=2).max(axis=2) for k in range(K)]
            segments = np.concatenate([contour_segments(m, xs, ys, 0.0) for m in margin])
        bx, by = segments_to_xy(segments)
        answered, y, note, cache = answers(snap, ds, False, cache, prepared)
        accuracy = float(np.mean(predicted_classes(answered, ds.task) == y))
    return Plane(xs.copy(), ys.copy(), Z, image, rect, bx, by, accuracy, note), cache


@dataclass(frozen=True, eq=False)
class Matrix:
    """A confusion matrix and what goes around it."""

    M: np.ndarray
    test: bool
    title: str
    note: str
    listing: tuple | None  # (outputs, y, predicted) of a table small enough to list row by row


def matrix(snap: Snapshot, ds, test: bool, training: bool, cache: dict,
           prepared=None) -> tuple[Matrix, dict]:
    counted = snap.test_confusion if test else snap.train_confusion
    n_rows = len(ds.y_test if test else ds.y)
    listing = None
    if training and counted is not None and n_rows > LISTED:
        # during a run: the Trainer's own count at the last epoch's end (every row, or its fixed sample of a big
        # table: training.judging), at no cost here
        M = np.asarray(counted)
        total, n_all = int(M.sum()), n_rows if test else snap.n_train
        which = (f"all {count(total)}" if total >= n_all
                 else f"a fixed random sample of {count(total)} of the {count(n_all)}")
        rows = (f"{which} {'test' if test else 'training'} rows the network "
                f"{'is tested on' if test else 'trains on'}, at the end of epoch {count(snap.confusion_epoch)} "
                "(while training runs)")
    elif ds.image_shape is not None and n_rows > BIG:
        # pictures: every image, as the gallery answers them, so that a click on a cell lists exactly the images it
        # counts (a chunk at a time, on the panel's thread; 60,000 MNIST digits take a few tenths of a second)
        X, y = images_of(ds, test)
        with np.errstate(all="ignore"):
            out = outputs(snap, X, _inputs_from_prepared(prepared, snap, ds, test))
            predicted = predicted_classes(out, ds.task)
        y = np.asarray(y, dtype=np.int64)
        M = confusion_counts(y, predicted, ds.n_classes)
        total = len(y)
        rows = f"all {count(total)} {'test' if test else 'training'} images"
    else:
        with np.errstate(all="ignore"):
            out, y, rows, cache = answers(snap, ds, test, cache, prepared)
            predicted = predicted_classes(out, ds.task)
        M = confusion_counts(y, predicted, ds.n_classes)
        total = len(y)
        if len(y) <= LISTED:
            listing = (out, y, predicted)
    right = int(np.trace(M))
    title = (f"{'Test' if test else 'Training'} set: {count(right)} of {count(total)} right "
             f"({percent(right / max(total, 1))})")
    return Matrix(M, test, title, f"Counts on {rows}; colour: share of each true class's rows.", listing), cache


def scatter(snap: Snapshot, ds, cache: dict, prepared=None):
    """(network outputs, y, note, cache) of the training rows judged (a numeric target from several features)."""
    with np.errstate(all="ignore"):
        return answers(snap, ds, False, cache, prepared)

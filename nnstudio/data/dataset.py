"""A dataset: plain arrays in the units a person reads them in, plus what is needed to feed them to a network.

- ``X`` holds the raw features, ``(n_samples, n_features)``, exactly as typed (pounds, inches): float64, or uint8
  for images (pixel values 0..255, a quarter of the memory of float32 and an eighth of float64).
- ``y`` holds the targets: class indices ``(n_samples,)`` int for ``binary`` and ``multiclass`` tasks, values
  ``(n_samples, n_targets)`` float for ``regression``.
- ``preprocessing`` maps raw features to network inputs, x' = (x − shift) / scale per feature; the same map is applied
  to the learner's "try it" queries, so they can be typed in raw units.
- An optional held-out test split (``X_test``, ``y_test``) in the same raw units.
- Image sets say so with ``image_shape`` (height, width): each row is one picture, row-major.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

TASKS = ("binary", "multiclass", "regression")
# Edited cells are at most this large in size: squares of a value far beyond it overflow float64 in preprocessing and
# losses, and float32 networks hold at most 3.4e38 (a learner's table never needs more).
MAX_CELL = 1e15
# Big tables are converted a block of rows at a time, so no temporary copy of the whole table is ever made (MNIST's
# 60,000 x 784 pixels would make 376 MB of float64 in one go). A block is at most this many values.
BLOCK_VALUES = 1 << 20


def _exact_in_float32(X: np.ndarray) -> bool:
    """Whole numbers of at most 16 bits (pixels): float32 holds each of them exactly."""
    return X.dtype.kind in "biu" and X.dtype.itemsize <= 2


class DataError(ValueError):
    """Data that cannot be used, with a message that says where and why."""


@dataclass(frozen=True)
class Preprocessing:
    """x' = (x − shift) / scale, feature by feature."""

    shift: tuple[float, ...]
    scale: tuple[float, ...]
    description: str = "none"

    @classmethod
    def identity(cls, n_features: int) -> "Preprocessing":
        return cls((0.0,) * n_features, (1.0,) * n_features, "none")

    @classmethod
    def standardize(cls, X: np.ndarray) -> "Preprocessing":
        """Shift by each feature's mean and divide by its standard deviation (1 where a feature is constant).

        Measured in float64 a block of columns at a time: the same numbers as ``X.mean(axis=0)`` and
        ``X.std(axis=0)``, without a float64 copy of the whole table."""
        X = np.asarray(X)
        n, m = X.shape
        mean, std = np.empty(m), np.empty(m)
        step = max(1, BLOCK_VALUES // max(n, 1))
        for j in range(0, m, step):
            block = np.array(X[:, j:j + step], dtype=np.float64, order="C")
            mean[j:j + step] = block.mean(axis=0)
            std[j:j + step] = block.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return cls(tuple(float(v) for v in mean), tuple(float(v) for v in std), "standardised (mean 0, std 1)")

    @property
    def is_identity(self) -> bool:
        return all(s == 0.0 for s in self.shift) and all(s == 1.0 for s in self.scale)

    def __post_init__(self):
        if len(self.shift) != len(self.scale):
            raise DataError("preprocessing needs one shift and one scale per feature")
        if not all(np.isfinite(self.shift)) or not all(np.isfinite(v) and v != 0 for v in self.scale):
            raise DataError("preprocessing shifts must be finite and scales finite and non-zero")

    def apply(self, X: np.ndarray, dtype=np.float64) -> np.ndarray:
        """A new array of network inputs in ``dtype`` (never a view of ``X``).

        Computed in float64 and rounded to ``dtype``, a block of rows at a time (no whole-table temporaries); pixels
        (whole numbers of at most 16 bits) bound for a float32 network are computed in float32 directly, which for
        pixel / 255 gives exactly the float64 result rounded (a division is rounded once either way)."""
        X = np.asarray(X)
        dtype = np.dtype(dtype)
        if X.dtype.kind not in "biuf":
            X = np.asarray(X, dtype=np.float64)
        if self.is_identity:
            return X.astype(dtype, copy=True)
        work = np.dtype(np.float32) if dtype == np.float32 and _exact_in_float32(X) else np.dtype(np.float64)
        shift, scale = np.asarray(self.shift, dtype=work), np.asarray(self.scale, dtype=work)
        subtract, divide = bool(np.any(shift != 0)), bool(np.any(scale != 1))
        out = np.empty(X.shape, dtype=dtype)
        if X.ndim < 2:
            blocks = [(slice(None), X)]
        else:
            rows = max(1, BLOCK_VALUES // max(X[0].size, 1))
            blocks = ((slice(i, i + rows), X[i:i + rows]) for i in range(0, len(X), rows))
        for where, block in blocks:
            # the result's own memory is the work space when it can be; the first step reads the raw block
            target = out[where] if work == dtype else np.empty(block.shape, dtype=work)
            source = block
            if subtract:
                source = np.subtract(source, shift, out=target)
            if divide:
                source = np.divide(source, scale, out=target)
            if source is block:
                target[...] = block
            if work != dtype:
                out[where] = target
        return out

    def to_dict(self) -> dict:
        return {"shift": list(self.shift), "scale": list(self.scale), "description": self.description}

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessing":
        return cls(tuple(float(v) for v in d["shift"]), tuple(float(v) for v in d["scale"]),
                   str(d.get("description", "")))


@dataclass(frozen=True)
class Query:
    """A "try it" input in raw units, with what the tutorial says it should give (``expected``, free text)."""

    label: str
    values: tuple[float, ...]
    expected: str = ""


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    title: str
    task: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()  # classification: the name of each class index
    target_names: tuple[str, ...] = ()  # regression: the name of each target column
    preprocessing: Preprocessing | None = None
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    queries: tuple[Query, ...] = ()
    description: str = ""
    source: str = ""
    params: dict = field(default_factory=dict)  # how it was made (generator settings, CSV path and target)
    # images: (height, width) of each row's picture (row-major, height * width == n_features), else None
    image_shape: tuple[int, int] | None = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise DataError(f"unknown task {self.task!r}; known: {', '.join(TASKS)}")
        if self.X.ndim != 2:
            raise DataError(f"features must be a 2-D table, got shape {self.X.shape}")
        if len(self.y) != len(self.X):
            raise DataError(f"{len(self.X)} feature rows but {len(self.y)} targets")
        if len(self.feature_names) != self.X.shape[1]:
            raise DataError(f"{self.X.shape[1]} features but {len(self.feature_names)} feature names")
        if self.image_shape is not None:
            h, w = (int(v) for v in self.image_shape)
            if h < 1 or w < 1 or h * w != self.X.shape[1]:
                raise DataError(f"images of {h}x{w} pixels need {h * w} features, the data has {self.X.shape[1]}")
            object.__setattr__(self, "image_shape", (h, w))
        if self.task == "regression" and self.y.ndim == 1:
            object.__setattr__(self, "y", self.y.reshape(-1, 1))
        if self.preprocessing is None:
            object.__setattr__(self, "preprocessing", Preprocessing.identity(self.n_features))
        if len(self.preprocessing.shift) != self.n_features or len(self.preprocessing.scale) != self.n_features:
            raise DataError(f"the preprocessing is for {len(self.preprocessing.shift)} features, the data has "
                            f"{self.n_features}")
        if self.task == "binary" and len(self.class_names) != 2:
            raise DataError("a binary task needs exactly two class names")
        if self.task == "multiclass" and len(self.class_names) < 2:
            raise DataError("a multi-class task needs at least two class names")
        if (self.X_test is None) != (self.y_test is None):
            raise DataError("a test split needs both its features and its targets")
        for label, X, y in (("training", self.X, self.y), ("test", self.X_test, self.y_test)):
            if X is None:
                continue
            if X.ndim != 2 or X.shape[1] != self.n_features:
                raise DataError(f"the {label} features have shape {X.shape}; expected {self.n_features} columns")
            if len(y) != len(X):
                raise DataError(f"{len(X)} {label} rows but {len(y)} targets")
            if X.dtype.kind not in "biu" and not np.isfinite(X).all():  # whole numbers are always finite
                raise DataError(f"the {label} features contain NaN or infinite values")
            if self.task != "regression" and len(y) and (np.min(y) < 0 or np.max(y) >= self.n_classes):
                raise DataError(f"{label} class indices must be from 0 to {self.n_classes - 1}")

    # -- shape of the problem ---------------------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Output units the network needs: 1 for binary (class 1's probability), one per class, one per target."""
        if self.task == "binary":
            return 1
        if self.task == "multiclass":
            return self.n_classes
        return self.y.shape[1]

    @property
    def has_test(self) -> bool:
        return self.X_test is not None and len(self.X_test) > 0

    @property
    def output_names(self) -> tuple[str, ...]:
        if self.task == "binary":
            return (f"P({self.class_names[1]})",)
        if self.task == "multiclass":
            return self.class_names
        return self.target_names

    # -- feeding a network ------------------------------------------------------------------------------------------
    def encode_targets(self, y: np.ndarray, dtype=np.float64) -> np.ndarray:
        """Targets as the network's outputs should be: (n, n_outputs) floats (0/1, one-hot, or values)."""
        if self.task == "binary":
            return np.asarray(y, dtype=dtype).reshape(-1, 1)
        if self.task == "multiclass":
            onehot = np.zeros((len(y), self.n_classes), dtype=dtype)
            onehot[np.arange(len(y)), np.asarray(y, dtype=np.int64)] = 1
            return onehot
        return np.asarray(y, dtype=dtype).reshape(len(y), -1)

    def with_edits(self, edits) -> "Dataset":
        """A copy with training cells changed: each edit is (row, column, value), 0-based; column n_features is the
        target (a class index for classification)."""
        if not edits:
            return self
        X, y = self.X.copy(), self.y.copy()
        for edit in edits:
            try:
                row, col, value = int(edit[0]), int(edit[1]), float(edit[2])
            except (TypeError, ValueError, IndexError):
                raise DataError(f"a cell edit must be (row, column, value), got {edit!r}") from None
            if not 0 <= row < self.n_samples or not 0 <= col <= self.n_features:
                raise DataError(f"cell edit at row {row + 1}, column {col + 1} is outside the table "
                                f"({self.n_samples} rows, {self.n_features + 1} columns)")
            if not np.isfinite(value):
                raise DataError(f"row {row + 1}, column {col + 1}: {value} is not a finite number")
            if abs(value) > MAX_CELL:
                raise DataError(f"row {row + 1}, column {col + 1}: {value:.3g} is too large to learn from "
                                f"(values up to {MAX_CELL:.0e} in size are accepted)")
            if col < self.n_features:
                if X.dtype.kind in "biu":  # pixels: only the values the table can hold exactly
                    low, high = np.iinfo(X.dtype).min, np.iinfo(X.dtype).max
                    if not (value.is_integer() and low <= value <= high):
                        raise DataError(f"row {row + 1}, column {col + 1}: this table holds whole numbers from "
                                        f"{low} to {high}, got {value:g}")
                X[row, col] = value
            elif self.task == "regression":
                y[row, 0] = value
            elif value.is_integer() and 0 <= value < self.n_classes:
                y[row] = int(value)
            else:
                raise DataError(f"row {row + 1}: the target must be a class number from 0 to {self.n_classes - 1}, "
                                f"got {value:g}")
        return replace(self, X=X, y=y)

    def with_preprocessing(self, preprocessing: Preprocessing) -> "Dataset":
        return replace(self, preprocessing=preprocessing)

    def without_test(self) -> "Dataset":
        return replace(self, X_test=None, y_test=None)

    def describe_target(self, i: int) -> str:
        """The i-th training target as a person would say it ("female", "233.0")."""
        if self.task == "regression":
            return ", ".join(f"{v:g}" for v in np.atleast_1d(self.y[i]))
        return self.class_names[int(self.y[i])]


def split(X: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """A shuffled train/test split (X_train, y_train, X_test, y_test); test_fraction 0 gives an empty test part."""
    if not 0.0 <= test_fraction < 1.0:
        raise DataError(f"test fraction must be in [0, 1), got {test_fraction}")
    n = len(X)
    n_test = int(round(n * test_fraction))
    if n_test == 0:
        return X, y, None, None
    if n - n_test < 1:
        raise DataError(f"a test fraction of {test_fraction} leaves no training rows out of {n}")
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]

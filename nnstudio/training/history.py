"""What happened during training, kept small however long the run.

A ``Series`` stores rows ``(x, values...)`` against a whole-number x (the update or epoch number). It keeps every row
until it holds ``capacity`` of them; then it drops every other row and from there on keeps only rows whose x is a
multiple of its ``stride`` (which doubles each time). So a run of any length keeps between capacity/2 and capacity
evenly spaced rows, the first row (x = 0) always among them, and recording costs O(1) per row.
"""

from __future__ import annotations

import numpy as np

DEFAULT_CAPACITY = 4096
PATH_CAPACITY = 64


class Series:
    def __init__(self, width: int, capacity: int = DEFAULT_CAPACITY, dtype=np.float64):
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 4")
        self.width = width
        self.capacity = capacity
        self.stride = 1
        self._x = np.zeros(capacity, dtype=np.int64)
        self._v = np.zeros((capacity, width), dtype=dtype)
        self._n = 0
        self._frozen: tuple[np.ndarray, np.ndarray] | None = None  # read-only copies, valid until the next append

    def wants(self, x: int) -> bool:
        """Whether a row at x would be kept (callers skip computing values that would be thrown away)."""
        return x % self.stride == 0

    def append(self, x: int, values) -> None:
        if x % self.stride:
            return
        if self._n and x == self._x[self._n - 1]:
            # the same x again: an update retried after its weights overflowed and were set back (Trainer._diverge)
            # replaces the record of the failed attempt
            self._v[self._n - 1] = values
            self._frozen = None
            return
        if self._n and x < self._x[self._n - 1]:
            raise ValueError(f"x must increase (got {x} after {self._x[self._n - 1]})")
        if self._n == self.capacity:
            self.stride *= 2
            keep = self._x[: self._n] % self.stride == 0
            k = int(keep.sum())
            self._x[:k] = self._x[: self._n][keep]
            self._v[:k] = self._v[: self._n][keep]
            self._n = k
            if x % self.stride:
                return
        self._x[self._n] = x
        self._v[self._n] = values
        self._n += 1
        self._frozen = None

    def drop_from(self, x: int) -> None:
        """Forget the rows at x and after (an update undone by a rollback)."""
        n = int(np.searchsorted(self._x[: self._n], x, side="left"))
        if n != self._n:
            self._n = n
            self._frozen = None

    def __len__(self) -> int:
        return self._n

    @property
    def x(self) -> np.ndarray:
        return self._x[: self._n]

    @property
    def values(self) -> np.ndarray:
        return self._v[: self._n]

    def frozen(self) -> tuple[np.ndarray, np.ndarray]:
        """Read-only copies (x, values) safe to hand to another thread; made once per change, so publishing many
        snapshots of an unchanged series costs nothing."""
        if self._frozen is None:
            x, v = self.x.copy(), self.values.copy()
            x.flags.writeable = False
            v.flags.writeable = False
            self._frozen = (x, v)
        return self._frozen

    def to_dict(self) -> dict:
        return {"stride": self.stride, "capacity": self.capacity, "x": self.x.tolist(), "values": self.values.tolist()}

    @classmethod
    def from_dict(cls, d: dict, width: int, dtype=np.float64) -> "Series":
        s = cls(width, int(d.get("capacity", DEFAULT_CAPACITY)), dtype)
        x = np.asarray(d["x"], dtype=np.int64)
        v = np.asarray(d["values"], dtype=dtype).reshape(len(x), width)
        if len(x) > s.capacity:
            raise ValueError("history holds more rows than its capacity")
        s.stride = int(d.get("stride", 1))
        s._x[: len(x)], s._v[: len(x)], s._n = x, v, len(x)
        s._frozen = None
        return s


# Column layout of the per-epoch series
EPOCH_COLUMNS = ("train_loss", "train_metric", "test_loss", "test_metric", "learning_rate")


class History:
    """Per update: the loss of the batch (before the update), each tracked weight, and for tiny datasets each
    training sample's error (target − output). Per epoch: train/test loss and metric (accuracy or R²) after it."""

    def __init__(self, n_tracked: int, n_errors: int, capacity: int = DEFAULT_CAPACITY, n_path: int = 0):
        self.capacity = capacity
        self.update_loss = Series(1, capacity)
        self.weights = Series(n_tracked, capacity) if n_tracked else None
        self.errors = Series(n_errors, capacity) if n_errors else None
        self.epochs = Series(len(EPOCH_COLUMNS), capacity)
        # every weight, at a few evenly spaced updates: the training path of networks too big to track in full
        self.path = Series(n_path, PATH_CAPACITY, np.float32) if n_path else None

    def to_dict(self) -> dict:
        return {
            "update_loss": self.update_loss.to_dict(),
            "weights": self.weights.to_dict() if self.weights else None,
            "errors": self.errors.to_dict() if self.errors else None,
            "epochs": self.epochs.to_dict(),
            "path": self.path.to_dict() if self.path else None,
        }

    def load_dict(self, d: dict) -> None:
        self.update_loss = Series.from_dict(d["update_loss"], 1)
        self.epochs = Series.from_dict(d["epochs"], len(EPOCH_COLUMNS))
        if self.weights is not None and d.get("weights"):
            self.weights = Series.from_dict(d["weights"], self.weights.width)
        if self.errors is not None and d.get("errors"):
            self.errors = Series.from_dict(d["errors"], self.errors.width)
        if self.path is not None and d.get("path"):
            self.path = Series.from_dict(d["path"], self.path.width, np.float32)

"""What happened during training, kept small however long the run.

A ``Series`` stores rows ``(x, values...)`` against a whole-number x (the update or epoch number). It keeps every row
until it holds ``capacity`` of them; then it drops every other row and from there on keeps only rows whose x is a
multiple of its ``stride`` (which doubles each time). So a run of any length keeps between capacity/2 and capacity
evenly spaced rows, the first row (x = 0) always among them, and recording costs O(1) per row.

Rows with x below ``head`` are never dropped: on a log axis the first updates take as much room as all the later
ones (updates 1 to 10 span a decade, as do 10,000 to 100,000), so a plot of a long run on log-log axes needs them
all. The head takes an eighth of a history's room.
"""

from __future__ import annotations

import numpy as np

from nnstudio import packed
from nnstudio.training import checks

DEFAULT_CAPACITY = 4096
PATH_CAPACITY = 64


class Series:
    def __init__(self, width: int, capacity: int = DEFAULT_CAPACITY, dtype=np.float64, head: int = 0):
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 4")
        if not 0 <= head <= capacity // 4:
            raise ValueError("the head must leave at least three quarters of the capacity to thin")
        self.width = width
        self.capacity = capacity
        self.head = head
        self.stride = 1
        self._x = np.zeros(capacity, dtype=np.int64)
        self._v = np.zeros((capacity, width), dtype=dtype)
        self._narrow = self._v.dtype != np.float64  # values may not fit (see append)
        self._n = 0
        self._frozen: tuple[np.ndarray, np.ndarray] | None = None  # read-only views, valid until the next append
        self._lent = 0  # rows of the buffers handed out by frozen(): never written again (see _own)

    def wants(self, x: int) -> bool:
        """Whether a row at x would be kept (callers skip computing values that would be thrown away)."""
        return x < self.head or x % self.stride == 0

    def append(self, x: int, values) -> None:
        if x >= self.head and x % self.stride:
            return
        n = self._n
        if n and x <= self._x[n - 1]:
            last = int(self._x[n - 1])
            if x < last:
                raise ValueError(f"x must increase (got {x} after {last})")
            # the same x again: an update retried after its weights overflowed and were set back (Trainer._diverge)
            # replaces the record of the failed attempt
            self._own(self._n - 1)
            with np.errstate(over="ignore"):
                self._v[n - 1] = values
            self._frozen = None
            return
        if n == self.capacity:
            self._own(0)
            self.stride *= 2
            xs = self._x[: self._n]
            rows = np.flatnonzero((xs % self.stride == 0) | (xs < self.head))
            k = len(rows)
            self._x[:k] = xs[rows]
            if self.width > 1024:  # long rows (the path's weight vectors): moved up one by one, without a copy of all
                for i, r in enumerate(rows.tolist()):
                    if i != r:
                        self._v[i] = self._v[r]
            else:
                self._v[:k] = self._v[rows]
            self._n = k
            if x % self.stride:
                return
        self._own(self._n)
        self._x[self._n] = x
        if self._narrow:
            with np.errstate(over="ignore"):  # a float32 record of weights beyond 3.4e38 (a run diverging) holds inf
                self._v[self._n] = values
        else:
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
        """Read-only (x, values) safe to hand to another thread: views of the rows recorded so far, which are never
        written again (a write to one of them first moves the series to buffers of its own: ``_own``). So snapshots
        share one buffer instead of a copy each: the path of a 784-128-10 network is 25 MB of float32, and the
        studio's views held 3 to 5 different copies of it while training."""
        if self._frozen is None:
            x, v = self._x[: self._n], self._v[: self._n]
            x.flags.writeable = False
            v.flags.writeable = False
            self._frozen = (x, v)
            self._lent = max(self._lent, self._n)
        return self._frozen

    def _own(self, row: int) -> None:
        """Before writing row ``row``: if frozen() handed it out, go on in copies of the buffers (the views handed
        out keep the old ones)."""
        if row < self._lent:
            self._x, self._v = self._x.copy(), self._v.copy()
            self._lent = 0

    def to_dict(self) -> dict:
        return {"stride": self.stride, "capacity": self.capacity, "head": self.head, "x": packed.to_json(self.x),
                "values": packed.to_json(self.values)}

    @classmethod
    def from_dict(cls, d: dict, width: int, dtype=np.float64, where: str = "history", last_x: int | None = None,
                  capacity: int = DEFAULT_CAPACITY) -> "Series":
        """A series from ``to_dict``, checked completely first (raises ``FieldError`` naming the field). Sizes come
        from the lists the file holds: the capacity claimed may exceed ``capacity`` (what a new series of this kind
        gets) only as far as a thinned series explains it (a series holds at least half its capacity once thinned),
        so a claim of a billion rows allocates nothing. ``last_x`` is the largest x the owner has reached."""
        d = checks.obj(d, where)
        xs = checks.seq(d.get("x"), f"{where}.x")
        n = len(xs)
        cap = checks.whole(d.get("capacity", capacity), f"{where}.capacity", 4, checks.MAX_COUNT)
        if cap > max(capacity, 2 * n):
            raise checks.FieldError(f"{where}.capacity", f"{cap} rows claimed, but the file holds {n} "
                                    f"(a history has room for at most {max(capacity, 2 * n)} here)")
        if cap % 2:
            raise checks.FieldError(f"{where}.capacity", f"{cap} is odd (a history keeps every other row, so its "
                                    f"capacity is even)")
        if n > cap:
            raise checks.FieldError(f"{where}.x", f"{n} rows, more than the capacity of {cap}")
        stride = checks.whole(d.get("stride", 1), f"{where}.stride", 1, checks.MAX_COUNT)
        if stride & (stride - 1):
            raise checks.FieldError(f"{where}.stride", f"{stride} is not a power of two (it doubles each time the "
                                    f"history is thinned)")
        x = checks.array(xs, f"{where}.x", shape=(n,))
        if n and (np.any(x != np.floor(x)) or x[0] < 0 or x[-1] > checks.MAX_COUNT):
            raise checks.FieldError(f"{where}.x", "expected whole numbers from 0 up")
        x = x.astype(np.int64)
        if n > 1 and np.any(np.diff(x) <= 0):
            i = int(np.flatnonzero(np.diff(x) <= 0)[0]) + 1
            raise checks.FieldError(f"{where}.x[{i}]", f"{x[i]} does not come after {x[i - 1]}")
        head = checks.whole(d.get("head", 0), f"{where}.head", 0, cap // 4)
        if n and np.any((x % stride != 0) & (x >= head)):
            i = int(np.flatnonzero((x % stride != 0) & (x >= head))[0])
            raise checks.FieldError(f"{where}.x[{i}]", f"{x[i]} is not a multiple of the stride {stride}")
        if stride > 1 and (n == 0 or x[-1] < stride):
            raise checks.FieldError(f"{where}.stride", f"{stride} claims the history was thinned, but its rows "
                                    f"end at {x[-1] if n else 'nothing'}")
        if last_x is not None and n and x[-1] > last_x:
            raise checks.FieldError(f"{where}.x[{n - 1}]", f"{x[-1]} lies beyond the {last_x} reached so far")
        if n:
            v = checks.array(d.get("values"), f"{where}.values", shape=(n, width), dtype=dtype, allow_nan=True)
        else:
            if checks.seq(d.get("values"), f"{where}.values"):
                raise checks.FieldError(f"{where}.values", "values without x")
            v = np.zeros((0, width), dtype=dtype)
        s = cls(width, cap, dtype, head)
        s.stride = stride
        s._x[:n], s._v[:n], s._n = x, v, n
        s._frozen = None
        return s


# Column layout of the per-epoch series
EPOCH_COLUMNS = ("train_loss", "train_metric", "test_loss", "test_metric", "learning_rate")


class History:
    """Per update: the loss of the batch (before the update), each tracked weight, and for tiny datasets each
    training sample's error (target − output). Per epoch: train/test loss and metric (accuracy or R²) after it."""

    def __init__(self, n_tracked: int, n_errors: int, capacity: int = DEFAULT_CAPACITY, n_path: int = 0):
        self.capacity = capacity
        head = capacity // 8  # the first updates (epochs), every one kept: see the module's docstring
        self.update_loss = Series(1, capacity, head=head)
        self.weights = Series(n_tracked, capacity, head=head) if n_tracked else None
        self.errors = Series(n_errors, capacity, head=head) if n_errors else None
        self.epochs = Series(len(EPOCH_COLUMNS), capacity, head=head)
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

    def load_dict(self, d: dict, where: str = "history", last_update: int | None = None,
                  last_epoch: int | None = None) -> None:
        """Take the series of ``to_dict``, all checked before any is taken (``FieldError`` changes nothing). A series
        this history does not keep is ignored; one it keeps but the file lacks starts empty."""
        d = checks.obj(d, where)
        loaded = {
            "update_loss": Series.from_dict(d.get("update_loss"), 1, where=f"{where}.update_loss",
                                            last_x=last_update, capacity=self.capacity),
            "epochs": Series.from_dict(d.get("epochs"), len(EPOCH_COLUMNS), where=f"{where}.epochs",
                                       last_x=last_epoch, capacity=self.capacity),
        }
        for name in ("weights", "errors", "path"):
            mine: Series | None = getattr(self, name)
            if mine is not None and d.get(name) is not None:
                loaded[name] = Series.from_dict(d[name], mine.width, mine._v.dtype, where=f"{where}.{name}",
                                                last_x=last_update, capacity=mine.capacity)
        for name, series in loaded.items():
            setattr(self, name, series)

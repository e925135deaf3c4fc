"""Writing a session file a slice at a time, so that saving a big session can be followed and stopped, and never
holds Python's interpreter lock for long.

The file is byte for byte what ``json.dumps(Session.to_dict())`` gives (format at the top of session.py), but it
is made differently. ``to_dict`` turns every array into nested lists first (``ndarray.tolist``) and ``json.dumps``
writes the whole document in one call: for a 784-300-100-10 network, whose history keeps every weight at up to 64
points of the path, that is two single calls of seconds each during which no other thread (the window) runs.
Here :func:`session_document` gathers the same document with the arrays left as arrays, and :func:`write_document`
writes it out with each array cut into slices of about ``SLICE`` numbers: each slice is converted and written on its
own (a few milliseconds), then the progress callback is told, which may stop the save by raising Cancelled.

``session_document`` mirrors ``Trainer.state_dict`` and the ``to_dict`` methods it calls (history series,
optimizer, the embedded dataset of an imported CSV file); tests/training/test_session_writer.py checks that the
two give the same file for every kind of session, so a field added there and forgotten here fails that test.
"""

from __future__ import annotations

import base64
import json
import math
import time
from pathlib import Path
from typing import TextIO

import numpy as np

from nnstudio import __version__, packed
from nnstudio.fileio import atomic_write
from nnstudio.progress import Progress, no_progress

SLICE = 4096  # numbers converted and written at a time: a few milliseconds (float32 weights print 17 digits)
PACKED_SLICE = 3 * 2**15  # numbers of a packed array (nnstudio.packed) encoded at a time: 3 bytes divide its bytes
FLUSH = 1 << 20  # characters gathered before they are written to the file


def session_document(session) -> dict:
    """The session as ``Session.to_dict()`` has it, but every array still an array (not copied: write it out
    before the trainer moves on, i.e. in the thread that owns the trainer)."""
    from nnstudio.training.session import FORMAT, VERSION

    t = session.trainer
    return {
        "format": FORMAT, "version": VERSION, "saved_by": f"nnstudio {__version__}",
        "experiment": t.experiment.to_dict(),
        "dataset": _dataset(t.source_dataset) if t.experiment.dataset == "csv" else None,
        "state": _state(t), "ui": session.ui,
        "kept_runs": [run.document() for run in session.kept_runs],
    }


def _state(t) -> dict:
    """``Trainer.state_dict()`` with its arrays as arrays."""
    h = t.history
    return {
        "step": t.step_count, "epoch": t.epoch, "position": t.position,
        "order": t._order,
        "weights": list(t.network.parameters()),
        "initial_weights": list(t.initial_weights),
        "optimizer": {"t": t.optimizer.t, "state": [list(slots) for slots in t.optimizer.state]},
        "shuffle_rng": t._shuffle_rng.bit_generator.state,
        "dropout_rng": t._dropout_rng.bit_generator.state,
        "last_loss": t.last_loss, "last_outputs": t.last_outputs,
        "elapsed": t.elapsed,
        "history": {
            "update_loss": _series(h.update_loss),
            "weights": _series(h.weights) if h.weights else None,
            "errors": _series(h.errors) if h.errors else None,
            "epochs": _series(h.epochs),
            "path": _series(h.path) if h.path else None,
        },
    }


def _series(s) -> dict:
    """``Series.to_dict()`` with its arrays as arrays."""
    return {"stride": s.stride, "capacity": s.capacity, "head": s.head, "x": s.x, "values": s.values}


def _dataset(ds) -> dict:
    """What session.py embeds for an imported dataset, with its arrays as arrays."""
    return {
        "name": ds.name, "title": ds.title, "task": ds.task, "X": ds.X, "y": ds.y,
        "feature_names": list(ds.feature_names), "class_names": list(ds.class_names),
        "target_names": list(ds.target_names), "preprocessing": ds.preprocessing.to_dict(),
        "X_test": ds.X_test, "y_test": ds.y_test,
        "description": ds.description, "source": ds.source, "params": ds.params,
    }


def count_numbers(value) -> int:
    """How many array elements a document holds (the measure of progress)."""
    if isinstance(value, np.ndarray):
        return value.size
    if isinstance(value, dict):
        return sum(count_numbers(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_numbers(v) for v in value)
    return 0


def json_ready(obj):
    """JSON-ready: NaN and infinities become null (standard JSON has no such numbers), in lists, tuples and dicts;
    the one rule for every number a session file holds."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    return obj


class _Writer:
    def __init__(self, out: TextIO, total: int, progress: Progress):
        self.out, self.total, self.progress = out, max(total, 1), progress
        self.done = 0
        self.pieces: list[str] = []
        self.size = 0

    def put(self, text: str) -> None:
        self.pieces.append(text)
        self.size += len(text)
        if self.size >= FLUSH:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self.pieces))
        self.pieces, self.size = [], 0

    def value(self, v) -> None:
        if isinstance(v, np.ndarray):
            self.array(v)
        elif isinstance(v, dict):
            self.put("{")
            for i, (k, item) in enumerate(v.items()):
                self.put(("" if i == 0 else ", ") + _key(k) + ": ")
                self.value(item)
            self.put("}")
        elif isinstance(v, (list, tuple)):
            self.put("[")
            for i, item in enumerate(v):
                if i:
                    self.put(", ")
                self.value(item)
            self.put("]")
        elif isinstance(v, float) and not math.isfinite(v):
            self.put("null")
        else:
            self.put(json.dumps(v))

    def array(self, a: np.ndarray) -> None:
        """``json.dumps(json_ready(a.tolist()))``, a slice of about SLICE numbers at a time."""
        if a.ndim == 0:
            self.value(a.item())
            return
        if packed.packs(a):
            self.packed(a)
            return
        if a.size <= SLICE:
            self.put(_dumps(a))
            self.advance(a.size)
            return
        row = a[0].size  # numbers per item along the first axis
        self.put("[")
        if row >= SLICE:  # items too big for one slice: each on its own
            for i in range(len(a)):
                if i:
                    self.put(", ")
                self.array(a[i])
        else:
            per = max(SLICE // max(row, 1), 1)
            for start in range(0, len(a), per):
                if start:
                    self.put(", ")
                part = a[start:start + per]
                self.put(_dumps(part)[1:-1])
                self.advance(part.size)
        self.put("]")

    def packed(self, a: np.ndarray) -> None:
        """``json.dumps(packed.pack(a))``, the base64 digits of PACKED_SLICE numbers at a time (a multiple of 3
        bytes, so the pieces' digits join into those of the whole)."""
        self.put(packed.header(a))
        flat = a.reshape(-1)
        for start in range(0, flat.size, PACKED_SLICE):
            part = flat[start:start + PACKED_SLICE]
            self.put(base64.b64encode(packed.raw_bytes(part)).decode("ascii"))
            self.advance(part.size)
        self.put('"}')

    def advance(self, n: int) -> None:
        self.done += n
        self.progress(min(self.done / self.total, 1.0))
        time.sleep(0)  # let another thread (the window) have the interpreter lock now


def _dumps(a: np.ndarray) -> str:
    items = a.tolist()
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        items = json_ready(items)
    return json.dumps(items)


def _key(k) -> str:
    """A dict key as json.dumps writes it (keys that are not strings become strings)."""
    if isinstance(k, str):
        return json.dumps(k)
    return json.dumps({k: None})[1:-len(": null}")]


def write_document(out: TextIO, document, progress: Progress | None = None) -> None:
    """Write ``document`` (dicts, lists, scalars and arrays) as the JSON text ``json.dumps`` would give for it with
    arrays as lists and NaN or infinities as null. ``progress(fraction)`` is called after every slice."""
    writer = _Writer(out, count_numbers(document), progress or no_progress)
    writer.value(document)
    writer.flush()


def save_session(session, path: str | Path, progress: Progress | None = None) -> Path:
    """Write ``session`` to ``path`` through a temporary file (``atomic_write``): a failure, or Cancelled raised by
    ``progress``, leaves the previous file as it was and no temporary behind. Returns the path written."""
    document = session_document(session)
    return atomic_write(path, lambda f: write_document(f, document, progress))

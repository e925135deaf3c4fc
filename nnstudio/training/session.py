"""Session files: an experiment with its trained weights, optimizer state and history, in one JSON document.

Format (``format: "nnstudio-session"``, ``version: 1``)::

    {
      "format": "nnstudio-session", "version": 1, "saved_by": "nnstudio 0.1.0",
      "experiment": { ...an experiment, see experiment.py... },
      "dataset": null | { ...the data itself, for imported CSV files, so the session opens without the file... },
      "state": { "step", "epoch", "position", "weights", "initial_weights", "optimizer", "shuffle_rng",
                 "dropout_rng", "last_loss", "last_outputs", "elapsed", "history" },
      "ui": { ...whatever the studio keeps (panel layout); ignored by the command line... }
    }

Weights are lists of numbers in the order of ``Network.parameters()`` (W1, b1, W2, b2, ...), each W shaped
(inputs, outputs). Missing numbers (NaN) are written as null. Saving writes a temporary file beside the target and
renames it over the target, so a crash mid-save leaves the previous file whole.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnstudio import __version__
from nnstudio.fileio import atomic_write_text, remove_stale_temporaries
from nnstudio.data.dataset import Dataset
from nnstudio.training.experiment import Experiment, ExperimentError
from nnstudio.training.trainer import Trainer

FORMAT = "nnstudio-session"
VERSION = 1


class SessionError(ValueError):
    """A session file that cannot be read or used; the message says which file and why."""


def _clean(obj):
    """JSON-ready: NaN and infinities become null (standard JSON has no such numbers)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _dataset_to_dict(ds: Dataset) -> dict:
    return {
        "name": ds.name, "title": ds.title, "task": ds.task, "X": ds.X.tolist(), "y": ds.y.tolist(),
        "feature_names": list(ds.feature_names), "class_names": list(ds.class_names),
        "target_names": list(ds.target_names), "preprocessing": ds.preprocessing.to_dict(),
        "X_test": None if ds.X_test is None else ds.X_test.tolist(),
        "y_test": None if ds.y_test is None else ds.y_test.tolist(),
        "description": ds.description, "source": ds.source, "params": ds.params,
    }


def _dataset_from_dict(d: dict) -> Dataset:
    from nnstudio.data.dataset import Preprocessing

    classification = d["task"] != "regression"
    ydtype = np.int64 if classification else np.float64
    return Dataset(
        name=d["name"], title=d["title"], task=d["task"], X=np.asarray(d["X"], dtype=np.float64),
        y=np.asarray(d["y"], dtype=ydtype), feature_names=tuple(d["feature_names"]),
        class_names=tuple(d["class_names"]), target_names=tuple(d["target_names"]),
        preprocessing=Preprocessing.from_dict(d["preprocessing"]),
        X_test=None if d["X_test"] is None else np.asarray(d["X_test"], dtype=np.float64),
        y_test=None if d["y_test"] is None else np.asarray(d["y_test"], dtype=ydtype),
        description=d.get("description", ""), source=d.get("source", ""), params=d.get("params", {}),
    )


@dataclass
class Session:
    trainer: Trainer
    ui: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        t = self.trainer
        embedded = _dataset_to_dict(t.source_dataset) if t.experiment.dataset == "csv" else None
        return _clean({
            "format": FORMAT, "version": VERSION, "saved_by": f"nnstudio {__version__}",
            "experiment": t.experiment.to_dict(), "dataset": embedded, "state": t.state_dict(), "ui": self.ui,
        })

    def save(self, path: str | Path) -> None:
        from nnstudio.training.session_writer import save_session  # the same text as json.dumps(self.to_dict())

        save_session(self, Path(path))

    @classmethod
    def from_dict(cls, d: dict, origin: str = "session") -> "Session":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            found = d.get("format") if isinstance(d, dict) else type(d).__name__
            raise SessionError(f"{origin}: not an NN Studio session (format is {found!r}, expected {FORMAT!r})")
        version = d.get("version")
        if not isinstance(version, int) or not 1 <= version <= VERSION:
            raise SessionError(f"{origin}: session format version {version!r} is not supported "
                               f"(this NN Studio reads versions 1 to {VERSION})")
        try:
            experiment = Experiment.from_dict(d["experiment"], origin)
            dataset = _dataset_from_dict(d["dataset"]) if d.get("dataset") else None
            trainer = Trainer(experiment, dataset)
            trainer.load_state_dict(d["state"])
        except ExperimentError as e:
            raise SessionError(str(e)) from None
        except (KeyError, TypeError, ValueError, IndexError) as e:
            what = f"missing field {e}" if isinstance(e, KeyError) else str(e)
            raise SessionError(f"{origin}: damaged session ({what})") from None
        ui = d.get("ui") if isinstance(d.get("ui"), dict) else {}
        return cls(trainer, ui)

    @classmethod
    def load(cls, path: str | Path) -> "Session":
        path = Path(path)
        remove_stale_temporaries(path)  # what a save that was killed left beside the file
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SessionError(f"{path.name}: cannot be read ({e.__class__.__name__}: {e})") from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise SessionError(f"{path.name}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        return cls.from_dict(d, path.name)

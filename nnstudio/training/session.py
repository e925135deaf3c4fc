"""Session files: an experiment with its trained weights, optimizer state and history, in one JSON document.

Format (``format: "nnstudio-session"``, ``version: 2``)::

    {
      "format": "nnstudio-session", "version": 2, "saved_by": "nnstudio 0.1.0",
      "experiment": { ...an experiment, see experiment.py... },
      "dataset": null | { ...the data itself, for imported CSV files, so the session opens without the file... },
      "state": { "step", "epoch", "position", "weights", "initial_weights", "optimizer", "shuffle_rng",
                 "dropout_rng", "last_loss", "last_outputs", "elapsed", "history" },
      "ui": { ...whatever the studio keeps (panel layout); ignored by the command line... }
    }

Weights are arrays in the order of ``Network.parameters()`` (W1, b1, W2, b2, ...), each W shaped (inputs, outputs).
An array is nested lists of numbers, missing numbers (NaN) written as null; from version 2 on, an array of floats of
1,024 numbers or more is written as its bytes instead (``nnstudio.packed``: {"packed": "float32", "shape": [...],
"base64": "..."}), which made an MNIST session 4 times smaller and 10 times quicker to open. Version 1 files (lists
only) are read as before. Saving writes a temporary file beside the target and renames it over the target, so a
crash mid-save leaves the previous file whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnstudio import __version__, packed
from nnstudio.fileio import remove_stale_temporaries
from nnstudio.progress import Progress, no_progress
from nnstudio.data.dataset import Dataset
from nnstudio.training import checks
from nnstudio.training.experiment import Experiment, ExperimentError
from nnstudio.training.session_writer import json_ready
from nnstudio.training.trainer import Trainer

FORMAT = "nnstudio-session"
VERSION = 2  # 2: big arrays of floats packed as bytes (nnstudio.packed); version 1 files are read too


class SessionError(ValueError):
    """A session file that cannot be read or used; the message (one line) says which file and why."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split("\n")))


def _dataset_to_dict(ds: Dataset) -> dict:
    return {
        "name": ds.name, "title": ds.title, "task": ds.task, "X": packed.to_json(ds.X), "y": packed.to_json(ds.y),
        "feature_names": list(ds.feature_names), "class_names": list(ds.class_names),
        "target_names": list(ds.target_names), "preprocessing": ds.preprocessing.to_dict(),
        "X_test": None if ds.X_test is None else packed.to_json(ds.X_test),
        "y_test": None if ds.y_test is None else packed.to_json(ds.y_test),
        "description": ds.description, "source": ds.source, "params": ds.params,
    }


def _dataset_from_dict(d: dict, where: str = "dataset") -> Dataset:
    """The data a session carries (an imported CSV), every field checked: numbers finite, class indices whole,
    names text; the shapes and classes are then checked by ``Dataset`` itself (``DataError``)."""
    from nnstudio.data.dataset import Preprocessing

    d = checks.obj(d, where)
    for key in ("name", "title", "task", "X", "y", "feature_names", "preprocessing"):
        if key not in d:
            raise checks.FieldError(where, f"missing field {key}")
    task = checks.text(d["task"], f"{where}.task")
    classification = task != "regression"

    def targets(value, at):
        y = checks.array(value, at)
        if classification:
            if y.ndim != 1 or np.any(y != np.floor(y)):
                raise checks.FieldError(at, "class indices must be whole numbers, one per row")
            return y.astype(np.int64)
        return y

    def names(key):
        values = checks.seq(d.get(key, []), f"{where}.{key}")
        return tuple(checks.text(v, f"{where}.{key}[{i}]") for i, v in enumerate(values))

    prep = checks.obj(d["preprocessing"], f"{where}.preprocessing")
    has_test = d.get("X_test") is not None
    params = checks.obj(d.get("params", {}), f"{where}.params")
    return Dataset(
        name=checks.text(d["name"], f"{where}.name"), title=checks.text(d["title"], f"{where}.title"), task=task,
        X=checks.array(d["X"], f"{where}.X", ndim=2), y=targets(d["y"], f"{where}.y"),
        feature_names=names("feature_names"), class_names=names("class_names"), target_names=names("target_names"),
        preprocessing=Preprocessing(tuple(checks.array(prep.get("shift"), f"{where}.preprocessing.shift", ndim=1)),
                                    tuple(checks.array(prep.get("scale"), f"{where}.preprocessing.scale", ndim=1)),
                                    checks.text(prep.get("description", ""), f"{where}.preprocessing.description")),
        X_test=checks.array(d["X_test"], f"{where}.X_test", ndim=2) if has_test else None,
        y_test=targets(d.get("y_test"), f"{where}.y_test") if has_test else None,
        description=checks.text(d.get("description", ""), f"{where}.description"),
        source=checks.text(d.get("source", ""), f"{where}.source"), params=dict(params),
    )


def _ui(value) -> dict:
    """The studio's part of the file: an object; the window layout, if there, base64 text Qt can decode."""
    ui = checks.obj({} if value is None else value, "ui")
    if "window_state" in ui:
        checks.base64_text(ui["window_state"], "ui.window_state")
    return ui


def _kept_runs(value) -> list:
    """The runs kept for comparison (a list, each checked completely: see KeptRun.from_dict)."""
    from nnstudio.training.runs import MAX_RUNS, KeptRun

    if not isinstance(value, list):
        raise checks.FieldError("kept_runs", f"expected a list, found {type(value).__name__}")
    if len(value) > MAX_RUNS:
        raise checks.FieldError("kept_runs", f"holds {len(value)} runs; at most {MAX_RUNS} are kept")
    return [KeptRun.from_dict(run, f"kept_runs[{i}]") for i, run in enumerate(value)]


@dataclass
class Session:
    trainer: Trainer
    ui: dict = field(default_factory=dict)
    kept_runs: list = field(default_factory=list)  # training.runs.KeptRun: runs kept for comparison

    def to_dict(self) -> dict:
        t = self.trainer
        embedded = _dataset_to_dict(t.source_dataset) if t.experiment.dataset == "csv" else None
        return json_ready({
            "format": FORMAT, "version": VERSION, "saved_by": f"nnstudio {__version__}",
            "experiment": t.experiment.to_dict(), "dataset": embedded, "state": t.state_dict(), "ui": self.ui,
            "kept_runs": [run.to_dict() for run in self.kept_runs],
        })

    def save(self, path: str | Path) -> None:
        from nnstudio.training.session_writer import save_session  # the same text as json.dumps(self.to_dict())

        save_session(self, Path(path))

    @classmethod
    def from_dict(cls, d: dict, origin: str = "session", progress: Progress | None = None) -> "Session":
        """A session from a parsed file, checked completely (experiment, data, network size, weights, optimizer,
        random states, history, counters, window layout) before anything is built on it: a SessionError names the
        file and what is wrong, and nothing outside the new Session has changed. ``progress``: as in ``load``."""
        progress = progress or no_progress
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            found = d.get("format") if isinstance(d, dict) else type(d).__name__
            raise SessionError(f"{origin}: not an NN Studio session (format is {checks.show(found)}, "
                               f"expected {FORMAT!r})")
        version = d.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= VERSION:
            raise SessionError(f"{origin}: session format version {checks.show(version)} is not supported "
                               f"(this NN Studio reads versions 1 to {VERSION})")
        try:
            ui = _ui(d.get("ui"))
            if "experiment" not in d or "state" not in d:
                raise checks.FieldError("", f"missing field {'experiment' if 'experiment' not in d else 'state'}")
            experiment = Experiment.from_dict(d["experiment"], origin)
            dataset = _dataset_from_dict(d["dataset"]) if d.get("dataset") is not None else None
            state = checks.obj(d["state"], "state")
            kept = _kept_runs(d.get("kept_runs", []))
            progress(0.6)
            trainer = Trainer(experiment, dataset)  # (the data is loaded and prepared: most of the rest)
            progress(0.9)
            trainer.load_state_dict(state)
        except ExperimentError as e:
            text = str(e)
            raise SessionError(text if text.startswith(f"{origin}: ") else f"{origin}: {text}") from None
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as e:  # FieldError, DataError among them
            what = f"missing field {e}" if isinstance(e, KeyError) else str(e)
            raise SessionError(f"{origin}: damaged session ({what})") from None
        except (MemoryError, RecursionError):
            raise SessionError(f"{origin}: too big or too deeply nested to open") from None
        return cls(trainer, ui, kept)

    @classmethod
    def load(cls, path: str | Path, progress: Progress | None = None) -> "Session":
        """The session in the file at ``path`` (SessionError naming the file and the problem). ``progress`` is told
        the share done after each stage (reading, parsing, building the Trainer) and may stop the load by raising
        Cancelled (nothing has changed then)."""
        path = Path(path)
        progress = progress or no_progress
        remove_stale_temporaries(path)  # what a save that was killed left beside the file
        try:
            raw = path.read_bytes()
            progress(0.2)
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SessionError(f"{path.name}: cannot be read ({e.__class__.__name__}: {e})") from None
        except MemoryError:
            raise SessionError(f"{path.name}: too big to read") from None
        d = checks.parse_json(text, path.name, "a session file", SessionError, raw=raw)
        del raw, text
        progress(0.5)
        return cls.from_dict(d, path.name, progress)

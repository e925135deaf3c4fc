"""Runs kept for comparison, and comparisons run from one start.

A ``KeptRun`` is what stays on screen of a run once the studio moves on: its settings, its curves (loss at each
update, the epochs' figures, per-row errors), its path through weight space and its first and last weights. It is
made from a Trainer's snapshot, written into sessions (``to_dict`` / ``from_dict``, checked completely), and named
by what differs from the run it is compared with ("learning rate 0.003 vs 0.001", "2 layers vs 1").

``compare(experiment, setting, values, updates)`` trains one run per value of a setting from the same starting
weights (when the network's shape allows it) for the same number of updates, as separate Trainers would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nnstudio import packed
from nnstudio.numbers import fmt
from nnstudio.training.experiment import Experiment, ExperimentError

# What "compare" can vary, with the words a legend uses for it
SETTINGS = {
    "learning_rate": "learning rate",
    "optimizer": "optimizer",
    "batch_size": "batch size",
    "momentum": "momentum",
    "l2": "L2",
    "hidden_layers": "hidden layers",
    "seed": "starting weights (seed)",
}
MAX_RUNS = 8  # runs kept at once; the oldest goes first


@dataclass(eq=False)
class KeptRun:
    name: str
    settings: Experiment
    update_x: np.ndarray
    update_loss: np.ndarray
    epoch_x: np.ndarray
    epoch_values: np.ndarray  # columns: training loss, training metric, test loss, test metric, learning rate
    path_x: np.ndarray  # the updates at which the path holds every weight
    path: np.ndarray  # rows of every weight (parameters() order, end to end), or empty when not recorded
    initial_weights: list[np.ndarray]
    final_weights: list[np.ndarray]
    error_x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    error_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    label: str = ""  # what differs from the run it is compared with (see difference)
    step: int = -1  # updates the run made (-1: not known; its curves may be thinned)

    @property
    def steps(self) -> int:
        if self.step >= 0:
            return self.step
        return int(self.update_x[-1]) + 1 if len(self.update_x) else 0

    @property
    def final_loss(self) -> float:
        return float(self.update_loss[-1]) if len(self.update_loss) else math.nan

    def same_weight_space(self, other_settings: Experiment) -> bool:
        """Whether its path lives in the same space as a network of ``other_settings`` (same layers and data)."""
        a, b = self.settings, other_settings
        return (a.dataset, a.dataset_params, tuple(a.layers), a.preprocessing) == \
            (b.dataset, b.dataset_params, tuple(b.layers), b.preprocessing)

    @classmethod
    def from_snapshot(cls, snap, settings: Experiment, name: str, initial_weights=None) -> "KeptRun":
        """A run as the snapshot shows it (copies: the snapshot's arrays may be shared with views); it started from
        ``initial_weights`` (default: the snapshot's own)."""
        if initial_weights is None:
            initial_weights = snap.initial_weights
        if snap.path_x is not None and snap.path_values is not None and len(snap.path_x):
            path_x, path = np.array(snap.path_x), np.array(snap.path_values)
        elif len(snap.tracked) == sum(w.size for w in snap.weights):  # every weight tracked: the path is their record
            path_x, path = np.array(snap.weight_x), np.array(snap.weight_values)
        else:
            path_x, path = np.zeros(0, np.int64), np.zeros((0, sum(w.size for w in snap.weights)))
        return cls(name=name, settings=settings, update_x=np.array(snap.update_x),
                   update_loss=np.array(snap.update_loss), epoch_x=np.array(snap.epoch_x),
                   epoch_values=np.array(snap.epoch_values), path_x=path_x, path=path,
                   initial_weights=[np.array(w) for w in initial_weights],
                   final_weights=[np.array(w) for w in snap.weights],
                   error_x=np.array(snap.error_x), error_values=np.array(snap.error_values), step=int(snap.step))

    # -- files ---------------------------------------------------------------------------------------------------------
    def document(self) -> dict:
        """What ``to_dict`` gives, with the arrays still arrays (for the session writer, which converts them a slice
        at a time and writes NaN and infinities as null)."""
        return {"name": self.name, "label": self.label, "step": self.step, "settings": self.settings.to_dict(),
                "update_x": self.update_x, "update_loss": self.update_loss,
                "epoch_x": self.epoch_x, "epoch_values": self.epoch_values,
                "path_x": self.path_x, "path": self.path,
                "error_x": self.error_x, "error_values": self.error_values,
                "initial_weights": list(self.initial_weights), "final_weights": list(self.final_weights)}

    def to_dict(self) -> dict:
        """JSON-ready (NaN and infinities as null, read back as NaN)."""
        from nnstudio.training.session_writer import json_ready  # the session file's rule for numbers JSON lacks

        return json_ready({k: _lists(v) for k, v in self.document().items()})

    @classmethod
    def from_dict(cls, d, where: str = "kept run") -> "KeptRun":
        """Read a ``to_dict``; anything missing, misshapen or of the wrong type raises ValueError naming the field."""
        if not isinstance(d, dict):
            raise ValueError(f"{where}: expected an object, found {type(d).__name__}")
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}.name: expected a name")
        where = f"{where} {name!r}"
        try:
            settings = Experiment.from_dict(d.get("settings"), origin=f"{where}.settings")
        except ExperimentError as e:
            raise ValueError(str(e)) from None
        update_x = _ints(d, "update_x", where)
        update_loss = _array(d, "update_loss", where, (len(update_x),))
        epoch_x = _ints(d, "epoch_x", where)
        epoch_values = _array(d, "epoch_values", where, (len(epoch_x), 5))
        path_x = _ints(d, "path_x", where)
        path = _array(d, "path", where, (len(path_x), None))
        error_x = _ints(d, "error_x", where, required=False)
        error_values = _array(d, "error_values", where, (len(error_x), None), required=False)
        initial = _weights(d, "initial_weights", where)
        final = _weights(d, "final_weights", where)
        if [w.shape for w in initial] != [w.shape for w in final]:
            raise ValueError(f"{where}: its first and last weights differ in shape")
        n = sum(w.size for w in final)
        if len(path_x) and path.shape[1] != n:
            raise ValueError(f"{where}.path: rows of {path.shape[1]} weights; the network has {n}")
        label = d.get("label", "")
        step = d.get("step", -1)
        if isinstance(step, bool) or not isinstance(step, int) or step < -1:
            raise ValueError(f"{where}.step: expected a whole number of updates")
        return cls(name=name, settings=settings, update_x=update_x, update_loss=update_loss, epoch_x=epoch_x,
                   epoch_values=epoch_values, path_x=path_x, path=path if len(path_x) else np.zeros((0, n)),
                   initial_weights=initial, final_weights=final, error_x=error_x, error_values=error_values,
                   label=label if isinstance(label, str) else "", step=step)


def _lists(v):
    """Arrays (and lists of them) as nested lists."""
    if isinstance(v, np.ndarray):
        return packed.to_json(v)
    return [_lists(x) for x in v] if isinstance(v, list) else v


def _unpacked(value, where: str):
    """A packed array (``nnstudio.packed``) unpacked; anything else as it is."""
    try:
        return packed.numbers(value)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def _ints(d: dict, key: str, where: str, required: bool = True) -> np.ndarray:
    value = d.get(key, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{where}.{key}: expected a list of whole numbers")
    a = np.array(value, dtype=np.int64)
    if len(a) and (a[0] < 0 or np.any(np.diff(a) <= 0)):
        raise ValueError(f"{where}.{key}: expected increasing update numbers from 0")
    return a


def _array(d: dict, key: str, where: str, shape: tuple, required: bool = True) -> np.ndarray:
    value = _unpacked(d.get(key, None if required else []), f"{where}.{key}")
    try:  # (a packed array keeps its own float type: float32 paths stay half the size)
        a = value if isinstance(value, np.ndarray) else np.array(value, dtype=np.float64)  # null becomes NaN
    except (TypeError, ValueError):
        raise ValueError(f"{where}.{key}: expected numbers") from None
    if a.size == 0:
        return np.zeros(tuple(0 if s is None else s for s in shape)) if shape[0] == 0 else _bad(where, key, shape)
    if a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape)):
        _bad(where, key, shape)
    return a


def _bad(where: str, key: str, shape: tuple):
    wanted = " x ".join("any" if s is None else f"{s:,}" for s in shape)
    raise ValueError(f"{where}.{key}: expected an array of {wanted} numbers")


def _weights(d: dict, key: str, where: str) -> list[np.ndarray]:
    value = d.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}.{key}: expected a list of weight arrays")
    out = []
    for i, w in enumerate(value):
        w = _unpacked(w, f"{where}.{key}[{i}]")
        try:
            a = w if isinstance(w, np.ndarray) else np.array(w, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{where}.{key}[{i}]: expected numbers") from None
        if a.ndim not in (1, 2) or a.dtype == object:
            raise ValueError(f"{where}.{key}[{i}]: expected a vector or a matrix")
        out.append(a)
    return out


# -- what differs ------------------------------------------------------------------------------------------------------
def _hidden(e: Experiment) -> int:
    return len(e.layers) - 1


def _describe_layers(e: Experiment) -> str:
    n = _hidden(e)
    if n == 0:
        return "no hidden layer"
    return f"{n} hidden layer{'' if n == 1 else 's'} ({'-'.join(str(s.units) for s in e.layers[:-1])})"


def differences(a: Experiment, b: Experiment) -> list[str]:
    """What differs between two runs' settings, in a learner's words, a's value first: ["learning rate 0.003 vs
    0.001", ...]; [] when nothing that matters to training does."""
    out = []
    if _hidden(a) != _hidden(b) or tuple(a.layers) != tuple(b.layers):
        if _hidden(a) != _hidden(b):
            out.append(f"{_hidden(a) + 1} layers vs {_hidden(b) + 1}")
        else:
            out.append(f"{_describe_layers(a)} vs {_describe_layers(b)}")
    for key, words in (("learning_rate", "learning rate"), ("optimizer", "optimizer"), ("momentum", "momentum"),
                       ("batch_size", "batch size"), ("l1", "L1"), ("l2", "L2"), ("lr_schedule", "schedule"),
                       ("lr_decay", "decay"), ("loss", "loss"), ("init", "initialiser"), ("dataset", "data"),
                       ("excluded_rows", "rows left out"), ("dtype", "precision")):
        va, vb = getattr(a, key), getattr(b, key)
        if va != vb:
            out.append(f"{words} {_value(key, va)} vs {_value(key, vb)}")
    if a.seed != b.seed or (a.initial_weights != b.initial_weights and tuple(a.layers) == tuple(b.layers)):
        out.append("other starting weights")
    return out


def _value(key: str, v) -> str:
    if key == "batch_size":
        return "all" if v == 0 else f"{v:,}"
    if key == "excluded_rows":
        return ", ".join(str(r + 1) for r in v) if v else "none"
    if isinstance(v, float):
        return fmt(v)
    return str(v)


def label(kept: Experiment, current: Experiment) -> str:
    """A legend's words for a kept run next to the current one."""
    diffs = differences(kept, current)
    return "; ".join(diffs) if diffs else "the same settings"


def parse_values(setting: str, text: str) -> list:
    """The values typed for ``setting``; ValueError naming the one that is not understood."""
    if setting == "hidden_layers":
        parts = [p.strip() for p in text.split(";") if p.strip()]
        out = []
        for p in parts:
            if p.lower() == "none":
                out.append([])
                continue
            try:
                sizes = [int(v) for v in p.replace(",", " ").replace("-", " ").split()]
            except ValueError:
                raise ValueError(f"{p!r} is not a list of layer sizes (e.g. '4-4')") from None
            if any(n < 1 for n in sizes):
                raise ValueError(f"{p!r}: a layer needs at least one neuron")
            out.append(sizes)
        return out
    parts = [p.strip() for p in text.split(",") if p.strip()]
    out = []
    for p in parts:
        if setting == "optimizer":
            out.append(p.lower())
            continue
        try:
            out.append(int(p) if setting in ("batch_size", "seed") else float(p))
        except ValueError:
            kind = "a whole number" if setting in ("batch_size", "seed") else "a number"
            raise ValueError(f"{p!r} is not {kind}") from None
    return out


# -- comparisons -------------------------------------------------------------------------------------------------------
def variant(experiment: Experiment, setting: str, value) -> Experiment:
    """``experiment`` with ``setting`` at ``value`` (see SETTINGS; "hidden_layers" takes a list of sizes)."""
    from nnstudio.core.network import LayerSpec

    if setting not in SETTINGS:
        raise ValueError(f"cannot compare {setting!r}; can compare: {', '.join(SETTINGS)}")
    if setting == "hidden_layers":
        sizes = list(value)
        hidden_act = experiment.layers[0].activation if len(experiment.layers) > 1 else "sigmoid"
        out = experiment.layers[-1]
        layers = [LayerSpec(int(n), hidden_act) for n in sizes] + [out]
        return experiment.replace(layers=layers, initial_weights=None).validate()
    return experiment.replace(**{setting: value}).validate()


PROGRESS_S = 0.1  # a comparison's progress is told (and a Cancel heard) this often


def compare(experiment: Experiment, setting: str, values, updates: int, initial_weights=None,
            progress=None) -> list[KeptRun]:
    """One run per value, each ``updates`` updates long (less if it diverges or stops early), all from the same
    starting weights when their networks have the same shape (``initial_weights``, default: the experiment's own
    start); each named by its value. ``progress(fraction)`` hears how far it is (and may stop it by raising)."""
    from nnstudio.training.threads import sharing_the_lock
    from nnstudio.training.trainer import Trainer

    if updates < 1:
        raise ValueError("a comparison needs at least one update")
    values = list(values)
    if len(values) < 2:
        raise ValueError("a comparison needs at least two values")
    variants = [variant(experiment, setting, value) for value in values]  # all checked before any is trained
    runs = []
    for i, (value, exp) in enumerate(zip(values, variants)):
        if initial_weights is not None and setting not in ("hidden_layers", "seed"):
            exp = exp.replace(initial_weights=[np.asarray(w).tolist() for w in initial_weights])
        t = Trainer(exp)
        start = t.network.get_weights()

        def tell(_snapshot, i=i, t=t):
            # every PROGRESS_S of training, whatever a run's length: a Cancel is heard within that (it was heard
            # only every twentieth of a run: minutes, for a long run on MNIST)
            progress((i + t.step_count / updates) / len(values))

        t.run(max_epochs=math.inf, max_updates=updates, should_stop=sharing_the_lock(),
              on_progress=None if progress is None else tell, progress_interval=PROGRESS_S, snapshots=False)
        if setting == "hidden_layers":
            sizes = list(value)
            name = ("no hidden layer" if not sizes else
                    f"hidden layer{'s' if len(sizes) > 1 else ''} {'-'.join(str(v) for v in sizes)}")
        else:
            name = f"{SETTINGS[setting]} {_value(setting, value)}"
        run = KeptRun.from_snapshot(t.snapshot(), exp, name, start)
        run.label = run.name  # what sets it apart from the other runs of the comparison
        runs.append(run)
    return runs

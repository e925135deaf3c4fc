"""An Experiment is a plain description of one training run: data, network, loss, optimizer, schedule, seed.

It holds no arrays and no state, so it can be edited by the builder, saved as JSON, and turned into a Trainer.
The JSON carries ``format`` and ``version``; a file that is not an experiment, or is damaged, is refused with a message
that says what is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from nnstudio.core import activations, init, losses, optimizers
from nnstudio.core.network import LayerSpec

FORMAT = "nnstudio-experiment"
VERSION = 1
DTYPES = ("float64", "float32")
PREPROCESSING = ("dataset", "none", "standardize")


class ExperimentError(ValueError):
    """An experiment that cannot be trained or read; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclass
class Experiment:
    # what it is
    name: str = "untitled"
    title: str = ""
    description: str = ""
    # data
    dataset: str = "toy"
    dataset_params: dict = field(default_factory=dict)
    preprocessing: str = "dataset"  # "dataset": the dataset's own; "none"; "standardize": fitted on training rows
    excluded_rows: tuple[int, ...] = ()  # training rows left out (the perceptron tutorial's "remove a row")
    cell_edits: tuple[tuple[int, int, float], ...] = ()  # (row, column, value) changes to the training table
    # network: hidden layers then the output layer; the input size comes from the data
    layers: list[LayerSpec] = field(default_factory=lambda: [LayerSpec(1, "sigmoid", bias=False)])
    init: str = "uniform"
    bias_init: str = "zeros"
    seed: int = 1
    initial_weights: list | None = None  # explicit starting parameters (nested lists, in parameters() order)
    dtype: str = "float64"
    # objective and optimisation
    loss: str = "squared_error"
    optimizer: str = "sgd"
    learning_rate: float = 1.0
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    lr_schedule: str = "constant"
    lr_decay: float = 0.0
    batch_size: int = 0  # 0: the full batch; 1: one sample per update
    shuffle: bool = False
    l1: float = 0.0
    l2: float = 0.0
    epochs: int = 1000

    # -- checks that need no data ---------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Everything wrong with the experiment on its own (a Trainer adds the checks against the dataset)."""
        p: list[str] = []
        if not self.layers:
            p.append("the network needs at least an output layer")
        for i, spec in enumerate(self.layers, start=1):
            where = "output layer" if i == len(self.layers) else f"hidden layer {i}"
            if not isinstance(spec.units, int) or spec.units < 1:
                p.append(f"{where}: needs at least 1 neuron (got {spec.units})")
            if spec.activation not in activations.ACTIVATIONS:
                p.append(f"{where}: unknown activation {spec.activation!r}; known: "
                         f"{', '.join(activations.ACTIVATIONS)}")
            elif spec.activation == "softmax" and i != len(self.layers):
                p.append(f"{where}: softmax belongs on the output layer only")
            elif spec.activation == "softmax" and spec.units < 2:
                p.append(f"{where}: softmax needs at least 2 outputs (with one output it is always 1)")
            if not 0.0 <= spec.dropout < 1.0:
                p.append(f"{where}: dropout must be in [0, 1) (got {spec.dropout})")
            elif spec.dropout > 0 and i == len(self.layers):
                p.append("the output layer cannot have dropout")
        for label, value, known in (("loss", self.loss, losses.LOSSES), ("optimizer", self.optimizer,
                                    optimizers.OPTIMIZERS), ("initialiser", self.init, init.INITIALIZERS),
                                    ("learning-rate schedule", self.lr_schedule, optimizers.SCHEDULES)):
            if value not in known:
                p.append(f"unknown {label} {value!r}; known: {', '.join(known)}")
        if self.bias_init not in init.BIAS_INITS:
            p.append(f"unknown bias initialisation {self.bias_init!r}; known: {', '.join(init.BIAS_INITS)}")
        if self.dtype not in DTYPES:
            p.append(f"dtype must be one of {', '.join(DTYPES)} (got {self.dtype!r})")
        if self.preprocessing not in PREPROCESSING:
            p.append(f"preprocessing must be one of {', '.join(PREPROCESSING)} (got {self.preprocessing!r})")
        for label, value in (("learning rate", self.learning_rate),):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                p.append(f"{label} must be a positive number (got {value})")
        for label, value, lo, hi in (("momentum", self.momentum, 0.0, 1.0), ("beta1", self.beta1, 0.0, 1.0),
                                     ("beta2", self.beta2, 0.0, 1.0)):
            if not (isinstance(value, (int, float)) and lo <= value < hi):
                p.append(f"{label} must be in [{lo:g}, {hi:g}) (got {value})")
        for label, value in (("L1", self.l1), ("L2", self.l2), ("learning-rate decay", self.lr_decay)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                p.append(f"{label} must be zero or positive (got {value})")
        if not isinstance(self.batch_size, int) or self.batch_size < 0:
            p.append(f"batch size must be 0 (full batch) or a positive whole number (got {self.batch_size})")
        if not isinstance(self.epochs, int) or self.epochs < 0:
            p.append(f"epochs must be zero or a positive whole number (got {self.epochs})")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            p.append(f"seed must be a whole number from 0 to 2^31 − 1 (got {self.seed})")
        return p

    def validate(self) -> "Experiment":
        problems = self.problems()
        if problems:
            raise ExperimentError(problems)
        return self

    def architecture_key(self) -> tuple:
        """What, if changed, needs new weights: data, layers, initialisation, dtype. (Learning rate and the
        optimizer's settings can change while paused without a reset.)"""
        return (self.dataset, json.dumps(self.dataset_params, sort_keys=True, default=str), self.preprocessing,
                tuple(self.excluded_rows), tuple(self.cell_edits), tuple(self.layers), self.init, self.bias_init, self.seed,
                json.dumps(self.initial_weights), self.dtype, self.loss)

    def replace(self, **changes) -> "Experiment":
        return replace(self, **changes)

    # -- JSON ----------------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["layers"] = [s.to_dict() for s in self.layers]
        d["excluded_rows"] = list(self.excluded_rows)
        d["cell_edits"] = [list(e) for e in self.cell_edits]
        return {"format": FORMAT, "version": VERSION, **d}

    @classmethod
    def from_dict(cls, d: dict, origin: str = "experiment") -> "Experiment":
        if not isinstance(d, dict):
            raise ExperimentError(f"{origin}: expected a JSON object, found {type(d).__name__}")
        if d.get("format") != FORMAT:
            raise ExperimentError(f"{origin}: not an NN Studio experiment (format is {d.get('format')!r}, "
                                  f"expected {FORMAT!r})")
        version = d.get("version")
        if not isinstance(version, int) or version > VERSION or version < 1:
            raise ExperimentError(f"{origin}: experiment format version {version!r} is not supported "
                                  f"(this NN Studio reads versions 1 to {VERSION})")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known - {"format", "version"})
        if unknown:
            raise ExperimentError(f"{origin}: unknown field(s) {', '.join(unknown)}")
        kwargs = {k: v for k, v in d.items() if k in known}
        try:
            if "layers" in kwargs:
                if not isinstance(kwargs["layers"], list):
                    raise TypeError("layers must be a list")
                kwargs["layers"] = [LayerSpec.from_dict(s) for s in kwargs["layers"]]
            if "excluded_rows" in kwargs:
                kwargs["excluded_rows"] = tuple(int(i) for i in kwargs["excluded_rows"])
            if "cell_edits" in kwargs:
                kwargs["cell_edits"] = tuple((int(r), int(c), float(v)) for r, c, v in kwargs["cell_edits"])
            if "dataset_params" in kwargs and not isinstance(kwargs["dataset_params"], dict):
                raise TypeError("dataset_params must be an object")
            exp = cls(**kwargs)
        except (TypeError, ValueError, KeyError) as e:
            raise ExperimentError(f"{origin}: damaged experiment ({e})") from None
        # JSON has one number type: whole-number floats where ints are expected are accepted, nothing else
        for name in ("batch_size", "epochs", "seed"):
            v = getattr(exp, name)
            if isinstance(v, float) and v.is_integer():
                setattr(exp, name, int(v))
        for name in ("learning_rate", "momentum", "beta1", "beta2", "lr_decay", "l1", "l2"):
            v = getattr(exp, name)
            if isinstance(v, int) and not isinstance(v, bool):
                setattr(exp, name, float(v))
        problems = exp.problems()
        if problems:
            raise ExperimentError([f"{origin}: {p}" for p in problems])
        return exp

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str, origin: str = "experiment") -> "Experiment":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ExperimentError(f"{origin}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        return cls.from_dict(d, origin)

    def save(self, path: str | Path) -> None:
        from nnstudio.fileio import atomic_write_text

        atomic_write_text(Path(path), self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "Experiment":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ExperimentError(f"{path.name}: cannot be read ({e.__class__.__name__}: {e})") from None
        return cls.from_json(text, path.name)

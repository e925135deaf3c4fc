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
from nnstudio.numbers import count, fmt
from nnstudio.training import checks
from nnstudio.training.history import PATH_CAPACITY

FORMAT = "nnstudio-experiment"
VERSION = 1
DTYPES = ("float64", "float32")
PREPROCESSING = ("dataset", "none", "standardize")

# How big a network may be. A Trainer holds each parameter about 8 times (weights, starting weights, the backup an
# overflow rolls back to, gradients, up to two optimizer arrays, and the copies in the snapshots a window holds) plus,
# beyond 512 parameters, 64 float32 copies along the recorded path (History.path); and every row costs its prepared
# inputs plus, in a pass over the whole table (each epoch's evaluation), about 4 values per neuron (z, a, a gradient
# and temporaries). MAX_BYTES bounds that estimate at 4 GB: what a laptop with 8 GB can give one network beside the
# studio and the system. Measured here for 784-256-128-10 (235,146 parameters, Adam, float64) on 60,000 MNIST-sized
# rows: 1.15 GB at full batch, 0.92 GB at batch 128; the estimate says 1.21 GB, so a network twice as wide
# (784-512-256-10, about 2 GB) still fits, and a layer of a billion neurons is refused before anything is allocated.
# MAX_UNITS catches absurd layers before the data is even loaded.
MAX_UNITS = 100_000
MAX_BYTES = 4_000_000_000
_TEXT_FIELDS = ("name", "title", "description", "dataset", "preprocessing", "init", "bias_init", "dtype", "loss",
                "optimizer", "lr_schedule")
_NUMBER_FIELDS = ("learning_rate", "momentum", "beta1", "beta2", "lr_decay", "l1", "l2")
_WHOLE_FIELDS = ("seed", "batch_size", "epochs", "early_stopping")
MAX_PATIENCE = 1_000_000  # epochs of early-stopping patience (a million epochs without a better test loss)


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
    # stop when the test loss has not improved for this many epochs in a row (0: off; needs test rows; see
    # training.early_stopping)
    early_stopping: int = 0

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
            elif spec.units > MAX_UNITS:
                p.append(f"{where}: {count(spec.units)} neurons is more than a layer can have here "
                         f"({count(MAX_UNITS)})")
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
        if not isinstance(self.early_stopping, int) or not 0 <= self.early_stopping <= MAX_PATIENCE:
            p.append(f"early stopping must be 0 (off) or a patience of 1 to {count(MAX_PATIENCE)} epochs "
                     f"(got {self.early_stopping})")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            p.append(f"seed must be a whole number from 0 to 2^31 − 1 (got {self.seed})")
        if self.layers and all(isinstance(s.units, int) and 1 <= s.units <= MAX_UNITS for s in self.layers):
            p += self.size_problems(None)  # the hidden layers alone, before the data gives the input size
        return p

    def size(self, n_inputs: int, n_rows: int) -> tuple[int, int]:
        """(parameters, estimated bytes) of this network on ``n_inputs`` features and ``n_rows`` rows (see
        MAX_BYTES for what the estimate counts)."""
        sizes = [n_inputs] + [s.units for s in self.layers]
        params = sum(a * b + (b if s.bias else 0) for a, b, s in zip(sizes, sizes[1:], self.layers))
        itemsize = 4 if self.dtype == "float32" else 8
        per_parameter = 8 * itemsize + (4 * PATH_CAPACITY if params > 512 else 0)
        return params, params * per_parameter + itemsize * n_rows * (n_inputs + 4 * sum(sizes[1:]))

    def size_problems(self, n_inputs: int | None, n_rows: int = 0) -> list[str]:
        """Why this network is too big to build on data of this size (empty when it is not). Without the data
        (``n_inputs`` None) the hidden and output layers alone are counted, with one input."""
        params, need = self.size(n_inputs or 1, n_rows)
        if need <= MAX_BYTES:
            return []
        shape = " → ".join([str(n_inputs) if n_inputs else "inputs"] + [str(s.units) for s in self.layers])
        return [f"the network is too big to build: {shape} has {'' if n_inputs else 'at least '}{count(params)} "
                f"parameters and would need about {fmt(need / 1e9, 3)} GB of memory"
                f"{f' for {count(n_rows)} rows' if n_rows else ''}; NN Studio builds networks up to "
                f"{fmt(MAX_BYTES / 1e9, 3)} GB (fewer neurons, or fewer rows, fit)"]

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
        kwargs, problems = {}, []
        for name, value in d.items():
            if name in known:
                try:
                    kwargs[name] = _field(name, value)
                except (checks.FieldError, ValueError, TypeError) as e:
                    problems.append(f"{origin}: {e}")
        if problems:
            raise ExperimentError(problems)
        exp = cls(**kwargs)
        problems = exp.problems()
        if problems:
            raise ExperimentError([f"{origin}: {p}" for p in problems])
        return exp

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str, origin: str = "experiment") -> "Experiment":
        return cls.from_dict(checks.parse_json(text, origin, "an experiment file", ExperimentError), origin)

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


def _field(name: str, value):
    """One field of an experiment file as the dataclass holds it, its type checked (``FieldError`` otherwise);
    ranges and names are ``problems()``'s to check."""
    if name in _TEXT_FIELDS:
        return checks.text(value, name)
    if name in _NUMBER_FIELDS:
        return checks.number(value, name, finite=False)
    if name in _WHOLE_FIELDS:
        return checks.whole(value, name, -checks.MAX_COUNT, checks.MAX_COUNT)
    if name == "shuffle":
        return checks.flag(value, name)
    if name == "dataset_params":
        for key, v in checks.obj(value, name).items():
            if not (v is None or isinstance(v, (str, int, float, bool))):
                raise checks.FieldError(f"{name}.{key}", f"expected a number or text, found {checks.show(v)}")
        return dict(value)
    if name == "excluded_rows":
        return tuple(checks.whole(v, f"{name}[{i}]") for i, v in enumerate(checks.seq(value, name)))
    if name == "cell_edits":
        edits = []
        for i, e in enumerate(checks.seq(value, name)):
            if not isinstance(e, list) or len(e) != 3:
                raise checks.FieldError(f"{name}[{i}]", f"expected [row, column, value], found {checks.show(e)}")
            edits.append((checks.whole(e[0], f"{name}[{i}][0]"), checks.whole(e[1], f"{name}[{i}][1]"),
                          checks.number(e[2], f"{name}[{i}][2]")))
        return tuple(edits)
    if name == "layers":
        specs = []
        for i, spec in enumerate(checks.seq(value, name)):
            try:
                specs.append(LayerSpec.from_dict(spec))
            except ValueError as e:
                raise checks.FieldError(f"{name}[{i}]", str(e)) from None
        return specs
    if name == "initial_weights":
        if value is not None:
            for i, w in enumerate(checks.seq(value, name)):
                if not isinstance(w, list):  # (an experiment's weights are lists people can read: never packed)
                    raise checks.FieldError(f"{name}[{i}]", "expected a list of numbers (a row) or of rows")
                a = checks.array(w, f"{name}[{i}]")
                if a.ndim not in (1, 2):
                    raise checks.FieldError(f"{name}[{i}]", f"expected a weight matrix or a bias row, found shape "
                                            f"{a.shape}")
        return value
    raise checks.FieldError(name, "unknown field")  # not reached: from_dict passes known fields only

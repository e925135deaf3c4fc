"""What a lesson page may do: its actions (set the studio up), each parsed from one ``key: value`` line and checked
when the file is read, so a teacher's typo is found before any page runs (questions: ``questions.py``).

The names a page may use are listed here: panels (``PANELS``), controls by objectName (``CONTROLS``), presets
(training/presets.py), weights as the studio writes them (``W1[0,2]``, ``b1[0]``). A Qt test checks that every
panel and control listed here exists in the studio window, so this list cannot drift from the window.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nnstudio.numbers import count, fmt

ACTION_KINDS = ("preset", "select_weight", "open_panel", "set", "run", "highlight", "lock", "compare")
MAX_RUN = 1_000_000

# panel name -> the axes it can be opened with (the first is the default; () means no choice of axes)
CURVE_SCALES = ("linear", "log_y", "log_log")
SURFACE_AXES = ("weights", "cut", "random", "pca")
PANELS: dict[str, tuple[str, ...]] = {
    "curves": CURVE_SCALES, "weights": (), "activation": (), "predictions": (), "surface": SURFACE_AXES,
    "gallery": (), "draw": (), "try": (), "data": (), "network": (), "training": (),
    "inspector": (),  # the backprop inspector (issue 10): opened when the studio has it, else the page says so
}


@dataclass(frozen=True)
class Control:
    kind: str  # "number", "integer", "check", "choice" or "button" (highlight and lock only)
    low: float = 0.0
    high: float = 0.0
    choices: tuple[str, ...] = ()


def _choices(registry_path: str) -> tuple[str, ...]:
    module, name = registry_path.rsplit(".", 1)
    import importlib

    return tuple(getattr(importlib.import_module(module), name))


def _controls() -> dict[str, Control]:
    from nnstudio.core.activations import ACTIVATIONS

    hidden = tuple(name for name in ACTIVATIONS if name != "softmax")  # the builder's hidden choices
    number, integer, check, button = (lambda lo, hi: Control("number", lo, hi)), \
        (lambda lo, hi: Control("integer", lo, hi)), Control("check"), Control("button")
    controls = {
        "learningRateSpin": number(1e-6, 100.0), "momentumSpin": number(0.0, 0.9999), "decaySpin": number(0.0, 100.0),
        "l1Spin": number(0.0, 10.0), "l2Spin": number(0.0, 10.0), "batchSizeSpin": integer(0, 1_000_000),
        "epochsSpin": integer(0, 10_000_000), "seedSpin": integer(0, 2**31 - 1), "shuffleCheck": check,
        "optimizerCombo": Control("choice", choices=_choices("nnstudio.core.optimizers.OPTIMIZERS")),
        "scheduleCombo": Control("choice", choices=_choices("nnstudio.core.optimizers.SCHEDULES")),
        "initCombo": Control("choice", choices=_choices("nnstudio.core.init.INITIALIZERS")),
        "curvesScaleCombo": Control("choice", choices=CURVE_SCALES), "curvesErrorsCheck": check,
        "showStepCheck": check, "surfaceCutCheck": check, "surfaceLogCheck": check,
        "outputActivationCombo": button,  # its choices depend on the data
        "datasetCombo": button, "dataTable": button, "addLayerButton": button, "runButton": button,
        "stepButton": button, "stepEpochButton": button, "resetButton": button, "speedSlider": button,
        "tryItPanel": button, "networkCanvas": button, "surfaceWeightXCombo": button,
        "surfaceWeightYCombo": button, "surfaceModeCombo": button,
    }
    for k in (1, 2, 3):  # the builder's hidden layer k (present once the network has that many hidden layers)
        controls[f"hiddenUnitsSpin_{k}"] = integer(1, 1024)
        controls[f"hiddenDropoutSpin_{k}"] = number(0.0, 0.9)
        controls[f"hiddenActivationCombo_{k}"] = Control("choice", choices=hidden)
        controls[f"hiddenBiasCheck_{k}"] = check
    return controls


CONTROLS: dict[str, Control] = _controls()


# -- weights --------------------------------------------------------------------------------------------------------
_WEIGHT = re.compile(r"^([Wb])(\d+)\[(\d+(?:\s*,\s*\d+)*)\]$")


@dataclass(frozen=True)
class WeightRef:
    """A weight as the studio labels it: ``W1[0,2]`` (layer 1, input row 0, unit 2) or ``b1[0]``."""

    name: str  # "W1", "b1"
    index: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.name}[{','.join(map(str, self.index))}]"

    def locate(self, names, shapes) -> tuple[int, int]:
        """(parameter index, flat index within it) in a network with these parameter names and shapes."""
        if self.name not in names:
            raise ValueError(f"the network has no {self.name} (it has {', '.join(names)})")
        i = list(names).index(self.name)
        shape = tuple(shapes[i])
        if len(self.index) != len(shape) or any(not 0 <= k < n for k, n in zip(self.index, shape)):
            raise ValueError(f"{self} is outside {self.name}, whose shape is "
                             f"{'×'.join(map(str, shape))} (indices count from 0)")
        flat = 0
        for k, n in zip(self.index, shape):
            flat = flat * n + k
        return i, flat


def parse_weight(text: str) -> WeightRef:
    m = _WEIGHT.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a weight: write it as the studio labels it, e.g. W1[0,2] or b1[0]")
    name = f"{m.group(1)}{m.group(2)}"
    index = tuple(int(k) for k in m.group(3).split(","))
    if len(index) != (2 if m.group(1) == "W" else 1):
        raise ValueError(f"{text!r}: a W takes two indices (row, unit) and a b one (unit)")
    return WeightRef(name, index)


@dataclass
class Context:
    """What the pages read so far have set up (the last preset loaded), for checking the pages after them."""

    preset: str | None = None
    names: tuple[str, ...] | None = None
    shapes: tuple[tuple[int | None, ...], ...] | None = None
    hidden_layers: int | None = None

    def load_preset(self, name: str) -> None:
        from nnstudio.data import DATASETS
        from nnstudio.training import presets

        exp = presets.PRESETS[name]
        source = DATASETS[exp.dataset]
        n_in = None if source.heavy else source.load(**exp.dataset_params).n_features
        names, shapes, prev = [], [], n_in
        for k, spec in enumerate(exp.layers, start=1):
            names.append(f"W{k}")
            shapes.append((prev, spec.units))
            if spec.bias:
                names.append(f"b{k}")
                shapes.append((spec.units,))
            prev = spec.units
        self.preset, self.names, self.shapes = name, tuple(names), tuple(shapes)
        self.hidden_layers = len(exp.layers) - 1

    def check_weight(self, ref: WeightRef) -> None:
        if self.names is None:
            return  # no preset loaded by the lesson: checked when the page runs
        # an unknown size (a heavy dataset's inputs) accepts any index there
        shapes = [tuple(10**9 if n is None else n for n in s) for s in self.shapes]
        ref.locate(self.names, shapes)


# -- actions --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    kind: str
    args: tuple = ()
    line: int = 0

    def __str__(self) -> str:
        return f"{self.kind}: {' '.join(str(a) for a in self.args)}"


def parse_number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} must be a number, not {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {text!r}")
    return value


def parse_whole(text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValueError(f"{what} must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {count(low)} to {count(high)}, not {count(value)}")
    return value


def _control(name: str) -> Control:
    if name not in CONTROLS:
        raise ValueError(f"unknown control {name!r} (known: {', '.join(sorted(CONTROLS))})")
    return CONTROLS[name]


def control_value(name: str, text: str):
    """The value ``text`` means for the control ``name`` (checked against its kind and range)."""
    c = _control(name)
    if c.kind == "button":
        raise ValueError(f"{name} has no value to set (it can be highlighted or locked)")
    if c.kind == "check":
        if text.lower() not in ("on", "off", "yes", "no", "true", "false"):
            raise ValueError(f"{name} is on or off, not {text!r}")
        return text.lower() in ("on", "yes", "true")
    if c.kind == "choice":
        if text not in c.choices:
            raise ValueError(f"{name} has no choice {text!r} (its choices: {', '.join(c.choices)})")
        return text
    value = parse_whole(text, name, int(c.low), int(c.high)) if c.kind == "integer" else parse_number(text, name)
    if not c.low <= value <= c.high:
        raise ValueError(f"{name} takes values from {fmt(c.low)} to {fmt(c.high)}, not {fmt(value)}")
    return value


def parse_action(kind: str, value: str, line: int, context: Context) -> Action:
    words = value.split()
    if kind == "preset":
        from nnstudio.training import presets

        if len(words) != 1 or value not in presets.PRESETS:
            raise ValueError(f"unknown preset {value!r} (known: {', '.join(presets.PRESETS)})")
        context.load_preset(value)
        return Action(kind, (value,), line)
    if kind == "select_weight":
        ref = parse_weight(value)
        context.check_weight(ref)
        return Action(kind, (ref,), line)
    if kind == "open_panel":
        return Action(kind, _panel_args(words, context), line)
    if kind == "set":
        if len(words) != 2:
            raise ValueError("'set' takes a control and a value, e.g. 'set: learningRateSpin 0.5'")
        return Action(kind, (words[0], control_value(words[0], words[1])), line)
    if kind == "run":
        if len(words) != 1:
            raise ValueError("'run' takes the number of updates, e.g. 'run: 1000'")
        return Action(kind, (parse_whole(words[0], "the number of updates", 1, MAX_RUN),), line)
    if kind in ("highlight", "lock"):
        for name in words:
            _control(name)
        return Action(kind, tuple(words), line)
    if kind == "compare":
        from nnstudio.training.runs import SETTINGS, parse_values

        if len(words) != 3 or words[0] not in SETTINGS:
            raise ValueError("'compare' takes a setting, its values and the updates per run, e.g. 'compare: "
                             f"learning_rate 0.003,0.001 300' (settings: {', '.join(SETTINGS)})")
        values = parse_values(words[0], words[1])
        if len(values) < 2:
            raise ValueError("'compare' needs at least two values, apart by commas (layers: by ';')")
        return Action(kind, (words[0], values, parse_whole(words[2], "the number of updates", 1, MAX_RUN)), line)
    raise ValueError(f"unknown action {kind!r} (known: {', '.join(ACTION_KINDS)})")


def _panel_args(words: list[str], context: Context) -> tuple:
    if not words or words[0] not in PANELS:
        got = words[0] if words else ""
        raise ValueError(f"unknown panel {got!r} (known: {', '.join(PANELS)})")
    name, rest, axes = words[0], words[1:], PANELS[words[0]]
    if not rest:
        return (name,)
    if not axes:
        raise ValueError(f"the {name} panel takes no axes")
    if rest[0] not in axes:
        raise ValueError(f"the {name} panel has no axes {rest[0]!r} (it has: {', '.join(axes)})")
    if name == "surface":
        want = {"weights": 2, "cut": 1, "random": 0, "pca": 0}[rest[0]]
        if len(rest) - 1 != want:
            raise ValueError(f"'surface {rest[0]}' takes {want} weight(s), e.g. 'open_panel: surface weights "
                             "W1[0,0] b1[0]'" if want else f"'surface {rest[0]}' takes no weights")
        refs = tuple(parse_weight(w) for w in rest[1:])
        for ref in refs:
            context.check_weight(ref)
        return (name, rest[0], *refs)
    if len(rest) != 1:
        raise ValueError(f"the {name} panel takes one axes word ({', '.join(axes)})")
    return (name, rest[0])

"""Damaged, foreign and lying files never crash anything.

Each case is a good session or experiment file with one thing wrong: truncated, random bytes, a wrong type in every
field, a future version, huge claimed sizes, deep nesting, NaN/inf weights, a non-ASCII window layout, wrong
shapes, negative counts, positions out of range, a history whose stride or capacity lies. Every case must be refused
with one line that names the file and what is wrong, from the reading code, from the command line (exit status 2)
and in the studio (tests/qt/test_fault_matrix_studio.py opens the same cases through File > Open). A few cases run
as real processes, the studio among them (``nnstudio FILE.nnstudio``), which must not abort.

Memory: the cases claim billions of rows and neurons. In-process checks run under an address-space limit a few GB
above what the process uses, and subprocesses under 6 GB, so a regression fails with MemoryError instead of
dragging the machine into its out-of-memory killer.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.training import Experiment, ExperimentError, Trainer, presets
from nnstudio.training.session import Session, SessionError

GOOD_LAYOUT = base64.b64encode(b"\x00\x00\x00\xffQt layout").decode("ascii")


# -- good files to break ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _good(kind: str) -> str:
    """JSON text of a good file: "session" (gender network, Adam, shuffled, mid-epoch: every state field filled),
    "csv" (a session carrying its own table) or "experiment"."""
    exp = presets.get("gender-network").replace(optimizer="adam", shuffle=True, learning_rate=0.05)
    if kind == "experiment":
        return exp.to_json()
    dataset = None
    if kind == "csv":
        from nnstudio.data.dataset import Dataset

        dataset = Dataset(name="csv", title="My table", task="binary",
                          X=np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [4.0, 3.0], [5.0, 5.0], [0.0, 1.0]]),
                          y=np.array([0, 1, 0, 1, 1, 0]), feature_names=("a", "b"), class_names=("no", "yes"),
                          params={"path": "/nonexistent/table.csv", "target": "label"})
        exp = exp.replace(name="mine", dataset="csv", dataset_params={"path": "/nonexistent/table.csv",
                                                                       "target": "label"})
    t = Trainer(exp, dataset)
    t.run(max_updates=50)
    assert (t.step_count, t.position) == (50, 2) or kind == "csv"
    return json.dumps(Session(t, ui={"window_state": GOOD_LAYOUT}).to_dict())


@dataclass(frozen=True)
class Case:
    id: str
    base: str  # "session", "csv" or "experiment"
    change: Callable  # a parsed copy of the good file -> the damaged document (dict) or raw text/bytes
    expect: str  # what the one-line reason must contain

    def content(self) -> bytes:
        good = _good(self.base)
        out = self.change(json.loads(good), good)
        if isinstance(out, bytes):
            return out
        if not isinstance(out, str):
            out = json.dumps(out)
            for marker, raw in _RAW.items():  # JSON text that a dict cannot hold (deep nesting)
                out = out.replace(json.dumps(marker), raw)
        return out.encode("utf-8")

    def write(self, folder) -> "os.PathLike":
        path = folder / f"{self.id}.{'json' if self.base == 'experiment' else 'nnstudio'}"
        path.write_bytes(self.content())
        return path


def put(where: str, value):
    """A change that sets the field at a dotted path ("state.history.epochs.x.-1") to ``value``."""
    keys = [int(k) if k.lstrip("-").isdigit() else k for k in where.split(".")]

    def change(d, _text):
        node = d
        for k in keys[:-1]:
            node = node[k]
        if value is _DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value(copy.deepcopy(node[keys[-1]])) if callable(value) else value
        return d
    return change


_DELETE = object()


def text(fn):
    """A change made to the file's text."""
    return lambda _d, t: fn(t)


_RAW: dict[str, str] = {}


def nested(depth: int) -> str:
    """A marker that becomes lists nested ``depth`` deep in the file's text."""
    marker = f"@nested-{depth}@"
    _RAW[marker] = "[" * depth + "]" * depth
    return marker


RNG = np.random.default_rng(8)
RANDOM_BYTES = RNG.bytes(3000)
RANDOM_TEXT = "".join(chr(c) for c in RNG.integers(32, 127, 3000))

WRONG_TYPE = {  # a value of the wrong kind for each experiment field, and what the reason says
    "name": 5, "title": ["x"], "description": {"a": 1}, "dataset": 7, "preprocessing": None, "init": 1.5,
    "bias_init": True, "dtype": 64, "loss": [], "optimizer": {}, "lr_schedule": 0,
    "learning_rate": "fast", "momentum": "0.9", "beta1": [0.9], "beta2": None, "lr_decay": {}, "l1": "none",
    "l2": [], "seed": 2.5, "batch_size": "all", "epochs": None, "shuffle": "yes", "dataset_params": [1],
    "excluded_rows": "0", "cell_edits": [[0, 0]], "layers": {"units": 2}, "initial_weights": "none",
}
AT = {"cell_edits": "[0]"}  # where inside the field the reason points
STATE_FIELDS = ("step", "epoch", "position", "order", "weights", "initial_weights", "optimizer", "shuffle_rng",
                "dropout_rng", "last_loss", "last_outputs", "elapsed", "history")
HISTORY_FIELDS = ("update_loss", "epochs", "weights", "errors")
DATASET_FIELDS = ("name", "title", "task", "X", "y", "feature_names", "class_names", "target_names", "preprocessing",
                  "X_test", "description", "source", "params")

SESSION_CASES = [
    # the file as a whole
    Case("empty", "session", text(lambda t: ""), "not valid JSON (line 1, column 1"),
    Case("truncated", "session", text(lambda t: t[: len(t) // 2]), "not valid JSON"),
    Case("random-bytes", "session", lambda d, t: RANDOM_BYTES, "cannot be read (UnicodeDecodeError"),
    Case("random-text", "session", text(lambda t: RANDOM_TEXT), "not valid JSON"),
    Case("a-list", "session", text(lambda t: "[1, 2, 3]"), "not an NN Studio session (format is 'list'"),
    Case("an-experiment", "session", lambda d, t: _good("experiment"), "not an NN Studio session"),
    Case("future-version", "session", put("version", 3), "session format version 3 is not supported"),
    Case("version-as-text", "session", put("version", "1"), "session format version '1' is not supported"),
    Case("deep-nesting-100000", "session", put("ui", nested(100_000)), "nested more than 32 deep"),
    Case("deep-nesting-40", "session", put("experiment.description", nested(40)), "nested more than 32 deep"),
    Case("integer-of-5000-digits", "session", text(lambda t: t.replace('"step": 50', '"step": 5' + "0" * 5000)),
         "not valid JSON (Exceeds the limit"),
    Case("missing-state", "session", put("state", _DELETE), "missing field state"),
    Case("state-not-an-object", "session", put("state", [1]), "state: expected an object"),
    # the window layout
    Case("non-ascii-window-state", "session", put("ui.window_state", "AAAA\u00e9\u20ac"),
         "ui.window_state: not base64 text (it holds the character 'é')"),
    Case("window-state-not-base64", "session", put("ui.window_state", "abc"), "ui.window_state: not base64"),
    Case("window-state-a-number", "session", put("ui.window_state", 12), "ui.window_state: expected text"),
    Case("ui-not-an-object", "session", put("ui", "wide"), "ui: expected an object"),
    # the experiment inside
    *[Case(f"experiment-{name}-wrong-type", "session", put(f"experiment.{name}", value), f"{name}{AT.get(name, '')}:")
      for name, value in WRONG_TYPE.items()],
    Case("units-1e9", "session", put("experiment.layers.0.units", 10**9), "1,000,000,000 neurons"),
    Case("units-negative", "session", put("experiment.layers.0.units", -3), "needs at least 1 neuron (got -3)"),
    Case("network-too-big", "session", put("experiment.layers", lambda ls: [{"units": 30000}, {"units": 30000}, ls[-1]]),
         "too big to build"),
    Case("epochs-negative", "session", put("experiment.epochs", -1), "epochs must be zero or a positive"),
    Case("excluded-row-out-of-range", "session", put("experiment.excluded_rows", [99]), "excluded row 99 does not"),
    # the training state: a wrong type in every field, then values that lie
    *[Case(f"state-{name}-wrong-type", "session", put(f"state.{name}", "x"), f"state.{name}")
      for name in STATE_FIELDS],
    Case("step-negative", "session", put("state.step", -1), "state.step: -1 is negative"),
    Case("epoch-beyond-step", "session", put("state.epoch", 51), "state.epoch: 51 epochs cannot take only 50"),
    Case("position-out-of-range", "session", put("state.position", 4), "state.position: row 4 of the epoch"),
    Case("order-repeats-a-row", "session", put("state.order", [0, 0, 1, 2]), "state.order: not an order"),
    Case("order-too-short", "session", put("state.order", [0, 1, 2]), "state.order: shape (3,)"),
    Case("weights-nan", "session", put("state.weights.0.1.0", None),
         "state.weights[0] (W1): the value at [1, 0] is NaN"),
    Case("weights-infinite", "session", put("state.weights.3.0", float("inf")),
         "state.weights[3] (b2): the value at [0] is infinite"),
    Case("weights-1e400", "session", text(lambda t: t.replace('"weights": [[[', '"weights": [[[1e400, ', 1)),
         "state.weights[0] (W1)"),
    Case("initial-weights-nan", "session", put("state.initial_weights.2.0.0", None),
         "state.initial_weights[2] (W2): the value at [0, 0] is NaN"),
    Case("weights-wrong-shape", "session", put("state.weights.0", [[1.0, 2.0, 3.0]]),
         "state.weights[0] (W1): shape (1, 3) does not fit the expected (2, 2)"),
    Case("weights-too-few", "session", put("state.weights", lambda w: w[:2]), "2 arrays, but the network has 4"),
    Case("weights-as-text", "session", put("state.weights.1", ["a", "b"]), "state.weights[1] (b1): expected a table"),
    Case("optimizer-state-wrong-shape", "session", put("state.optimizer.state.0.1", [[0.0]]),
         "state.optimizer.state[0][1]: shape (1, 1) does not fit"),
    Case("optimizer-state-nan", "session", put("state.optimizer.state.1.0.0", None),
         "state.optimizer.state[1][0]: holds NaN"),
    Case("optimizer-t-negative", "session", put("state.optimizer.t", -4), "state.optimizer.t"),
    Case("rng-of-another-kind", "session", put("state.shuffle_rng.bit_generator", "MT19937"),
         "state.shuffle_rng.bit_generator: expected 'PCG64'"),
    Case("rng-state-negative", "session", put("state.dropout_rng.state.state", -1),
         "state.dropout_rng.state.state: -1 is negative"),
    Case("rng-increment-even", "session", put("state.shuffle_rng.state.inc", 2), "always odd"),
    Case("rng-missing-field", "session", put("state.shuffle_rng.has_uint32", _DELETE), "state.shuffle_rng.has_uint32"),
    Case("last-outputs-wrong-shape", "session", put("state.last_outputs", [[0.5]]), "state.last_outputs: shape"),
    Case("elapsed-negative", "session", put("state.elapsed", -5.0), "state.elapsed: -5.0 seconds is negative"),
    # the history: sizes it claims, strides that lie
    *[Case(f"history-{name}-wrong-type", "session", put(f"state.history.{name}", "x"), f"state.history.{name}")
      for name in HISTORY_FIELDS],
    Case("history-capacity-1e9", "session", put("state.history.update_loss.capacity", 10**9),
         "state.history.update_loss.capacity: 1000000000 rows claimed, but the file holds 50"),
    Case("history-capacity-odd", "session", put("state.history.epochs.capacity", 4095), "is odd"),
    Case("history-stride-0", "session", put("state.history.update_loss.stride", 0), "stride: 0 is less than 1"),
    Case("history-stride-3", "session", put("state.history.update_loss.stride", 3), "3 is not a power of two"),
    Case("history-stride-lies", "session", put("state.history.weights.stride", 1024),
         "1024 claims the history was thinned"),
    Case("history-head-lies", "session", put("state.history.weights.head", 10**9), "head: 1.000e+09 is more than 1024"),
    Case("history-thinned-claim-lies", "session",
         put("state.history.epochs", lambda s: {**s, "stride": 64, "x": [0], "values": s["values"][:1]}),
         "stride: 64 claims the history was thinned"),
    Case("history-x-goes-back", "session", put("state.history.update_loss.x.3", 1), "x[3]: 1 does not come after"),
    Case("history-x-beyond-step", "session", put("state.history.update_loss.x.-1", 5000),
         "5000 lies beyond the 50 reached"),
    Case("history-epoch-beyond-epoch", "session", put("state.history.epochs.x.-1", 13), "13 lies beyond the 12"),
    Case("history-values-wrong-width", "session", put("state.history.errors.values.0", [0.1]),
         "state.history.errors.values: expected a table"),
    Case("history-fewer-values-than-x", "session", put("state.history.weights.values", lambda v: v[:-1]),
         "state.history.weights.values: shape (49, 9) does not fit the expected (50, 9)"),
    # a table carried in the file
    *[Case(f"dataset-{name}-wrong-type", "csv", put(f"dataset.{name}", 3 if name != "X_test" else "x"),
           f"dataset.{name}") for name in DATASET_FIELDS],
    Case("dataset-x-nan", "csv", put("dataset.X.2.1", None), "dataset.X: the value at [2, 1] is NaN"),
    Case("dataset-x-ragged", "csv", put("dataset.X.0", [1.0]), "dataset.X: expected a table"),
    Case("dataset-class-not-whole", "csv", put("dataset.y.0", 0.5), "dataset.y: class indices must be whole"),
    Case("dataset-class-out-of-range", "csv", put("dataset.y.0", 7), "class indices must be from 0 to 1"),
    Case("dataset-one-class-name", "csv", put("dataset.class_names", ["only"]), "exactly two class names"),
    Case("dataset-scale-zero", "csv", put("dataset.preprocessing.scale", [1.0, 0.0]), "scales finite and non-zero"),
    Case("dataset-unknown-task", "csv", put("dataset.task", "clustering"), "unknown task 'clustering'"),
    Case("dataset-not-an-object", "csv", put("dataset", [1, 2]), "dataset: expected an object"),
]

EXPERIMENT_CASES = [
    Case("x-empty", "experiment", text(lambda t: ""), "not valid JSON (line 1, column 1"),
    Case("x-truncated", "experiment", text(lambda t: t[: len(t) // 2]), "not valid JSON"),
    Case("x-random-bytes", "experiment", lambda d, t: RANDOM_BYTES, "cannot be read (UnicodeDecodeError"),
    Case("x-a-session", "experiment", lambda d, t: _good("session"), "not an NN Studio experiment"),
    Case("x-future-version", "experiment", put("version", 2), "experiment format version 2 is not supported"),
    Case("x-deep-nesting-100000", "experiment", put("dataset_params", nested(100_000)), "nested more than 32 deep"),
    Case("x-integer-of-5000-digits", "experiment", text(lambda t: t.replace('"seed": 0', '"seed": 1' + "0" * 5000)),
         "not valid JSON (Exceeds the limit"),
    *[Case(f"x-{name}-wrong-type", "experiment", put(name, value), f"{name}{AT.get(name, '')}:")
      for name, value in WRONG_TYPE.items()],
    Case("x-units-1e9", "experiment", put("layers.0.units", 10**9), "1,000,000,000 neurons"),
    Case("x-network-too-big", "experiment", put("layers", lambda ls: [{"units": 30000}, {"units": 30000}, ls[-1]]),
         "too big to build"),
    Case("x-units-zero", "experiment", put("layers.0.units", 0), "needs at least 1 neuron"),
    Case("x-epochs-negative", "experiment", put("epochs", -5), "epochs must be zero or a positive"),
    Case("x-batch-negative", "experiment", put("batch_size", -1), "batch size must be 0"),
    Case("x-excluded-row-negative", "experiment", put("excluded_rows", [-1]), "excluded_rows[0]: -1 is negative"),
    Case("x-excluded-row-out-of-range", "experiment", put("excluded_rows", [4]), "excluded row 4 does not exist"),
    Case("x-cell-edit-out-of-range", "experiment", put("cell_edits", [[9, 0, 1.0]]), "outside the table"),
    Case("x-initial-weights-nan", "experiment",
         put("initial_weights", [[[1.0, None], [0.0, 0.0]], [0.0, 0.0], [[1.0], [1.0]], [0.0]]),
         "initial_weights[0]: the value at [0, 1] is NaN"),
    Case("x-initial-weights-wrong-shape", "experiment", put("initial_weights", [[[1.0]]]),
         "initial weights do not fit the network"),
    Case("x-dataset-size-1e9", "experiment",
         lambda d, t: {**d, "dataset": "spiral", "dataset_params": {"size": 10**9}}, "size must be a whole number"),
]


def ids(cases):
    return [c.id for c in cases]


@pytest.fixture(autouse=True)
def address_space_limit():
    """At most a few GB more than the process holds now, for the duration of one case (restored afterwards)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        in_use = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = in_use + 4 * 1024**3
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def assert_one_line(message: str, name: str, expect: str) -> None:
    assert "\n" not in message and len(message) < 400, message
    assert message.startswith(f"{name}: "), message
    assert expect in message, message


def test_the_good_files_open():
    for kind in ("session", "csv"):
        s = Session.from_dict(json.loads(_good(kind)), kind)
        assert s.trainer.step_count == 50 and s.ui == {"window_state": GOOD_LAYOUT}
    assert Experiment.from_json(_good("experiment")).optimizer == "adam"


def test_a_non_ascii_name_is_no_fault(tmp_path):
    path = tmp_path / "ünïcode.nnstudio"
    path.write_text(_good("session").replace('"name": "gender-network"', '"name": "Größe → 身長"'), encoding="utf-8")
    assert Session.load(path).trainer.experiment.name == "Größe → 身長"


@pytest.mark.parametrize("case", SESSION_CASES, ids=ids(SESSION_CASES))
def test_session_faults_are_refused_in_one_line(tmp_path, capsys, case):
    path = case.write(tmp_path)
    with pytest.raises(SessionError) as info:
        Session.load(path)
    assert_one_line(str(info.value), path.name, case.expect)
    # the command line: `nnstudio plot --session FILE` says the same in one line and exits 2
    out = tmp_path / "panel.png"
    code = cli.main(["plot", "--session", str(path), "--panel", "curves", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"nnstudio: error: {info.value}\n" and not out.exists()


@pytest.mark.parametrize("case", EXPERIMENT_CASES, ids=ids(EXPERIMENT_CASES))
def test_experiment_faults_are_refused_in_one_line(tmp_path, capsys, case):
    path = case.write(tmp_path)
    with pytest.raises(ExperimentError) as info:
        Trainer(Experiment.load(path))
    message = str(info.value)
    assert "\n" not in message and case.expect in message, message
    assert path.name in message or "initial weights" in message or "outside the table" in message \
        or "does not exist" in message or "size must be" in message or "too big" in message, message
    code = cli.main(["train", "--experiment", str(path), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2 and captured.err == f"nnstudio: error: {message}\n" and captured.out == ""


# -- real processes: the command line and the studio, which must not abort -------------------------------------------
STUDIO_CASES = ["non-ascii-window-state", "history-capacity-1e9", "units-1e9", "deep-nesting-100000"]  # aborted before
PROCESS_CASES = ["truncated", "random-bytes", "weights-nan", "units-1e9"]
TRAIN_CASES = ["x-deep-nesting-100000", "x-units-1e9"]
AT_ONCE = 3  # processes running together (the machine is shared)


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (6 * 1024**3, resource.RLIM_INFINITY))


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    """The studio on each of STUDIO_CASES, `plot --session` on each of PROCESS_CASES and `train --experiment` on
    TRAIN_CASES, a few at a time: {(command, case id): (exit status, stdout, stderr)}."""
    folder = tmp_path_factory.mktemp("faults")
    home = folder / "home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NNSTUDIO_QUIT_AFTER_MS="300", HOME=str(home),
               XDG_CONFIG_HOME=str(home / "config"))
    by_id = {c.id: c for c in SESSION_CASES + EXPERIMENT_CASES}
    runs = {}
    for cid in STUDIO_CASES:
        runs[("studio", cid)] = [str(by_id[cid].write(folder))]
    for cid in PROCESS_CASES:
        path = str(by_id[cid].write(folder))
        runs[("plot", cid)] = ["plot", "--session", path, "--panel", "curves", "--out", str(folder / f"{cid}.png")]
    for cid in TRAIN_CASES:
        runs[("train", cid)] = ["train", "--experiment", str(by_id[cid].write(folder))]
    waiting, running, done = list(runs.items()), [], {}
    while waiting or running:
        while waiting and len(running) < AT_ONCE:
            key, args = waiting.pop(0)
            running.append((key, subprocess.Popen([sys.executable, "-m", "nnstudio", *args], stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE, text=True, env=env,
                                                  preexec_fn=_limit_memory)))
        key, proc = running.pop(0)
        out, err = proc.communicate(timeout=180)
        done[key] = (proc.returncode, out, err)
    return done, by_id


def _our_lines(err: str) -> list[str]:
    """stderr without Qt's own chatter about the offscreen platform."""
    return [line for line in err.splitlines() if line.strip() and "propagateSizeHints" not in line]


@pytest.mark.parametrize("cid", STUDIO_CASES)
def test_the_studio_started_on_a_damaged_file_explains_it_and_does_not_abort(processes, cid):
    done, by_id = processes
    code, out, err = done[("studio", cid)]
    lines = _our_lines(err)
    assert code == 0, err  # the studio opened (on the first lesson) and closed normally
    assert "Traceback" not in err and "QThread" not in err and "Fatal" not in err
    assert len(lines) == 1 and lines[0].startswith(f"nnstudio: {cid}.nnstudio: ") and by_id[cid].expect in lines[0]


@pytest.mark.parametrize("cid", PROCESS_CASES)
def test_plot_session_on_a_damaged_file_exits_2_with_one_line(processes, cid):
    done, by_id = processes
    code, out, err = done[("plot", cid)]
    assert code == 2 and out == ""
    (line,) = _our_lines(err)
    assert line.startswith(f"nnstudio: error: {cid}.nnstudio: ") and by_id[cid].expect in line


@pytest.mark.parametrize("cid", TRAIN_CASES)
def test_train_experiment_on_a_damaged_file_exits_2_with_one_line(processes, cid):
    done, by_id = processes
    code, out, err = done[("train", cid)]
    assert code == 2 and out == ""
    (line,) = _our_lines(err)
    assert line.startswith("nnstudio: error: ") and by_id[cid].expect in line

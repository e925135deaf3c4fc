"""How ``nnstudio train`` reports: a progress bar on a terminal, Ctrl+C that stops training but keeps it, the
summary a person reads (every number through ``nnstudio.numbers``; arrays as numpy prints them, as the tutorials do)
and JSON without NaN."""

from __future__ import annotations

import math
import signal
import sys
import time

import numpy as np

from nnstudio.numbers import count, fixed, fmt
from nnstudio.training import early_stopping


class ProgressBar:
    """A one-line bar on stderr, drawn only on a terminal and only once a run has taken half a second."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = max(total, 1), enabled and sys.stderr.isatty()
        self.start = time.perf_counter()
        self.drawn = False

    def __call__(self, snap) -> None:
        if not self.enabled or time.perf_counter() - self.start < 0.5:
            return
        frac = min(snap.epoch / self.total, 1.0)
        bar = "#" * int(frac * 30)
        loss = "" if math.isnan(snap.loss) else f" loss {fmt(snap.loss, 6)}"
        sys.stderr.write(f"\r[{bar:30}] epoch {count(snap.epoch)}/{count(self.total)}{loss}   ")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")


class Interrupt:
    """Ctrl+C while training: the first press asks the run to stop after the current update (so what was trained
    can still be saved); a second press interrupts whatever is going on (a save in progress leaves the previous
    file whole)."""

    def __init__(self):
        self.pressed = False
        self._previous = None

    def __enter__(self) -> "Interrupt":
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread (tests calling main() from a worker): Ctrl+C keeps its default
            self._previous = None
        return self

    def _handle(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _number(x: float):
    return x if math.isfinite(x) else None


def finite(obj):
    """JSON-ready: NaN and infinities become null (standard JSON has no such numbers)."""
    if isinstance(obj, float):
        return _number(obj)
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite(v) for v in obj]
    return obj


def _fmt(values) -> str:
    """An array as numpy prints it with 8 decimals (the tutorials' printouts); numpy switches to short scientific
    notation for huge values (1.e+300) and elides the middle of big matrices, so a line stays bounded."""
    return np.array2string(np.asarray(values, dtype=np.float64), precision=8, suppress_small=False,
                           max_line_width=100, threshold=1000, edgeitems=3)


def print_summary(trainer, r: dict) -> None:
    exp, ds, net = trainer.experiment, trainer.dataset, trainer.network
    sizes = " → ".join([str(net.n_inputs)] + [f"{s.units} {s.activation}" for s in exp.layers])
    print(f"{exp.name}: {exp.title}" if exp.title else exp.name)
    print(f"data     {ds.title}: {count(trainer.n_train)} training rows"
          + (f", {count(len(trainer.X_test))} test rows" if trainer.X_test is not None else ""))
    print(f"network  {sizes}  ({count(net.n_parameters)} parameters)")
    print(f"trained  {count(r['epochs'])} epochs, {count(r['updates'])} updates in {fixed(r['seconds'], 2)} s")
    if r["stopped_early"]:
        print(early_stopping.message(r["epochs"], r["best_epoch"], r["best_test_loss"]))
    metric = "R²" if ds.task == "regression" else "accuracy"
    train_m = r["train_r2"] if ds.task == "regression" else r["train_accuracy"]
    test_m = r["test_r2"] if ds.task == "regression" else r["test_accuracy"]
    line = (f"loss     {fmt(r['final_loss'], 8)} ({trainer.loss_fn.title})" if r["final_loss"] is not None
            else "loss     -")
    print(line)
    if train_m is not None:
        print(f"{metric:8} train {fixed(train_m, 4)}" + (f", test {fixed(test_m, 4)}" if test_m is not None else ""))
    for i, layer in enumerate(r["layers"], start=1):
        print(f"layer {i} ({layer['activation']}) weights {len(layer['weights'])}x{len(layer['weights'][0])}:")
        print("  " + _fmt(_nan(layer["weights"])).replace("\n", "\n  "))
        if layer["bias"] is not None:
            print(f"  bias {_fmt(_nan(layer['bias']))}")
    if r["outputs"] is not None and len(r["outputs"]) <= 20:  # (None: a table too big to list, such as MNIST)
        print("outputs of the last training pass (before the last update):")
        for i, row in enumerate(r["outputs"]):
            target = ds.describe_target(int(trainer.train_rows[i]))
            print(f"  row {int(trainer.train_rows[i]) + 1}: {_fmt(_nan(row))}  target {target}")
    for p in r["predictions"]:
        out = _nan(p["output"])
        extra = ""
        if ds.task == "binary" and math.isfinite(out[0]):
            extra = f"  → {ds.class_names[int(out[0] >= 0.5)]}"
        elif ds.task == "multiclass" and np.isfinite(out).all():
            extra = f"  → {ds.class_names[int(np.argmax(out))]}"
        print(f"predict {', '.join(fmt(v, 6) for v in p['input'])}: {_fmt(out)}{extra}")
    if r["note"]:
        print(f"note: {r['note']}")


def _nan(values):
    """JSON's null back to NaN for printing."""
    if isinstance(values, list):
        return [_nan(v) for v in values]
    return math.nan if values is None else values

"""A lesson page's question: a goal read from the studio ("loss_below 0.01", "diverged", ...), parsed from one
``question:`` line and checked against a ``StudioState`` (the latest snapshot, the experiment, the selected weight),
saying whether it is met and what the studio shows now."""

from __future__ import annotations

from dataclasses import dataclass, field

from nnstudio.lessons.vocabulary import Context, parse_number, parse_whole, parse_weight
from nnstudio.numbers import count, fmt

@dataclass(frozen=True)
class StudioState:
    """What a question reads: the latest snapshot, the experiment on show and the selected weight."""

    snapshot: object | None  # training.trainer.Snapshot
    experiment: object | None  # training.experiment.Experiment
    selection: tuple[int, int] | None = None


SETTINGS = ("learning_rate", "momentum", "lr_decay", "l1", "l2", "batch_size", "epochs", "dropout")
COMPARISONS = {"above": lambda a, b: a > b, "below": lambda a, b: a < b, "at_least": lambda a, b: a >= b,
               "at_most": lambda a, b: a <= b}
QUESTION_KINDS = ("loss_below", "diverged", "metric_at_least", "updates_at_least", "hidden_layers_at_least",
                  "rows_removed_at_least", "weight_selected", "predicts", "setting")


@dataclass(frozen=True)
class Question:
    kind: str
    args: tuple = field(default=())

    def describe(self, metric_name: str | None = None) -> str:
        """The goal in words; ``metric_name`` ("accuracy" or "R²", the snapshot's) names the training metric, which
        is either when not given."""
        a = self.args
        metric = {"accuracy": "training accuracy", "R²": "training R²"}.get(
            metric_name, "training accuracy (R² for a line)")
        return {
            "loss_below": lambda: f"make the loss go below {fmt(a[0])}",
            "diverged": lambda: "find a learning rate that makes training diverge",
            "metric_at_least": lambda: f"get a {metric} of at least {fmt(a[0])}",
            "updates_at_least": lambda: f"train for at least {count(a[0])} updates",
            "hidden_layers_at_least": lambda: f"give the network at least {count(a[0])} hidden layer(s)",
            "rows_removed_at_least": lambda: f"leave out at least {count(a[0])} training row(s)",
            "weight_selected": lambda: f"select the weight {a[0]}" if a else "select a weight (click an edge)",
            "predicts": lambda: f"have the network answer {a[2].replace('_', ' ')} {fmt(a[3])} for "
                                f"({', '.join(fmt(v) for v in a[0])})",
            "setting": lambda: f"set {a[0].replace('_', ' ')} {a[1].replace('_', ' ')} {fmt(a[2])}",
        }[self.kind]()

    def check(self, state: StudioState) -> tuple[bool, str]:
        """(met, what the studio shows now)."""
        snap, exp = state.snapshot, state.experiment
        if snap is None or exp is None:
            return False, "the studio is not ready yet"
        a = self.args
        if self.kind == "loss_below":
            if snap.step == 0:
                return False, "no update yet"
            return bool(snap.loss < a[0]), f"loss now {fmt(snap.loss)}"
        if self.kind == "diverged":
            return (True, "training diverged") if snap.diverged else (False, "no divergence yet")
        if self.kind == "metric_at_least":
            m = snap.train_metric
            return bool(m >= a[0]), f"{snap.metric_name} now {fmt(m)}" if m == m else "no finished epoch yet"
        if self.kind == "updates_at_least":
            return snap.step >= a[0], f"{count(snap.step)} updates so far"
        if self.kind == "hidden_layers_at_least":
            n = len(exp.layers) - 1
            return n >= a[0], f"{count(n)} hidden layer(s) now"
        if self.kind == "rows_removed_at_least":
            n = len(exp.excluded_rows)
            return n >= a[0], f"{count(n)} row(s) left out now"
        if self.kind == "weight_selected":
            sel = state.selection
            if sel is None:
                return False, "no weight selected"
            if not a:
                return True, "a weight is selected"
            try:
                want = a[0].locate(snap.parameter_names, [w.shape for w in snap.weights])
            except ValueError as e:
                return False, str(e)
            return tuple(sel) == want, "that is the one" if tuple(sel) == want else "another weight is selected"
        if self.kind == "predicts":
            try:
                out = float(snap.predict([list(a[0])])[0, 0])
            except ValueError as e:
                return False, str(e)
            return bool(COMPARISONS[a[2]](out, a[3])), f"the network says {fmt(out)}"
        if self.kind == "setting":
            value = (max((s.dropout for s in exp.layers), default=0.0) if a[0] == "dropout"
                     else float(getattr(exp, a[0])))
            return bool(COMPARISONS[a[1]](value, a[2])), f"{a[0].replace('_', ' ')} is {fmt(value)}"
        raise AssertionError(self.kind)


def parse_question(value: str, context: Context) -> Question:
    words = value.split()
    kind, rest = words[0], words[1:]
    if kind not in QUESTION_KINDS:
        raise ValueError(f"unknown question {kind!r} (known: {', '.join(QUESTION_KINDS)})")

    def arity(n: int, example: str) -> None:
        if len(rest) != n:
            raise ValueError(f"'{kind}' is written 'question: {kind}{(' ' + example) if example else ''}'")

    if kind in ("loss_below", "metric_at_least"):
        arity(1, "0.01")
        return Question(kind, (parse_number(rest[0], f"the {kind} value"),))
    if kind == "diverged":
        arity(0, "")
        return Question(kind)
    if kind in ("updates_at_least", "hidden_layers_at_least", "rows_removed_at_least"):
        arity(1, "1")
        return Question(kind, (parse_whole(rest[0], f"the {kind} value", 0, 10**9),))
    if kind == "weight_selected":
        if len(rest) > 1:
            raise ValueError("'weight_selected' takes no weight or one, e.g. 'question: weight_selected W1[0,0]'")
        refs = tuple(parse_weight(w) for w in rest)
        for ref in refs:
            context.check_weight(ref)
        return Question(kind, refs)
    if kind == "predicts":
        if len(rest) < 3 or rest[-2] not in ("above", "below"):
            raise ValueError("'predicts' is written 'question: predicts 128 63 above 0.5' (inputs, above or "
                             "below, a number)")
        inputs = tuple(parse_number(w, "an input") for w in rest[:-2])
        return Question(kind, (inputs, None, rest[-2], parse_number(rest[-1], "the threshold")))
    # setting
    if len(rest) != 3 or rest[0] not in SETTINGS or rest[1] not in COMPARISONS:
        raise ValueError(f"'setting' is written 'question: setting momentum above 0' (a setting of "
                         f"{', '.join(SETTINGS)}; {', '.join(COMPARISONS)}; a number)")
    return Question(kind, (rest[0], rest[1], parse_number(rest[2], "the value")))

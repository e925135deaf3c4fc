"""An inspected update (``inspect_step.Inspection``) as stages a learner walks through, each a few lines of text and
small tables of numbers: the batch, the forward pass layer by layer, the loss, the backward pass from the output
down, and the update. Big layers show the chosen unit and its neighbours and summarise the rest (count, min, max).

Cells are kept as numbers (a table copied as CSV keeps every digit); ``cell_text`` writes them for a person with
``numbers.fmt``. No Qt here: the inspector panel shows these, tests read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.core import losses
from nnstudio.numbers import count, fmt
from nnstudio.training.inspect_chain import ChainRule, FiniteDifference
from nnstudio.training.inspect_step import Inspection, neighbours, summary

RADIUS = 2  # units shown either side of the chosen one in a big layer
MAX_TERMS = 6  # terms of a weighted sum written out; the rest are added up


@dataclass(frozen=True)
class Stage:
    kind: str  # "batch", "forward", "loss", "backward", "update"
    layer: int | None = None  # dense layer (forward and backward stages)

    @property
    def key(self) -> str:
        return self.kind if self.layer is None else f"{self.kind}{self.layer + 1}"


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class StageView:
    title: str
    lines: list[str]
    tables: list[Table]
    edge_layer: int | None  # the dense layer whose weights are in play (drawn highlighted), None for none
    columns: tuple[int, ...]  # columns of units in play (0: inputs, k + 1: dense layer k)


@dataclass(frozen=True)
class Focus:
    """Which sample of the batch, and which unit of each column, the stages write out."""

    sample: int = 0
    units: tuple[int, ...] = ()  # per column; missing columns: unit 0
    layer: int | None = None  # the dense layer of the selected weight (the update stage shows its layer)

    def unit(self, column: int) -> int:
        return self.units[column] if column < len(self.units) else 0


def stages(ins: Inspection) -> list[Stage]:
    n = len(ins.layers)
    out = [Stage("batch")] + [Stage("forward", k) for k in range(n)] + [Stage("loss")]
    if ins.layers[-1].delta is not None:
        out += [Stage("backward", k) for k in range(n - 1, -1, -1)]
    return out + [Stage("update")]


def unit_name(n_layers: int, column: int, unit: int) -> str:
    """x1, h1, o1 (h2_3 in deeper networks), as the network drawing names them."""
    if column == 0:
        return f"x{unit + 1}"
    if column == n_layers:
        return f"o{unit + 1}"
    return f"h{unit + 1}" if n_layers == 2 else f"h{column}_{unit + 1}"


def cell_text(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)):
        return count(int(v))
    return fmt(v + 0.0, 5)  # (-0.0 + 0.0 is 0.0: a ReLU's zero slope times a negative number reads "0")


def focus_for(ins: Inspection, selection: tuple[int, int] | None, sample: int) -> Focus:
    """The units a selected weight joins (its input and its unit); elsewhere the first unit, or in a big layer the one
    with the largest value for the sample (an image's inked pixel rather than its blank corner)."""
    sample = min(max(sample, 0), ins.n_rows - 1)
    values = [ins.X[sample]] + [lp.out[sample] for lp in ins.layers]
    with np.errstate(invalid="ignore"):
        units = [int(np.nanargmax(np.abs(v))) if v.size > 2 * RADIUS + 1 and np.isfinite(v).any() else 0
                 for v in values]
    chosen = None
    if selection is not None and selection[0] < len(ins.old):
        parameter, flat = selection
        layer, is_bias = ins.layer_of(parameter)
        chosen = layer
        if is_bias:
            units[layer + 1] = flat
        else:
            i, j = divmod(flat, ins.old[parameter].shape[1])
            units[layer], units[layer + 1] = i, j
    return Focus(sample, tuple(units), chosen)


def view(ins: Inspection, stage: Stage, focus: Focus) -> StageView:
    with np.errstate(all="ignore"):
        return {"batch": _batch, "forward": _forward, "loss": _loss, "backward": _backward,
                "update": _update}[stage.kind](ins, stage, focus)


def _around(n: int, centre: int) -> list[int]:
    return neighbours(n, centre, RADIUS)


def _range_line(what: str, a: np.ndarray) -> str:
    s = summary(a)
    if s.finite == 0:
        return f"{what}: {count(s.count)} values, none a finite number"
    return f"{what}: {count(s.count)} values from {fmt(s.minimum)} to {fmt(s.maximum)} (mean {fmt(s.mean)})"


def _sample_rows(ins: Inspection, focus: Focus) -> list[int]:
    return _around(ins.n_rows, focus.sample)


def _row_label(ins: Inspection, n: int, focus: Focus) -> str:
    mark = " ◀" if n == focus.sample else ""
    return f"{n + 1} (row {int(ins.rows[n]) + 1}){mark}"


def _batch(ins: Inspection, stage: Stage, focus: Focus) -> StageView:
    n_in, n_out = ins.X.shape[1], ins.Y.shape[1]
    cols = _around(n_in, focus.unit(0))
    outs = _around(n_out, 0)
    lines = [f"Update {count(ins.step + 1)} (epoch {count(ins.epoch + 1)}) takes {count(ins.n_rows)} of the "
             f"{count(ins.n_train)} training rows"
             + (": the whole table." if ins.n_rows == ins.n_train else
                f", from place {count(ins.position + 1)} of the epoch's order."),
             f"Each row's inputs go in on the left; the targets are what the outputs should be. Learning rate "
             f"{fmt(ins.learning_rate)}."]
    if n_in > len(cols) or ins.n_rows > RADIUS * 2 + 1:
        lines.append(_range_line("All inputs of the batch", ins.X))
    header = ["sample"] + [unit_name(len(ins.layers), 0, i) for i in cols] + [f"target {k + 1}" for k in outs]
    rows = [[_row_label(ins, n, focus), *(float(ins.X[n, i]) for i in cols), *(float(ins.Y[n, k]) for k in outs)]
            for n in _sample_rows(ins, focus)]
    return StageView("The batch", lines, [Table("Rows of the batch", header, rows)], None, (0,))


def _weighted_sum(ins: Inspection, k: int, n: int, j: int) -> str:
    """ "s = 0.5×0.3 + 1×(−0.2) + b 0.1 = 0.05" for unit j of layer k and sample n (big sums: the largest terms)."""
    lp = ins.layers[k]
    name = unit_name(len(ins.layers), k + 1, j)
    x, w = lp.a_in[n].astype(np.float64), lp.W[:, j].astype(np.float64)
    terms = x * w
    order = np.argsort(-np.abs(terms), kind="stable") if len(terms) > MAX_TERMS else np.arange(len(terms))
    shown = sorted(order[:MAX_TERMS])
    parts = [f"{_par(x[i])}×{_par(w[i])}" for i in shown]
    if len(terms) > MAX_TERMS:
        rest = np.delete(terms, shown)
        parts.append(f"({count(len(rest))} more terms: {_par(float(rest.sum()))})")
    if lp.b is not None:
        parts.append(f"b {_par(float(lp.b[j]))}")
    return f"{name}: s = {' + '.join(parts)} = {fmt(lp.z[n, j])}"


def _par(v: float) -> str:
    text = fmt(v + 0.0)  # (-0.0 reads 0)
    return f"({text})" if text.startswith("-") else text


def _forward(ins: Inspection, stage: Stage, focus: Focus) -> StageView:
    k, L = stage.layer, len(ins.layers)
    lp, n = ins.layers[k], focus.sample
    act = lp.activation
    j = focus.unit(k + 1)
    where = "the output layer" if k == L - 1 else f"hidden layer {k + 1}"
    lines = [f"Forward through {where} ({lp.spec.units} × {act.name}): each unit adds up its inputs times its "
             f"weights{' plus its bias' if lp.spec.bias else ''}, s = a·W + b, then gives a = f(s), "
             f"with {act.formula}.",
             f"Sample {n + 1}: " + _weighted_sum(ins, k, n, j)
             + f"; a = {act.name}(s) = {fmt(lp.a[n, j])}"]
    if lp.mask is not None:
        m = float(lp.mask[n, j])
        lines.append(f"Dropout (training only): this unit is {'dropped (×0)' if m == 0 else f'kept (×{fmt(m)})'} "
                     f"for sample {n + 1}; {count(int((lp.mask == 0).sum()))} of {count(lp.mask.size)} dropped in the "
                     "batch.")
    if lp.spec.units > 2 * RADIUS + 1:
        lines.append(_range_line("s over the whole batch", lp.z))
    units = _around(lp.spec.units, j)
    header = ["unit", "s = a·W + b", "a = f(s)"] + (["dropout", "passed on"] if lp.mask is not None else [])
    rows = []
    for u in units:
        row = [unit_name(L, k + 1, u) + (" ◀" if u == j else ""), float(lp.z[n, u]), float(lp.a[n, u])]
        if lp.mask is not None:
            row += [float(lp.mask[n, u]), float(lp.out[n, u])]
        rows.append(row)
    tables = [Table(f"Sample {n + 1}", header, rows)]
    bsamples = _sample_rows(ins, focus)
    tables.append(Table(f"a of {unit_name(L, k + 1, j)} for each sample", ["sample", "s", "a"],
                        [[_row_label(ins, m, focus), float(lp.z[m, j]), float(lp.a[m, j])] for m in bsamples]))
    return StageView(f"Forward: layer {k + 1}", lines, tables, k, (k, k + 1))


def _loss(ins: Inspection, stage: Stage, focus: Focus) -> StageView:
    loss = losses.get(ins.loss_name)
    n = ins.n_rows
    how = (f"adds up the {count(n)} samples' losses" if ins.summed
           else f"is the mean of the {count(n)} samples' losses")
    lines = [f"{loss.title}. The batch's loss {how}: L = {fmt(ins.data_loss, 6)}."]
    if ins.penalty:
        parts = [p for p in (f"λ₁Σ|w| with λ₁ = {fmt(ins.l1)}" if ins.l1 else "",
                             f"½λ₂Σw² with λ₂ = {fmt(ins.l2)}" if ins.l2 else "") if p]
        lines.append(f"Penalty on the weights (not the biases): {' + '.join(parts)} = {fmt(ins.penalty, 6)}; "
                     f"loss + penalty = {fmt(ins.loss, 6)}.")
    if ins.stopped:
        lines.append(f"This update stops here: {ins.stopped}.")
    outs = _around(ins.Y.shape[1], 0)
    header = ["sample"] + [f"ŷ{k + 1}" for k in outs] + [f"y{k + 1}" for k in outs] + ["its loss"]
    rows = [[_row_label(ins, m, focus), *(float(ins.y_hat[m, k]) for k in outs), *(float(ins.Y[m, k]) for k in outs),
             float(ins.per_sample[m])] for m in _sample_rows(ins, focus)]
    total = float(np.sum(ins.per_sample, dtype=np.float64))
    lines.append(f"Sum of the samples' losses {fmt(total, 6)}" + ("" if ins.summed else
                                                                 f"; divided by {count(n)}: {fmt(total / n, 6)}"))
    return StageView("The loss", lines, [Table("Outputs and targets", header, rows)], None, (len(ins.layers),))


def _backward(ins: Inspection, stage: Stage, focus: Focus) -> StageView:
    k, L = stage.layer, len(ins.layers)
    lp, n = ins.layers[k], focus.sample
    act = lp.activation
    j, i = focus.unit(k + 1), focus.unit(k)
    name = unit_name(L, k + 1, j)
    if k == L - 1:
        if ins.fused:
            rule = "δ = (ŷ − y)" + ("" if ins.summed else f" / {count(ins.n_rows)}") + \
                   f": cross-entropy and {act.name} together"
        else:
            rule = f"δ = ∂L/∂ŷ ⊙ f′(s), with {losses.get(ins.loss_name).gradient_formula} and {act.derivative_formula}"
    else:
        rule = (f"δ = (δ of layer {k + 2} · Wᵀ) ⊙ f′(s): each unit collects the error of the units it feeds, "
                f"weighted by its weights to them" + (", through its dropout" if lp.mask is not None else "")
                + f", times the slope of {act.name}")
    lines = [f"Backward through {'the output layer' if k == L - 1 else f'hidden layer {k + 1}'}: {rule}.",
             f"Sample {n + 1}: δ of {name} = {fmt(lp.delta[n, j])}."]
    lines.append(f"∂L/∂W = aᵀ·δ adds up, over the batch, input × δ: "
                 f"∂L/∂w({unit_name(L, k, i)} → {name}) = {fmt(lp.dW_data[i, j])}"
                 + (f"; ∂L/∂b = Σ δ = {fmt(lp.db[j])}" if lp.db is not None else ""))
    if lp.dW_penalty is not None:
        lines.append(f"The penalty adds {fmt(lp.dW_penalty[i, j])} to that weight's gradient: "
                     f"{fmt(lp.dW[i, j])} in all.")
    if lp.W.size > 25:
        lines.append(_range_line(f"All ∂L/∂W of layer {k + 1}", lp.dW))
    units = _around(lp.spec.units, j)
    header = ["unit"]
    header += ["∂L/∂a", "f′(s)"] if lp.grad_a is not None and act.elementwise else []
    header += ["δ = ∂L/∂s"]
    rows = []
    slope = act.derivative(lp.z, lp.a) if act.elementwise else None
    for u in units:
        row = [unit_name(L, k + 1, u) + (" ◀" if u == j else "")]
        if lp.grad_a is not None and act.elementwise:
            row += [float(lp.grad_a[n, u]), float(slope[n, u])]
        rows.append(row + [float(lp.delta[n, u])])
    tables = [Table(f"Sample {n + 1}", header, rows)]
    inputs = _around(lp.W.shape[0], i)
    grads = [[unit_name(L, k, r) + (" ◀" if r == i else ""), float(lp.W[r, j]), float(lp.dW_data[r, j])]
             + ([float(lp.dW[r, j])] if lp.dW_penalty is not None else []) for r in inputs]
    if lp.db is not None:
        grads.append(["bias", float(lp.b[j]), float(lp.db[j])] + ([float(lp.db[j])] if lp.dW_penalty is not None
                                                                   else []))
    tables.append(Table(f"Weights into {name} and their gradients", ["from", "w", "∂L/∂w (data)"]
                        + (["with penalty"] if lp.dW_penalty is not None else []), grads))
    return StageView(f"Backward: layer {k + 1}", lines, tables, k, (k, k + 1))


def _update(ins: Inspection, stage: Stage, focus: Focus) -> StageView:
    L = len(ins.layers)
    k = L - 1 if focus.layer is None else focus.layer
    j, i = focus.unit(k + 1), focus.unit(k)
    lp = ins.layers[k]
    p = ins.parameter_of(k)
    eta = fmt(ins.learning_rate)
    rule = {"sgd": f"w ← w − η·∂L/∂w with η = {eta}",
            "momentum": f"v ← μv − η·∂L/∂w, w ← w + v (μ = {fmt(ins.momentum)}, η = {eta})",
            "nesterov": f"v ← μv − η·∂L/∂w, w ← w + μv − η·∂L/∂w (μ = {fmt(ins.momentum)}, η = {eta})",
            "adam": f"Adam: running means m of ∂L/∂w and s of its square; w ← w − η·m̂/(√ŝ + ε) (η = {eta}, "
                    f"update {count(ins.t_after)})"}.get(ins.optimizer, ins.optimizer)
    lines = [f"The update: {rule}."]
    if ins.stopped:
        lines.append(f"This update does not move the weights: {ins.stopped}.")
    else:
        steps = np.concatenate([ins.step_of(q).ravel() for q in range(len(ins.old))]).astype(np.float64)
        lines.append(f"The {count(steps.size)} parameters move by up to "
                     f"{fmt(float(np.max(np.abs(steps))) if steps.size else 0.0)}. Next stage: make the update.")
    header = ["weight", "old w", "∂L/∂w"] + {"momentum": ["v before", "v after"], "nesterov": ["v before", "v after"],
                                              "adam": ["m", "s"]}.get(ins.optimizer, []) + ["step", "new w"]
    rows = []
    entries = [(p, r * lp.W.shape[1] + j, f"w({unit_name(L, k, r)} → {unit_name(L, k + 1, j)})")
               for r in _around(lp.W.shape[0], i)]
    if lp.spec.bias:
        entries.append((p + 1, j, f"b of {unit_name(L, k + 1, j)}"))
    for q, flat, label in entries:
        row = [label, float(ins.old[q].ravel()[flat]), float(ins.grads[q].ravel()[flat])]
        if ins.optimizer in ("momentum", "nesterov", "adam"):
            before = [float(s.ravel()[flat]) for s in ins.state_before[q]] if ins.state_before else [0.0, 0.0]
            after = [float(s.ravel()[flat]) for s in ins.state_after[q]] if ins.state_after else [0.0, 0.0]
            row += [before[0], after[0]] if ins.optimizer != "adam" else after[:2]
        row += [float(ins.step_of(q).ravel()[flat]), float(ins.new[q].ravel()[flat])]
        rows.append(row)
    return StageView("The update", lines, [Table(f"Layer {k + 1}", header, rows)], k, (k, k + 1))


# -- the chain rule of a selected weight ------------------------------------------------------------------------------
def chain_lines(ins: Inspection, cr: ChainRule, fd: FiniteDifference | None) -> list[str]:
    """The chain rule for the selected weight as lines of text, T1's way: the factors, their product, the batch's
    sum, and the same slope by finite differences."""
    L = len(ins.layers)
    target = unit_name(L, cr.layer + 1, cr.target)
    source = "the bias" if cr.source < 0 else unit_name(L, cr.layer, cr.source)
    n = cr.sample
    lines = [f"{cr.name}: the weight from {source} into {target}.",
             f"Sample {n + 1}: " + " × ".join(f"{f.symbol} {_par(f.value)}" for f in cr.factors)
             + f" = {fmt(cr.product)}"]
    for f in cr.factors:
        lines.append(f"    {f.symbol} = {fmt(f.value)}: {f.meaning}")
    if cr.paths:
        if len(cr.paths[0].route) == 1:  # one layer above (or grouped by it): w × δ
            terms = " + ".join(f"w→{unit_name(L, cr.layer + 2, t.unit)} {_par(t.weight)}×δ {_par(t.delta)}"
                               for t in cr.paths)
        else:
            terms = " + ".join("→".join(unit_name(L, cr.layer + 2 + m, u) for m, u in enumerate(t.route))
                               + f" {_par(t.value)}" for t in cr.paths)
        if cr.paths_left:
            terms += f" + ({count(cr.paths_left)} more: {_par(cr.paths_rest)})"
        what = "grouped by the next layer" if cr.grouped else "paths back from the output"
        lines.append(f"    {what}: ∂L/∂a = {terms}")
    if ins.n_rows == 1:
        lines.append(f"The batch is this one sample: its share is the whole gradient, {fmt(cr.batch_sum, 7)}; "
                     f"the Trainer's ∂L/∂w = {fmt(cr.data_gradient, 7)}.")
    else:
        how = "the loss adds them up" if ins.summed else f"the loss is their mean: its 1/{count(ins.n_rows)} is in δ"
        lines.append(f"Over the batch ({how}): the {count(ins.n_rows)} samples' shares add up to "
                     f"{fmt(cr.batch_sum, 7)}; the Trainer's ∂L/∂w = {fmt(cr.data_gradient, 7)}.")
    if cr.penalty_gradient:
        lines.append(f"Plus the penalty's {fmt(cr.penalty_gradient)}: the gradient the optimizer gets is "
                     f"{fmt(cr.gradient, 7)}.")
    if fd is not None:
        lines.append(f"Check by nudging the weight by ±{fmt(fd.h)}: (L(w + h) − L(w − h)) / 2h = "
                     f"({fmt(fd.loss_plus, 9)} − {fmt(fd.loss_minus, 9)}) / {fmt(2 * fd.h)} = {fmt(fd.numeric, 7)}; "
                     f"relative difference from backprop {fmt(fd.relative, 2)}.")
        if abs(fd.numeric - fd.analytic) <= 10 * fd.rounding and fd.relative > 1e-6:
            lines.append(f"    (The loss moves so little that rounding its last digits alone can shift the estimate by "
                         f"{fmt(fd.rounding, 2)}: the two agree as far as the loss's digits can tell.)")
        if fd.kinks:
            lines.append(f"    ({count(fd.kinks)} ReLU input(s) cross 0 within the nudge: the slope jumps there, so "
                         "the two may differ.)")
    return lines


def contributions_table(ins: Inspection, cr: ChainRule) -> Table:
    rows = [[f"{m + 1} (row {int(ins.rows[m]) + 1})" + (" ◀" if m == cr.sample else ""), float(cr.contributions[m])]
            for m in range(min(ins.n_rows, 200))]
    if ins.n_rows > 200:
        rows.append([f"… {count(ins.n_rows - 200)} more", float(cr.contributions[200:].sum())])
    rows.append(["sum", cr.batch_sum])
    return Table(f"Each sample's share of ∂L/∂{cr.name}", ["sample", "share"], rows)

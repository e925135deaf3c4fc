"""The chain rule for one weight of an inspected update (``inspect_step.Inspection``), written out as numbers, and the
same derivative found another way: by nudging the weight and watching the batch's loss (central finite differences).

For a weight w from unit i into unit j of the output layer, one sample's share of ∂L/∂w is
    ∂L/∂ŷⱼ · ∂ŷⱼ/∂sⱼ · ∂sⱼ/∂w = ∂L/∂ŷⱼ · f′(sⱼ) · aᵢ         (s: the unit's weighted sum z; aᵢ: what comes in on w)
(with a softmax or sigmoid output and cross-entropy the first two are one factor, ŷ − y). For a weight into a hidden
unit j, ∂L/∂aⱼ is the sum over the paths back from the output: each path from j through one unit of every layer above
to an output unit contributes the product of its weights, of the slopes (and dropout) of the units it passes, and of
the output's δ. With one hidden layer that is Σ_q w_jq · δ_q over the outputs q; a network with very many paths has
them grouped by the unit of the next layer (whose δ already adds up the paths above it). The batch's ∂L/∂w adds the samples' shares up; a loss that takes the
mean over the batch has its 1/n inside ∂L/∂ŷ, exactly as the Trainer computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core import activations, losses, optimizers
from nnstudio.core.gradcheck import relative_error
from nnstudio.training.inspect_step import Inspection

MAX_PATHS = 12  # hidden weights: the largest path terms listed one by one; the rest are summed
MAX_ROUTES = 4096  # paths enumerated one by one up to this many; beyond, grouped by the unit of the next layer


@dataclass(frozen=True)
class Factor:
    symbol: str  # "∂L/∂ŷ"
    meaning: str  # in words
    value: float


@dataclass(frozen=True)
class PathTerm:
    route: tuple[int, ...]  # the unit the path goes through in each layer above, ending at an output (or, grouped,
    #                         the unit of the next layer only)
    weight: float  # w_jq to the first unit of the route
    delta: float  # δ of the route's last unit for this sample
    value: float  # the path's share of ∂L/∂a

    @property
    def unit(self) -> int:
        return self.route[0]


@dataclass(frozen=True)
class ChainRule:
    parameter: int  # index into Inspection.parameter_names
    flat: int  # index within that array
    name: str  # "W2[1,0]" or "b1[0]"
    layer: int  # dense layer (0-based) the weight leads into
    source: int  # unit i of the layer below (-1 for a bias)
    target: int  # unit j
    is_output: bool
    sample: int  # position in the batch of the sample written out
    factors: tuple[Factor, ...]  # their product is the sample's contribution
    product: float  # the product of the factors, as written
    paths: tuple[PathTerm, ...]  # hidden weights: the largest paths' shares of ∂L/∂a (empty at the output)
    paths_left: int  # terms not listed
    paths_rest: float  # their sum
    contributions: np.ndarray  # every sample's share of ∂L/∂w (data part), in batch order
    data_gradient: float  # the Trainer's ∂L/∂w without the penalties (aᵀ·δ, or Σ δ for a bias)
    penalty_gradient: float  # λ₁ sign(w) + λ₂ w (0 for a bias, or without penalties)
    gradient: float  # what the optimizer gets
    grouped: bool = False  # paths grouped by the unit of the next layer (too many to list)

    @property
    def contribution(self) -> float:
        return float(self.contributions[self.sample])

    @property
    def batch_sum(self) -> float:
        """The samples' shares added up (the Trainer adds them inside a matrix product, so the last digit may
        differ)."""
        return float(np.sum(self.contributions, dtype=np.float64))


def weight_name(ins: Inspection, parameter: int, flat: int) -> str:
    name, p = ins.parameter_names[parameter], ins.old[parameter]
    if p.ndim == 1:
        return f"{name}[{flat}]"
    i, j = divmod(flat, p.shape[1])
    return f"{name}[{i},{j}]"


def chain_rule(ins: Inspection, parameter: int, flat: int, sample: int = 0) -> ChainRule:
    """The factors of ∂L/∂w for parameter ``parameter``'s entry ``flat`` and the batch's ``sample``-th row (see the
    module's docstring). Needs an update that got to its backward pass (``ins.stopped`` not about the loss)."""
    layer, is_bias = ins.layer_of(parameter)
    lp = ins.layers[layer]
    if lp.delta is None:
        raise ValueError("this update stopped before the backward pass: there is no gradient to explain")
    if not 0 <= sample < ins.n_rows:
        raise ValueError(f"no sample {sample}: the batch has {ins.n_rows}")
    shape = ins.old[parameter].shape
    if not 0 <= flat < int(np.prod(shape)):
        raise ValueError(f"no entry {flat} in {ins.parameter_names[parameter]} of shape {shape}")
    i, j = (-1, flat) if is_bias else divmod(flat, shape[1])
    n = sample
    is_output = layer == len(ins.layers) - 1
    act = lp.activation
    with np.errstate(all="ignore"):
        incoming = np.ones(ins.n_rows, dtype=lp.z.dtype) if is_bias else lp.a_in[:, i]
        contributions = (lp.delta[:, j] * incoming).astype(np.float64)
        factors: list[Factor] = []
        paths: list[PathTerm] = []
        left, rest = 0, 0.0
        if is_output:
            if ins.fused:
                factors.append(Factor("∂L/∂s", "loss and output function together: ŷ − y"
                                      + ("" if ins.summed else f", times 1/{ins.n_rows} for the mean"),
                                      float(lp.delta[n, j])))
            elif act.elementwise:
                factors.append(Factor("∂L/∂ŷ", "how the loss changes with this output", float(lp.grad_a[n, j])))
                factors.append(Factor("∂ŷ/∂s", f"slope of {act.name} at s", float(act.derivative(lp.z, lp.a)[n, j])))
            else:
                factors.append(Factor("∂L/∂s", f"through the {act.name}, which mixes the outputs",
                                      float(lp.delta[n, j])))
        else:
            above = ins.layers[layer + 1]
            terms, grouped = _path_terms(ins, layer, j, n)
            flat_terms = terms.ravel()
            order = np.argsort(-np.abs(flat_terms), kind="stable")
            shown = [k for k in order[:MAX_PATHS] if flat_terms[k] != 0]  # (a path through a dead ReLU adds 0)
            last = above if grouped else ins.layers[-1]
            for k in shown:
                route = tuple(int(u) for u in np.unravel_index(k, terms.shape))
                paths.append(PathTerm(route, float(above.W[j, route[0]]), float(last.delta[n, route[-1]]),
                                      float(flat_terms[k])))
            left, rest = len(order) - len(shown), float(flat_terms[order[len(shown):]].sum())
            grad_out = lp.grad_a[n, j] if lp.mask is None else (above.delta[n, :] @ above.W[j, :])
            factors.append(Factor("∂L/∂a", "the sum over the paths back from the output", float(grad_out)))
            if lp.mask is not None:
                factors.append(Factor("dropout", "0 if the unit was dropped, else 1/p", float(lp.mask[n, j])))
            if act.elementwise:
                factors.append(Factor("∂a/∂s", f"slope of {act.name} at s", float(act.derivative(lp.z, lp.a)[n, j])))
            else:
                factors = [Factor("∂L/∂s", f"through the {act.name}, which mixes the units", float(lp.delta[n, j]))]
        factors.append(Factor("∂s/∂b" if is_bias else "∂s/∂w", "a bias's input is always 1" if is_bias
                              else "what comes in on this weight", float(incoming[n])))
        product = 1.0
        for f in factors:
            product *= f.value
    grad = float(ins.grads[parameter].ravel()[flat])
    data = float(lp.db[j]) if is_bias else float(lp.dW_data[i, j])
    penalty = 0.0 if is_bias or lp.dW_penalty is None else float(lp.dW_penalty[i, j])
    return ChainRule(parameter, flat, weight_name(ins, parameter, flat), layer, i, j, is_output, n, tuple(factors),
                     product, tuple(paths), left, rest, contributions, data, penalty, grad,
                     grouped=not is_output and grouped)


def _path_terms(ins: Inspection, layer: int, j: int, n: int) -> tuple[np.ndarray, bool]:
    """Each path's share of ∂L/∂aⱼ for sample n, as an array with one axis per layer above ``layer`` (the unit the
    path takes in it), and False; or, with more than MAX_ROUTES paths, the shares grouped by the unit of the next
    layer, w_jq · δ_q, and True."""
    above = ins.layers[layer + 1:]
    if int(np.prod([lp.spec.units for lp in above], dtype=np.float64)) > MAX_ROUTES:
        return above[0].W[j, :].astype(np.float64) * above[0].delta[n, :].astype(np.float64), True
    t = above[0].W[j, :].astype(np.float64)
    for lp, nxt in zip(above, above[1:]):  # through a hidden unit: its slope, its dropout, then a weight onwards
        through = lp.activation.derivative(lp.z, lp.a)[n].astype(np.float64)
        if lp.mask is not None:
            through = through * lp.mask[n]
        t = (t * through)[..., None] * nxt.W.astype(np.float64)
    return t * above[-1].delta[n].astype(np.float64), False


# -- finite differences -----------------------------------------------------------------------------------------------
KINKED = ("relu", "leaky_relu")  # functions whose slope jumps at z = 0


def batch_objective(ins: Inspection, weights: list[np.ndarray], sides: list | None = None) -> float:
    """The batch's loss plus the penalties for ``weights`` (float64 copies, in ``parameters()`` order), with the
    update's own dropout masks: the function whose slope the gradient is. ``sides`` (a list) receives, per layer with
    a kink at 0 (ReLU), which side of it each z lies on."""
    a = np.asarray(ins.X, dtype=np.float64)
    p, Ws = 0, []
    with np.errstate(all="ignore"):
        for lp in ins.layers:
            W = weights[p]
            Ws.append(W)
            z = a @ W
            p += 1
            if lp.spec.bias:
                z = z + weights[p]
                p += 1
            a = activations.get(lp.spec.activation).forward(z)
            if sides is not None and lp.spec.activation in KINKED:
                sides.append(z > 0)
            if lp.mask is not None:
                a = a * lp.mask.astype(np.float64)
        loss = losses.get(ins.loss_name).value(a, np.asarray(ins.Y, dtype=np.float64))
        return loss + optimizers.penalty(Ws, ins.l1, ins.l2)


@dataclass(frozen=True)
class FiniteDifference:
    h: float
    loss_plus: float  # the objective with w + h
    loss_minus: float  # with w − h
    numeric: float  # (loss_plus − loss_minus) / 2h
    analytic: float  # the Trainer's gradient
    relative: float  # |analytic − numeric| / (|analytic| + |numeric|)
    rounding: float  # how far rounding the loss's last digits can move ``numeric`` (about 1e-16·|L| / h)
    kinks: int  # ReLU inputs z that cross 0 between w − h and w + h: there the slope jumps, and the two disagree


def finite_difference(ins: Inspection, parameter: int, flat: int, h: float | None = None) -> FiniteDifference:
    """∂(loss + penalties)/∂w by central differences in float64, next to the gradient the update uses."""
    weights = [np.array(p, dtype=np.float64) for p in ins.old]
    target = weights[parameter].reshape(-1)
    w = float(target[flat])
    if h is None:
        h = 1e-5 * max(1.0, abs(w))
    above, below = [], []
    target[flat] = w + h
    plus = batch_objective(ins, weights, above)
    target[flat] = w - h
    minus = batch_objective(ins, weights, below)
    numeric = (plus - minus) / (2 * h)
    analytic = float(ins.grads[parameter].ravel()[flat])
    kinks = sum(int(np.count_nonzero(a != b)) for a, b in zip(above, below))
    return FiniteDifference(h, plus, minus, numeric, analytic,
                            relative_error(np.array([analytic]), np.array([numeric])),
                            2.2e-16 * max(abs(plus), abs(minus)) / h, kinks)

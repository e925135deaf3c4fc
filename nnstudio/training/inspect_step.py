"""One update of a Trainer worked out in stages, for a learner to read, without touching the Trainer.

``inspect(trainer)`` takes the batch the Trainer's next ``step`` would draw (the same rows, the same dropout masks:
its random streams are copied, never advanced) and does that update on a private copy of the network and the
optimizer, the plain way the core does it (``Network.forward`` / ``backward``, the penalty gradients, the optimizer's
``step``). The Trainer is held to that plain loop bit for bit (tests/training/test_trainer_exactness.py), so the
numbers here are the ones Step uses: finishing the stages is a plain ``trainer.step()``, whose new weights equal
``Inspection.new`` (tests/training/test_inspect_step.py checks it on every kind of network the studio builds).

What is kept per dense layer (``LayerPass``): its input a (after the dropout of the layer below, if any), W, b,
z = a·W + b, f(z), the dropout mask of its output, the error signal δ = ∂L/∂z, and ∂L/∂W = aᵀ·δ, ∂L/∂b = Σ δ with the
penalty's part apart. The chain rule for one weight and the finite-difference check are in ``inspect_chain``.

Reads four of the Trainer's private fields (``_shuffle_rng``, ``_order``, ``_dropout_rng`` and ``position``: the
same ones its ``state_dict`` saves), in ``_next_rows`` and ``inspect`` only.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from nnstudio.core import activations, losses, optimizers
from nnstudio.core.layers import Dense, Dropout
from nnstudio.core.network import LayerSpec, Network

SUMMED_LOSSES = ("squared_error",)  # losses that add their samples up; the others take the mean over the batch


@dataclass(frozen=True)
class LayerPass:
    """Dense layer ``index`` (0-based) in one update. Arrays are (rows of the batch, units) unless said."""

    index: int
    spec: LayerSpec
    a_in: np.ndarray  # what the layer takes in (the batch's inputs, or the layer below's output after its dropout)
    W: np.ndarray  # (n_in, n_out), before the update
    b: np.ndarray | None  # (n_out,)
    z: np.ndarray  # a_in·W + b
    a: np.ndarray  # f(z)
    mask: np.ndarray | None  # dropout of this layer's output: 0 or 1/p per unit and row (None: no dropout)
    grad_a: np.ndarray | None  # ∂L/∂a (None at an output whose loss fuses with its activation)
    delta: np.ndarray | None  # ∂L/∂z (None when the update stopped before the backward pass)
    dW_data: np.ndarray | None  # aᵀ·δ
    db: np.ndarray | None  # Σ over rows of δ (None without a bias)
    dW_penalty: np.ndarray | None  # the L1/L2 penalty's part of ∂/∂W (None without penalties)
    dW: np.ndarray | None  # what the optimizer gets: dW_data + dW_penalty

    @property
    def out(self) -> np.ndarray:
        """What the next layer takes in: f(z), with dropout applied while training."""
        return self.a if self.mask is None else self.a * self.mask

    @property
    def activation(self) -> activations.Activation:
        return activations.get(self.spec.activation)


@dataclass(frozen=True)
class Inspection:
    """Everything one update computes, in order. ``stopped``: why the update would not move the weights (a loss or
    new weights that are not finite; the Trainer then stops and says so), else None."""

    step: int  # updates done before this one
    epoch: int
    position: int  # rows of the epoch used before this batch
    n_train: int
    rows: np.ndarray  # training rows (indices into the prepared table) of the batch, in batch order
    X: np.ndarray  # the batch's network inputs (n, n_features)
    Y: np.ndarray  # the batch's targets, encoded (n, n_outputs)
    y_hat: np.ndarray  # the network's outputs for the batch (dropout on, as in training)
    loss_name: str
    per_sample: np.ndarray  # each row's own loss
    data_loss: float  # the batch's loss as the Trainer records it
    l1: float
    l2: float
    penalty: float  # λ₁Σ|w| + ½λ₂Σw² over the weights (never the biases)
    layers: tuple[LayerPass, ...]
    parameter_names: tuple[str, ...]
    old: tuple[np.ndarray, ...]  # every parameter before the update (the order of Network.parameters())
    grads: tuple[np.ndarray, ...]  # what the optimizer got (penalties included)
    new: tuple[np.ndarray, ...]  # every parameter after the update
    optimizer: str
    learning_rate: float
    momentum: float
    beta1: float
    beta2: float
    eps: float
    t_after: int  # the optimizer's update count after this update (Adam's bias correction uses it)
    state_before: tuple[tuple[np.ndarray, ...], ...]  # the optimizer's arrays per parameter (velocity; m, s)
    state_after: tuple[tuple[np.ndarray, ...], ...]
    stopped: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def summed(self) -> bool:
        """Whether the loss adds its samples up (else it takes their mean)."""
        return self.loss_name in SUMMED_LOSSES

    @property
    def loss(self) -> float:
        return self.data_loss + self.penalty

    @property
    def fused(self) -> bool:
        """Whether the loss and the output activation give ∂L/∂z = (ŷ − y)/n together (softmax or sigmoid with
        cross-entropy), as the Trainer computes it."""
        loss = losses.get(self.loss_name)
        return loss.fuses_with is not None and loss.fuses_with == self.layers[-1].spec.activation

    def parameter_of(self, layer: int, bias: bool = False) -> int | None:
        """Index in ``parameter_names`` of dense layer ``layer``'s W (or b; None when it has no bias)."""
        i = 0
        for lp in self.layers:
            if lp.index == layer:
                if bias:
                    return i + 1 if lp.spec.bias else None
                return i
            i += 2 if lp.spec.bias else 1
        raise IndexError(f"no layer {layer}")

    def layer_of(self, parameter: int) -> tuple[int, bool]:
        """(dense layer, is a bias) of parameter index ``parameter``."""
        i = 0
        for lp in self.layers:
            if parameter == i:
                return lp.index, False
            if lp.spec.bias and parameter == i + 1:
                return lp.index, True
            i += 2 if lp.spec.bias else 1
        raise IndexError(f"no parameter {parameter}")

    def step_of(self, parameter: int) -> np.ndarray:
        """new − old of one parameter array: how far the update moves each entry."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self.new[parameter] - self.old[parameter]


def _next_rows(trainer) -> np.ndarray | slice:
    """The training rows the Trainer's next ``step`` takes, without drawing anything: a slice for rows in order, or
    the row numbers of a shuffled epoch (a new epoch's order drawn from a copy of the Trainer's stream)."""
    n, position = trainer.n_train, trainer.position
    order = trainer._order
    if position == 0:
        order = copy.deepcopy(trainer._shuffle_rng).permutation(n) if trainer.experiment.shuffle else None
    stop = min(position + trainer.batch_size, n)
    if order is None:
        return slice(position, stop)
    return np.array(order[position:stop], copy=True)


def _copied(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def inspect(trainer) -> Inspection:
    """The Trainer's next update, worked out on copies (see the module's docstring). Call it where the Trainer lives
    (its worker thread); nothing of the Trainer changes."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return _inspect(trainer)


def _inspect(trainer) -> Inspection:
    exp, source = trainer.experiment, trainer.network
    specs = source.specs()
    net = Network.build(source.n_inputs, specs, source.dtype, copy.deepcopy(trainer._dropout_rng))
    net.set_weights(source.parameters())
    optimizer = copy.deepcopy(trainer.optimizer)
    loss_fn = losses.get(exp.loss)
    lr = trainer.current_learning_rate()
    rows = _next_rows(trainer)
    X, Y = trainer.X_train[rows], trainer.Y_train[rows]  # a slice is a view: nothing writes the prepared table
    old = tuple(_copied(p) for p in net.parameters())
    state_before = tuple(tuple(_copied(s) for s in slots) for slots in optimizer.state)

    y_hat = net.forward(X, training=True)
    data_loss = loss_fn.value(y_hat, Y)
    per_sample = loss_fn.per_sample(y_hat, Y)
    dense = net.dense_layers
    penalty = optimizers.penalty([d.W for d in dense], exp.l1, exp.l2) if exp.l1 or exp.l2 else 0.0
    stopped = None
    if not math.isfinite(data_loss):
        stopped = f"the loss became {data_loss}: the Trainer stops here and keeps the weights"
    backward = stopped is None
    masks = _masks(net)
    deltas = [(None, None)] * len(dense)
    data_grads = grads = None
    if backward:
        net.backward(loss_fn, y_hat, Y)
        deltas = _deltas(net, loss_fn, y_hat, Y, masks)  # before the update: they use the weights it starts from
        data_grads = [g.copy() for g in net.gradients()]
        if exp.l1 or exp.l2:
            optimizers.add_penalty_gradients([d.W for d in dense], [d.dW for d in dense], exp.l1, exp.l2)
        grads = tuple(_copied(g) for g in net.gradients())
        optimizer.step(net.parameters(), net.gradients(), lr)
        new = tuple(_copied(p) for p in net.parameters())
        if not all(np.isfinite(p).all() for p in new):
            stopped = "the new weights are not finite numbers: the Trainer stops and sets the weights back"
    else:
        grads = tuple(_copied(np.full_like(p, np.nan)) for p in old)
        new = old
    # consecutive rows are a view of the prepared table, which nothing writes: kept as they are (a full batch of a big
    # image set is hundreds of megabytes); gathered rows are the inspection's own
    X_kept = X if isinstance(rows, slice) else _copied(X)
    passes, p = [], 0
    for k, (d, spec) in enumerate(zip(dense, specs)):
        W_index, b_index = p, (p + 1 if spec.bias else None)
        p += 2 if spec.bias else 1
        grad_a, delta = deltas[k]
        dW_data = db = dW_pen = dW = None
        if backward:
            dW_data = data_grads[W_index]
            dW = grads[W_index]
            db = grads[b_index] if b_index is not None else None
            if exp.l1 or exp.l2:
                dW_pen = _penalty_gradient(old[W_index], exp.l1, exp.l2)
        passes.append(LayerPass(
            index=k, spec=spec, a_in=X_kept if k == 0 else _copied(d.X), W=old[W_index],
            b=old[b_index] if b_index is not None else None,
            z=_copied(d.z), a=_copied(d.a), mask=_copied(masks[k]), grad_a=_copied(grad_a), delta=_copied(delta),
            dW_data=_copied(dW_data), db=db, dW_penalty=_copied(dW_pen), dW=dW))
    return Inspection(
        step=trainer.step_count, epoch=trainer.epoch, position=trainer.position, n_train=trainer.n_train,
        rows=np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows,
        X=X_kept, Y=_copied(Y), y_hat=_copied(y_hat), loss_name=exp.loss, per_sample=_copied(per_sample),
        data_loss=data_loss, l1=exp.l1, l2=exp.l2, penalty=penalty, layers=tuple(passes),
        parameter_names=tuple(net.parameter_names()), old=old, grads=grads, new=new, optimizer=exp.optimizer,
        learning_rate=lr, momentum=optimizer.momentum, beta1=optimizer.beta1, beta2=optimizer.beta2,
        eps=optimizer.eps, t_after=optimizer.t if backward else trainer.optimizer.t, state_before=state_before,
        state_after=tuple(tuple(_copied(s) for s in slots) for slots in optimizer.state) if backward
        else state_before, stopped=stopped)


def _penalty_gradient(W: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """The penalties' part of ∂/∂W, as ``optimizers.add_penalty_gradients`` adds it: λ₁ sign(w) + λ₂ w."""
    g = np.zeros_like(W)
    if l1:
        g += W.dtype.type(l1) * np.sign(W)
    if l2:
        g += W.dtype.type(l2) * W
    return g


def _masks(net: Network) -> list[np.ndarray | None]:
    """The dropout mask on each dense layer's output (None where there is none), as the forward pass drew them."""
    out: list[np.ndarray | None] = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            out.append(None)
        elif isinstance(layer, Dropout):
            out[-1] = layer.mask
    return out


def _deltas(net: Network, loss_fn: losses.Loss, y_hat, Y, masks) -> list[tuple[np.ndarray | None, np.ndarray]]:
    """(∂L/∂a, δ = ∂L/∂z) of every dense layer, from the output down, computed as ``Network.backward`` computes
    them (the layers keep their weight gradients, not δ)."""
    dense = net.dense_layers
    out = dense[-1]
    if loss_fn.fuses_with is not None and loss_fn.fuses_with == out.activation.name:
        grad_a, delta = None, loss_fn.fused_gradient(y_hat, Y)
    else:
        grad_a = loss_fn.gradient(y_hat, Y)
        delta = out.activation.backward(grad_a, out.z, out.a)
    result = [(grad_a, delta)]
    for k in range(len(dense) - 2, -1, -1):
        grad_out = delta @ dense[k + 1].W.T  # ∂L/∂(what layer k + 1 took in)
        grad_a = grad_out if masks[k] is None else grad_out * masks[k]
        delta = dense[k].activation.backward(grad_a, dense[k].z, dense[k].a)
        result.append((grad_a, delta))
    return result[::-1]


# -- for showing big layers -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    count: int
    minimum: float
    maximum: float
    mean: float
    finite: int  # how many are finite numbers


def summary(a: np.ndarray) -> Summary:
    """Count, min, max and mean of the finite entries (nan when there are none)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    ok = a[np.isfinite(a)]
    if not ok.size:
        return Summary(a.size, math.nan, math.nan, math.nan, 0)
    return Summary(a.size, float(ok.min()), float(ok.max()), float(ok.mean()), int(ok.size))


def neighbours(n: int, centre: int, radius: int = 2) -> list[int]:
    """Indices around ``centre`` in 0..n-1, 2·radius + 1 of them when n allows (shifted at the ends)."""
    width = min(n, 2 * radius + 1)
    start = min(max(centre - radius, 0), n - width)
    return list(range(start, start + width))

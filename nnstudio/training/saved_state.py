"""What a saved Trainer state (the ``state`` of a session file) must be, checked completely before any of it is used.

``read_state(trainer, d)`` returns the state as clean arrays and numbers for that trainer's network and data, or
raises ``FieldError`` naming the field and what is wrong; the trainer is not touched either way, so
``Trainer.load_state_dict`` installs all of it or nothing. Every size comes from the trainer (the network's shapes,
the training rows) or from lists the file holds; nothing a file merely claims is allocated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.core import optimizers
from nnstudio.training import checks
from nnstudio.training.checks import FieldError
from nnstudio.training.history import History

REQUIRED = ("step", "epoch", "position", "weights", "initial_weights", "shuffle_rng", "dropout_rng", "last_outputs",
            "history")


@dataclass(frozen=True)
class SavedState:
    step: int
    epoch: int
    position: int
    order: np.ndarray | None
    weights: list[np.ndarray]
    initial_weights: list[np.ndarray]
    optimizer_t: int
    optimizer_state: list[list[np.ndarray]]
    shuffle_rng: dict
    dropout_rng: dict
    last_loss: float
    last_outputs: np.ndarray
    elapsed: float
    history: History


def read_state(trainer, d: dict, where: str = "state") -> SavedState:
    d = checks.obj(d, where)
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise FieldError(where, f"missing field(s) {', '.join(missing)}")
    n_train = trainer.n_train
    step = checks.whole(d["step"], f"{where}.step")
    epoch = checks.whole(d["epoch"], f"{where}.epoch")
    if epoch > step:
        raise FieldError(f"{where}.epoch", f"{epoch} epochs cannot take only {step} updates")
    position = checks.whole(d["position"], f"{where}.position")
    if position >= n_train or (step == 0 and position):
        raise FieldError(f"{where}.position", f"row {position} of the epoch is out of range (the training table "
                         f"has {n_train} rows{'' if step else ' and nothing was trained'})")
    order = _order(d.get("order"), n_train, f"{where}.order")
    params = trainer.network.parameters()
    names = trainer.network.parameter_names()
    weights = _weights(d["weights"], params, names, trainer.dtype, f"{where}.weights")
    initial = _weights(d["initial_weights"], params, names, trainer.dtype, f"{where}.initial_weights")
    optimizer = optimizers.make(trainer.experiment.optimizer)
    try:
        optimizer.load_state_dict(d.get("optimizer", {}), params)
    except ValueError as e:  # its messages start with the field: "optimizer.state[2]: ..."
        raise FieldError("", f"{where}.{e}") from None
    shuffle_rng = checks.rng_state(d["shuffle_rng"], f"{where}.shuffle_rng")
    dropout_rng = checks.rng_state(d["dropout_rng"], f"{where}.dropout_rng")
    last_loss = checks.number(d.get("last_loss"), f"{where}.last_loss", finite=False, allow_none=True)
    if math.isinf(last_loss):
        raise FieldError(f"{where}.last_loss", "infinite (a loss that overflowed is never kept)")
    outputs = checks.array(d["last_outputs"], f"{where}.last_outputs", shape=trainer.last_outputs.shape,
                           dtype=trainer.dtype, allow_nan=True)
    elapsed = checks.number(d.get("elapsed", 0.0), f"{where}.elapsed")
    if elapsed < 0:
        raise FieldError(f"{where}.elapsed", f"{elapsed} seconds is negative")
    template = trainer.history
    history = History(0 if template.weights is None else template.weights.width,
                      0 if template.errors is None else template.errors.width, template.capacity,
                      0 if template.path is None else template.path.width)
    history.load_dict(d["history"], f"{where}.history", last_update=step, last_epoch=epoch)
    return SavedState(step, epoch, position, order, weights, initial, optimizer.t, optimizer.state, shuffle_rng,
                      dropout_rng, last_loss, outputs, elapsed, history)


def _order(value, n_train: int, where: str) -> np.ndarray | None:
    """The current epoch's shuffled order: None, or every training row exactly once."""
    if value is None:
        return None
    a = checks.array(value, where, shape=(n_train,))
    order = a.astype(np.int64)
    if np.any(order != a) or not np.array_equal(np.sort(order), np.arange(n_train)):
        raise FieldError(where, f"not an order of the {n_train} training rows (each row number once)")
    return order


def _weights(value, params: list[np.ndarray], names: list[str], dtype, where: str) -> list[np.ndarray]:
    arrays = checks.seq(value, where)
    if len(arrays) != len(params):
        raise FieldError(where, f"{len(arrays)} arrays, but the network has {len(params)} ({', '.join(names)}): "
                         f"the saved weights do not fit this network")
    return [checks.array(w, f"{where}[{i}] ({name})", shape=p.shape, dtype=dtype)
            for i, (w, p, name) in enumerate(zip(arrays, params, names))]

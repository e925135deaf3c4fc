"""A Trainer's whole state after one update, taken in memory and put back: what the timeline keeps.

``take(trainer)`` copies what training depends on (every weight, the optimizer's state, the shuffle and dropout
random streams, the place in the epoch and its data order, the counters, the best epoch so far) plus what the views
read beside the history (the last loss, the rows' latest outputs for a small table, the confusion counts). It does
not copy the history: the history only grows, so ``restore`` cuts it back to the checkpoint's update instead.

Restoring and training on without any change repeats the original run bit for bit (the tests check it at every
later update): the maths is deterministic given the weights, the optimizer's state and the random streams.

These functions reach into the Trainer's own attributes on purpose: they are its persistence, kept in a file of their
own so that trainer.py stays about the maths of an update.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.training.early_stopping import BestEpoch

# A table whose outputs (rows x outputs) exceed this many numbers keeps none in a checkpoint (they would soon cost
# more than the weights: MNIST's are 600,000 numbers); after a restore its rows' outputs are unknown (NaN) until each
# row is trained on again, as at the start. Views never show a big table's per-row outputs (snapshots of tables over
# Trainer's MAX_OUTPUT_ROWS rows carry none), so nothing a learner sees is lost.
MAX_KEPT_OUTPUTS = 4096


@dataclass(frozen=True, eq=False)
class Checkpoint:
    step: int
    epoch: int
    position: int
    order: np.ndarray | None  # the epoch's data order (shared: a Trainer draws a new array each epoch, never edits one)
    weights: np.ndarray  # every parameter end to end (a copy of Network.flat_parameters)
    optimizer_t: int
    optimizer_state: tuple[tuple[np.ndarray, ...], ...]
    shuffle_rng: dict
    dropout_rng: dict
    last_loss: float
    outputs: np.ndarray | None  # each row's latest output, or None for a big table (see MAX_KEPT_OUTPUTS)
    confusion: tuple | None  # shared: the Trainer replaces the tuple at each epoch's end, never edits it
    best: tuple[int | None, float]
    elapsed: float
    settings: object  # the Experiment in force (settings can change during a run: a rewind takes those of then)

    @property
    def nbytes(self) -> int:
        """Memory it holds of its own (the shared order and confusion counts are not counted)."""
        own = self.weights.nbytes + sum(a.nbytes for slots in self.optimizer_state for a in slots)
        return own + (self.outputs.nbytes if self.outputs is not None else 0) + 600  # 600: the object and the states


def outputs_kept(trainer) -> bool:
    return trainer.n_train * trainer.network.n_outputs <= MAX_KEPT_OUTPUTS


def take(trainer) -> Checkpoint:
    """The state of ``trainer`` now (after ``trainer.step_count`` updates), copied."""
    return Checkpoint(
        step=trainer.step_count, epoch=trainer.epoch, position=trainer.position, order=trainer._order,
        weights=trainer.network.flat_parameters.copy(), optimizer_t=trainer.optimizer.t,
        optimizer_state=tuple(tuple(a.copy() for a in slots) for slots in trainer.optimizer.state),
        shuffle_rng=trainer._shuffle_rng.bit_generator.state, dropout_rng=trainer._dropout_rng.bit_generator.state,
        last_loss=trainer.last_loss, outputs=trainer.last_outputs.copy() if outputs_kept(trainer) else None,
        confusion=trainer.confusion, best=(trainer.best.epoch, trainer.best.loss), elapsed=trainer.elapsed,
        settings=trainer.experiment)


def restore(trainer, cp: Checkpoint) -> None:
    """Put ``trainer`` back to ``cp`` (taken from this Trainer, or one of the same network and data): the weights,
    optimizer, random streams and counters as they were, the history cut back to the updates before it."""
    if cp.weights.shape != trainer.network.flat_parameters.shape:
        raise ValueError(f"the checkpoint holds {cp.weights.size} parameters; the network has "
                         f"{trainer.network.n_parameters}")
    if cp.settings is not trainer.experiment:
        trainer.apply_settings(cp.settings)  # first: a change of optimizer makes a new one, whose state comes next
    # the outputs as they stand, read while the epoch's order does (outputs kept in that order go to their rows when
    # read: after the order below is put back, that could be None, and reading them failed)
    outputs_now = trainer.last_outputs
    trainer.network.flat_parameters[...] = cp.weights
    trainer.optimizer.t = cp.optimizer_t
    trainer.optimizer.state = [[a.copy() for a in slots] for slots in cp.optimizer_state]
    trainer._shuffle_rng.bit_generator.state = cp.shuffle_rng
    trainer._dropout_rng.bit_generator.state = cp.dropout_rng
    trainer.step_count, trainer.epoch, trainer.position, trainer._order = cp.step, cp.epoch, cp.position, cp.order
    trainer.last_loss = cp.last_loss
    trainer.last_outputs = cp.outputs.copy() if cp.outputs is not None else np.full_like(outputs_now, np.nan)
    trainer.confusion = cp.confusion
    trainer.best = BestEpoch()
    trainer.best.epoch, trainer.best.loss = cp.best
    trainer.elapsed = cp.elapsed
    trainer.diverged = None
    trainer.forget_rollback()  # no rollback reaches back before a restore (as after a load)
    trainer._last_z = ()
    trainer.cut_history(cp.step, cp.epoch)


def same_state(a: Checkpoint, b: Checkpoint) -> bool:
    """Whether two checkpoints hold the same training state bit for bit (what "reproduces the run" means)."""
    return (a.step == b.step and a.epoch == b.epoch and a.position == b.position
            and np.array_equal(a.weights, b.weights) and a.optimizer_t == b.optimizer_t
            and len(a.optimizer_state) == len(b.optimizer_state)
            and all(np.array_equal(x, y) for sa, sb in zip(a.optimizer_state, b.optimizer_state)
                    for x, y in zip(sa, sb))
            and a.shuffle_rng == b.shuffle_rng and a.dropout_rng == b.dropout_rng
            and (a.last_loss == b.last_loss or (math.isnan(a.last_loss) and math.isnan(b.last_loss))))

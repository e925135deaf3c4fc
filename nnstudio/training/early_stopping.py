"""Early stopping: end training when the test loss has stopped improving.

At the end of every epoch the Trainer judges the weights on the test rows (``Trainer._record_epoch``). ``BestEpoch``
remembers the epoch whose test loss was lowest; with a patience of K epochs (``Experiment.early_stopping``), a run
stops once K epochs in a row have passed without a new best. A new best must beat the old one by a tiny relative
margin (``MIN_IMPROVEMENT``), so a loss creeping down in its last digits does not keep a run going forever.
Without test rows there is nothing to watch, and nothing stops.

Only the epoch number and loss of the best epoch are kept, not its weights: the studio shows the run as it went on
(weights, history and update counter belong together), and the message says which epoch was best.
"""

from __future__ import annotations

import math

import numpy as np

from nnstudio.numbers import count, fmt

MIN_IMPROVEMENT = 1e-4  # a test loss below best * (1 - this) counts as an improvement


def improves(loss: float, best: float) -> bool:
    """Whether ``loss`` is a new best after ``best`` (inf: nothing yet). NaN never improves."""
    if not math.isfinite(loss):
        return False
    return not math.isfinite(best) or loss < best - MIN_IMPROVEMENT * abs(best)


class BestEpoch:
    """The epoch with the lowest test loss so far (``epoch`` None until a finite test loss was seen)."""

    def __init__(self) -> None:
        self.epoch: int | None = None
        self.loss = math.inf

    def note(self, epoch: int, loss: float) -> None:
        if improves(loss, self.loss):
            self.epoch, self.loss = epoch, float(loss)

    @classmethod
    def scan(cls, epochs: np.ndarray, losses: np.ndarray, upto: int) -> "BestEpoch":
        """The best among recorded epochs up to ``upto`` (after a rollback or a load)."""
        best = cls()
        for e, loss in zip(np.asarray(epochs).tolist(), np.asarray(losses, dtype=np.float64).tolist()):
            if e <= upto:
                best.note(e, loss)
        return best

    def due(self, epoch: int, patience: int) -> bool:
        """Whether a run at the end of ``epoch`` should stop: ``patience`` epochs without a new best."""
        return patience > 0 and self.epoch is not None and epoch - self.epoch >= patience


def message(epoch: int, best_epoch: int, best_loss: float) -> str:
    """What a learner reads when a run stopped early at the end of ``epoch``."""
    since = epoch - best_epoch
    return (f"Stopped early at epoch {count(epoch)}: the test loss had not improved for {count(since)} "
            f"epoch{'' if since == 1 else 's'} (best {fmt(best_loss)} at epoch {count(best_epoch)}).")

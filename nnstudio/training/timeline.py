"""The timeline of a run: checkpoints of the Trainer's state kept as it trains, to go back to any earlier update.

Checkpoints are taken every ``min_stride`` updates (32: taking one costs about a tenth of a tiny network's update,
so one in 32 adds well under 1%), and further apart when they would outgrow ``budget`` bytes: the spacing doubles
(dropping every other checkpoint) each time they do, the way the history thins its rows. Update 0 (the starting
weights) is always kept.

Every update stays reachable exactly, not only the checkpointed ones: ``rewind(trainer, step)`` restores the last
checkpoint at or before ``step`` and trains forward the few updates in between, which repeats them bit for bit. The
slider can show a checkpoint at once (``nearest``) while it is dragged, and the exact update when it is let go.

Going back does not lose the run's later updates: the first rewind from the end keeps the run as it stood (its
history and a snapshot: ``future``), and every rewind shows that history cut at the update gone back to, so the
slider can go forward again as far as the run went. Training on from an earlier update is a branch (``branch``):
the later checkpoints are dropped and ``future`` is handed back, for the studio to keep as a run to compare with.
"""

from __future__ import annotations

import bisect
import copy

from nnstudio.training import checkpoint
from nnstudio.training.checkpoint import Checkpoint

DEFAULT_BUDGET = 150 * 1024 * 1024  # bytes; MNIST's 784-128-10 with momentum: ~0.8 MB a checkpoint, ~190 of them
MIN_STRIDE = 32  # updates between checkpoints at least (a power of two, so that thinning keeps every other one)


class Timeline:
    def __init__(self, budget: int = DEFAULT_BUDGET, min_stride: int = MIN_STRIDE):
        if budget <= 0:
            raise ValueError("the budget must be positive")
        if min_stride < 1 or min_stride & (min_stride - 1):
            raise ValueError("the spacing must be a power of two")
        self.budget = int(budget)
        self.min_stride = self.stride = int(min_stride)
        self._steps: list[int] = []
        self._points: list[Checkpoint] = []
        self._pinned: set[int] = set()
        self.nbytes = 0
        self.end = -1  # the furthest update recorded on this branch (kept or not: it is reached by training forward)
        # (history, followed weight's series, snapshot, settings) of the run at its end, kept while the Trainer stands
        # before it
        self.future: tuple | None = None

    # -- recording ----------------------------------------------------------------------------------------------------
    def wants(self, step: int) -> bool:
        """Whether a checkpoint after update ``step`` would be kept (cheap: callers ask before taking one)."""
        return step % self.stride == 0 and (not self._steps or step > self._steps[-1])

    def record(self, trainer, pin: bool = False) -> bool:
        """Keep the Trainer's state now if the spacing wants it (always with ``pin``: the settings changed; such a
        checkpoint is never thinned away). Returns whether it was kept."""
        step = trainer.step_count
        self.end = max(self.end, step)
        if pin and self._steps and step == self._steps[-1]:  # the settings changed again without an update between
            self._replace_last(checkpoint.take(trainer))
            self._pinned.add(step)
            return True
        if not (self.wants(step) or (pin and (not self._steps or step > self._steps[-1]))):
            return False
        self.add(checkpoint.take(trainer), pin)
        return True

    def _replace_last(self, cp: Checkpoint) -> None:
        self.nbytes += cp.nbytes - self._points[-1].nbytes
        self._points[-1] = cp

    def add(self, cp: Checkpoint, pin: bool = False) -> None:
        if self._steps and cp.step <= self._steps[-1]:
            raise ValueError(f"checkpoints go forward: {cp.step} after {self._steps[-1]}")
        if pin:
            self._pinned.add(cp.step)
        self._steps.append(cp.step)
        self._points.append(cp)
        self.nbytes += cp.nbytes
        self.end = max(self.end, cp.step)
        while self.nbytes > self.budget and self._thinnable():
            self._thin()

    def _thinnable(self) -> bool:
        """Whether some checkpoint could still be dropped (not update 0, the latest or a pinned one)."""
        last = self._steps[-1]
        return any(s != 0 and s != last and s not in self._pinned for s in self._steps)

    def _thin(self) -> None:
        """Double the spacing: keep update 0, the multiples of the new stride, the pinned and the latest checkpoint."""
        self.stride *= 2
        last, pinned = self._steps[-1], self._pinned
        kept = [(s, p) for s, p in zip(self._steps, self._points)
                if s == 0 or s % self.stride == 0 or s == last or s in pinned]
        self._steps = [s for s, _ in kept]
        self._points = [p for _, p in kept]
        self.nbytes = sum(p.nbytes for p in self._points)

    def drop_after(self, step: int) -> None:
        """Forget the checkpoints after ``step`` (training goes on from there: a branch)."""
        i = bisect.bisect_right(self._steps, step)
        for p in self._points[i:]:
            self.nbytes -= p.nbytes
        del self._steps[i:], self._points[i:]
        self.end = min(self.end, step)
        self.future = None
        self._pinned = {s for s in self._pinned if s <= step}

    def clear(self) -> None:
        self.stride = self.min_stride
        self._steps, self._points, self._pinned, self.nbytes, self.end = [], [], set(), 0, -1
        self.future = None

    # -- reading ------------------------------------------------------------------------------------------------------
    @property
    def steps(self) -> list[int]:
        """The updates that have a checkpoint, in order."""
        return list(self._steps)

    @property
    def last_step(self) -> int:
        return self._steps[-1] if self._steps else -1

    def __len__(self) -> int:
        return len(self._steps)

    def exact(self, step: int) -> bool:
        """Whether ``step`` has a checkpoint of its own (others are reached by training forward from one)."""
        i = bisect.bisect_left(self._steps, step)
        return i < len(self._steps) and self._steps[i] == step

    def nearest(self, step: int) -> Checkpoint | None:
        """The last checkpoint at or before ``step`` (None before the first)."""
        i = bisect.bisect_right(self._steps, step)
        return self._points[i - 1] if i else None

    def bytes_per_checkpoint(self) -> float:
        return self.nbytes / len(self._points) if self._points else 0.0

    # -- going back ---------------------------------------------------------------------------------------------------
    def rewind(self, trainer, step: int) -> int:
        """Put ``trainer`` back to how it stood after update ``step`` (restoring the nearest checkpoint and training
        forward to it). Returns how many updates were trained again. Raises ValueError for a step outside the
        timeline (before its first checkpoint or after the furthest update recorded)."""
        if not self._steps:
            raise ValueError("the timeline holds no checkpoints yet")
        end = max(self.end, trainer.step_count)
        if not self._steps[0] <= step <= end:
            raise ValueError(f"update {step:,} is not on the timeline (updates {self._steps[0]:,} to {end:,})")
        if self.future is None and trainer.step_count >= self.end:  # leaving the end: keep the run as it stands
            self.future = (copy.deepcopy(trainer.history), copy.deepcopy(trainer._followed), trainer.snapshot(),
                           trainer.experiment)
        cp = self.nearest(step)
        timeline, trainer.timeline = getattr(trainer, "timeline", None), None  # training forward records nothing
        try:
            checkpoint.restore(trainer, cp)
            replayed = 0
            while trainer.step_count < step:
                result = trainer.step()
                replayed += 1
                if result.diverged:  # cannot happen on a run that went through here, unless settings changed since
                    raise ValueError(f"training again to update {step} diverged: {result.diverged}")
        finally:
            trainer.timeline = timeline
        if self.future is not None:  # the run's own history, cut at this update
            history, followed = self.future[:2]
            trainer.history, trainer._followed = copy.deepcopy(history), copy.deepcopy(followed)
            trainer.cut_history(step, trainer.epoch)
        return replayed

    def branch(self, trainer):
        """Training goes on from where ``trainer`` stands: the checkpoints after it are dropped. Returns (snapshot,
        settings) of the run as it stood at its end when that lies ahead (the abandoned future, for keeping), else
        None."""
        future = self.future if trainer.step_count < self.end else None
        self.drop_after(trainer.step_count)
        self.future = None
        return future[2:] if future is not None else None

    def describe(self) -> str:
        if not self._steps:
            return "no checkpoints"
        every = "every update" if self.stride == 1 else f"every {self.stride:,} updates"
        return (f"{len(self._steps):,} checkpoints, updates {self._steps[0]:,} to {self.end:,} ({every}), "
                f"{self.nbytes / 1e6:.1f} MB")

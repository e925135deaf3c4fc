"""Which views get the newest snapshot, so that drawing costs training a bounded share of its speed.

The GUI thread and the training thread share Python's interpreter lock: while the GUI draws, training mostly waits.
So while a run goes on, the window spends at most ``share`` of the GUI thread's time on drawing. It measures what the
GUI thread really used (its CPU time, which includes painting that Qt does later, outside any call we could time) and
keeps a token bucket: time earns ``share`` of itself, everything the GUI thread did spends it. When the bucket holds
something, the views that have waited longest are fed, as many as their last measured cost says the bucket can pay
for, and at least one. When training is paused, every visible view is fed at once.

Small networks get a large share: their training takes seconds however it is slowed, and a learner watches them
move. Large ones (a 784-128-10 network with every panel on screen) get a small share: their views take turns, each
redrawn every second or so, and training keeps its speed. One pull feeds views worth at most PER_PULL seconds (and
at least one view), so a round of redrawing never freezes the window for long.
No Qt here: the clocks are injected, so the policy is tested on its own.

Every view at 5 redraws a second needs 5 rounds of redrawing a second: with a round of the MNIST lesson's nine views
at 31-35 ms of the GUI thread (bench/redraw_cost.py, December 2026, machine at load 10-15), that is 15-17% of the GUI
thread, twice SHARE; the network and activation views are half of it. SHARE stays until a round costs ~15 ms.
After the network and activation redraws were made cheaper (branch redraw2: a round 54 -> 49 ms at 60 ms gaps, 74 ->
60 ms at 2.5 s gaps, machine at load 2-3), --share 0.15 gave 1.1-1.2 redraws/s per view at 62% of headless and
0.2 gave 1.9-2.0/s at 49%: a larger SHARE still costs training far more than 15%, so it stays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable

SHARE = 0.08  # of the GUI thread's time, while a large network trains...
LIGHT_SHARE = 0.3  # ...and while a small one does
LIGHT_PARAMETERS = 10_000  # networks with at most this many weights and biases count as small
CHILD_SHARE = 0.35  # while the run's updates are made in a child process (training.child_run; see share_for):
#   bench/gui_responsiveness.py --data mnist --layout all (2 cores, --rounds 3-4): 0.25 gave 4.1 redraws a second
#   of the nine views, 0.3 gave 5.8, 0.35 6.7-7.1 with training at 87.8-99.4% of headless (means of 3-4 rounds),
#   0.5 10.6 at 91.5%. (Before the child's messages went through shared memory, 0.25 gave 5 redraws a second at
#   78-81% of headless: the child waited for the parent, whose drawing held the interpreter lock.)
BURST = 0.12  # seconds of drawing the bucket can save up (a pause in the costs lets every view catch up once)
PER_PULL = 0.03  # seconds of drawing one pull may start (by the views' last costs)


def share_for(n_parameters: int, in_child: bool = False) -> float:
    """The budget's share for a network of this size. A run in a child process (``in_child``) does not share the
    interpreter lock with the window: drawing no longer stops training, and costs it only what the two cores cannot
    give both (see CHILD_SHARE)."""
    if in_child:
        return CHILD_SHARE
    return LIGHT_SHARE if n_parameters <= LIGHT_PARAMETERS else SHARE


@dataclass
class _Record:
    drawn: object = None  # the snapshot last given
    at: float = -1e18  # wall time it was given
    cost: float = 0.0  # CPU seconds the last feed took (set_snapshot and the drawing it did at once)


@dataclass
class DrawBudget:
    share: float = SHARE
    burst: float = BURST
    cpu_clock: Callable[[], float] = time.thread_time
    wall_clock: Callable[[], float] = time.perf_counter
    tokens: float = 0.0
    _records: dict = field(default_factory=dict)
    _last: tuple[float, float] | None = None

    def due(self, views: Iterable[Hashable], snapshot, running: bool) -> list:
        """The views to feed ``snapshot`` now, oldest first (only views whose last snapshot differs). ``views`` are
        the visible ones; call once per pull of the GUI timer."""
        wall, cpu = self.wall_clock(), self.cpu_clock()
        if self._last is not None:
            earned = self.share * (wall - self._last[0])
            spent = cpu - self._last[1]
            # debt is capped too: a long burst of other work (loading a file) does not freeze the views for long
            self.tokens = min(max(self.tokens + earned - spent, -self.burst), self.burst)
        self._last = (wall, cpu)
        stale = [v for v in views if self._record(v).drawn is not snapshot]
        if not running:
            self.tokens = self.burst  # a run starts with every view able to draw once
            return stale
        stale.sort(key=lambda v: self._record(v).at)
        chosen, budget, planned = [], self.tokens, 0.0
        for v in stale:
            cost = self._record(v).cost
            if budget <= 0 or (chosen and planned + cost > PER_PULL):
                break
            chosen.append(v)
            budget -= cost
            planned += cost
        return chosen

    def fed(self, view: Hashable, snapshot, cost: float) -> None:
        """Record that ``view`` was given ``snapshot`` and that doing so took ``cost`` CPU seconds."""
        r = self._record(view)
        r.drawn, r.at, r.cost = snapshot, self.wall_clock(), max(cost, 0.0)

    def _record(self, view: Hashable) -> _Record:
        return self._records.setdefault(view, _Record())

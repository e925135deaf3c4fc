"""The draw budget's policy, with hand-driven clocks (no Qt, no timing)."""

import pytest

from nnstudio.qt import draw_budget as db
from nnstudio.qt.draw_budget import DrawBudget, share_for


class Clocks:
    def __init__(self):
        self.wall = 100.0
        self.cpu = 5.0

    def tick(self, seconds: float, gui_busy: float = 0.0) -> None:
        """``seconds`` pass, of which the GUI thread works ``gui_busy``."""
        self.wall += seconds
        self.cpu += gui_busy


@pytest.fixture
def clocks():
    return Clocks()


def budget(clocks, share=0.1, burst=0.12) -> DrawBudget:
    return DrawBudget(share=share, burst=burst, cpu_clock=lambda: clocks.cpu, wall_clock=lambda: clocks.wall)


def test_paused_feeds_every_view_that_has_not_seen_the_snapshot(clocks):
    b = budget(clocks)
    snap, newer = object(), object()
    assert b.due(["a", "b", "c"], snap, running=False) == ["a", "b", "c"]
    b.fed("a", snap, 0.5)  # even a costly view: paused, the learner waits for the picture
    b.fed("b", snap, 0.5)
    assert b.due(["a", "b", "c"], snap, running=False) == ["c"]
    assert b.due(["a", "b", "c"], newer, running=False) == ["a", "b", "c"]


def test_running_spends_only_what_time_has_earned(clocks):
    b = budget(clocks, share=0.1, burst=0.05)
    views = ["a", "b"]
    first = object()
    assert b.due(views, first, running=False) == views  # paused: the bucket starts full (50 ms)
    for v in views:
        b.fed(v, first, 0.02)
    clocks.tick(0.05, gui_busy=0.04)  # feeding took 40 ms of GUI time
    snap = object()
    # 50 ms held + 5 ms earned − 40 ms spent = 15 ms: it pays for one 20 ms view (the bucket may go below zero
    # by one view's cost), not two
    assert b.due(views, snap, running=True) == ["a"]
    assert b.tokens == pytest.approx(0.015)


def test_an_overdrawn_bucket_feeds_nothing_until_time_pays_it_back(clocks):
    b = budget(clocks, share=0.1, burst=0.05)
    snap = object()
    b.due(["a"], object(), running=False)
    clocks.tick(0.05, gui_busy=0.05)  # 50 ms of drawing in 50 ms: far over a 10% share
    assert b.due(["a"], snap, running=True) == ["a"]  # 50 + 5 − 50 = 5 ms left
    b.fed("a", snap, 0.05)
    clocks.tick(0.05, gui_busy=0.05)
    newer = object()
    assert b.due(["a"], newer, running=True) == []  # 5 + 5 − 50 < 0
    waited = 0.0
    while not b.due(["a"], newer, running=True):
        clocks.tick(0.05)
        waited += 0.05
        assert waited < 2.0
    # 45 ms of debt at 5 ms per 50 ms: about 0.45 s
    assert 0.4 <= waited <= 0.55


def test_debt_is_capped_so_a_long_blocking_job_does_not_freeze_the_views(clocks):
    b = budget(clocks, share=0.1, burst=0.05)
    b.due(["a"], object(), running=False)
    clocks.tick(0.1, gui_busy=3.0)  # e.g. three seconds spent opening a big file
    snap = object()
    assert b.due(["a"], snap, running=True) == []
    assert b.tokens == pytest.approx(-0.05)
    clocks.tick(0.55)  # 55 ms earned pays back the capped 50 ms
    assert b.due(["a"], snap, running=True) == ["a"]


def test_views_take_turns_oldest_first(clocks):
    b = budget(clocks, share=1.0, burst=0.008)
    views = ["a", "b", "c"]
    start = object()
    b.due(views, start, running=False)
    for v in views:
        b.fed(v, start, 0.01)
        clocks.tick(0.001)
    order = []
    for _ in range(6):
        clocks.tick(0.011, gui_busy=0.01)
        snap = object()
        chosen = b.due(views, snap, running=True)
        assert len(chosen) == 1  # each costs 10 ms: a bucket of at most 8 ms pays for one at a time
        b.fed(chosen[0], snap, 0.01)
        order.append(chosen[0])
    assert order == ["a", "b", "c", "a", "b", "c"]


def test_one_pull_starts_at_most_per_pull_seconds_of_drawing(clocks, monkeypatch):
    monkeypatch.setattr(db, "PER_PULL", 0.03)
    b = budget(clocks, share=1.0, burst=1.0)
    views = ["a", "b", "c", "d"]
    start = object()
    b.due(views, start, running=False)
    for v in views:
        b.fed(v, start, 0.02)
    clocks.tick(1.0)
    assert len(b.due(views, object(), running=True)) == 1  # 20 ms, then 40 ms would pass 30 ms
    for v in views:
        b.fed(v, start, 0.01)
    assert len(b.due(views, object(), running=True)) == 3
    b.fed("a", start, 0.5)
    chosen = b.due(["a"], object(), running=True)
    assert chosen == ["a"]  # a view dearer than a whole pull still gets its turn


def test_share_for_small_and_large_networks():
    assert share_for(9) == db.LIGHT_SHARE  # the gender network
    assert share_for(db.LIGHT_PARAMETERS) == db.LIGHT_SHARE
    assert share_for(784 * 128 + 128 + 128 * 10 + 10) == db.SHARE
    assert db.SHARE < db.LIGHT_SHARE

"""The shared mechanisms every live view draws through: lines and dots bounded to a box, ranges from finite data,
tick values and labels that cope with any float, and thinning evenly in the axis's own scale."""

import math

import numpy as np
import pytest

from nnstudio.qt.panels.bounds import LIMIT, WIDE, bounded_line, box_around, first_outside, inside, sane_range
from nnstudio.qt.panels.thinning import thin, thin_index

BOX = (0.0, 10.0, 0.0, 10.0)


def assert_inside(x, y, box):
    assert np.isfinite(x).all() and np.isfinite(y).all()
    assert inside(x, y, box).all()


@pytest.mark.parametrize("clip", [False, True])
def test_a_line_never_leaves_its_box(clip):
    x = np.array([1, 2, 3, 1e40, 4, 5, np.nan, 6, 7, np.inf, 8])
    y = np.array([1, 2, 3, 5, 4, 5, 5, 6, -1e300, 2, 9])
    lx, ly, connect = bounded_line(x, y, BOX, clip=clip)
    assert_inside(lx, ly, BOX)
    assert len(connect) == len(lx) and not connect[-1]
    if not clip:  # every point drawn is a given point, and the line breaks where points were left out
        assert list(zip(lx, ly)) == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (8, 9)]
        assert connect.tolist() == [True, True, False, True, False, False, False]


def test_a_clipped_line_runs_to_the_edge_of_its_box():
    lx, ly, connect = bounded_line([5, 5, 1e40], [5, 6, 6], BOX, clip=True)
    assert lx.tolist() == [5, 5, 10] and ly.tolist() == [5, 6, 6] and connect.tolist() == [True, True, False]
    lx, ly, _ = bounded_line([-1e300, 1e300], [5, 5], BOX, clip=True)  # crosses the whole box
    assert lx.tolist() == [0, 10] and ly.tolist() == [5, 5]


def test_wide_box_drops_only_what_no_view_can_show():
    lx, ly, _ = bounded_line([0, 1, 2, 3], [1.0, 1e14, 1e16, -np.inf])
    assert lx.tolist() == [0, 1] and ly.tolist() == [1.0, 1e14]
    assert WIDE == (-LIMIT, LIMIT, -LIMIT, LIMIT)


def test_ranges_come_from_finite_sane_values():
    assert sane_range([np.inf, 1e300, 3, 5, np.nan, -1e20]) == (3.0, 5.0)
    assert sane_range([np.nan, np.inf]) == (0.0, 1.0)
    assert sane_range([2.0, 2.0]) == (1.5, 2.5)
    assert box_around((0, 1), (2, 2)) == (-2.0, 3.0, 0.0, 4.0)
    assert box_around((0, 1e15), (0, 1)) == (-LIMIT, LIMIT, -2.0, 3.0)
    assert first_outside([1, 2, 30], [1, 2, 3], BOX) == 2 and first_outside([1], [1], BOX) is None


def test_log_thinning_keeps_the_early_updates():
    """On log-log axes updates 1..30 take most of the width: thinned evenly in log(update + 1) they all stay, where
    thinning every k-th update kept one in 25 of them."""
    x = np.arange(50_001)
    tx, ty = thin(x, x * 2.0, log=True, shift=1)
    assert len(tx) <= 2001 and tx[0] == 0 and tx[-1] == 50_000
    assert set(range(31)) <= set(tx.tolist())
    np.testing.assert_array_equal(ty, tx * 2.0)  # drawn points are recorded points
    assert np.all(np.diff(tx) > 0)
    even = x[thin_index(len(x))]
    assert len(set(range(31)) & set(even.tolist())) <= 2


@pytest.fixture
def log_axis(qtbot):
    from nnstudio.qt.panels.ticks import PlainLogAxis

    axis = PlainLogAxis("bottom")
    axis.setLogMode(True)
    axis.resize(400, 30)
    return axis


def test_log_tick_strings_take_any_float(log_axis):
    values = [0.0, 1.0, 4.7, 308.0, 1e304, math.inf, -math.inf, math.nan, -320.0]
    labels = log_axis.logTickStrings(values, 1.0, 1.0)
    assert len(labels) == len(values)
    assert all(len(s) <= 9 for s in labels)
    assert labels[0] == "1"
    from nnstudio.qt.panels.ticks import NumberAxis, log_label

    assert [log_label(v) for v in (1e304, 2.0, 4.0, -3.0, 6.0, math.log10(5e4))] == ["inf", "100", "10,000", "0.001",
                                                                                    "1e+06", "50,000"]
    assert NumberAxis("left").tickStrings([0.0, 0.25, 0.5, 1e300, math.inf], 1.0, 0.25)[:3] == ["0", "0.25", "0.5"]


def test_log_ticks_over_a_huge_range_are_few(log_axis):
    """pyqtgraph lists nine minor ticks for every decade of a log axis: over 1e304 "decades" (a range left by a
    diverged run) it never finished. The decades listed are capped."""
    std = [(1.0, [0.0, 1.0, 2.0])]
    ticks = log_axis.logTickValues(0.0, 10_000.0, 400, std)
    assert sum(len(t) for _, t in ticks) < 1000
    ticks = log_axis.logTickValues(-10.0, 1e304, 400, [(2e303, [0.0, 2e303])])
    assert sum(len(t) for _, t in ticks) < 1000
    assert log_axis.tickValues(0.0, math.inf, 400) == [] and log_axis.tickValues(-1e308, 1e308, 400) == []
    for lo, hi in ((-10.0, 1e304), (0.0, 5.0), (-300.0, 300.0)):
        levels = log_axis.tickValues(lo, hi, 400)
        assert sum(len(t) for _, t in levels) < 1000
        for spacing, values in levels:
            log_axis.logTickStrings(values, 1.0, spacing or 1.0)

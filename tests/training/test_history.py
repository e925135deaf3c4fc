import numpy as np
import pytest

from nnstudio.training.history import Series


def test_series_keeps_everything_until_full():
    s = Series(2, capacity=8)
    for i in range(8):
        s.append(i, (i, -i))
    assert list(s.x) == list(range(8)) and s.stride == 1
    assert s.values[:, 1].tolist() == [-i for i in range(8)]


@pytest.mark.parametrize("n", [9, 100, 1000, 12345])
def test_series_thins_evenly_and_keeps_first_row(n):
    s = Series(1, capacity=16)
    for i in range(n):
        if s.wants(i):
            s.append(i, (i * 2.0,))
    x = s.x
    assert x[0] == 0 and 8 <= len(x) <= 16
    assert np.all(np.diff(x) == s.stride)  # evenly spaced
    assert np.array_equal(s.values[:, 0], x * 2.0)
    assert x[-1] > n - 1 - s.stride  # reaches the end


def test_series_rejects_bad_order_and_round_trips():
    s = Series(1, capacity=8)
    s.append(3, (1.0,))
    with pytest.raises(ValueError):
        s.append(2, (1.0,))
    s.append(3, (7.0,))  # the same x again (a retried update) replaces the row
    assert list(s.x) == [3] and s.values[0, 0] == 7.0
    s.append(3, (1.0,))
    d = s.to_dict()
    t = Series.from_dict(d, 1)
    assert list(t.x) == [3] and t.values[0, 0] == 1.0
    x, v = t.frozen()
    with pytest.raises(ValueError):
        v[0, 0] = 2


# -- reading a series back: sizes come from the rows the file holds ---------------------------------------------------
def _thinned(n=12345, capacity=16):
    s = Series(2, capacity=capacity)
    for i in range(n):
        if s.wants(i):
            s.append(i, (i, -i))
    return s


def test_a_thinned_series_round_trips_with_its_stride_and_capacity():
    s = _thinned()
    t = Series.from_dict(s.to_dict(), 2, capacity=16, last_x=12344)
    assert t.stride == s.stride > 1 and t.capacity == 16
    assert np.array_equal(t.x, s.x) and np.array_equal(t.values, s.values)
    t.append(int(s.x[-1]) + s.stride, (1.0, 2.0))  # and goes on recording
    assert len(t) == len(s) + 1


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(capacity=10**9), "1000000000 rows claimed, but the file holds"),
    (lambda d: d.update(capacity=2), "capacity: 2 is less than 4"),
    (lambda d: d.update(capacity=1024), "rows claimed"),  # more than twice its rows and more than a new one gets
    (lambda d: d.update(capacity=17), "17 is odd"),
    (lambda d: d.update(stride=0), "stride: 0 is less than 1"),
    (lambda d: d.update(stride=6), "6 is not a power of two"),
    (lambda d: d.update(stride=d["stride"] * 2), "is not a multiple of the stride"),
    (lambda d: d.update(x=d["x"][:-1]), "does not fit the expected"),
    (lambda d: d["x"].__setitem__(2, d["x"][1]), "does not come after"),
    (lambda d: d["x"].__setitem__(0, -d["stride"]), "whole numbers from 0 up"),
    (lambda d: d["values"].__setitem__(0, [1.0]), "expected a table"),
    (lambda d: d["values"][0].__setitem__(0, float("inf")), "is infinite"),
    (lambda d: d.update(x="0,1,2"), "history.x: expected a list"),
])
def test_a_series_that_lies_is_refused_before_anything_is_allocated(change, message):
    d = _thinned().to_dict()
    change(d)
    with pytest.raises(ValueError, match=message):
        Series.from_dict(d, 2, capacity=16, last_x=12344)


def test_rows_beyond_the_owner_are_refused_and_missing_values_are_allowed():
    d = _thinned().to_dict()
    with pytest.raises(ValueError, match="lies beyond the 100 reached"):
        Series.from_dict(d, 2, capacity=16, last_x=100)
    d["values"][3][1] = None  # NaN is written as null: a test loss before there is a test set
    assert np.isnan(Series.from_dict(d, 2, capacity=16).values[3, 1])


def test_the_first_rows_are_all_kept_however_long_the_run():
    """On log-log axes updates 1 to 10 take as much room as 10,000 to 100,000: the perceptron lesson's 50,000 updates
    must still have every early update to draw."""
    from nnstudio.training.history import History

    h = History(n_tracked=3, n_errors=4, capacity=64)
    for x in range(50_000):
        h.update_loss.append(x, (float(x),))
        h.errors.append(x, np.full(4, float(x)))
    for series in (h.update_loss, h.errors):
        assert list(series.x[:8]) == list(range(8)), "every one of the first updates"
        assert series.stride > 1 and len(series) <= 64
        later = series.x[series.x >= 8]
        assert np.all(later % series.stride == 0) and series.x[-1] >= 50_000 - series.stride
    round_trip = Series.from_dict(h.update_loss.to_dict(), 1, capacity=64)
    assert list(round_trip.x) == list(h.update_loss.x) and round_trip.head == 8


def test_a_float32_record_of_weights_beyond_its_range_holds_inf_without_a_warning():
    """The full-weight path is kept in float32; a float64 run diverging reaches 1e300 (found by the monkey:
    'overflow encountered in cast')."""
    s = Series(3, capacity=8, dtype=np.float32)
    s.append(0, np.array([1.0, -1e300, 1e39]))
    s.append(0, np.array([2.0, 1e300, -1e39]))  # a retried update replaces its record
    assert s.values.tolist() == [[2.0, np.inf, -np.inf]]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_long_rows_are_thinned_in_place_to_the_same_rows(dtype):
    """A series of whole weight vectors (the path: rows longer than 1024 values) moves its kept rows up one at a
    time instead of copying them all; it keeps the same rows, with the same values, as a narrow series."""
    wide, narrow = Series(3000, capacity=16, dtype=dtype, head=2), Series(3, capacity=16, dtype=dtype, head=2)
    rng = np.random.default_rng(0)
    for x in range(300):
        row = rng.normal(size=3000).astype(dtype)
        if wide.wants(x):
            wide.append(x, row)
            narrow.append(x, row[[0, 1500, 2999]])
    assert wide.stride == narrow.stride > 1
    np.testing.assert_array_equal(wide.x, narrow.x)
    np.testing.assert_array_equal(wide.values[:, [0, 1500, 2999]], narrow.values)


def test_snapshots_of_a_series_share_its_rows_and_never_see_them_change():
    """frozen() hands out views of the rows recorded, not a copy per snapshot (a big network's path is 25 MB);
    writing a row already handed out (thinning, a retried update, a rollback) first moves the series to buffers of
    its own, so what was handed out stays as it was."""
    s = Series(3000, capacity=8, dtype=np.float32)
    for x in range(5):
        s.append(x, np.full(3000, x))
    x1, v1 = s.frozen()
    s.append(5, np.full(3000, 5))
    x2, v2 = s.frozen()
    assert np.shares_memory(v1, v2) and not v1.flags.writeable and not x2.flags.writeable
    kept = [(x.copy(), v.copy()) for x, v in ((x1, v1), (x2, v2))]
    s.append(5, np.full(3000, -5))  # the same x again: replaces the last row
    s.drop_from(4)
    s.append(4, np.full(3000, 40))
    for x in range(6, 20):  # thinned twice
        s.append(x, np.full(3000, x))
    for (x, v), (x0, v0) in zip(((x1, v1), (x2, v2)), kept):
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(v, v0)
    x3, v3 = s.frozen()
    assert list(x3) == list(s.x) and v3[1, 0] == s.values[1, 0]

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

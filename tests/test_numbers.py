"""The one number formatter: short whatever the size, never an error."""

import math

import numpy as np
import pytest

from nnstudio.numbers import count, duration, fixed, fmt, percent


@pytest.mark.parametrize("value, text", [
    (0.123456, "0.1235"), (133.0, "133"), (-1.5, "-1.5"), (0.0, "0"), (1234.5678, "1235"),
    (123456.7, "123457"), (1e6, "1.000e+06"), (1334104259308392798346.0, "1.334e+21"), (-1e300, "-1.000e+300"),
    (1.5e-7, "1.500e-07"), (math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"),
    (np.float32(0.5), "0.5"), (np.float64(np.inf), "inf"),
])
def test_fmt_keeps_every_number_short(value, text):
    assert fmt(value) == text


def test_fmt_digits_sign_and_non_numbers():
    assert fmt(1334104259308392798346.0, 3) == "1.33e+21"
    assert fmt(2.5, sign=True) == "+2.5"
    assert fmt(math.inf, sign=True) == "+inf"
    assert fmt(None) == "None" and fmt("abc") == "abc"
    assert fmt(10**400) == "1.000e+400" and fmt(-(10**400), 2) == "-1.0e+400"  # an int too big for a float


@pytest.mark.parametrize("x", [0.0, 1e-320, 5e-324, 1e-5, 0.5, 7, 99999.5, 1e5, 1e15, 1.7e308, -1.7e308, math.nan])
def test_every_format_is_short(x):
    for f in (fmt, fixed, percent, count):
        assert len(f(x)) <= 16, (f.__name__, x, f(x))


def test_fixed_percent_count():
    assert fixed(7.26283009, 8) == "7.26283009"
    assert fixed(-0.21614618, 8) == "-0.21614618"
    assert fixed(1e21, 4) == "1.000e+21"
    assert fixed(math.nan) == "nan"
    assert percent(0.975) == "97.5%" and percent(math.nan) == "–" and percent(None) == "–"
    assert count(12345) == "12,345" and count(math.inf) == "inf" and count(1e300) == "1.000e+300"


@pytest.mark.parametrize("seconds, text", [
    (0, "under a second"), (0.4, "under a second"), (1, "1 s"), (59.4, "59 s"), (59.6, "1 min"), (200, "3 min 20 s"),
    (3600, "1 h"), (7500, "2 h 5 min"), (86400, "1 day"), (3 * 86400 + 4 * 3600 + 59, "3 days 4 h"),
    (1e30, None), (math.nan, "–"), (math.inf, "–"), (-1, "–"),
    (None, "–"), ("abc", "–"),
])
def test_duration_in_two_units_at_most(seconds, text):
    if text is None:  # absurdly long: still one short line, never an error
        assert duration(seconds).endswith("days") or "e+" in duration(seconds)
        assert len(duration(seconds)) <= 24
    else:
        assert duration(seconds) == text

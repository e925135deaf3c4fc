"""Axis numbers written by ``nnstudio.numbers``, on whatever range a run leaves behind.

pyqtgraph's own tick code assumes sane ranges: its log ticks list every decade of the range one by one (a range of
1e304 "decades", left over from a diverged run, never finished) and its labels raise on inf. Here tick values are
worked out only for finite ranges, a log axis lists minor ticks for at most ``MAX_DECADES`` decades, and every label
goes through ``fmt`` / ``count``, short whatever the size. ``number_axis`` gives an existing axis (a colour bar's, a
plot's default one) the same methods; ``NumberAxis`` and ``PlainLogAxis`` are axes made that way from the start.
"""

from __future__ import annotations

import math
from types import MethodType

import numpy as np
import pyqtgraph as pg

from nnstudio.numbers import count, fmt

MAX_DECADES = 60  # a log axis spanning more decades than this gets its decade ticks only (no 2..9 in between)


def tick_text(value: float, digits: int) -> str:
    """``fmt`` without the zeros a tick does not need: 1e+15 rather than 1.0e+15 beside 5e+14."""
    text = fmt(value, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}e{exponent}"
    return text


def linear_digits(values, spacing: float) -> int:
    """Significant digits that tell ticks ``spacing`` apart: 0.25, 0.5 need 2; 100, 200 need 1; 1,200, 1,400 need 2."""
    finite = [abs(float(v)) for v in values if math.isfinite(v)]
    if not finite or not math.isfinite(spacing) or spacing <= 0:
        return 4
    top = max(finite)
    if top == 0:
        return 1
    return int(min(max(math.floor(math.log10(top)) - math.floor(math.log10(spacing)) + 1, 1), 8))


def log_label(exponent: float, scale: float = 1.0) -> str:
    """The label of a log-axis tick at 10**exponent: 1, 10, 50,000, 0.002, 1e+06, inf."""
    with np.errstate(over="ignore", invalid="ignore"):
        v = float(np.power(10.0, exponent) * scale)
    if not math.isfinite(v):
        return fmt(v)
    if 1 <= v < 1e6 and abs(v - round(v)) <= 1e-6 * v:
        return count(round(v))
    return fmt(v, 1)


class NumberAxis(pg.AxisItem):
    """An axis whose tick values and labels cope with any float."""

    def tickValues(self, minVal, maxVal, size):
        lo, hi = sorted((float(minVal), float(maxVal)))
        if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(hi - lo)):
            return []
        return pg.AxisItem.tickValues(self, lo, hi, size)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        if not (math.isfinite(minVal) and math.isfinite(maxVal)):
            return []
        if abs(maxVal - minVal) > MAX_DECADES:  # pyqtgraph would list nine ticks for every one of them
            return [(spacing, t) for spacing, t in stdTicks if spacing >= 1.0]
        return pg.AxisItem.logTickValues(self, minVal, maxVal, size, stdTicks)

    def tickStrings(self, values, scale, spacing):
        if self.logMode:
            return self.logTickStrings(values, scale, spacing)
        vs = [float(v) * scale for v in values]
        digits = linear_digits(vs, float(spacing) * scale)
        return [tick_text(v, digits) for v in vs]

    def logTickStrings(self, values, scale, spacing):
        return [log_label(float(v), scale) for v in values]


_METHODS = ("tickValues", "logTickValues", "tickStrings", "logTickStrings")


def number_axis(axis: pg.AxisItem) -> pg.AxisItem:
    """Give an axis pyqtgraph made (a plot's default, a colour bar's) NumberAxis's tick methods; its numbers stay
    plain (no SI prefix such as "loss (x0.001)", which confuses a learner)."""
    axis.enableAutoSIPrefix(False)
    if not isinstance(axis, NumberAxis):
        for name in _METHODS:
            setattr(axis, name, MethodType(getattr(NumberAxis, name), axis))
    return axis


class PlainLogAxis(NumberAxis):
    """An axis whose log ticks read 1, 10, 100 (not 10¹, 2·10³). Decades are labelled first, then 2 and 5, then the
    other ticks, each only where its label has room."""

    def logTickStrings(self, values, scale, spacing):
        vertical = self.orientation in ("left", "right")
        length = self.height() if vertical else self.width()
        span = abs(self.range[1] - self.range[0])
        per_decade = length / span if math.isfinite(span) and span > 1e-9 else 0.0
        room = 18 if vertical else 44  # pixels one tick label needs along the axis

        def rank(lv: float) -> int:
            if not math.isfinite(lv):
                return 3
            mantissa = round(10 ** (lv - math.floor(lv + 1e-9)), 3)
            return 0 if mantissa == 1 else 1 if mantissa in (2, 5) else 2

        out, kept = [""] * len(values), []
        for k in sorted(range(len(values)), key=lambda k: rank(float(values[k]))):
            lv = float(values[k])
            if not math.isfinite(lv):
                continue
            at = lv * per_decade
            if all(abs(at - q) >= room for q in kept):
                kept.append(at)
                out[k] = log_label(lv, scale)
        return out

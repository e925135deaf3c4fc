"""Colours and small helpers the panels share.

The sign colours match the network drawing: blue for positive, orange for negative, white for zero. The class colours
are one palette for every view that colours classes (the data scatter, the decision surface, the confusion matrix):
class 0 orange and class 1 blue, as the sign colours have it, then the usual ten-colour cycle. A scale that keeps its
meaning while training runs is symmetric around zero and only ever grows, in "nice" steps.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from nnstudio.qt.panels.thinning import sorted_unique
from nnstudio.qt.panels.ticks import number_axis

POSITIVE = (38, 110, 200)
NEGATIVE = (230, 120, 20)
AXIS_PEN = (40, 40, 40)

# class k is drawn in CLASS_COLOURS[k % 10], in every view
CLASS_COLOURS = (NEGATIVE, POSITIVE, (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194),
                 (127, 127, 127), (188, 189, 34), (23, 190, 207))


def class_colour(k: int) -> tuple[int, int, int]:
    """The colour of class k (0-based) wherever classes are coloured."""
    return CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]

# Sixteen colours that stay apart from each other on white (units beyond 16 reuse them in order).
UNIT_COLOURS = [  # blue and orange come last: the sign colours and the activation curves use them
    (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
    (188, 189, 34), (23, 190, 207), (57, 59, 121), (173, 73, 74), (99, 121, 57), (140, 109, 49),
    (123, 65, 115), (0, 0, 0), (31, 119, 180), (255, 127, 14),
]


def diverging_colormap() -> pg.ColorMap:
    """Orange (most negative) through white (zero) to blue (most positive)."""
    return pg.ColorMap(pos=[0.0, 0.5, 1.0], color=[NEGATIVE, (255, 255, 255), POSITIVE], name="nnstudio-sign")


def sign_colour(value: float, scale: float) -> tuple[int, int, int]:
    """The colour the diverging map gives ``value`` on the symmetric scale (-scale, scale)."""
    t = 0.0 if scale <= 0 else max(-1.0, min(1.0, value / scale))
    end = POSITIVE if t >= 0 else NEGATIVE
    k = abs(t)
    return tuple(int(round(255 + (c - 255) * k)) for c in end)


NICE_STEPS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceil(x: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= x (x <= 0 or not finite
    gives 1)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in NICE_STEPS:
        v = m * 10.0 ** exp
        if v >= x * (1 - 1e-12):
            return float(v)
    return float(10.0 ** (exp + 1))


def thin_indices(n: int, limit: int) -> np.ndarray:
    """Indices of every k-th of n points so that at most about ``limit`` remain; the last point always kept."""
    if n <= limit:
        return np.arange(n)
    return sorted_unique(np.r_[np.arange(0, n, int(math.ceil(n / limit))), n - 1])


class Throttle:
    """Runs ``draw`` at most ``rate`` times a second: a call that comes too soon is deferred to a single-shot timer,
    so the latest state is always drawn in the end. ``flush()`` draws a pending request now."""

    def __init__(self, draw, rate: float, parent=None):
        self._draw = draw
        self._interval = 1.0 / rate
        self._last = -math.inf
        self._pending = False
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def request(self) -> None:
        self._pending = True
        wait = self._last + self._interval - time.perf_counter()
        if wait <= 0:
            self.flush()
        elif not self._timer.isActive():
            self._timer.start(int(wait * 1000) + 1)

    def cancel(self) -> None:
        """Forget a pending request (its drawing is done another way)."""
        self._timer.stop()
        self._pending = False

    def flush(self) -> None:
        self._timer.stop()
        if self._pending:
            self._pending = False
            self._last = time.perf_counter()
            self._draw()


GRID_GREY = (228, 228, 228)


def light_grid(plot, sides=("left", "bottom")) -> None:
    """Grid lines in an opaque light grey at the numbered ticks, under the data. pyqtgraph's own grid
    (``showGrid(alpha=...)``) draws translucent lines, which Qt paints about ten times slower; on a live plot that
    was most of a redraw. The tick marks take the same grey (they are the grid lines' stubs)."""
    for side in sides:
        axis = plot.getAxis(side)
        axis.setGrid(255)
        axis.setTickPen(pg.mkPen(*GRID_GREY))
        axis.setStyle(tickAlpha=255, maxTickLevel=0)  # opaque; lines at the numbered ticks only
        axis.setZValue(-1)  # under the data (pyqtgraph puts axes, and so their grid, above it), or it hides lines


def dark_axes(plot, sides=("left", "bottom")) -> None:
    """Axis lines and numbers in dark grey (pyqtgraph's default grey is faint on a white background)."""
    for side in sides:
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(110, 110, 110))
        axis.setTextPen(pg.mkPen(30, 30, 30))


def plain_numbers(plot, sides=("left", "bottom")) -> None:
    """Axis numbers written by ``nnstudio.numbers`` and ticks that cope with any range (``ticks.number_axis``); no
    automatic SI prefix ("loss (x0.001)" confuses a learner)."""
    for side in sides:
        number_axis(plot.getAxis(side))


class _PlotItemWithoutMenu(pg.PlotItem):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("enableMenu", False)
        super().__init__(*args, **kwargs)


class ColorBar(pg.ColorBarItem, _PlotItemWithoutMenu):
    """A colour bar whose plot never makes pyqtgraph's view menu. ``pg.ColorBarItem`` builds one and throws it away
    at once (``setMenuEnabled(False)``); panels that rebuild their plots would build and destroy dozens, and the menu
    costs a tenth of a rebuild. Its numbers go through ``nnstudio.numbers``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        number_axis(self.axis)

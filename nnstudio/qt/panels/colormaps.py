"""Colours and small helpers the panels share. The plain colours (sign, class and unit colours) and the "nice" scale
steps are in ``colours``, which the first screen reads without loading pyqtgraph; they are re-exported here. A scale
that keeps its meaning while training runs is symmetric around zero and only ever grows, in "nice" steps.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from nnstudio.qt.panels.colours import (AXIS_PEN, CLASS_COLOURS, NEGATIVE, NICE_STEPS, POSITIVE,  # noqa: F401
                                        UNIT_COLOURS, class_colour, nice_ceil, sign_colour)
from nnstudio.qt.panels.thinning import sorted_unique
from nnstudio.qt.panels.ticks import number_axis


def diverging_colormap() -> pg.ColorMap:
    """Orange (most negative) through white (zero) to blue (most positive)."""
    return pg.ColorMap(pos=[0.0, 0.5, 1.0], color=[NEGATIVE, (255, 255, 255), POSITIVE], name="nnstudio-sign")


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

"""The drawing half of the loss-surface panel: a heatmap with contour lines and the path on it, or the 1-D cut as a
curve with the path's steps on it. It is handed finished numbers and draws them; plot items are made once.

Both plots show a fixed range (the grid, or the cut's finite losses), and everything drawn on them stays inside a box
a few plots wide around it (``bounds``): the path of a run that diverges goes to 1e40 and beyond, and Qt crashed
painting such a line. ``show_path`` says where the path left the plot."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from nnstudio.qt.panels.bounds import LIMIT, Box, box_around, bounded_line, first_outside, inside, sane_range
from nnstudio.qt.panels.colormaps import ColorBar, light_grid, plain_numbers
from nnstudio.qt.panels.thinning import thin
from nnstudio.qt.panels.surface_job import SlicePlan, contour_levels, contour_segments, segments_to_xy
from nnstudio.qt.widgets import setup

CONTOURS = 8
CURRENT = (220, 30, 30)
PATH_DOTS = 60
LEGEND = ("<span style='font-size:large'>&#9633;</span> start &nbsp;&nbsp; {path} &nbsp;&nbsp; "
          "<span style='color:rgb(220,30,30); font-size:large'>&#9679;</span> current weights")


def colour_values(Z: np.ndarray, log: bool) -> np.ndarray:
    """What the colours show: log₁₀ of the loss (or the loss itself, within ±LIMIT). NaN (not computed) stays NaN;
    an infinite loss stays +inf (drawn in the top colour)."""
    with np.errstate(all="ignore"):
        V = np.asarray(Z, dtype=np.float64).copy()
        if log:
            positive = V[V > 0]
            V = np.log10(np.maximum(V, positive.min() if positive.size else 1e-300))
        else:
            V = np.where(np.isfinite(V), np.clip(V, -LIMIT, LIMIT), V)
    return V


def colour_range(V: np.ndarray, log: bool) -> tuple[float, float, bool] | None:
    """(low, high, clipped) for the colour scale; on a linear scale a few huge values (a far corner) would wash out
    everything else, so the top is clipped at the 98th percentile when it lies far below the maximum."""
    finite = V[np.isfinite(V)]
    if not finite.size:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    top = float(np.percentile(finite, 98))
    clipped = not log and hi > lo and top < lo + 0.5 * (hi - lo)
    if clipped:
        hi = top
    return lo, (hi if hi > lo else lo + 1.0), clipped


class SurfaceView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.cut_plot = pg.PlotWidget(background="w")
        for plot, name, accessible, tip in (
                (self.plot, "surfacePlot", "Loss surface plot",
                 "The loss over the slice (dark is low); drag to pan, scroll to zoom, right-click to export"),
                (self.cut_plot, "surfaceCutPlot", "Loss along one axis",
                 "The loss along the horizontal axis only; drag to pan, scroll to zoom, right-click to export")):
            setup(plot, name, accessible, tip)
            plain_numbers(plot)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = ColorBar(colorMap="viridis", interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.contours = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(255, 255, 255, 110, width=1))
        self.path_shadow = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 140, width=3.5))  # keeps the path visible on
        self.path_line = pg.PlotDataItem(pen=pg.mkPen("w", width=1.6))  # light and dark colours alike
        self.path_dots = pg.ScatterPlotItem(size=5, brush=pg.mkBrush("w"), pen=pg.mkPen(0, 0, 0, 160))
        self.start_marker = pg.ScatterPlotItem(symbol="s", size=11, brush=pg.mkBrush("w"), pen=pg.mkPen("k"))
        self.current_marker = pg.ScatterPlotItem(size=14, brush=pg.mkBrush(*CURRENT), pen=pg.mkPen("w", width=2))
        for item in (self.contours, self.path_shadow, self.path_line, self.path_dots, self.start_marker,
                     self.current_marker):
            self.plot.addItem(item)
        self.cut_plot.setLabel("left", "loss")
        light_grid(self.cut_plot)
        self.cut_curve = self.cut_plot.plot(pen=pg.mkPen((38, 110, 200), width=2))
        self.cut_path = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(230, 120, 20, 200), pen=None)
        self.cut_start = pg.ScatterPlotItem(symbol="s", size=11, brush=pg.mkBrush("w"), pen=pg.mkPen("k"))
        self.cut_current = pg.ScatterPlotItem(size=14, brush=pg.mkBrush(*CURRENT), pen=pg.mkPen("w", width=2))
        for item in (self.cut_path, self.cut_start, self.cut_current):
            self.cut_plot.addItem(item)
        self.legend = QLabel("")
        self.legend.setObjectName("surfaceLegend")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.cut_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.legend)
        layout.addWidget(self.stack, 1)
        self._cut_xy: tuple[np.ndarray, np.ndarray] | None = None
        self._boxes: dict[object, Box] = {}  # per plot: what may be drawn on it (a few times its range)

    def plots(self) -> tuple[pg.PlotWidget, pg.PlotWidget]:
        return self.plot, self.cut_plot

    def clear(self) -> None:
        self.image.clear()
        self._cut_xy = None
        self._boxes = {}
        for item in (self.contours, self.path_shadow, self.path_line, self.cut_curve, self.path_dots,
                     self.start_marker, self.current_marker, self.cut_path, self.cut_start, self.cut_current):
            item.setData([], [])
        self.legend.setText("")

    def show_grid(self, plan: SlicePlan, Z: np.ndarray, log: bool) -> str:
        """Draw the heatmap and contours of Z over the plan's grid; returns a problem to report, or ""."""
        alphas, betas = plan.alphas + plan.origin[0], plan.betas + plan.origin[1]
        V = colour_values(Z, log)
        scale = colour_range(V, log)
        if scale is None:
            return "The loss is not finite anywhere on this slice."
        lo, hi, clipped = scale
        self.stack.setCurrentWidget(self.plot)
        self.image.setImage(np.where(np.isposinf(V), hi, V), autoLevels=False, levels=(lo, hi))
        da, db = plan.alphas[1] - plan.alphas[0], plan.betas[1] - plan.betas[0]
        x0, y0 = alphas[0] - da / 2, betas[0] - db / 2  # each value fills the cell centred on its grid point
        self.image.setRect(x0, y0, da * len(alphas), db * len(betas))
        self.colorbar.setLevels((lo, hi))
        self.colorbar.axis.setLabel("log₁₀ loss" if log else "loss (top 2% clipped)" if clipped else "loss")
        segments = [contour_segments(V, alphas, betas, level) for level in contour_levels(lo, hi, CONTOURS)]
        self.contours.setData(*segments_to_xy(np.concatenate(segments) if segments else np.zeros((0, 2, 2))))
        self.plot.setLabel("bottom", plan.labels[0])
        self.plot.setLabel("left", plan.labels[1])
        x_range, y_range = (x0, x0 + da * len(alphas)), (y0, y0 + db * len(betas))
        self.plot.setRange(xRange=x_range, yRange=y_range, padding=0)
        self._boxes[self.plot] = box_around(x_range, y_range)
        self.legend.setText(LEGEND.format(path="<b>&#8212;&#8226;&#8212;</b> path of gradient descent"))
        return ""

    def show_cut(self, plan: SlicePlan, Z: np.ndarray) -> None:
        """Draw the loss along the first axis (linear: the T5 parabola should look like one)."""
        alphas = plan.alphas + plan.origin[0]
        self.stack.setCurrentWidget(self.cut_plot)
        self._cut_xy = (alphas, np.where(np.isfinite(Z), Z, np.nan))
        # the range of the finite losses (and of the grid), set here: the path's far points must not stretch it
        x_range, y_range = sane_range(alphas), sane_range(Z)
        self.cut_plot.disableAutoRange()
        self.cut_plot.setRange(xRange=x_range, yRange=y_range, padding=0.04)
        box = self._boxes[self.cut_plot] = box_around(x_range, y_range)
        x, y, connect = bounded_line(alphas, Z, box, clip=True)
        self.cut_curve.setData(x, y, connect=connect, skipFiniteCheck=True)
        self.cut_plot.setLabel("bottom", plan.labels[0])
        name = plan.labels[0].split(" (")[0]
        self.legend.setText(LEGEND.format(path=f"<span style='color:rgb(230,120,20); font-size:large'>&#9679;"
                                               f"</span> steps of the path, placed on the curve at their {name}"))

    def show_path(self, pts: np.ndarray) -> int | None:
        """The path (display coordinates, first row the start, last the current weights). Only what lies inside the
        plot's box is drawn; returns the position of the first point that left it (None when none did)."""
        if not len(pts):
            return None
        if self.stack.currentWidget() is self.cut_plot:
            if self._cut_xy is None or not np.isfinite(self._cut_xy[1]).any():
                return None
            box = self._boxes[self.cut_plot]
            alphas, curve = self._cut_xy
            with np.errstate(invalid="ignore"):
                on_curve = np.interp(pts[:, 0], alphas, np.where(np.isnan(curve), np.nanmax(curve), curve))
            on_curve = np.where(np.isfinite(pts[:, 0]), on_curve, np.nan)
            shown = inside(pts[:, 0], on_curve, box)
            self.cut_path.setData(*thin(pts[shown, 0], on_curve[shown]))
            self._marker(self.cut_start, pts[0, 0], on_curve[0], box)
            self._marker(self.cut_current, pts[-1, 0], on_curve[-1], box)
            return first_outside(pts[:, 0], on_curve, box)
        box = self._boxes.get(self.plot)
        if box is None:
            return None
        x, y = thin(pts[:, 0], pts[:, 1])
        lx, ly, connect = bounded_line(x, y, box, clip=True)
        self.path_shadow.setData(lx, ly, connect=connect, skipFiniteCheck=True)
        self.path_line.setData(lx, ly, connect=connect, skipFiniteCheck=True)
        dots = np.unique(np.linspace(0, len(pts) - 1, min(len(pts), PATH_DOTS)).astype(int))
        shown = dots[inside(pts[dots, 0], pts[dots, 1], box)]
        self.path_dots.setData(pts[shown, 0], pts[shown, 1])
        self._marker(self.start_marker, pts[0, 0], pts[0, 1], box)
        self._marker(self.current_marker, pts[-1, 0], pts[-1, 1], box)
        return first_outside(pts[:, 0], pts[:, 1], box)

    @staticmethod
    def _marker(item, x: float, y: float, box: Box) -> None:
        """One marker at (x, y), or none when that point is off the plot."""
        if inside([x], [y], box)[0]:
            item.setData([x], [y])
        else:
            item.setData([], [])

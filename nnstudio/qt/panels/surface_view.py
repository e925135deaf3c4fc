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
from nnstudio.qt.panels.thinning import sorted_unique, thin
from nnstudio.qt.panels.contours import GridPicture, colour_range, colour_values  # noqa: F401 (also read here)
from nnstudio.qt.panels.surface_job import SlicePlan
from nnstudio.qt.widgets import setup

CURRENT = (220, 30, 30)
PATH_DOTS = 60
LEGEND = ("<span style='font-size:large'>&#9633;</span> start &nbsp;&nbsp; {path} &nbsp;&nbsp; "
          "<span style='color:rgb(220,30,30); font-size:large'>&#9679;</span> current weights")


class SurfaceView(QWidget):
    def __init__(self, parent: QWidget | None = None, later: bool = False):
        """With ``later`` the plots are not made yet: the caller runs ``parts()`` (a generator, a plot per part)."""
        super().__init__(parent)
        self._cut_xy: tuple[np.ndarray, np.ndarray] | None = None
        self._kept: list = []  # (line, dots, cut dots) per kept run drawn
        self._kept_points: list[np.ndarray] = []
        self._extra_legend = ""  # the kept runs' and the minimum's entries, after the path's
        self._boxes: dict[object, Box] = {}  # per plot: what may be drawn on it (a few times its range)
        if not later:
            for _ in self.parts():
                pass

    def parts(self):
        self.plot = pg.PlotWidget(background="w", enableMenu=False)  # (its menu goes: see Panel.adopt_plot)
        yield
        self.cut_plot = pg.PlotWidget(background="w", enableMenu=False)
        yield
        for plot, name, accessible, tip in (
                (self.plot, "surfacePlot", "Loss surface plot",
                 "The loss over the slice (dark is low); drag to pan, scroll to zoom, right-click to export"),
                (self.cut_plot, "surfaceCutPlot", "Loss along one axis",
                 "The loss along the horizontal axis only; drag to pan, scroll to zoom, right-click to export")):
            setup(plot, name, accessible, tip)
            plain_numbers(plot)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        yield
        self.colorbar = ColorBar(colorMap="viridis", interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        yield
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
        self.minimum_marker = pg.ScatterPlotItem(symbol="star", size=16, brush=pg.mkBrush(255, 215, 0),
                                                 pen=pg.mkPen("k", width=1))
        self.minimum_marker.setZValue(6)
        self.plot.addItem(self.minimum_marker)
        self.legend = QLabel("")
        self.legend.setObjectName("surfaceLegend")
        self.legend.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.cut_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.legend)
        layout.addWidget(self.stack, 1)

    def show_minimum(self, point) -> None:
        """A star at the lowest loss (display coordinates), when it is known and on the slice; None: none."""
        box = self._boxes.get(self.plot)
        if point is None or box is None or self.stack.currentWidget() is not self.plot:
            self.minimum_marker.setData([], [])
            return
        self._marker(self.minimum_marker, float(point[0]), float(point[1]), box)

    def set_extra_legend(self, html: str) -> None:
        """Entries after the start, path and current weights (kept runs, the minimum)."""
        if html != self._extra_legend:
            base = self.legend.text()[:len(self.legend.text()) - len(self._extra_legend)]
            self._extra_legend = html
            self.legend.setText(base + html)

    def show_kept_paths(self, paths: list) -> None:
        """Draw kept runs' paths ((display coordinates, colour) each) on the slice, or on the cut's curve."""
        while len(self._kept) < len(paths):
            line, dots = pg.PlotDataItem(), pg.ScatterPlotItem(size=5)
            cut = pg.ScatterPlotItem(size=6)
            self.plot.addItem(line)
            self.plot.addItem(dots)
            self.cut_plot.addItem(cut)
            for item in (line, dots, cut):
                item.setZValue(5)
            self._kept.append((line, dots, cut))
        self._kept_points = []
        for k, (line, dots, cut) in enumerate(self._kept):
            if k >= len(paths):
                for item in (line, dots, cut):
                    item.setData([], [])
                continue
            pts, colour = paths[k]
            self._kept_points.append(pts)
            line.setPen(pg.mkPen(colour, width=1.6))
            dots.setBrush(pg.mkBrush(colour))
            dots.setPen(pg.mkPen("w", width=0.5))
            cut.setBrush(pg.mkBrush(*colour, 200))
            cut.setPen(None)
            if self.stack.currentWidget() is self.cut_plot and self._cut_xy is not None:
                line.setData([], [])
                dots.setData([], [])
                alphas, curve = self._cut_xy
                box = self._boxes.get(self.cut_plot)
                if box is None or not np.isfinite(curve).any():
                    cut.setData([], [])
                    continue
                with np.errstate(invalid="ignore"):
                    on_curve = np.interp(pts[:, 0], alphas, np.where(np.isnan(curve), np.nanmax(curve), curve))
                shown = inside(pts[:, 0], on_curve, box)
                cut.setData(*thin(pts[shown, 0], on_curve[shown]))
                continue
            cut.setData([], [])
            box = self._boxes.get(self.plot)
            if box is None:
                line.setData([], [])
                dots.setData([], [])
                continue
            x, y = thin(pts[:, 0], pts[:, 1])
            lx, ly, connect = bounded_line(x, y, box, clip=True)
            line.setData(lx, ly, connect=connect, skipFiniteCheck=True)
            shown = inside(x, y, box)
            dots.setData(x[shown], y[shown])

    def kept_points(self) -> list[np.ndarray]:
        return [p.copy() for p in self._kept_points]

    def plots(self) -> tuple[pg.PlotWidget, pg.PlotWidget]:
        return self.plot, self.cut_plot

    def clear(self) -> None:
        self.image.clear()
        self._cut_xy = None
        self._boxes = {}
        for item in (self.contours, self.path_shadow, self.path_line, self.cut_curve, self.path_dots,
                     self.start_marker, self.current_marker, self.cut_path, self.cut_start, self.cut_current):
            item.setData([], [])
        self._extra_legend = ""
        self.legend.setText("")
        self.show_kept_paths([])
        self.minimum_marker.setData([], [])

    def show_grid(self, plan: SlicePlan, picture: GridPicture | None, log: bool) -> str:
        """Draw a heatmap with its contours (``contours.grid_picture`` of the plan's grid, worked out off this
        thread) over the plan's grid; returns a problem to report, or ""."""
        alphas, betas = plan.alphas + plan.origin[0], plan.betas + plan.origin[1]
        if picture is None:
            return "The loss is not finite anywhere on this slice."
        lo, hi, clipped = picture.lo, picture.hi, picture.clipped
        self.stack.setCurrentWidget(self.plot)
        self.image.setImage(picture.values, autoLevels=False, levels=(lo, hi))
        da, db = plan.alphas[1] - plan.alphas[0], plan.betas[1] - plan.betas[0]
        x0, y0 = alphas[0] - da / 2, betas[0] - db / 2  # each value fills the cell centred on its grid point
        self.image.setRect(x0, y0, da * len(alphas), db * len(betas))
        self.colorbar.setLevels((lo, hi))
        self.colorbar.axis.setLabel("log₁₀ loss" if log else "loss (top 2% clipped)" if clipped else "loss")
        self.contours.setData(picture.contour_x, picture.contour_y)
        self.plot.setLabel("bottom", plan.labels[0])
        self.plot.setLabel("left", plan.labels[1])
        x_range, y_range = (x0, x0 + da * len(alphas)), (y0, y0 + db * len(betas))
        self.plot.setRange(xRange=x_range, yRange=y_range, padding=0)
        self._boxes[self.plot] = box_around(x_range, y_range)
        self.legend.setText(LEGEND.format(path="<b>&#8212;&#8226;&#8212;</b> path of gradient descent")
                            + self._extra_legend)
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
                                               f"</span> steps of the path, placed on the curve at their {name}")
                            + self._extra_legend)

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
        dots = sorted_unique(np.linspace(0, len(pts) - 1, min(len(pts), PATH_DOTS)).astype(int))
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

"""Kept runs on the curves panel: each run kept for comparison (qt.runs_keeper) drawn beside the current one in its
own colour, on the same axes: its loss per update, its training metric per epoch and (thin, dashed) its per-row
errors, with a legend naming what differs from the current settings. Only runs on the same data are drawn."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from nnstudio.qt.panels.thinning import thin

PREFIX = "kept"


def kept_runs(panel) -> list:
    keeper = panel.context.runs
    return keeper.comparable(panel.context.experiment) if keeper is not None else []


def draw(panel, log_x: bool, log_y: bool, shift: int, show_errors: bool) -> None:
    """Draw every comparable kept run (and clear the curves of runs no longer kept)."""
    keeper = panel.context.runs
    shown = kept_runs(panel)
    for i, run in enumerate(shown):
        colour = keeper.colour(run)
        pen = pg.mkPen(colour, width=1.5)
        ux, uy = thin(run.update_x, run.update_loss, log=log_x, shift=shift)
        panel._draw(panel.loss_area, f"{PREFIX}{i}", f"{run.name} loss per update", ux, uy, uy, shift, pen, log_y)
        ex, ev = run.epoch_x, run.epoch_values
        mx, my = thin(ex, ev[:, 1], log=log_x, shift=shift) if len(ex) else (ex, ex[:0].astype(float))
        panel._draw(panel.metric_area, f"{PREFIX}{i}", f"{run.name} train metric per epoch", mx, my, my, shift, pen,
                    False, len(ex) <= 50)
        if show_errors and run.error_values.ndim == 2 and run.error_values.shape[1]:
            dashed = pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine)
            for k in range(run.error_values.shape[1]):
                x, v = thin(run.error_x, run.error_values[:, k], log=log_x, shift=shift)
                panel._draw(panel.errors_area, f"{PREFIX}{i}row{k}", f"{run.name} error row {k + 1}", x, v,
                            np.abs(v) if log_y else v, shift, dashed, log_y)
    for area in (panel.loss_area, panel.metric_area, panel.errors_area):  # runs no longer kept (or not shown)
        for key in [k for k in area.curves if k.startswith(PREFIX)]:
            number = int(key[len(PREFIX):].split("row")[0])
            if number >= len(shown) or (area is panel.errors_area and not show_errors):
                area.curves[key].setData([], [])
                area.drawn.pop(key, None)
                area.given.pop(key, None)


def legend(panel, entry) -> str:
    """Legend entries of the kept runs drawn (``entry(colour, text)`` makes one)."""
    keeper = panel.context.runs
    shown = kept_runs(panel)
    return "".join(" &nbsp; " + entry(keeper.colour(run), keeper.legend(run, panel.context.experiment))
                   for run in shown)

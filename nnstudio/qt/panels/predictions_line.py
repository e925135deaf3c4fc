"""The predictions panel for a numeric target: the network's fitted line against the data and the least-squares line
(one feature), or the network's answer against the true value (several features).

The plot's range comes from the data (and from the network's answers only where they lie near it): a network that
diverged answers 1e40 or NaN, which would shrink the data to a line and hand Qt coordinates it cannot draw. What lies
outside the plot's box is clipped or left out, and the note says so."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from nnstudio.data.builtin import closed_form_line
from nnstudio.numbers import count, fmt
from nnstudio.qt.panels.bounds import Box, bounded_line, box_around, inside, sane_range
from nnstudio.qt.panels.colormaps import class_colour, light_grid
from nnstudio.qt.panels.thinning import shown_note, shown_split
from nnstudio.training.trainer import Snapshot

ORANGE, BLUE = class_colour(0), class_colour(1)  # the least-squares line and the network's
GREY = (90, 90, 90)


def key(symbol: str, rgb, text: str) -> str:
    """One legend entry as rich text: a coloured symbol and its words."""
    return f"<span style='color:rgb{tuple(rgb)}; font-size:large'>{symbol}</span> {text}"


def equation(m: float, b: float) -> str:
    return f"{fmt(m)}·x {'−' if b < 0 else '+'} {fmt(abs(b))}"


class LineView:
    """The items of the line plot (made once) and how they are drawn. ``draw_*`` return what the panel shows
    around the plot: (legend, note, fitted line or None, CSV table or a function that makes it)."""

    def __init__(self, plot: pg.PlotWidget):
        self.plot = plot
        self.data_train = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(*GREY, 170), pen=pg.mkPen("w"))
        self.data_test = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(None), pen=pg.mkPen(*GREY, width=1.5))
        self.fit_curve = pg.PlotDataItem(pen=pg.mkPen(BLUE, width=3))
        self.ls_curve = pg.PlotDataItem(pen=pg.mkPen(ORANGE, width=2, style=pg.QtCore.Qt.PenStyle.DashLine))
        for item in (self.data_train, self.data_test, self.fit_curve, self.ls_curve):
            plot.addItem(item)
        light_grid(plot)
        self.kind = ""
        self.points_note = ""  # how many of the table's points are drawn, when not all
        self.least_squares: tuple[float, float] | None = None
        self.box: Box = (0.0, 1.0, 0.0, 1.0)

    def setup(self, ds, kind: str) -> None:
        """For a new dataset: the data points of a one-feature table, the axis titles."""
        self.kind = kind
        line = kind == "line"
        target = ds.target_names[0] if ds.target_names else "target"
        n_test = len(ds.X_test) if ds.has_test else 0
        train, test = shown_split(ds.n_samples, n_test)  # all the points, or a fixed sample of a big table
        self.data_train.setData(*((ds.X[train, 0], ds.y[train, 0]) if line else ([], [])))
        self.data_test.setData(*((ds.X_test[test, 0], ds.y_test[test, 0]) if line and n_test else ([], [])))
        self.points_note = shown_note(len(train) + len(test), ds.n_samples + n_test) if line else ""
        self.fit_curve.setData([], [])
        self.ls_curve.setData([], [])
        self.least_squares = closed_form_line(ds) if line else None
        self.plot.setLabel("bottom", ds.feature_names[0] if line else f"true {target}")
        self.plot.setLabel("left", target if line else f"network's {target}")
        self.plot.setTitle("")

    def draw_line(self, snap: Snapshot, ds):
        X_all = ds.X[:, 0] if not ds.has_test else np.r_[ds.X[:, 0], ds.X_test[:, 0]]
        lo, hi = float(X_all.min()), float(X_all.max())
        pad = 0.05 * (hi - lo) if hi > lo else 0.5
        x = np.linspace(lo - pad, hi + pad, 200)
        y_net = snap.predict(x[:, None])[:, 0]
        m, b = self.least_squares
        y_ls = m * x + b
        y_all = ds.y[:, 0] if not ds.has_test else np.r_[ds.y[:, 0], ds.y_test[:, 0]]
        off = self._frame((x[0], x[-1]), [y_all, y_ls], y_net)
        self._set_line(self.fit_curve, x, y_net)
        self._set_line(self.ls_curve, x, y_ls)
        network = "network"
        if all(spec.activation == "identity" for spec in snap.layers):  # a straight line: say which
            at0, at1 = snap.predict(np.array([[0.0], [1.0]]))[:, 0]
            network = f"network: y = {equation(at1 - at0, at0)}"
        keys = [key("&#9679;", GREY, "training rows")]
        if ds.has_test:
            keys.append(key("&#9675;", GREY, "test rows"))
        keys += [key("<b>&#8212;&#8212;</b>", BLUE, network),
                 key("<b>- - -</b>", ORANGE, f"least squares: y = {equation(m, b)}")]
        note = ("The network's output over the range of the data, against the least-squares line (the best straight "
                "line, solved in closed form)." + off_note(off, y_net, "line")
                + (f" Points: {self.points_note}." if self.points_note else ""))
        table = ([ds.feature_names[0], "network", "least squares"],
                 [[float(a), float(c), float(d)] for a, c, d in zip(x, y_net, y_ls)])
        return " &nbsp; ".join(keys), note, (x, y_net, y_ls), table

    def draw_scatter(self, out, y, rows: str):
        predicted = np.asarray(out, dtype=np.float64)[:, 0]
        true = np.asarray(y, dtype=np.float64).reshape(len(y), -1)[:, 0]
        lo, hi = sane_range(true)
        off = self._frame((lo, hi), [true], predicted)
        shown = inside(true, predicted, self.box)
        self.data_train.setData(true[shown], predicted[shown])
        self.ls_curve.setData([lo, hi], [lo, hi])
        legend = " &nbsp; ".join([key("&#9679;", GREY, "training rows"),
                                  key("<b>- - -</b>", ORANGE, "perfect answers (network = true)")])
        note = (f"Each of {rows}: the network's answer against the true value (first target)."
                + off_note(off, predicted, "answers"))
        # the table is made when asked for (a CSV export): thousands of rows
        return legend, note, None, lambda: (["true", "network"],
                                            [[float(a), float(c)] for a, c in zip(true, predicted)])

    def _frame(self, x_range, data, answers) -> int:
        """Set the plot's range from the data (and the network's answers where they lie near it); returns how many
        answers fall outside the box the plot may draw in."""
        y_range = sane_range(np.concatenate([np.ravel(d) for d in data]))
        answers = np.asarray(answers, dtype=np.float64)
        at = np.full(answers.shape, float(x_range[0]))
        near = answers[inside(at, answers, box_around(x_range, y_range))]
        y_range = sane_range(np.r_[list(y_range), near])
        self.plot.disableAutoRange()
        self.plot.setRange(xRange=x_range, yRange=y_range, padding=0.05)
        self.box = box_around(x_range, y_range)
        return int((~inside(at, answers, self.box)).sum())

    def _set_line(self, item, x, y) -> None:
        lx, ly, connect = bounded_line(x, y, self.box, clip=True)
        item.setData(lx, ly, connect=connect, skipFiniteCheck=True)


def off_note(off: int, answers, what: str) -> str:
    """" The network's line leaves the plot (its outputs reach 1.2e+42) ..." when some answers are off it."""
    if not off:
        return ""
    finite = np.asarray(answers, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    reach = fmt(finite[np.argmax(np.abs(finite))]) if finite.size else "nan"
    if what == "line" and off == len(finite) == np.size(answers):
        return f" The network's line lies off the plot (its outputs reach {reach})."
    if what == "line":
        return f" The network's line leaves the plot (its outputs reach {reach}): it is drawn as far as it goes."
    return f" {count(off)} of the network's answers lie off the plot (they reach {reach}) and are not drawn."

"""The data dock's scatter plot: the points of a 2-D dataset coloured by class (the one class palette,
``colormaps.class_colour``, shared with the decision surface and the confusion matrix), test points as rings, rows left
out drawn faint. Points that are not finite or beyond ±LIMIT (an imported table can hold 1e300) are not handed to Qt;
the tooltip counts them. A set of more than ``SHOWN_POINTS`` points is drawn as a fixed random sample of that many
(``thinning.shown_rows``, the sample the decision surface draws too), and a line under the plot says so."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from nnstudio.data.dataset import Dataset
from nnstudio.numbers import count
from nnstudio.qt.panels.bounds import sane
from nnstudio.qt.panels.colormaps import class_colour, plain_numbers
from nnstudio.qt.panels.thinning import SHOWN_POINTS, shown_note, shown_split

MAX_POINTS = SHOWN_POINTS  # bigger sets are drawn as a fixed random sample (100,000 dots froze the window 2 s)
SCATTER_TIP = "Each training point coloured by its class; rings are test points, faint dots are rows left out."


class DataScatter(pg.PlotWidget):
    """A two-feature classification set: filled dots for training points, rings for test points, faint dots for
    rows left out; one colour per class."""

    def __init__(self, parent=None):
        palette = QApplication.palette()
        super().__init__(parent, background=palette.color(QPalette.ColorRole.Base), enableMenu=False)
        self.scene().contextMenu[0].setObjectName("scatterExportAction")  # pyqtgraph's own image export
        self._text = palette.color(QPalette.ColorRole.Text)
        for side in ("left", "bottom"):
            axis = self.getAxis(side)
            axis.setPen(self._text)
            axis.setTextPen(self._text)
        plain_numbers(self)
        self.getPlotItem().hideButtons()
        plot = self.getPlotItem()
        plot.getViewBox().setDefaultPadding(0.06)
        # the legend sits in one row above the plot (where a title would go), so it never hides points
        self.legend = pg.LegendItem(colCount=4, labelTextColor=self._text, horSpacing=14, verSpacing=-8)
        plot.layout.removeItem(plot.titleLabel)
        plot.titleLabel.hide()
        plot.layout.addItem(self.legend, 0, 1)
        plot.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignHCenter)
        self._classes: tuple[str, ...] = ()
        self.shown, self.total = 0, 0  # points drawn, points in the set
        self.note = pg.LabelItem("", size="8pt", color=self._text.name(), justify="right")
        plot.layout.addItem(self.note, 4, 1)  # under the bottom axis: empty unless a sample is drawn
        self.note.setMaximumHeight(0)
        self.train_items: list[pg.ScatterPlotItem] = []
        self.test_items: list[pg.ScatterPlotItem] = []
        self.left_out_items: list[pg.ScatterPlotItem] = []
        self._test_key = pg.ScatterPlotItem(size=7, pen=pg.mkPen(self._text, width=1.2), brush=None)
        faint = pg.mkColor(self._text)
        faint.setAlpha(50)
        self._left_out_key = pg.ScatterPlotItem(size=7, pen=pg.mkPen(faint), brush=pg.mkBrush(faint))

    def sizeHint(self) -> QSize:
        return QSize(320, 260)

    def _build(self, classes: tuple[str, ...]) -> None:
        """Items for each class, made once per set of class names (setData refreshes them afterwards)."""
        for item in self.train_items + self.test_items + self.left_out_items:
            self.removeItem(item)
        self.legend.clear()
        for key in (self._test_key, self._left_out_key):
            if key.scene() is not None:
                self.removeItem(key)
        self.train_items, self.test_items, self.left_out_items = [], [], []
        for i, name in enumerate(classes):
            c = pg.mkColor(class_colour(i))
            faint = pg.mkColor(c)
            faint.setAlpha(45)
            label = f"class {name}" if name.lstrip("-").replace(".", "", 1).isdigit() else name
            left = pg.ScatterPlotItem(size=7, pen=pg.mkPen(faint), brush=pg.mkBrush(faint))
            test = pg.ScatterPlotItem(size=7, pen=pg.mkPen(c, width=1.5), brush=None)
            train = pg.ScatterPlotItem(size=7, pen=pg.mkPen(c.darker(130)), brush=pg.mkBrush(c))
            for item, bucket in ((left, self.left_out_items), (test, self.test_items), (train, self.train_items)):
                self.addItem(item)
                bucket.append(item)
            self.legend.addItem(train, label)
        self._classes = classes

    def show_dataset(self, ds: Dataset, excluded) -> None:
        if ds.class_names != self._classes:
            self._build(ds.class_names)
        used = np.ones(ds.n_samples, dtype=bool)
        used[[r for r in excluded if 0 <= r < ds.n_samples]] = False
        X_test = ds.X_test if ds.has_test else np.empty((0, 2))
        y_test = ds.y_test if ds.has_test else np.empty(0, dtype=np.int64)
        n = ds.n_samples + len(X_test)
        size = 7 if n <= 2000 else 4
        train_rows, test_rows = shown_split(ds.n_samples, len(X_test), MAX_POINTS)  # all, or a fixed sample
        shown, shown_test = np.zeros(ds.n_samples, dtype=bool), np.zeros(len(X_test), dtype=bool)
        shown[train_rows], shown_test[test_rows] = True, True
        self.shown, self.total = len(train_rows) + len(test_rows), n
        drawable = sane(ds.X[:, 0]) & sane(ds.X[:, 1])
        drawable_test = sane(X_test[:, 0]) & sane(X_test[:, 1])
        for k in range(len(self._classes)):
            mine = (ds.y == k) & drawable & shown
            for item, X, rows in ((self.train_items[k], ds.X, mine & used),
                                  (self.left_out_items[k], ds.X, mine & ~used),
                                  (self.test_items[k], X_test, (y_test == k) & drawable_test & shown_test)):
                if item.opts["size"] != size:
                    item.setSize(size)
                rows = np.flatnonzero(rows)
                item.setData(x=X[rows, 0], y=X[rows, 1])
        self._key_item(self._test_key, "test (ring)", ds.has_test)
        self._key_item(self._left_out_key, "left out", not used.all())
        self.setLabel("bottom", ds.feature_names[0], color=self._text.name())
        self.setLabel("left", ds.feature_names[1], color=self._text.name())
        self.enableAutoRange()
        sampled = self.sample_note()
        self.note.setText(sampled)
        self.note.setVisible(bool(sampled))
        self.note.setMaximumHeight(1e6 if sampled else 0)  # no room taken when every point is drawn
        hidden = int((~drawable).sum() + (~drawable_test).sum())
        off = f" {count(hidden)} point{'s' if hidden != 1 else ''} too large to draw." if hidden else ""
        self.setToolTip(SCATTER_TIP + (f" {sampled}." if sampled else "") + off)

    def sample_note(self) -> str:
        """"5,000 of 100,000 points shown (a fixed random sample)", or "" when every point is drawn."""
        return shown_note(self.shown, self.total)

    def _key_item(self, item, label: str, show: bool) -> None:
        """An extra legend entry (an empty item) shown only when it means something."""
        if show and item.scene() is None:
            self.addItem(item)
            self.legend.addItem(item, label)
        elif not show and item.scene() is not None:
            self.legend.removeItem(item)
            self.removeItem(item)

    def point_counts(self) -> dict[str, int]:
        """How many points each kind of item holds (for tests and for the curious)."""
        count = lambda items: sum(len(item.data) for item in items)  # noqa: E731
        return {"train": count(self.train_items), "left_out": count(self.left_out_items),
                "test": count(self.test_items)}

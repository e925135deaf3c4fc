"""Loss and accuracy (or R²) curves: loss per update, train/test loss and metric per epoch."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from nnstudio.training.trainer import Snapshot

MAX_POINTS = 2000


def thin(x: np.ndarray, y: np.ndarray, n: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Every k-th point so that at most about n remain (the last point always kept)."""
    if len(x) <= n:
        return x, y
    idx = np.unique(np.r_[np.arange(0, len(x), int(np.ceil(len(x) / n))), len(x) - 1])
    return x[idx], y[idx]


class CurvesPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("curvesPanel")
        pg.setConfigOptions(antialias=True)
        self.loss_plot = pg.PlotWidget(background="w")
        self.loss_plot.setObjectName("lossPlot")
        self.loss_plot.setAccessibleName("Loss curve")
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.setLabel("bottom", "update")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.showGrid(x=True, y=True, alpha=0.2)
        self.update_curve = self.loss_plot.plot(pen=pg.mkPen((38, 110, 200), width=1.5), name="per update")
        self.metric_plot = pg.PlotWidget(background="w")
        self.metric_plot.setObjectName("metricPlot")
        self.metric_plot.setAccessibleName("Accuracy curve")
        self.metric_plot.setLabel("bottom", "epoch")
        self.metric_plot.addLegend(offset=(-10, 10))
        self.metric_plot.showGrid(x=True, y=True, alpha=0.2)
        self.train_metric = self.metric_plot.plot(pen=pg.mkPen((38, 110, 200), width=2), name="train")
        self.test_metric = self.metric_plot.plot(pen=pg.mkPen((230, 120, 20), width=2, style=pg.QtCore.Qt.DashLine),
                                                 name="test")
        self.log_check = QCheckBox("log loss")
        self.log_check.setObjectName("logLossCheck")
        self.log_check.setAccessibleName("Logarithmic loss axis")
        self.log_check.setToolTip("Show the loss on a logarithmic axis (slow late progress becomes visible)")
        self.log_check.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.log_check)
        for plot in (self.loss_plot, self.metric_plot):
            plot.scene().contextMenu[0].setObjectName(f"{plot.objectName()}ExportAction")
            for side in ("left", "bottom"):  # "loss (x0.001)" confuses; plain numbers read better
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.setRange(xRange=(0, 10), yRange=(0, 1), padding=0.02)  # a tidy frame before any data
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.metric_plot, 2)

    def set_snapshot(self, snap: Snapshot) -> None:
        if len(snap.update_x) or len(snap.epoch_x) > 1:
            for plot in (self.loss_plot, self.metric_plot):
                if not plot.getViewBox().autoRangeEnabled()[0]:
                    plot.enableAutoRange()  # the tidy empty frame gives way to the data
        x, y = thin(snap.update_x.astype(np.float64), snap.update_loss)
        if self.log_check.isChecked():
            keep = y > 0
            x, y = x[keep], y[keep]
        self.update_curve.setData(x, y, skipFiniteCheck=True)
        self.metric_plot.setLabel("left", snap.metric_name)
        ex = snap.epoch_x.astype(np.float64)
        ev = snap.epoch_values
        tx, ty = thin(ex, ev[:, 1]) if len(ex) else (ex, ex)
        self.train_metric.setData(tx, ty)
        if len(ex) and np.isfinite(ev[:, 3]).any():
            self.test_metric.setData(*thin(ex, ev[:, 3]))
        else:
            self.test_metric.setData([], [])


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    from nnstudio.training import Trainer, presets

    app = QApplication([])
    t = Trainer(presets.get("perceptron-50k"))
    t.run()
    panel = CurvesPanel()
    panel.set_snapshot(t.snapshot())
    panel.resize(500, 500)
    panel.show()
    app.exec()

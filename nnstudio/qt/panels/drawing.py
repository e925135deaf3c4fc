"""The drawing pad: draw a digit with the mouse and watch the network's answer change as you draw.

What is drawn is prepared as MNIST's digits were (``nnstudio.data.digit_prep``: fitted into a 20x20 box keeping its
aspect ratio, centred by its centre of mass in 28x28; for other image sizes the same proportions) and shown beside the
canvas as the network sees it; the bars give each class's probability, in the class colours the other views use.
The answer follows the network as it trains. For data that is not pictures sorted into classes the pad says what it
is for and stays empty."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout

from nnstudio.data.digit_prep import ink_box, prepare_digit
from nnstudio.numbers import percent
from nnstudio.qt.panels.base import Panel
from nnstudio.qt.panels.bounds import sane_range
from nnstudio.qt.panels.colormaps import Throttle, class_colour, dark_axes, plain_numbers
from nnstudio.qt.panels.drawing_canvas import DrawingCanvas
from nnstudio.qt.panels.gallery_numbers import levels
from nnstudio.qt.widgets import setup
from nnstudio.training.trainer import Snapshot

PREVIEW_PIXELS = 112  # the prepared picture's longer side on screen
BARS_MIN_HEIGHT = 120  # pixels: the probability axis keeps readable numbers 0 to 1
RATE = 30.0  # answers worked out per second at most while drawing
WHAT_FOR = "The drawing pad is for pictures sorted into classes (such as MNIST): draw one, see what it is taken for."
HINT = "Hold the left button and draw: the network's answer changes as you draw."
QUIET = "color: #555; font-weight: normal;"  # hints and messages, beside the answer's bold


class DrawingPanel(Panel):
    name = "draw"
    title = "Draw"
    description = "Draw a digit and watch the network's answer change as you draw."

    def parts(self):
        self._levels: tuple[float, float] | None = None
        self.prepared: np.ndarray | None = None  # the drawing as the network sees it (uint8), None when blank
        self.outputs: np.ndarray | None = None  # each class's probability for it
        self._throttle = Throttle(self._recompute, RATE, self)
        self._drawn = True  # the ink changed since it was last prepared
        self.canvas = setup(DrawingCanvas(), "drawCanvas", "Drawing canvas",
                            "Hold the left button and draw; white ink on black, as MNIST's digits are stored")
        self.clear_button = setup(QPushButton("Clear"), "drawClearButton", "Clear the drawing",
                                  "Wipe the canvas and start again")
        self.preview = setup(QLabel(), "drawPreview", "The drawing as the network sees it",
                             "Your drawing prepared as MNIST's digits were: fitted into the middle box, centred by "
                             "its weight of ink, at the data's own size")
        self.preview.setFixedSize(PREVIEW_PIXELS + 2, PREVIEW_PIXELS + 2)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: black; border: 1px solid #777;")
        self.preview_caption = QLabel("")
        self.preview_caption.setObjectName("drawPreviewCaption")
        self.preview_caption.setWordWrap(True)
        self.preview_caption.setStyleSheet("color: #555;")
        self.answer = QLabel("")
        self.answer.setObjectName("drawAnswer")
        self.answer.setAccessibleName("The network's answer")
        self.answer.setWordWrap(True)
        font = self.answer.font()
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setBold(True)
        self.answer.setFont(font)
        yield
        self.bars_plot = setup(pg.PlotWidget(background="w", enableMenu=False), "drawBars",
                               "Probability of each class", "How likely the network finds each class for your drawing")
        self._build_bars()
        self.adopt_plot(self.bars_plot)
        # room for the bars and their numbers, taken from the canvas when the panel is short (the canvas draws the
        # largest square that fits: ink_rect)
        self.bars_plot.setMinimumHeight(BARS_MIN_HEIGHT)
        side = QVBoxLayout()
        side.addWidget(self.preview)
        side.addWidget(self.preview_caption)
        side.addWidget(self.clear_button)
        side.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addWidget(self.canvas, 0, 0)
        grid.addLayout(side, 0, 1)
        grid.addWidget(self.answer, 1, 0, 1, 2)
        grid.addWidget(self.bars_plot, 2, 0, 1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(2, 2)
        grid.setColumnStretch(0, 1)
        self.canvas.changed.connect(self._ink_changed)
        self.clear_button.clicked.connect(self.canvas.clear)
        self.context.dataChanged.connect(self._on_data_changed)
        self._on_data_changed()
        yield

    def _build_bars(self) -> None:
        p = self.bars_plot
        dark_axes(p)
        p.setMouseEnabled(False, False)
        p.hideButtons()
        self.horizontal = False  # bars lie down when the class names are words (they would overlap below bars)
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.7, pen=pg.mkPen(None))
        p.addItem(self.bars)

    def _lay_out_bars(self, names: list[str]) -> None:
        p, n = self.bars_plot, len(names)
        self.horizontal = any(len(name) > 2 for name in names)
        classes, values = ("left", "bottom") if self.horizontal else ("bottom", "left")
        p.getViewBox().invertY(self.horizontal)  # the first class on top, as a list reads
        p.getAxis(classes).setTicks([[(k, name) for k, name in enumerate(names)]])
        p.getAxis(values).setTicks(None)
        p.setLabel(classes, "")
        p.setLabel(values, "probability")
        plain_numbers(p, (values,))
        (p.setYRange if self.horizontal else p.setXRange)(-0.6, n - 0.4, padding=0)
        self._value_range((0.0, 1.0))
        self._brushes = [pg.mkBrush(*class_colour(k)) for k in range(n)]
        self._set_bars(np.zeros(n))

    def _value_range(self, span) -> None:
        (self.bars_plot.setXRange if self.horizontal else self.bars_plot.setYRange)(*span, padding=0.02)

    def _set_bars(self, values: np.ndarray) -> None:
        k = np.arange(len(values))
        if self.horizontal:
            self.bars.setOpts(x=None, x0=0.0, y=k, y0=None, width=values, height=0.7, brushes=self._brushes)
        else:
            self.bars.setOpts(x=k, x0=None, y=None, y0=0.0, height=values, width=0.7, brushes=self._brushes)

    def bar_values(self) -> np.ndarray:
        """The length of each class's bar as drawn."""
        return np.asarray(self.bars.opts["width" if self.horizontal else "height"], dtype=float)

    # -- the data ------------------------------------------------------------------------------------------------------
    def usable(self) -> bool:
        ds = self.context.dataset
        return ds is not None and ds.image_shape is not None and ds.task != "regression"

    def _on_data_changed(self) -> None:
        self.snapshot = None
        self._levels = None
        usable = self.usable()
        for widget in (self.canvas, self.clear_button, self.preview, self.preview_caption, self.bars_plot):
            widget.setVisible(usable)
        if not usable:
            self._say(WHAT_FOR)
            return
        ds = self.context.dataset
        h, w = ds.image_shape
        bh, bw = ink_box((h, w))
        self.preview_caption.setText(f"As the network sees it: fitted into {bh}×{bw}, centred in {h}×{w}")
        self._lay_out_bars(self._class_names())
        self.canvas.set_shape(ds.image_shape)  # (a blank canvas: recomputes, showing the hint)
        self._throttle.flush()

    def _ink_changed(self) -> None:
        self._drawn = True
        self._throttle.request()

    def _class_names(self) -> list[str]:
        ds = self.context.dataset
        return list(ds.class_names)

    # -- snapshots -----------------------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        super().set_snapshot(snap)
        self._throttle.request()

    def draw_pending(self) -> None:
        self._throttle.flush()

    def finish(self) -> None:
        self._throttle.flush()

    def _recompute(self) -> None:
        """Prepare the drawing, and put it through the network on show."""
        if not self.usable():
            return
        ds = self.context.dataset
        if self._drawn:  # (a new snapshot alone does not prepare the same drawing again)
            self._drawn = False
            self.prepared = prepare_digit(self.canvas.ink(), ds.image_shape)
            self._show_preview()
        if self.prepared is None:
            self.outputs = None
            self._show_answer(HINT)
            return
        if self.snapshot is None:
            self.outputs = None
            self._show_answer("The answer appears with the network's first snapshot.")
            return
        if self._levels is None:
            self._levels = levels(ds)  # the data's black and white: MNIST's 0 and 255, or 0 and 1
        lo, hi = self._levels
        raw = lo + self.prepared.reshape(1, -1).astype(np.float64) * ((hi - lo) / 255.0)
        try:
            out = self.snapshot.predict(raw)[0].astype(np.float64)
        except ValueError as e:  # the network and the data disagree for a moment while a change settles
            self.outputs = None
            self._show_answer(str(e))
            return
        self.outputs = np.array([1 - out[0], out[0]]) if ds.task == "binary" else out
        self._show_answer()

    def _show_preview(self) -> None:
        if self.prepared is None:
            self.preview.setPixmap(QPixmap())
            return
        a = np.ascontiguousarray(self.prepared)
        image = QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_Grayscale8).copy()
        zoom = max(1, PREVIEW_PIXELS // max(a.shape))
        self.preview.setPixmap(QPixmap.fromImage(image.scaled(a.shape[1] * zoom, a.shape[0] * zoom)))

    def _show_answer(self, message: str = "") -> None:
        out, names = self.outputs, self._class_names()
        if out is None:
            self._say(message)
            self._set_bars(np.zeros(len(names)))
            return
        finite = np.isfinite(out)
        heights = np.where(finite, np.clip(out, -1e15, 1e15), 0.0)
        self._set_bars(heights)
        lo, hi = sane_range(np.r_[heights, 0.0, 1.0])
        self._value_range((min(lo, 0.0), hi))
        if not finite.all():
            self._say("The network's outputs are not numbers (it diverged): no answer.")
            return
        k = int(np.argmax(out))
        self._say(f"The network says {names[k]} ({percent(out[k])})", answer=True)

    def _say(self, text: str, answer: bool = False) -> None:
        """The answer in bold, anything else (a hint, a message) in plain grey."""
        self.answer.setStyleSheet("" if answer else QUIET)
        self.answer.setText(text)

    # -- what tests and exports read -----------------------------------------------------------------------------------
    def csv_table(self) -> tuple[list[str], list[list]]:
        """Each class with its probability for the drawing on show (none when the canvas is blank)."""
        header = ["class", "probability"]
        if self.outputs is None:
            return header, []
        return header, [[name, float(v)] for name, v in zip(self._class_names(), self.outputs)]


if __name__ == "__main__":
    from nnstudio.qt.panels.base import show_demo

    show_demo(DrawingPanel, "mnist-fast", 1, (520, 640))

"""What the panel tests share: a panel on a trainer's data, random 784-pixel "digits", and a painter that records how
the network's edges are drawn. Imported as ``tests.qt.panel_helpers`` (pytest's importlib mode makes the test folders
importable by that name, from any working directory)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PySide6.QtGui import QImage, QPainter

from nnstudio.data.dataset import Dataset
from nnstudio.qt.panels.base import PanelContext


def panel_on(qtbot, panel_cls, trainer, size, *, show: bool = True, exposed: bool = True):
    """A ``panel_cls`` on a context of its own holding ``trainer``'s data and experiment, resized to ``size`` and
    closed after the test; shown unless ``show`` is false, and then waited for until exposed unless ``exposed`` is
    false. No snapshot is set."""
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = panel_cls(context)
    qtbot.addWidget(panel)
    panel.resize(*size)
    if show:
        panel.show()
        if exposed:
            qtbot.waitExposed(panel)
    return panel


def random_digits(n: int, seed: int = 0) -> Dataset:
    """``n`` rows of 784 random pixels in [0, 1] (multiples of 1/255) with random classes 0-9."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 784)).astype(np.float64)
    y = rng.integers(0, 10, size=n)
    return Dataset(name="random-784", title="random 784-feature data", task="multiclass", X=X / 255.0, y=y,
                   feature_names=tuple(f"p{i}" for i in range(784)), class_names=tuple(str(i) for i in range(10)))


class Batch(NamedTuple):
    """One drawLines call: the pen's width, colour (rgba) and style, how many lines, and whether antialiased."""

    width: float
    colour: int
    style: object
    lines: int
    antialiased: bool

    @property
    def pen(self) -> tuple:
        return self.width, self.colour, self.style


class RecordingPainter:
    """A QPainter on an image (antialiased to start with) that records each batch of edges (``batches``, a Batch
    per drawLines call) and counts the edges drawn on their own (``single``, drawLine calls)."""

    def __init__(self, image: QImage):
        self.image = image  # kept while painted on
        self.p = QPainter(image)
        self.p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.batches: list[Batch] = []
        self.single = 0

    def __getattr__(self, name):
        return getattr(self.p, name)

    def drawLines(self, lines):
        pen = self.p.pen()
        self.batches.append(Batch(pen.widthF(), pen.color().rgba(), pen.style(), len(lines),
                                  self.p.testRenderHint(QPainter.RenderHint.Antialiasing)))
        self.p.drawLines(lines)

    def drawLine(self, *a):
        self.single += 1
        self.p.drawLine(*a)


def paint_recorded(panel) -> RecordingPainter:
    """The network ``panel``'s drawing (not focused) painted on an image of its canvas's size by a RecordingPainter,
    which is returned, its painting ended."""
    from nnstudio.qt.panels.network_paint import paint_network

    painter = RecordingPainter(QImage(panel.canvas.size(), QImage.Format.Format_ARGB32_Premultiplied))
    paint_network(painter, panel, False)
    painter.p.end()
    return painter

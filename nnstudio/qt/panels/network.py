"""The network drawn as nodes and edges: edge colour by sign (blue positive, orange negative), width by magnitude;
node fill by the activation of the first sample of the last batch; each neuron's bias written under it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from nnstudio.core import activations
from nnstudio.training.trainer import Snapshot

POSITIVE = QColor(38, 110, 200)
NEGATIVE = QColor(230, 120, 20)
MAX_DRAWN = 12  # units drawn per layer; wider layers show the first and last few around an ellipsis


def _shown(n: int) -> list[int | None]:
    """Which unit indices to draw for a layer of n (None marks the ellipsis)."""
    if n <= MAX_DRAWN:
        return list(range(n))
    half = MAX_DRAWN // 2
    return [*range(half), None, *range(n - half, n)]


class NetworkView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("networkView")
        self.setAccessibleName("Network drawing")
        self.setToolTip("The network: blue edges are positive weights, orange negative; thicker means larger")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(300, 220)
        self.snapshot: Snapshot | None = None
        self.input_names: tuple[str, ...] = ()
        self.output_names: tuple[str, ...] = ()

    def set_names(self, inputs, outputs) -> None:
        self.input_names, self.output_names = tuple(inputs), tuple(outputs)
        self.update()

    def set_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.update()

    # -- geometry ----------------------------------------------------------------------------------------------------
    def _layers(self):
        """Per layer: (weights, bias or None, activation name) from the snapshot's flat parameter list."""
        snap = self.snapshot
        out, i = [], 0
        for spec in snap.layers:
            W = snap.weights[i]
            i += 1
            b = None
            if spec.bias:
                b = snap.weights[i]
                i += 1
            out.append((W, b, spec.activation))
        return out

    def paintEvent(self, event):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        if self.snapshot is None:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No network yet")
            return
        layers = self._layers()
        sizes = [layers[0][0].shape[0]] + [W.shape[1] for W, _, _ in layers]
        shown = [_shown(n) for n in sizes]
        fm = self.fontMetrics()
        label_w = max([fm.horizontalAdvance(n) for n in (*self.input_names, *self.output_names)] or [0])
        margin_x, margin_y = float(min(max(label_w + 34, 60), self.width() * 0.25)), 34.0
        w, h = self.width() - 2 * margin_x, self.height() - 2 * margin_y - 18
        xs = [margin_x + (w * k / (len(sizes) - 1) if len(sizes) > 1 else w / 2) for k in range(len(sizes))]
        radius = max(7.0, min(18.0, h / (2.6 * max(len(s) for s in shown))))

        def ys(k):
            n = len(shown[k])
            step = h / max(n, 1)
            return [margin_y + 14 + step * (j + 0.5) for j in range(n)]

        pos = [[QPointF(xs[k], y) for y in ys(k)] for k in range(len(sizes))]
        # edges, scaled by the largest |w| in the whole network
        wmax = max(float(np.max(np.abs(W))) if W.size else 0.0 for W, _, _ in layers) or 1.0
        for k, (W, _, _) in enumerate(layers):
            for a, i in enumerate(shown[k]):
                if i is None:
                    continue
                for c, j in enumerate(shown[k + 1]):
                    if j is None:
                        continue
                    v = float(W[i, j])
                    colour = QColor(POSITIVE if v >= 0 else NEGATIVE)
                    colour.setAlpha(int(60 + 195 * min(abs(v) / wmax, 1.0)))
                    p.setPen(QPen(colour, 0.6 + 5.0 * min(abs(v) / wmax, 1.0)))
                    p.drawLine(pos[k][a], pos[k + 1][c])
        # activations of the first sample of the last batch, for node fill
        fills = [None] * len(sizes)
        snap = self.snapshot
        for k, (W, b, act) in enumerate(layers):
            if k < len(snap.layer_z) and len(snap.layer_z[k]):
                fills[k + 1] = activations.get(act).forward(np.asarray(snap.layer_z[k][0], dtype=np.float64))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.5))
        for k in range(len(sizes)):
            for a, i in enumerate(shown[k]):
                c = pos[k][a]
                if i is None:
                    p.setPen(self.palette().text().color())
                    p.drawText(QRectF(c.x() - 20, c.y() - 10, 40, 20), Qt.AlignmentFlag.AlignCenter, "⋮")
                    continue
                fill = QColor(245, 245, 245)
                if fills[k] is not None:
                    v = float(np.tanh(fills[k][i]))
                    base = POSITIVE if v >= 0 else NEGATIVE
                    k_ = (40 + 170 * abs(v)) / 255  # blended onto white: opaque, so edges do not show through
                    fill = QColor(*(int(255 + (c_ - 255) * k_) for c_ in (base.red(), base.green(), base.blue())))
                p.setBrush(fill)
                p.setPen(QPen(QColor(70, 70, 70), 1.2))
                p.drawEllipse(c, radius, radius)
                if k > 0:
                    _, b, _ = layers[k - 1]
                    if b is not None and len(shown[k]) <= MAX_DRAWN:
                        p.setFont(small)
                        p.setPen(QColor(90, 90, 90))
                        p.drawText(QRectF(c.x() - 40, c.y() + radius, 80, 14), Qt.AlignmentFlag.AlignCenter,
                                   f"b={float(b[i]):+.2f}")
                        p.setFont(self.font())
                p.setPen(self.palette().text().color())
                if k == 0 and i < len(self.input_names):
                    p.drawText(QRectF(c.x() - margin_x, c.y() - 9, margin_x - radius - 4, 18),
                               Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                               self._elide(self.input_names[i], margin_x - radius - 6))
                if k == len(sizes) - 1 and i < len(self.output_names):
                    p.drawText(QRectF(c.x() + radius + 4, c.y() - 9, margin_x - radius - 6, 18),
                               Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                               self._elide(self.output_names[i], margin_x - radius - 6))
        # layer captions
        p.setPen(QColor(90, 90, 90))
        captions = ["input"] + [f"{act}" for _, _, act in layers]
        for k, x in enumerate(xs):
            p.drawText(QRectF(x - 60, 4, 120, 16), Qt.AlignmentFlag.AlignCenter, f"{captions[k]} ({sizes[k]})")
        if self.hasFocus():
            p.setPen(QPen(self.palette().highlight().color(), 1, Qt.PenStyle.DotLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(1, 1, -2, -2))

    def _elide(self, text: str, width: float) -> str:
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(width))


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    from nnstudio.training import Trainer, presets

    app = QApplication([])
    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=200)
    view = NetworkView()
    view.set_names(t.dataset.feature_names, t.dataset.output_names)
    view.set_snapshot(t.snapshot())
    view.resize(640, 400)
    view.show()
    app.exec()

"""What makes the network drawing cheap to redraw at every snapshot of a run, checked by its mechanism (no clocks):
the edges as arrays made once per layout and drawn one drawLines call per pen, units stamped from cached pictures
that look like the discs they replace, texts placed by cached metrics where Qt's rectangle layout put them, and
the largest weight found without masking a sane array."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.qt.panels import network_edges, network_layout, paint_cache
from nnstudio.qt.panels.network import NetworkPanel
from nnstudio.qt.panels.network_paint import largest
from nnstudio.training import Experiment, Trainer
from tests.qt.panel_helpers import paint_recorded, panel_on


def make_panel(qtbot, trainer, size):
    panel = panel_on(qtbot, NetworkPanel, trainer, size)
    panel.set_snapshot(trainer.snapshot())
    panel.drawing_geometry()
    return panel


@pytest.fixture
def digits():
    exp = Experiment(name="d", title="d", dataset="random-784", layers=[LayerSpec(128, "relu"), LayerSpec(10, "softmax")],
                     loss="softmax_cross_entropy", init="he", optimizer="sgd", learning_rate=0.05, batch_size=32,
                     epochs=1, dtype="float32", preprocessing="none")
    rng = np.random.default_rng(0)
    ds = Dataset(name="random-784", title="random digits", task="multiclass", X=rng.random((200, 784)),
                 y=rng.integers(0, 10, size=200), feature_names=tuple(f"p{i}" for i in range(784)),
                 class_names=tuple(str(i) for i in range(10)))
    t = Trainer(exp, dataset=ds)
    t.run(max_updates=2)
    return t


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    b = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return b[:, :image.width() * 4].reshape(image.height(), image.width(), 4).astype(int)


def test_edges_are_laid_out_once_and_drawn_one_call_per_pen(qtbot, digits, monkeypatch):
    """A new snapshot of the same network re-lays nothing out: the layout, its edge lines and arrays stay; each pen
    is set for one drawLines call at most, and every edge not selected is in exactly one of them."""
    panel = make_panel(qtbot, digits, (640, 900))
    panel.context.set_training(True)
    paint_recorded(panel)
    built = []
    real_build, real_table = network_layout.build, network_edges.EdgeTable.__init__
    monkeypatch.setattr(network_layout, "build", lambda *a, **k: built.append("layout") or real_build(*a, **k))
    monkeypatch.setattr(network_edges.EdgeTable, "__init__",
                        lambda self, g: built.append("table") or real_table(self, g))
    g = panel.drawing_geometry()
    table, lines = g.table, list(g.table.lines)
    for _ in range(3):
        digits.run(max_updates=1)
        panel.set_snapshot(digits.snapshot())
        painter = paint_recorded(panel)
        pens = [b.pen for b in painter.batches]
        assert len(pens) == len(set(pens))  # one call per pen
        assert sum(b.lines for b in painter.batches) == len(g.edges) and painter.single == 0
    assert built == []  # laid out for the first paint, never again
    assert panel.drawing_geometry() is g and g.table is table and all(a is b for a, b in zip(g.table.lines, lines))
    panel.resize(500, 700)  # a new size is a new layout, and new lines
    qtbot.waitUntil(lambda: panel.canvas.height() < 800)
    paint_recorded(panel)
    assert built == ["layout", "table"]


def test_batches_match_the_pens_edge_by_edge(qtbot, digits):
    """Grouping by numpy gives each edge the pen the per-edge rule gives it (strength step, sign, bias dashes)."""
    from nnstudio.qt.panels.network_paint import EDGE_LEVELS, _strength

    panel = make_panel(qtbot, digits, (640, 900))
    g = panel.drawing_geometry()
    layers = panel.snapshot.layer_weights()
    sums = layers[0][0].sum(axis=0)
    wmax, smax = largest([W for W, _ in layers] + [b for _, b in layers]), largest([sums])
    table = network_edges.edge_table(g)
    values, scales = table.values(layers, sums, wmax, smax)
    values[3] = np.nan  # a diverged weight: faint, first
    seen = {}
    for (level, positive, dashed), members in table.batches(values, scales, {5: True}):
        for t in members.tolist():
            seen[t] = (level, positive, dashed)
    assert 5 not in seen and len(seen) == len(g.edges) - 1
    for t, e in enumerate(g.edges):
        if t == 5:
            continue
        v = float(values[t])
        level = round(_strength(v, float(scales[t])) * EDGE_LEVELS) if v == v else -1
        assert seen[t] == (level, v >= 0, e.i == network_layout.BIAS)


def test_units_are_stamped_and_look_like_drawn_discs(qtbot, digits):
    """On screen each unit is a copy of a picture made once per size and colour; a file (an export) gets the shape.
    A stamp differs from the disc it replaces by antialiasing only (a sixteenth of a pixel of placement)."""
    panel = make_panel(qtbot, digits, (640, 900))
    n_units = panel.drawing_geometry().n_drawn_nodes(1) + panel.drawing_geometry().n_drawn_nodes(2)
    paint_recorded(panel)
    before = dict(paint_cache.stats)
    paint_recorded(panel)
    assert paint_cache.stats["stamped"] - before["stamped"] == n_units
    assert paint_cache.stats["drawn"] == before["drawn"]  # the same fills: no picture made again
    panel.exporting = True
    paint_recorded(panel)
    panel.exporting = False
    assert paint_cache.stats["stamped"] - before["stamped"] == n_units  # none for the file
    pen = QPen(QColor(70, 70, 70), 1.2)

    def drawn(centre, stamp):
        image = QImage(64, 64, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor("white"))
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_cache.disc(p, centre, 14.3, QColor(120, 160, 220), pen, stamp=stamp)
        p.end()
        return _pixels(image)

    def alike(a, b):  # antialiased edge pixels a little lighter or darker, nothing moved
        diff = np.abs(a - b).max(axis=2)
        return diff.max() <= 60 and (diff > 24).sum() <= 30

    for centre in (QPointF(30.0, 30.0), QPointF(30.4, 29.7), QPointF(31.85, 30.1), QPointF(30.12, 30.63)):
        assert alike(drawn(centre, True), drawn(centre, False)), centre
    assert not alike(drawn(QPointF(30.0, 30.0), True), drawn(QPointF(30.6, 30.0), False))  # half a pixel shows


def test_texts_sit_where_drawtext_in_a_rectangle_puts_them(qtbot):
    fonts = paint_cache.fonts(QFont())
    for align, flag in (("centre", Qt.AlignmentFlag.AlignCenter),
                        ("left", Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                        ("right", Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)):
        for size in (9, 12):
            f = fonts.get(size)
            images = []
            for ours in (True, False):
                image = QImage(160, 40, QImage.Format.Format_ARGB32_Premultiplied)
                image.fill(QColor("white"))
                p = QPainter(image)
                p.setFont(f)
                p.setPen(QColor(40, 40, 40))
                rect = QRectF(10.0, 6.5, 130.0, 24.0)
                if ours:
                    fonts.text(p, rect, "b = -0.0127", f, align)
                else:
                    p.drawText(rect, flag, "b = -0.0127")
                p.end()
                images.append(_pixels(image))
            diff = np.abs(images[0] - images[1]).max(axis=2)
            assert (diff > 60).sum() <= 4, (align, size)  # the same glyphs at the same place
    assert fonts.get(11) is fonts.get(11.6) and fonts.get(11, bold=True) is not fonts.get(11)


def test_largest_skips_the_mask_only_when_every_value_is_sane():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(50, 20)).astype(np.float32)
    assert largest([W]) == pytest.approx(float(np.abs(W).max()))
    for bad in (np.inf, -np.inf, np.nan, 1e300):
        V = W.astype(np.float64)
        V[3, 4] = bad
        assert largest([V]) == pytest.approx(float(np.abs(W).max()))
    assert largest([np.full(3, np.nan)]) == 1.0 and largest([np.zeros(4)]) == 1.0


def test_one_picture_per_colour_not_per_unit(qtbot, digits):
    """Units sit on whole pixels, so units of one colour share one picture: a redraw makes pictures only for
    colours not seen before (at fractional places each unit needed its own, and a run made new ones each redraw)."""
    from nnstudio.qt.panels.network_paint import _fill

    panel = make_panel(qtbot, digits, (640, 900))
    g = panel.drawing_geometry()
    assert all(float(v).is_integer() for v in g.columns_x) and all(float(y).is_integer() for ys in g.ys for y in ys)
    paint_cache._sprites.clear()
    before = paint_cache.stats["drawn"]
    paint_recorded(panel)
    values = panel.node_values()
    colours = {_fill(float(values[c][u])).rgba() for c in (1, 2) for u in g.units[c] if u is not None}
    assert paint_cache.stats["drawn"] - before == len(colours)


def test_unit_fills_come_in_steps_so_a_run_needs_few_pictures(qtbot, digits):
    """However the values move during a run, the units' colours are among 2 * (FILL_STEPS + 1): after some redraws
    no new picture is made (each new one cost more than drawing the disc)."""
    from nnstudio.qt.panels.network_paint import FILL_STEPS, _fill

    values = np.random.default_rng(2).normal(scale=3, size=20_000)
    colours = {_fill(float(v)).rgba() for v in values}
    assert len(colours) <= 2 * (FILL_STEPS + 1)
    for v in (-3.0, -0.4, 0.0, 0.01, 0.7, 5.0):  # within 2/255 of the exact blend
        t = np.tanh(v)
        base = (38, 110, 200) if t >= 0 else (230, 120, 20)
        exact = [255 + (c - 255) * (25 + 200 * abs(t)) / 255 for c in base]
        c = _fill(v)
        assert np.abs(np.array([c.red(), c.green(), c.blue()]) - exact).max() <= 2.5
    panel = make_panel(qtbot, digits, (640, 900))
    paint_cache._sprites.clear()
    for _ in range(6):
        digits.run(max_updates=3)
        panel.set_snapshot(digits.snapshot())
        paint_recorded(panel)
    assert len(paint_cache._sprites) <= 2 * (FILL_STEPS + 1) + 1

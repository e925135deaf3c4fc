"""The predictions panel shows the snapshot's own answers: the decision surface is Snapshot.predict on its grid, the
confusion matrix is a plain count, the fitted line is the network's output and the least-squares line the closed
form; redraws are throttled; exports hold what is drawn."""

import csv
import re
import time
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QProgressBar, QWidget

from nnstudio.core.network import LayerSpec
from nnstudio.data.builtin import closed_form_line
from nnstudio.data.dataset import Dataset
from nnstudio.qt.export import export_panel
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.predictions import GRID, MATRIX, SURFACE, TEST, TRAIN, PredictionsPanel
from nnstudio.training import Experiment, Trainer, presets


def two_d(dataset="xor", epochs=20, **params):
    exp = Experiment(name=dataset, dataset=dataset, dataset_params=params,
                     layers=[LayerSpec(8, "tanh"), LayerSpec(8, "tanh"), LayerSpec(1, "sigmoid")],
                     init="xavier", loss="binary_cross_entropy", optimizer="adam", learning_rate=0.03,
                     batch_size=10, shuffle=True, epochs=epochs)
    t = Trainer(exp)
    t.run()
    return t


def three_classes(epochs=30):
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = np.repeat(np.arange(3), 30)
    X = centres[y] + rng.normal(0, 0.6, (90, 2))
    ds = Dataset(name="blobs3", title="three blobs", task="multiclass", X=X, y=y, feature_names=("a", "b"),
                 class_names=("red", "green", "blue"))
    exp = Experiment(name="blobs3", dataset="blobs3", layers=[LayerSpec(6, "tanh"), LayerSpec(3, "softmax")],
                     init="xavier", loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.05,
                     batch_size=0, epochs=epochs)
    t = Trainer(exp, ds)
    t.run()
    return t


def trained(name):
    t = Trainer(presets.get(name))
    t.run()
    return t


@pytest.fixture(scope="module")
def xor():
    return two_d()


def make_panel(qtbot, trainer, snap=None):
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = PredictionsPanel(context)
    qtbot.addWidget(panel)
    panel.resize(640, 520)
    panel.set_snapshot(snap if snap is not None else trainer.snapshot())
    return drawn(qtbot, panel)


def drawn(qtbot, panel):
    """The panel once the answers it works out on its own thread have been drawn."""
    qtbot.waitUntil(lambda: not panel.is_computing(), timeout=5000)
    return panel


def hand_count(predicted, y, k):
    M = np.zeros((k, k), dtype=int)
    for true, guess in zip(y, predicted):
        M[int(true), int(guess)] += 1
    return M


def plain(label) -> str:
    return re.sub(r"<[^>]+>", "", label.text()).replace("&nbsp;", " ")


def test_decision_surface_is_the_snapshots_prediction(qtbot, xor):
    panel = make_panel(qtbot, xor)
    snap = xor.snapshot()
    assert panel.view() == "plane" and panel.view_combo.currentText() == SURFACE
    xs, ys, Z = panel.surface_grid()
    assert Z.shape == (GRID, GRID) == (len(ys), len(xs))
    for j, i in [(0, 0), (5, 70), (40, 41), (79, 79), (63, 2)]:
        assert Z[j, i] == pytest.approx(snap.predict([[xs[i], ys[j]]])[0, 0], abs=1e-12)
    data = np.vstack([xor.dataset.X, xor.dataset.X_test])
    assert xs[0] < data[:, 0].min() and data[:, 0].max() < xs[-1]  # the grid covers the data with a margin
    assert ys[0] < data[:, 1].min() and data[:, 1].max() < ys[-1]
    segments = panel.boundary.getData()[0]
    assert segments is not None and len(segments) > 10  # the 0.5 boundary is drawn
    assert "accuracy" in panel.plane_plot.getPlotItem().titleLabel.text
    header, rows = panel.csv_table()
    assert header == ["x1", "x2", "P(1)"] and len(rows) == GRID * GRID
    assert rows[GRID + 3] == [xs[3], ys[1], Z[1, 3]]


def test_multiclass_surface_holds_every_output(qtbot):
    t = three_classes()
    panel = make_panel(qtbot, t)
    xs, ys, Z = panel.surface_grid()
    assert Z.shape == (GRID, GRID, 3)
    np.testing.assert_allclose(Z[10, 60], t.snapshot().predict([[xs[60], ys[10]]])[0], atol=1e-12)
    assert panel.csv_table()[0] == ["a", "b", "red", "green", "blue"]
    panel.view_combo.setCurrentText(MATRIX)
    drawn(qtbot, panel)
    out = t.snapshot().predict(t.dataset.X)
    np.testing.assert_array_equal(panel.confusion(), hand_count(out.argmax(axis=1), t.dataset.y, 3))


def test_confusion_matrix_is_a_hand_count_on_training_and_test_rows(qtbot, xor):
    panel = make_panel(qtbot, xor)
    panel.view_combo.setCurrentText(MATRIX)
    drawn(qtbot, panel)
    snap, ds = xor.snapshot(), xor.dataset
    assert panel.view() == "matrix" and panel.set_combo.isVisibleTo(panel)
    expected = hand_count(snap.predict(ds.X)[:, 0] >= 0.5, ds.y, 2)
    np.testing.assert_array_equal(panel.confusion(), expected)
    right = int(np.trace(expected))
    assert f"{right:,} of {len(ds.y):,} right" in panel.matrix_plot.getPlotItem().titleLabel.text
    panel.set_combo.setCurrentText(TEST)
    drawn(qtbot, panel)
    np.testing.assert_array_equal(panel.confusion(), hand_count(snap.predict(ds.X_test)[:, 0] >= 0.5, ds.y_test, 2))
    header, rows = panel.csv_table()
    assert header == ["true \\ predicted", "0", "1"]
    assert rows == [[name, *map(int, row)] for name, row in zip(("0", "1"), panel.confusion())]


def test_gender_lists_each_persons_output(qtbot):
    t = trained("gender-network")
    panel = make_panel(qtbot, t)
    assert panel.view() == "matrix"  # named people read best as a list of answers
    snap = t.snapshot()
    out = snap.predict(t.dataset.X)[:, 0]
    np.testing.assert_array_equal(panel.confusion(), hand_count(out >= 0.5, t.dataset.y, 2))
    text = plain(panel.outputs)
    for name, p in zip(("Alice", "Bob", "Charlie", "Diana"), out):
        assert f"{name}: P(female) = {p:.3f}" in text
    assert not panel.set_combo.isEnabled()  # no test rows to choose
    panel.view_combo.setCurrentText(SURFACE)  # the plane is one choice away
    drawn(qtbot, panel)
    assert panel.surface_grid()[2].shape == (GRID, GRID)


def test_toy_table_gets_a_confusion_matrix(qtbot):
    t = trained("trask-neuron")
    panel = make_panel(qtbot, t)
    assert panel.view() == "matrix" and not panel.view_combo.isVisibleTo(panel)
    out = t.snapshot().predict(t.dataset.X)[:, 0]
    np.testing.assert_array_equal(panel.confusion(), hand_count(out >= 0.5, t.dataset.y, 2))
    assert "row 4:" in plain(panel.outputs)


def test_regression_line_and_least_squares(qtbot):
    t = trained("diabetes-regression")
    panel = make_panel(qtbot, t)
    assert panel.view() == "line"
    x, y_net, y_ls = panel.fitted_line()
    np.testing.assert_allclose(y_net, t.snapshot().predict(x[:, None])[:, 0], rtol=0, atol=1e-12)
    m, b = closed_form_line(t.dataset)
    np.testing.assert_allclose(y_ls, m * x + b, rtol=1e-12)
    assert x[0] < t.dataset.X.min() and t.dataset.X.max() < x[-1]
    legend = plain(panel.legend)
    w, bias = (float(v.ravel()[0]) for v in t.snapshot().weights)
    assert f"network: y = {w:.4g}·x + {bias:.4g}" in legend
    assert f"least squares: y = {m:.4g}·x + {b:.4g}" in legend
    header, rows = panel.csv_table()
    assert header == ["bmi (x100, +10)", "network", "least squares"] and len(rows) == len(x)


def test_several_features_of_a_number_give_predicted_against_true(qtbot):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    ds = Dataset(name="lin3", title="three features", task="regression", X=X, y=X @ [1.0, -2.0, 0.5] + 3,
                 feature_names=("p", "q", "r"), target_names=("t",))
    exp = Experiment(name="lin3", dataset="lin3", layers=[LayerSpec(1, "identity")], loss="mse",
                     learning_rate=0.05, batch_size=0, epochs=200)
    t = Trainer(exp, ds)
    t.run()
    panel = make_panel(qtbot, t)
    assert panel.view() == "scatter"
    header, rows = panel.csv_table()
    assert header == ["true", "network"]
    np.testing.assert_allclose([r[1] for r in rows], t.snapshot().predict(X)[:, 0])


def test_redraws_are_throttled(qtbot):
    t = two_d(epochs=1)
    first = t.snapshot()
    t.run(max_epochs=5)
    later = t.snapshot()
    panel = make_panel(qtbot, t, first)
    before = panel.surface_grid()[2].copy()
    panel._last_draw = time.monotonic()  # as if it had just drawn (a loaded machine may take longer to get here)
    panel.set_snapshot(later)  # too soon after the last redraw: it waits for the timer
    np.testing.assert_array_equal(panel.surface_grid()[2], before)
    xs, ys, _ = panel.surface_grid()
    expected = later.predict([[xs[0], ys[0]]])[0, 0]
    qtbot.waitUntil(lambda: panel.surface_grid()[2][0, 0] == expected, timeout=2000)


def test_big_tables_are_judged_on_a_fixed_sample(qtbot):
    t = two_d(epochs=1, size=16_000)  # 12,000 training rows
    panel = make_panel(qtbot, t)
    panel.view_combo.setCurrentText(MATRIX)
    panel.set_combo.setCurrentText(TRAIN)
    panel.finish()
    assert panel.confusion().sum() == 5000
    assert "sample of 5,000 of the 12,000 training rows" in panel.note.text()
    panel.set_combo.setCurrentText(TEST)
    drawn(qtbot, panel)
    assert panel.confusion().sum() == 4000


def test_the_sample_and_its_inputs_are_kept_but_every_snapshot_is_judged_afresh(qtbot):
    t = two_d(epochs=1, size=16_000)
    panel = make_panel(qtbot, t)
    panel.view_combo.setCurrentText(MATRIX)
    panel.set_combo.setCurrentText(TRAIN)
    panel.finish()
    X, y, _ = panel._rows(t.dataset, False)
    assert panel._rows(t.dataset, False)[0] is X  # the same sample, not drawn again for each redraw
    first = panel.confusion().copy()
    t.run(max_epochs=4)
    snap = t.snapshot()
    panel.set_snapshot(snap)
    panel.finish()
    expected = hand_count((snap.predict(X)[:, 0] >= 0.5).astype(int), y, 2)
    np.testing.assert_array_equal(panel.confusion(), expected)
    assert not np.array_equal(first, expected)  # training moved the counts, so the check above means something
    # the cells' numbers follow (only the changed cells are rewritten)
    shown = [item.textItem.toPlainText() for item in panel.matrix_plot.texts]
    assert shown == [f"{n:,}" for n in expected.ravel()]


def test_during_a_run_the_matrix_is_the_trainers_count_at_the_epochs_end(qtbot):
    """Counting 5,000 rows on the GUI thread for every redraw would slow training; the Trainer counts at each
    epoch's end anyway (a fixed sample of 5,000 rows of a table this big). At the pause the panel counts again with
    the current weights."""
    t = two_d(epochs=2, size=16_000)  # 12,000 training rows
    t.step()  # part-way into epoch 3: the current weights are not those the count was made with
    snap = t.snapshot()
    panel = make_panel(qtbot, t, snap)
    panel.view_combo.setCurrentText(MATRIX)
    panel.set_combo.setCurrentText(TRAIN)
    drawn(qtbot, panel)
    panel.context.set_training(True)
    panel.finish()
    np.testing.assert_array_equal(panel.confusion(), snap.train_confusion)
    assert panel.confusion().sum() == 5000 and "at the end of epoch 2" in panel.note.text()
    assert "sample of 5,000 of the 12,000 training rows" in panel.note.text()
    panel.context.set_training(False)
    drawn(qtbot, panel)
    assert panel.confusion().sum() == 5000 and "sample of 5,000" in panel.note.text()


@pytest.mark.parametrize("case", ["plane", "matrix", "line"])
def test_exports(qtbot, tmp_path, case, xor):
    t = {"plane": lambda: xor, "matrix": lambda: trained("gender-network"),
         "line": lambda: trained("diabetes-regression")}[case]()
    panel = make_panel(qtbot, t)
    panel.show()
    panel.finish()
    png = export_panel(panel, tmp_path / "p.png", 800, 500)
    image = QImage(str(png))
    assert (image.width(), image.height()) == (800, 500)
    assert len({image.pixel(x, y) for x in range(0, 800, 17) for y in range(0, 500, 13)}) > 8
    ET.parse(export_panel(panel, tmp_path / "p.svg"))
    with open(export_panel(panel, tmp_path / "p.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, table = panel.csv_table()
    assert rows[0] == header and len(rows) == 1 + len(table)


def test_new_data_switches_the_view(qtbot, xor):
    panel = make_panel(qtbot, xor)
    t = trained("diabetes-regression")
    panel.context.set_data(t.dataset, t.experiment)
    assert panel.view() == "line" and panel.surface_grid() is None and panel.snapshot is None
    panel.set_snapshot(t.snapshot())
    panel.finish()
    assert panel.fitted_line() is not None


def test_every_control_is_named_and_explained(qtbot, xor):
    panel = make_panel(qtbot, xor)
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QProgressBar, pg.PlotWidget)
    controls = [w for w in panel.findChildren(QWidget)
                if isinstance(w, kinds) and not w.objectName().startswith("qt_")
                and not isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox))]
    assert {"predictionsViewCombo", "predictionsSetCombo", "predictionsPlanePlot", "predictionsLinePlot",
            "predictionsMatrixPlot"} <= {w.objectName() for w in controls}
    for w in controls:
        assert w.objectName() and w.accessibleName() and w.toolTip(), (type(w).__name__, w.objectName())

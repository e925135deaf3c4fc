"""The views' heavy work happens off the GUI thread, on arrays nobody copies, and big sets are drawn as a bounded
sample: the window keeps its turns whatever the size of the data."""

import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from nnstudio import data
from nnstudio.core.network import LayerSpec
from nnstudio.qt.panels.base import PanelContext
from nnstudio.qt.panels.thinning import SHOWN_POINTS
from nnstudio.training import Experiment, Trainer, presets
from nnstudio.training.trainer import PreparedData


def spiral_trainer(size=100_000, epochs=0):
    exp = Experiment(name="spiral", dataset="spiral", dataset_params={"size": size},
                     layers=[LayerSpec(8, "tanh"), LayerSpec(1, "sigmoid")], init="xavier",
                     loss="binary_cross_entropy", optimizer="adam", learning_rate=0.03, batch_size=256, epochs=5)
    t = Trainer(exp)
    if epochs:
        t.run(max_epochs=epochs)
    return t


class Heartbeat:
    """A 2 ms timer on the GUI thread; ``count`` is how often it got its turn."""

    def __init__(self):
        self.count = 0
        self.timer = QTimer(interval=2, timeout=self.tick)
        self.timer.start()

    def tick(self):
        self.count += 1


# -- the Trainer's arrays, handed over -----------------------------------------------------------------------------
def test_the_views_read_the_trainers_own_arrays(window, monkeypatch):
    """No copy of the training set is made for the views: the context holds the very arrays the Trainer trains on,
    from a lesson opened, a dataset chosen, and a setting changed while paused."""
    from nnstudio.qt.panels import base

    def no_copies(*_):
        raise AssertionError("the views prepared the training set again")

    monkeypatch.setattr(base, "prepare_arrays", no_copies)
    trainer = Trainer(presets.get("gender-network"))
    assert window.controller.open_experiment(trainer.experiment, trainer=trainer)
    prepared = window.context.prepared()
    assert prepared.X_train is trainer.X_train and prepared.Y_train is trainer.Y_train
    assert prepared.train_rows is trainer.train_rows and prepared.preprocessing is trainer.preprocessing
    built = []
    real = Trainer.__init__
    monkeypatch.setattr(Trainer, "__init__", lambda t, *a, **k: (real(t, *a, **k), built.append(t))[0])
    assert window.controller.choose_dataset("xor", dict(data.DATASETS["xor"].defaults))
    assert window.context.prepared().X_train is built[-1].X_train
    assert window.controller.edit(window.controller.experiment.replace(learning_rate=0.5), "learning rate")
    assert window.context.prepared().X_train is built[-1].X_train  # the same Trainer, the same arrays


def test_a_context_without_a_trainer_prepares_the_arrays_itself():
    t = Trainer(presets.get("gender-network"))
    context = PanelContext()
    context.set_data(t.dataset, t.experiment)
    prepared = context.prepared()
    np.testing.assert_array_equal(prepared.X_train, t.X_train)
    assert prepared.X_train is not t.X_train and context.prepared() is prepared  # made once
    context.set_data(t.dataset, t.experiment.replace(preprocessing="none"))  # other inputs: made again
    assert context.prepared() is not prepared


def test_the_loss_surface_samples_a_big_table_on_its_own_thread(qtbot, monkeypatch):
    from nnstudio.qt.panels import surface_job
    from nnstudio.qt.panels.surface import SAMPLE_ROWS, LossSurfacePanel

    t = spiral_trainer(size=20_000, epochs=1)
    sampled = []  # (thread, rows handed in)
    real = surface_job.sample_rows
    monkeypatch.setattr(surface_job, "sample_rows",
                        lambda X, Y, limit: (sampled.append((threading.get_ident(), X)), real(X, Y, limit))[1])
    context = PanelContext()
    prepared = PreparedData(t.train_rows, t.preprocessing, t.X_train, t.Y_train, t.X_test, t.Y_test)
    context.set_data(t.dataset, t.experiment, prepared)
    panel = LossSurfacePanel(context)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.surfaceReady, timeout=30000):
        panel.set_snapshot(t.snapshot())
    assert sampled and all(thread != threading.get_ident() for thread, _ in sampled)
    assert all(X is t.X_train for _, X in sampled)  # the Trainer's rows, handed over whole
    assert len(t.X_train) > SAMPLE_ROWS and "sample of 2,000 of the 15,000 training rows" in panel.note.text()


# -- big 2-D sets ----------------------------------------------------------------------------------------------------
def test_the_data_scatter_of_100000_points_draws_a_bounded_sample_and_says_so(qtbot):
    from nnstudio.qt.data_scatter import DataScatter

    ds = data.load("spiral", **{**data.DATASETS["spiral"].defaults, "size": 100_000})
    scatter = DataScatter()
    qtbot.addWidget(scatter)
    scatter.show_dataset(ds, ())
    counts = scatter.point_counts()
    assert sum(counts.values()) == SHOWN_POINTS
    assert 0.2 < counts["test"] / SHOWN_POINTS < 0.3  # test points keep their share (a quarter)
    note = f"{SHOWN_POINTS:,} of 100,000 points shown"
    assert note in scatter.sample_note() and note in scatter.toolTip() and note in scatter.note.text
    again = DataScatter()
    qtbot.addWidget(again)
    again.show_dataset(ds, ())
    assert np.array_equal(again.train_items[0].getData()[0], scatter.train_items[0].getData()[0])  # a fixed sample
    small = data.load("spiral", **data.DATASETS["spiral"].defaults)
    scatter.show_dataset(small, ())
    assert sum(scatter.point_counts().values()) == 200 and scatter.sample_note() == ""


def test_the_decision_surface_of_100000_points_draws_the_same_sample(qtbot):
    from nnstudio.qt.panels.predictions import PredictionsPanel

    t = spiral_trainer()
    context = PanelContext()
    context.set_data(t.dataset, t.experiment)
    panel = PredictionsPanel(context)
    qtbot.addWidget(panel)
    panel.set_snapshot(t.snapshot())
    qtbot.waitUntil(lambda: not panel.is_computing(), timeout=10000)
    drawn = sum(len(item.data) for item in panel.points_train + panel.points_test)
    assert drawn == SHOWN_POINTS
    assert f"Points: {SHOWN_POINTS:,} of 100,000 points shown" in panel.note.text()


def test_the_decision_surface_is_worked_out_off_the_gui_thread_while_the_window_ticks(qtbot, monkeypatch):
    """The answers over the plane, the boundary and the accuracy are computed on the panel's thread; a computation
    that takes long (held up here) leaves the GUI thread its turns."""
    from nnstudio.qt.panels import predictions_numbers
    from nnstudio.qt.panels.predictions import PredictionsPanel

    t = spiral_trainer(size=2000, epochs=1)
    release, threads = threading.Event(), []
    real = predictions_numbers.plane

    def slow_plane(*args):
        threads.append(threading.get_ident())
        release.wait(10)  # as long as the test says
        return real(*args)

    monkeypatch.setattr(predictions_numbers, "plane", slow_plane)
    context = PanelContext()
    context.set_data(t.dataset, t.experiment)
    panel = PredictionsPanel(context)
    qtbot.addWidget(panel)
    beat = Heartbeat()
    panel.set_snapshot(t.snapshot())
    assert panel.is_computing()
    start = beat.count
    qtbot.waitUntil(lambda: beat.count - start >= 25, timeout=10000)  # the GUI thread keeps its turns meanwhile
    assert panel.surface_grid() is None  # nothing drawn until the numbers are there
    release.set()
    qtbot.waitUntil(lambda: not panel.is_computing(), timeout=10000)
    assert threads and threading.get_ident() not in threads
    xs, ys, Z = panel.surface_grid()
    assert Z[3, 7] == pytest.approx(t.snapshot().predict([[xs[7], ys[3]]])[0, 0], abs=1e-12)


def test_only_the_newest_answers_are_drawn(qtbot):
    from nnstudio.qt.panels.predictions import PredictionsPanel

    t = spiral_trainer(size=2000)
    first = t.snapshot()
    t.run(max_epochs=3)
    later = t.snapshot()
    context = PanelContext()
    context.set_data(t.dataset, t.experiment)
    panel = PredictionsPanel(context)
    qtbot.addWidget(panel)
    panel.set_snapshot(first)
    panel._last_draw = -1e9  # (not throttled: both are worked out, the first is superseded)
    panel.set_snapshot(later)
    qtbot.waitUntil(lambda: not panel.is_computing(), timeout=10000)
    xs, ys, Z = panel.surface_grid()
    assert Z[0, 0] == pytest.approx(later.predict([[xs[0], ys[0]]])[0, 0], abs=1e-12)
    assert Z[0, 0] != pytest.approx(first.predict([[xs[0], ys[0]]])[0, 0], abs=1e-6)

"""The timeline in the studio: drag back to an earlier update and every view shows the network as it was; training
on from there keeps the run as it stood; runs are kept by hand and before a reset, and sessions carry them."""

import numpy as np
from PySide6.QtWidgets import QSlider

from nnstudio.training import Trainer, presets


def _steps(window, qtbot, n):
    target = window.worker.latest().step + n
    for _ in range(n):
        window.step_action.trigger()
    qtbot.waitUntil(lambda: window.worker.latest().step == target, timeout=10000)
    window.pull_snapshot()


def _weights_after(preset, n):
    t = Trainer(presets.get(preset))
    t.run(max_updates=n)
    return t.network.get_weights()


def test_dragging_back_shows_the_network_as_it_was_and_forward_again(window, qtbot):
    window.session.open_lesson("gender-network")
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    _steps(window, qtbot, 45)
    slider = window.findChild(QSlider, "timelineSlider")
    assert slider.accessibleName() == "Timeline" and slider.maximum() == 45 and slider.value() == 45
    window.timeline_bar.go_to(12)
    qtbot.waitUntil(lambda: window.worker.latest().step == 12, timeout=5000)
    window.pull_snapshot()
    snap = window.worker.latest()
    for a, b in zip(snap.weights, _weights_after("gender-network", 12)):
        np.testing.assert_array_equal(a, b)
    assert list(snap.update_x) == list(range(12)) and snap.timeline_end == 45
    assert window.network_view.snapshot.step == 12  # the views were handed the earlier network
    assert "update 12 of 45" in window.timeline_bar.label.text()
    window.timeline_bar.go_to(45)  # and forward again, as far as the run went
    qtbot.waitUntil(lambda: window.worker.latest().step == 45, timeout=5000)
    for a, b in zip(window.worker.latest().weights, _weights_after("gender-network", 45)):
        np.testing.assert_array_equal(a, b)
    assert len(window.worker.latest().update_x) == 45


def test_a_slider_let_go_just_before_the_network_changes_goes_nowhere(window, qtbot):
    """The slider sends its update a moment after it moves (a drag sends a few a second). The monkey moved it to
    update 22 and changed the output activation within that moment: the new network, at update 0, was asked for
    update 22, and the window said 'Training stopped by an error: update 22 is not on the timeline'."""
    from PySide6.QtWidgets import QMessageBox

    window.session.open_lesson("gender-network")
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    _steps(window, qtbot, 30)
    failed = []
    window.worker.failed.connect(lambda message, details: failed.append(message))
    slider = window.findChild(QSlider, "timelineSlider")
    slider.setValue(22)  # as a drag would: the request waits for the bar's timer
    assert window.timeline_bar._timer.isActive()
    exp = window.controller.experiment
    import dataclasses

    out = dataclasses.replace(exp.layers[1], activation="tanh")
    assert window.controller.edit(exp.replace(layers=[exp.layers[0], out]), "output tanh")
    qtbot.waitUntil(lambda: window.worker.latest().step == 0 and window.worker._trainer is not None
                    and window.worker._trainer.experiment.layers[-1].activation == "tanh", timeout=5000)
    qtbot.wait(300)  # the bar's timer has fired, and anything it asked for has been done
    assert failed == [] and window.findChild(QMessageBox, "errorDialog") is None
    assert window.worker.latest().step == 0
    _steps(window, qtbot, 5)  # the new run goes on as usual, and its own timeline works
    window.timeline_bar.go_to(2)
    qtbot.waitUntil(lambda: window.worker.latest().step == 2, timeout=5000)
    assert failed == []


def test_a_slider_let_go_just_before_a_reset_is_a_line_in_the_status_bar_not_an_error(window, qtbot):
    """Reset keeps the network (no new generation) but empties its timeline: the slider's update, sent a moment
    later, is out of reach. The monkey met 'Training stopped by an error' there; it is a status line."""
    from PySide6.QtWidgets import QMessageBox

    window.session.open_lesson("gender-network")
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    _steps(window, qtbot, 30)
    failed = []
    window.worker.failed.connect(lambda message, details: failed.append(message))
    window.findChild(QSlider, "timelineSlider").setValue(22)
    window.reset_action.trigger()
    qtbot.waitUntil(lambda: "Not gone back: update 22" in window.statusBar().currentMessage(), timeout=3000)
    assert failed == [] and window.findChild(QMessageBox, "errorDialog") is None
    assert window.worker.latest().step == 0


def test_a_session_opened_at_update_25_has_a_timeline_from_25(window, qtbot, tmp_path):
    """A session saved after 25 updates opens with no checkpoint before 25 (the file holds none), and its first
    checkpoint was due only at update 32: the slider ran from 0, and going back anywhere ended in 'the timeline holds
    no checkpoints yet' (found by the monkey). The timeline now starts where the session does."""
    from nnstudio.training.session import Session

    t = Trainer(presets.get("gender-network"))
    t.run(max_updates=25)
    path = tmp_path / "at25.nnstudio"
    Session(t).save(path)
    assert window.session.open_path(path)
    qtbot.waitUntil(lambda: window.worker.latest().step == 25, timeout=5000)
    window.pull_snapshot()
    slider = window.findChild(QSlider, "timelineSlider")
    assert window.worker.latest().timeline_steps == (25,)
    assert (slider.minimum(), slider.maximum()) == (25, 25) and not slider.isEnabled()  # nowhere to go yet
    _steps(window, qtbot, 10)
    assert (slider.minimum(), slider.maximum()) == (25, 35) and slider.isEnabled()
    window.timeline_bar.go_to(28)
    qtbot.waitUntil(lambda: window.worker.latest().step == 28, timeout=5000)
    t.run(max_updates=3)
    for a, b in zip(window.worker.latest().weights, t.network.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_training_on_from_an_earlier_update_keeps_the_run_as_it_stood(window, qtbot):
    window.session.open_lesson("gender-network")
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    _steps(window, qtbot, 30)
    window.timeline_bar.go_to(10)
    qtbot.waitUntil(lambda: window.worker.latest().step == 10, timeout=5000)
    assert window.controller.runs.runs == []
    _steps(window, qtbot, 1)
    qtbot.waitUntil(lambda: len(window.controller.runs.runs) == 1, timeout=5000)
    kept = window.controller.runs.runs[0]
    assert kept.name == "Run 1" and kept.steps == 30 and len(kept.update_loss) == 30
    assert window.worker.latest().step == 11 and window.worker.latest().timeline_end == 11
    assert window.timeline_bar.runs_label.text().strip() == "kept runs: 1"
    window.timeline_bar.runs_menu.aboutToShow.emit()  # Train -> Kept runs lists it, with a way to forget it
    texts = [a.text() for a in window.timeline_bar.runs_menu.actions()]
    assert texts[0].startswith("Forget Run 1") and "Forget them" in texts
    window.timeline_bar.runs_menu.actions()[0].trigger()
    assert window.controller.runs.runs == [] and window.timeline_bar.runs_label.text().strip() == "no kept runs"


def test_keep_this_run_and_a_reset_keep_runs_and_a_session_carries_them(window, qtbot, tmp_path):
    window.session.open_lesson("trask-neuron")
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    window.timeline_bar.keep_action.trigger()
    assert window.controller.runs.runs == []  # nothing to keep before the first update
    _steps(window, qtbot, 20)
    window.timeline_bar.keep_action.trigger()
    window.reset_action.trigger()
    qtbot.waitUntil(lambda: window.worker.latest().step == 0, timeout=5000)
    names = [r.name for r in window.controller.runs.runs]
    assert names == ["Run 1", "Run 2"]
    path = tmp_path / "kept.nnstudio"
    assert window.session._save_to(path)
    window.session.open_lesson("gender-network")
    assert window.controller.runs.runs == []  # another session
    assert window.session.open_path(path)
    again = window.controller.runs.runs
    assert [r.name for r in again] == names and again[0].steps == 20


def test_compare_keeps_one_run_per_value_from_the_same_start(window, qtbot):
    from nnstudio.qt.timeline_bar import compare
    from nnstudio.training import runs

    window.session.open_lesson("diabetes-regression")
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    assert compare(window, "learning_rate", [0.003, 0.001], 50)
    kept = window.controller.runs.runs
    assert [r.name for r in kept] == ["learning rate 0.003", "learning rate 0.001"]
    alone = runs.compare(window.controller.experiment, "learning_rate", [0.003, 0.001], 50)
    for a, b in zip(kept, alone):
        np.testing.assert_array_equal(a.update_loss, b.update_loss)
    assert window.worker.latest().step == 0  # the current run is left alone
    assert window.controller.runs.legend(kept[0], window.controller.experiment) == "learning rate 0.003"
    window.step_action.trigger()
    qtbot.waitUntil(lambda: window.worker.latest().step == 1, timeout=5000)
    window.controller.edit(window.controller.experiment.replace(learning_rate=0.01), "faster")
    mine = window.controller.keep_run()
    assert window.controller.runs.legend(mine, window.controller.experiment.replace(learning_rate=0.001)) == (
        "Run 1: learning rate 0.01 vs 0.001")


def test_the_compare_dialog_reads_values_and_refuses_nonsense(window, qtbot):
    from nnstudio.qt.compare_dialog import CompareDialog, parse_values

    assert parse_values("hidden_layers", "none; 4; 4 4") == [[], [4], [4, 4]]
    assert parse_values("batch_size", "1, 4,0") == [1, 4, 0]
    dialog = CompareDialog(window, window.controller.experiment, 30)
    qtbot.addWidget(dialog)
    dialog.set_choice("learning_rate", "0.1, fast", 30)
    dialog._accept()
    assert dialog.chosen is None and "'fast' is not a number" in dialog.problem.text()
    dialog.set_choice("optimizer", "sgd, rocket", 30)
    dialog._accept()
    assert dialog.chosen is None and "rocket" in dialog.problem.text()
    dialog.set_choice("learning_rate", "0.1, 0.01", 30)
    dialog._accept()
    assert dialog.chosen == ("learning_rate", [0.1, 0.01], 30)


def test_the_compare_dialog_says_how_long_the_runs_will_take(window, qtbot):
    from PySide6.QtWidgets import QLabel

    from nnstudio.numbers import duration
    from nnstudio.qt.compare_dialog import CompareDialog

    # batches of 64 of 10,000 rows at 6,400 samples a second: 0.01 s an update
    exp = window.controller.experiment.replace(batch_size=64)
    dialog = CompareDialog(window, exp, 30, 10_000, 6400.0)
    qtbot.addWidget(dialog)
    label = dialog.findChild(QLabel, "compareEstimateLabel")
    dialog.set_choice("learning_rate", "0.1, 0.01", 1000)
    assert label.text().startswith("2 runs of 1,000 updates: about 20 s") and "waits" not in label.text()
    dialog.set_choice("learning_rate", "0.1, 0.01, 0.001", 100_000)
    assert label.text().startswith("3 runs of 100,000 updates: about 50 min") and "Cancel" in label.text()
    dialog.set_choice("learning_rate", "0.1, 0.01", 40)
    assert label.text().startswith("2 runs of 40 updates: under a second at")
    # the batch sizes compared set each run's samples per update: 32 + 64 + the whole table (0) of 10,000 rows
    dialog.set_choice("batch_size", "32, 64, 0", 100)
    assert label.text().startswith(f"3 runs of 100 updates: about {duration(100 * (32 + 64 + 10_000) / 6400)}")
    dialog.set_choice("learning_rate", "0.1, fast", 1000)
    assert label.text() == ""  # values not understood: no estimate (the problem is said on OK)
    unknown = CompareDialog(window, window.controller.experiment, 30)  # nothing trained yet: no speed to go by
    qtbot.addWidget(unknown)
    unknown.set_choice("learning_rate", "0.1, 0.01", 1000)
    assert unknown.findChild(QLabel, "compareEstimateLabel").text() == ""


def test_the_curves_overlay_every_kept_run_on_the_same_data_in_its_colour(window, qtbot):
    from nnstudio.qt.panels.curves import CurvesPanel
    from nnstudio.qt.timeline_bar import compare

    window.session.open_lesson("diabetes-regression")
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    curves = window.findChild(CurvesPanel)
    window.show_panel("curves") if hasattr(window, "show_panel") else curves.window().show()
    assert compare(window, "learning_rate", [0.003, 0.001], 40)
    curves.finish()
    drawn = curves.curve_arrays()
    kept = list(window.controller.runs.runs)
    for run in kept:
        x, y = drawn[f"{run.name} loss per update"]
        np.testing.assert_array_equal(y, run.update_loss)
    legend = curves.loss_area.legend.text().replace("&nbsp;", " ")
    assert "learning rate 0.003" in legend and "learning rate 0.001" in legend
    colours = {window.controller.runs.colour(r) for r in kept}
    assert len(colours) == 2
    window.controller.runs.remove(kept[0])
    curves.finish()
    assert f"{kept[0].name} loss per update" not in curves.curve_arrays()
    window.controller.choose_dataset("xor")  # other data: kept runs of the regression are not drawn
    qtbot.waitUntil(lambda: window.controller.dataset.name == "xor", timeout=10000)
    window.pull_snapshot()
    curves.finish()
    assert not any("learning rate" in k for k in curves.curve_arrays())


def test_the_compare_button_opens_a_dialog_that_does_not_block_and_compares_on_ok(window, qtbot):
    from PySide6.QtWidgets import QPushButton

    from nnstudio.qt.compare_dialog import CompareDialog

    window.session.open_lesson("trask-neuron")
    qtbot.waitUntil(lambda: window.worker.latest() is not None, timeout=5000)
    window.timeline_bar.compare_action.trigger()  # returns at once: the dialog is window-modal, not exec()'d
    dialog = window.findChild(CompareDialog, "compareDialog")
    assert dialog is not None and dialog.isVisible()
    dialog.set_choice("learning_rate", "1, 0.1", 10)
    dialog.findChild(QPushButton, "compareOkButton").click()
    qtbot.waitUntil(lambda: len(window.controller.runs.runs) == 2, timeout=10000)
    assert [r.name for r in window.controller.runs.runs] == ["learning rate 1", "learning rate 0.1"]


def test_step_epoch_measures_the_speed_the_compare_estimate_goes_by(window, qtbot):
    from nnstudio.core.network import LayerSpec
    from nnstudio.training import Experiment

    exp = Experiment(name="spiral", dataset="spiral", layers=[LayerSpec(8, "tanh"), LayerSpec(1, "sigmoid")],
                     loss="binary_cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=4, epochs=50)
    assert window.controller.open_experiment(exp)
    qtbot.waitUntil(lambda: window.worker.latest() is not None and window.worker.latest().step == 0, timeout=5000)
    assert window.worker.latest().samples_per_second == 0  # nothing trained: no speed
    window.step_epoch_action.trigger()
    qtbot.waitUntil(lambda: window.worker.latest().epoch == 1 and not window.worker.running, timeout=10000)
    snap = window.worker.latest()
    assert snap.step >= 10 and snap.samples_per_second > 0

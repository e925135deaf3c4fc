"""The studio says when training is stuck with saturated sigmoids, as the command line does."""

from PySide6.QtWidgets import QToolButton


def _train(window, qtbot, in_gui_thread, lesson, **change):
    window.session.open_lesson(lesson)
    if change:
        assert window.controller.edit(window.controller.experiment.replace(**change), "change")
    with qtbot.waitSignal(in_gui_thread(window.worker.runFinished), timeout=20000):
        window.run_action.setChecked(True)
    qtbot.waitUntil(lambda: not window.worker.running, timeout=5000)
    window.pull_snapshot()


def test_a_far_too_large_learning_rate_that_saturates_the_sigmoids_is_named(window, qtbot, in_gui_thread):
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    _train(window, qtbot, in_gui_thread, "gender-network", learning_rate=1e6, epochs=50)
    button = window.findChild(QToolButton, "saturationButton")
    assert button.isVisible() and button.accessibleName() == "Saturated neurons"
    assert "saturated" in button.toolTip() and "learning rate" in button.toolTip()
    assert any("saturated" in m for m in messages)
    window.reset()  # back at the start nothing is stuck
    window.pull_snapshot()
    qtbot.waitUntil(lambda: window.worker.latest().step == 0, timeout=3000)
    window.pull_snapshot()
    assert not button.isVisible()


def test_the_gender_lesson_as_taught_is_not_called_stuck(window, qtbot, in_gui_thread):
    _train(window, qtbot, in_gui_thread, "gender-network", epochs=300)
    assert not window.findChild(QToolButton, "saturationButton").isVisible()

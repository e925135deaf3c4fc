"""The Lesson dock in the studio: first start, Back / Next, Help -> Lessons, File -> Open lesson…, remembering the
place, highlights and locks, the goal following the studio, and the vocabulary of lesson files matching the window."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QLabel, QMenu, QMessageBox,
                               QPushButton, QWidget)

from nnstudio.lessons import vocabulary
from nnstudio.qt import lesson_dock
from nnstudio.qt.main_window import MainWindow


def make_window(qtbot):
    w = MainWindow()  # remembers: the first start, the place in a lesson (settings are a test folder's)
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.worker.latest() is not None, timeout=5000)
    return w


@pytest.fixture
def studio(qtbot):
    w = make_window(qtbot)
    yield w
    w.session.ask_unsaved = lambda: "discard"
    w.close()


def button(w, name):
    b = w.findChild(QPushButton, name)
    assert b is not None and b.accessibleName(), name
    return b


def click(qtbot, w, name):
    qtbot.mouseClick(button(w, name), Qt.MouseButton.LeftButton)


def test_the_first_start_opens_the_first_lessons_first_page_beside_the_window(studio):
    dock, lessons = studio.lesson_dock, studio.lessons
    assert dock.isVisible() and not dock.isFloating()
    assert studio.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert lessons.lesson.key == "builtin:t1-chain-rule" and lessons.index == 0
    assert "Four rows, one rule" in lessons.text.toPlainText()
    assert studio.findChild(QLabel, "lessonPageLabel").text() == "Page 1 of 4"
    assert not button(studio, "lessonBackButton").isEnabled() and button(studio, "lessonNextButton").isEnabled()
    assert studio.controller.experiment.name == "trask-neuron" and studio.worker.latest().step == 0


def test_next_and_back_set_the_studio_up(studio, qtbot):
    click(qtbot, studio, "lessonNextButton")
    assert studio.lessons.index == 1
    qtbot.waitUntil(lambda: studio.worker.latest().step == 1 and not studio.worker.running, timeout=5000)
    assert studio.context.selection == (0, 0)  # select_weight: W1[0,0]
    assert not studio.weights_dock.visibleRegion().isEmpty()  # open_panel: weights
    assert studio.lessons.driver.highlighted == ["stepButton"]
    assert studio.lessons.notes == []
    click(qtbot, studio, "lessonBackButton")
    assert studio.lessons.index == 0
    assert studio.worker.latest().step == 0  # preset: trask-neuron opened fresh again
    assert studio.lessons.driver.highlighted == []
    assert studio.findChildren(QWidget, "lessonHighlightOverlay") == [] or all(
        not o.isVisible() for o in studio.findChildren(QWidget, "lessonHighlightOverlay"))


def test_the_studio_remembers_where_the_learner_stopped(qtbot):
    w = make_window(qtbot)
    assert w.lessons.open_key("builtin:t2-gender-network", 2)
    qtbot.waitUntil(lambda: w.worker.latest().step == 4000, timeout=20000)
    w.close()
    again = make_window(qtbot)
    try:
        assert again.lessons.lesson.key == "builtin:t2-gender-network" and again.lessons.index == 2
        assert again.lesson_dock.isVisible()
        # coming back shows the page; it does not redo it until asked (the studio opened as usual)
        assert again.controller.experiment.name == "trask-neuron" and again.worker.latest().step == 0
        assert "Press Set up" in again.findChild(QLabel, "lessonNote").text()
        click(qtbot, again, "lessonSetupButton")
        assert again.controller.experiment.name == "gender-network"
    finally:
        again.close()


def test_help_lessons_lists_every_lesson_and_opens_one(studio, qtbot):
    menu = studio.findChild(QMenu, "helpLessonsMenu")
    assert [a.text().split(":")[0] for a in menu.actions()] == ["T1", "T2", "T3", "T4", "T5"]
    assert all(a.toolTip() for a in menu.actions())
    studio.lesson_dock.hide()
    studio.findChild(type(menu.actions()[0]), "helpLesson_t5-linear-regression").trigger()
    assert studio.lesson_dock.isVisible() and studio.lessons.lesson.tutorial == "T5"
    assert studio.controller.experiment.name == "diabetes-regression"


BROKEN = {
    "front matter": ("---\nlesson: Mine\n---\n---\npage: One\npreset trask-neuron\n---\nText\n", 6,
                     "expected 'key: value'"),
    "unknown action": ("---\nlesson: Mine\n---\n---\npage: One\nexplode: now\n---\nText\n", 6,
                       "unknown key 'explode'"),
    "unknown preset": ("---\nlesson: Mine\n---\n---\npage: One\npreset: gender-net\n---\nText\n", 6,
                       "unknown preset 'gender-net'"),
    "unclosed": ("---\nlesson: Mine\n---\n---\npage: One\n", 4, "not closed"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_a_broken_lesson_file_is_explained_and_changes_nothing(studio, qtbot, tmp_path, monkeypatch, kind):
    text, line, words = BROKEN[kind]
    path = tmp_path / "broken.md"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(lesson_dock, "ask_lesson_path", lambda *_: str(path))
    click(qtbot, studio, "lessonNextButton")
    qtbot.waitUntil(lambda: studio.worker.latest().step == 1 and not studio.worker.running, timeout=5000)
    before = [w.copy() for w in studio.worker.latest().weights]
    studio.findChild(type(studio.quit_action), "openLessonAction").trigger()
    box = studio.findChild(QMessageBox, "lessonErrorDialog")
    assert box is not None and f"broken.md, line {line}: " in box.text() and words in box.text()
    assert studio.lessons.lesson.key == "builtin:t1-chain-rule" and studio.lessons.index == 1
    assert studio.controller.experiment.name == "trask-neuron" and studio.worker.latest().step == 1
    for a, b in zip(before, studio.worker.latest().weights):
        np.testing.assert_array_equal(a, b)
    box.close()


def test_a_teachers_lesson_opens_locks_and_unlocks(studio, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "mine.md"
    path.write_text("---\nlesson: Mine\n---\n---\npage: Locked\npreset: gender-network\nlock: datasetCombo "
                    "learningRateSpin\nhighlight: runButton\n---\nHands off.\n---\npage: Free\n---\nGo.\n",
                    encoding="utf-8")
    monkeypatch.setattr(lesson_dock, "ask_lesson_path", lambda *_: str(path))
    studio.findChild(type(studio.quit_action), "openLessonAction").trigger()
    assert studio.lessons.lesson.title == "Mine" and studio.controller.experiment.name == "gender-network"
    assert sorted(studio.lessons.driver.locked) == ["datasetCombo", "learningRateSpin"]
    studio.settings_dock.raise_()
    spin = studio.findChild(QAbstractSpinBox, "learningRateSpin")
    qtbot.waitUntil(lambda: spin.isVisible(), timeout=3000)
    lr = studio.controller.experiment.learning_rate
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_Up)
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, pos=QPoint(spin.width() - 6, 4))  # its up arrow
    assert studio.controller.experiment.learning_rate == lr and spin.value() == pytest.approx(lr)
    click(qtbot, studio, "lessonNextButton")
    assert studio.lessons.driver.locked == []
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert spin.value() > lr


def test_the_inspector_page_brings_the_inspector_forward_or_says_plainly_it_is_missing(studio, qtbot,
                                                                                      monkeypatch):
    studio.lessons.open_key("builtin:t1-chain-rule", 3)
    dock = studio.inspector_dock
    assert dock.isVisible() and studio.lessons.notes == []
    assert studio.context.selection == (0, 0)
    # a studio without it (an older or trimmed build): the page says so plainly and goes on
    monkeypatch.delattr(studio, "inspector_dock")
    dock.setObjectName("somethingElse")
    click(qtbot, studio, "lessonSetupButton")
    assert any("backprop inspector is not in this version" in n for n in studio.lessons.notes)
    assert studio.findChild(QLabel, "lessonNote").isVisible()
    dock.setObjectName("inspectorDock")


def test_the_goal_follows_the_studio(studio, qtbot):
    studio.lessons.open_key("builtin:t5-linear-regression", 2)  # a step too big: lr 1, goal 'diverged'
    goal = studio.findChild(QLabel, "lessonGoal")
    assert studio.controller.experiment.learning_rate == 1.0
    assert studio.lessons.goal_met is False and "Not yet" in goal.text()
    studio.run_action.trigger()
    qtbot.waitUntil(lambda: studio.lessons.goal_met, timeout=10000)
    qtbot.waitUntil(lambda: "Done" in goal.text(), timeout=3000)
    box = studio.findChild(QMessageBox, "divergedDialog")
    if box is not None:
        box.close()


def test_every_panel_and_control_a_lesson_may_name_is_in_the_window(studio, qtbot):
    exp = studio.controller.experiment
    hidden = [exp.layers[0].__class__(4, "sigmoid") for _ in range(3)]
    assert studio.controller.edit(exp.replace(layers=[*hidden, exp.layers[-1]]), "three hidden layers")
    driver = studio.lessons.driver
    for panel in vocabulary.PANELS:
        if panel != "inspector":
            assert driver.dock(panel) is not None, panel
    kinds = {"number": QAbstractSpinBox, "integer": QAbstractSpinBox, "check": QCheckBox, "choice": QComboBox}
    for name, control in vocabulary.CONTROLS.items():
        widget = driver.control(name)  # (a control on a panel made later makes it)
        assert widget is not None, name
        if control.kind in kinds:
            assert isinstance(widget, kinds[control.kind]), name
        if control.kind in ("number", "integer"):
            assert (widget.minimum(), widget.maximum()) == pytest.approx((control.low, control.high)), name
        if control.kind == "choice":
            for choice in control.choices:
                assert widget.findData(choice) >= 0, (name, choice)


def test_a_page_run_trains_that_many_updates(controller, qtbot, in_gui_thread):
    worker = controller.worker
    reasons = []
    worker.runFinished.connect(reasons.append)
    with qtbot.waitSignal(in_gui_thread(worker.runFinished), timeout=10000):
        worker.run(7)
    qtbot.waitUntil(lambda: reasons == ["stopped"], timeout=3000)  # the updates asked for, not the whole run
    assert worker.latest().step == 7
    with qtbot.waitSignal(in_gui_thread(worker.runFinished), timeout=10000):
        worker.run(5000)  # more than the epoch limit (1000) allows
    qtbot.waitUntil(lambda: reasons == ["stopped", "finished"], timeout=3000)
    assert worker.latest().step == 1000


def test_closing_the_lesson_panel_ends_its_locks(studio, qtbot, tmp_path):
    path = tmp_path / "lock.md"
    path.write_text("---\nlesson: L\n---\n---\npage: P\nlock: stepButton\nhighlight: runButton\n---\nText\n",
                    encoding="utf-8")
    assert studio.lessons.open_file(path)
    assert studio.lessons.driver.locked == ["stepButton"]
    studio.lesson_dock.close()
    assert studio.lessons.driver.locked == [] and studio.lessons.driver.highlighted == []
    step = studio.findChild(QWidget, "stepButton")
    qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: studio.worker.latest().step == 1, timeout=3000)


def test_what_a_page_cannot_do_now_is_said_and_the_rest_is_done(studio, qtbot, tmp_path):
    path = tmp_path / "later.md"
    path.write_text("---\nlesson: L\n---\n---\npage: P\nset: hiddenDropoutSpin_2 0.2\nselect_weight: W2[0,0]\n"
                    "set: learningRateSpin 0.5\n---\nText\n", encoding="utf-8")
    assert studio.lessons.open_file(path)
    notes = studio.lessons.notes
    assert notes[0] == "The control hiddenDropoutSpin_2 is not on screen now, so it was not set."
    assert notes[1].startswith("The weight W2[0,0] could not be selected: the network has no W2")
    assert studio.controller.experiment.learning_rate == 0.5


def test_the_first_start_on_a_file_shows_the_first_lesson_without_setting_it_up(qtbot, tmp_path):
    from nnstudio.training import Trainer, presets
    from nnstudio.training.session import Session
    from nnstudio.training.session_writer import save_session

    path = tmp_path / "mine.nnstudio"
    t = Trainer(presets.get("gender-network"))
    t.run(max_epochs=3)
    save_session(Session(t, {}), str(path))
    w = MainWindow(open_path=path)
    qtbot.addWidget(w)
    try:
        assert w.controller.experiment.name == "gender-network" and w.worker.latest().step == 12
        assert w.lessons.lesson.key == "builtin:t1-chain-rule"
        assert "Press Set up" in w.findChild(QLabel, "lessonNote").text()
    finally:
        w.close()


def test_a_step_that_fails_is_reported_on_the_page_and_the_others_still_run(studio, monkeypatch, tmp_path):
    path = tmp_path / "odd.md"
    path.write_text("---\nlesson: L\n---\n---\npage: P\nopen_panel: surface cut W1[0,0]\nset: learningRateSpin 0.25\n"
                    "---\nText\n", encoding="utf-8")
    monkeypatch.setattr(studio.lessons.driver, "_open_panel", lambda *_: 1 / 0)
    assert studio.lessons.open_file(path)
    assert studio.lessons.notes[0].startswith("This step could not be done (open_panel: surface cut W1[0,0]): "
                                              "ZeroDivisionError")
    assert studio.controller.experiment.learning_rate == 0.25


def note_text(w) -> str:
    return w.findChild(QLabel, "lessonNote").text()


def test_a_preset_from_the_menu_takes_the_page_away_and_set_up_brings_it_back(studio, qtbot):
    """The page works on trask-neuron; the Presets menu opens another experiment: the page says so, its highlight
    (on a control of the other set-up now) goes, and its goal is not checked against the other experiment."""
    click(qtbot, studio, "lessonNextButton")  # page 2: run 1, highlight stepButton
    qtbot.waitUntil(lambda: studio.worker.latest().step == 1 and not studio.worker.running, timeout=5000)
    lessons = studio.lessons
    assert not lessons.away and lessons.driver.highlighted == ["stepButton"]
    assert "not this page's" not in note_text(studio)
    studio.findChild(type(studio.quit_action), "lesson_diabetes-regression").trigger()
    assert studio.controller.experiment.name == "diabetes-regression"
    assert studio.statusBar().currentMessage().startswith("Preset: Linear regression")
    assert lessons.away and lessons.driver.highlighted == []
    assert studio.findChild(QLabel, "lessonNote").isVisible()
    assert "“Linear regression is one neuron (T5)”, not this page's “One sigmoid neuron learns a rule (T1)”" in \
        note_text(studio) and "Press Set up" in note_text(studio)
    click(qtbot, studio, "lessonSetupButton")
    assert studio.controller.experiment.name == "trask-neuron"
    qtbot.waitUntil(lambda: studio.worker.latest().step == 1 and not studio.worker.running, timeout=5000)
    assert not lessons.away and lessons.driver.highlighted == ["stepButton"]
    assert "not this page's" not in note_text(studio)


def test_other_data_takes_the_page_away_and_undo_brings_back_its_highlights(studio, qtbot):
    click(qtbot, studio, "lessonNextButton")
    qtbot.waitUntil(lambda: studio.worker.latest().step == 1 and not studio.worker.running, timeout=5000)
    assert studio.controller.choose_dataset("xor")
    assert studio.controller.experiment.name == "untitled" and studio.lessons.away
    assert studio.lessons.driver.highlighted == [] and "Press Set up" in note_text(studio)
    studio.controller.undo_stack.undo()
    assert studio.controller.experiment.name == "trask-neuron" and not studio.lessons.away
    assert studio.lessons.driver.highlighted == ["stepButton"]
    assert not studio.findChild(QLabel, "lessonNote").isVisible()


def test_a_goal_met_on_the_page_is_not_claimed_for_another_experiment(studio, qtbot):
    goal = studio.findChild(QLabel, "lessonGoal")
    studio.lessons.go(2)  # a thousand updates; goal: the loss below 0.01
    qtbot.waitUntil(lambda: studio.lessons.goal_met, timeout=20000)
    qtbot.waitUntil(lambda: "Done" in goal.text(), timeout=3000)
    # the same preset trained further in a session of the learner's own would still meet it; another one is not
    # this page's experiment, whatever its loss
    studio.findChild(type(studio.quit_action), "lesson_perceptron-50k").trigger()
    assert studio.lessons.away and studio.lessons.goal_met is False
    assert "Done" not in goal.text() and "Not on show" in goal.text() and "on this page's set-up" in goal.text()
    assert "training accuracy" in goal.text() or "loss" in goal.text()


def test_the_note_names_the_experiment_on_show_as_it_changes(studio, qtbot):
    studio.findChild(type(studio.quit_action), "lesson_gender-network").trigger()
    assert "“A 2-2-1 network guesses gender (T2)”" in note_text(studio)
    studio.findChild(type(studio.quit_action), "lesson_diabetes-regression").trigger()
    assert "“Linear regression is one neuron (T5)”" in note_text(studio) and "T2" not in note_text(studio)


def test_a_page_that_goes_on_with_an_earlier_pages_preset_sets_that_preset_up_first(studio, qtbot):
    """T2's last page has no preset of its own: it works on the gender network of the page before. Opened (or set
    up) while the studio holds something else, it opens that network first rather than act on the other one."""
    assert studio.controller.experiment.name == "trask-neuron"
    assert studio.lessons.open_key("builtin:t2-gender-network", 3)
    assert studio.controller.experiment.name == "gender-network" and not studio.lessons.away
    assert studio.lessons.driver.highlighted == ["tryItPanel"]
    studio.findChild(type(studio.quit_action), "lesson_trask-neuron").trigger()
    assert studio.lessons.away and studio.lessons.driver.highlighted == []
    assert button(studio, "lessonSetupButton").isEnabled()
    click(qtbot, studio, "lessonSetupButton")
    assert studio.controller.experiment.name == "gender-network" and not studio.lessons.away
    assert studio.lessons.driver.highlighted == ["tryItPanel"]


def test_a_closed_lesson_panel_gets_no_locks_back_when_the_studio_returns_to_its_page(studio, qtbot):
    """Closing the panel ends the page's locks; the studio leaving the page's experiment and coming back must not
    bring them back unseen (a locked Dataset box with nothing on screen to say why)."""
    assert studio.lessons.driver.locked == ["datasetCombo"]  # the first page locks it
    studio.lesson_dock.close()
    qtbot.waitUntil(lambda: studio.lessons.driver.locked == [], timeout=3000)
    studio.findChild(type(studio.quit_action), "lesson_diabetes-regression").trigger()
    studio.findChild(type(studio.quit_action), "lesson_trask-neuron").trigger()
    assert not studio.lessons.away
    assert studio.lessons.driver.locked == [] and studio.lessons.driver.highlighted == []


def test_a_set_up_the_learner_cancelled_does_not_count_as_set_up(studio, qtbot):
    """Set up asks before it replaces unsaved work; 'Cancel' keeps the work and the page is not set up. When the
    studio later comes to the page's preset by another way, the page does not act as if its steps had run."""
    click(qtbot, studio, "lessonNextButton")  # page 2: run 1, highlight stepButton
    qtbot.waitUntil(lambda: studio.worker.latest().step == 1 and not studio.worker.running, timeout=5000)
    studio.findChild(type(studio.quit_action), "lesson_diabetes-regression").trigger()
    studio.controller.set_dirty(True)  # the learner's own work now
    studio.session.ask_unsaved = lambda: "cancel"
    click(qtbot, studio, "lessonSetupButton")
    assert studio.controller.experiment.name == "diabetes-regression"  # kept
    assert "not set up" in note_text(studio)
    studio.session.ask_unsaved = lambda: "discard"
    studio.findChild(type(studio.quit_action), "lesson_trask-neuron").trigger()
    assert not studio.lessons.away and studio.lessons.driver.highlighted == []
    assert "not set up" not in note_text(studio) and "Press Set up to arrange the studio" in note_text(studio)

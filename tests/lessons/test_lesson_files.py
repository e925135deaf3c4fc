"""Lesson files: the shipped ones load and check; a broken one is refused with its file, line and what is wrong;
questions read the studio's state (no Qt here)."""

import numpy as np
import pytest

from nnstudio.lessons import LessonError, StudioState, builtin_lessons, load_lesson, parse_lesson
from nnstudio.lessons.catalog import builtin_names, load_builtin, open_lesson
from nnstudio.training import Trainer, presets

HEAD = "---\nlesson: A test\n---\n"


def page(*lines, text="Some text."):
    return HEAD + "---\npage: P\n" + "".join(line + "\n" for line in lines) + "---\n" + text + "\n"


def error_of(text):
    with pytest.raises(LessonError) as info:
        parse_lesson(text, "teacher.md")
    return info.value


def test_the_five_tutorial_lessons_load_in_order():
    lessons = builtin_lessons()
    assert [lesson.tutorial for lesson in lessons] == ["T1", "T2", "T3", "T4", "T5"]
    for lesson in lessons:
        assert lesson.title and lesson.about and 3 <= len(lesson.pages) <= 6
        assert lesson.key.startswith("builtin:") and open_lesson(lesson.key) == lesson
        for p in lesson.pages:
            assert p.title and p.text and "---" not in p.text
            assert len(p.text) < 900, f"{lesson.title} / {p.title}: keep pages short"


def test_the_first_lesson_ends_inside_the_inspector():
    last = load_builtin("t1-chain-rule").pages[-1]
    assert ("open_panel", ("inspector",)) in [(a.kind, a.args) for a in last.actions]


def test_a_page_reads_its_actions_in_order_and_its_question():
    lesson = parse_lesson(page("preset: trask-neuron", "select_weight: W1[2,0]", "open_panel: curves log_log",
                               "open_panel: surface cut W1[0,0]", "set: learningRateSpin 0.5", "set: shuffleCheck on",
                               "run: 1,000", "highlight: stepButton runButton", "lock: datasetCombo",
                               "question: predicts 1 0 0 above 0.9"), "x.md")
    (p,) = lesson.pages
    assert [a.kind for a in p.actions] == ["preset", "select_weight", "open_panel", "open_panel", "set", "set", "run",
                                           "highlight", "lock"]
    assert p.actions[4].args == ("learningRateSpin", 0.5) and p.actions[5].args == ("shuffleCheck", True)
    assert p.actions[6].args == (1000,)
    assert p.question.kind == "predicts" and p.text == "Some text."


@pytest.mark.parametrize("text, line, words", [
    ("lesson: x\n", 1, "starts with a line '---'"),
    ("", 0, "empty"),
    ("---\nlesson: T\n", 1, "not closed"),
    ("---\nlesson T\n---\n", 2, "expected 'key: value'"),
    ("---\ntitle: T\n---\n", 2, "unknown key 'title'"),
    (HEAD, 1, "no pages"),
    (HEAD + "stray words\n", 4, "belongs to no page"),
    (HEAD + "---\npreset: trask-neuron\n---\n", 4, "needs 'page: TITLE'"),
    (page("jump: 3"), 6, "unknown key 'jump'"),
    (page("tutorial: T1"), 6, "lesson's first block"),
    (page("preset: trask-neuronn"), 6, "unknown preset 'trask-neuronn' (known: trask-neuron"),
    (page("open_panel: curvs"), 6, "unknown panel 'curvs'"),
    (page("open_panel: curves loglog"), 6, "no axes 'loglog'"),
    (page("open_panel: weights log_log"), 6, "takes no axes"),
    (page("set: learningRateSpn 0.5"), 6, "unknown control 'learningRateSpn'"),
    (page("set: learningRateSpin fast"), 6, "must be a number, not 'fast'"),
    (page("set: learningRateSpin 1000"), 6, "values from 1.000e-06 to 100, not 1000"),
    (page("set: optimizerCombo adamw"), 6, "no choice 'adamw'"),
    (page("set: runButton on"), 6, "no value to set"),
    (page("run: many"), 6, "whole number"),
    (page("run: 0"), 6, "from 1 to 1,000,000"),
    (page("highlight: learningRate"), 6, "unknown control 'learningRate'"),
    (page("preset: trask-neuron", "select_weight: W1[3,0]"), 7, "outside W1, whose shape is 3×1"),
    (page("preset: trask-neuron", "select_weight: b1[0]"), 7, "no b1 (it has W1)"),
    (page("select_weight: w1"), 6, "not a weight"),
    (page("question: loss_under 0.1"), 6, "unknown question 'loss_under'"),
    (page("question: loss_below"), 6, "question: loss_below 0.01"),
    (page("question: diverged", "question: diverged"), 7, "at most one question"),
    (page("question: setting speed above 1"), 6, "a setting of learning_rate"),
])
def test_a_broken_file_names_the_file_the_line_and_what_is_wrong(text, line, words):
    e = error_of(text)
    assert e.source == "teacher.md" and e.line == line and words in e.message
    assert str(e).startswith("teacher.md" + (f", line {line}: " if line else ": "))


def test_files_that_cannot_be_read(tmp_path):
    bad = tmp_path / "latin.md"
    bad.write_bytes("---\nlesson: caf\xe9\n---\n".encode("latin-1"))
    with pytest.raises(LessonError, match="latin.md: not a UTF-8 text file"):
        load_lesson(bad)
    with pytest.raises(LessonError, match="gone.md: cannot be read"):
        load_lesson(tmp_path / "gone.md")
    with pytest.raises(LessonError, match="no lesson called 'nope'"):
        load_builtin("nope")
    good = tmp_path / "mine.md"
    good.write_text(page("preset: gender-network", "select_weight: b2[0]"), encoding="utf-8")
    lesson = load_lesson(good)
    assert lesson.source == "mine.md" and lesson.key == str(good.resolve())
    assert "README" not in builtin_names()


def _state(trainer):
    return StudioState(trainer.snapshot(), trainer.experiment, None)


def _question(line):
    return parse_lesson(page(f"question: {line}"), "q.md").pages[0].question


def test_questions_are_met_when_the_studio_meets_them():
    t = Trainer(presets.get("trask-neuron"))
    loss, updates, predicts = _question("loss_below 0.01"), _question("updates_at_least 162"), \
        _question("predicts 1 0 0 above 0.999")
    assert not loss.check(_state(t))[0] and loss.check(_state(t))[1] == "no update yet"
    t.run(max_updates=161)
    assert not loss.check(_state(t))[0] and not updates.check(_state(t))[0]
    t.step()  # the loss of update 162 is the first below 0.01 (lesson T1, page 3)
    assert loss.check(_state(t)) == (True, f"loss now {loss.check(_state(t))[1].split()[-1]}")
    assert updates.check(_state(t))[0]
    assert not predicts.check(_state(t))[0]
    t.run()
    assert predicts.check(_state(t))[0]
    sel = _question("weight_selected W1[2,0]")
    assert not sel.check(StudioState(t.snapshot(), t.experiment, (0, 0)))[0]
    assert sel.check(StudioState(t.snapshot(), t.experiment, (0, 2)))[0]


def test_divergence_layers_rows_and_settings_questions():
    exp = presets.get("diabetes-regression")
    diverged, lr = _question("diverged"), _question("setting learning_rate at_least 0.5")
    t = Trainer(exp)
    assert not diverged.check(_state(t))[0] and not lr.check(_state(t))[0]
    t = Trainer(exp.replace(learning_rate=1.0))
    assert t.run() == "diverged"
    assert diverged.check(_state(t))[0] and lr.check(_state(t))[0]
    gender = presets.get("gender-network")
    layers, rows = _question("hidden_layers_at_least 2"), _question("rows_removed_at_least 1")
    dropout = _question("setting dropout above 0")
    t = Trainer(gender)
    assert not layers.check(_state(t))[0] and not rows.check(_state(t))[0] and not dropout.check(_state(t))[0]
    deeper = gender.replace(layers=[gender.layers[0], gender.layers[0].__class__(2, "sigmoid", dropout=0.2),
                                    gender.layers[1]], excluded_rows=(0,))
    t = Trainer(deeper)
    assert layers.check(_state(t))[0] and rows.check(_state(t))[0] and dropout.check(_state(t))[0]
    assert np.isfinite(t.snapshot().weights[0]).all()


def test_every_question_reads_an_empty_studio_without_failing():
    for line in ("loss_below 1", "diverged", "metric_at_least 0.5", "updates_at_least 1",
                 "hidden_layers_at_least 1", "rows_removed_at_least 1", "weight_selected", "predicts 1 2 above 0",
                 "setting momentum above 0"):
        q = _question(line)
        assert q.check(StudioState(None, None)) == (False, "the studio is not ready yet") and q.describe()


def test_lessons_are_read_and_checked_without_qt():
    import subprocess
    import sys

    code = ("import sys, nnstudio.lessons as L; L.builtin_lessons(); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_file_saved_with_a_byte_order_mark_or_windows_line_ends_reads_the_same(tmp_path):
    path = tmp_path / "notepad.md"
    path.write_bytes(("\ufeff" + page("preset: trask-neuron", "run: 3")).replace("\n", "\r\n").encode("utf-8"))
    lesson = load_lesson(path)
    assert lesson.title == "A test" and lesson.pages[0].actions[1].args == (3,)
    assert lesson.pages[0].text == "Some text."


def test_a_metric_goal_names_the_metric_of_the_task_on_show():
    from nnstudio.lessons.questions import Question

    q = Question("metric_at_least", (0.85,))
    assert q.describe("accuracy") == "get a training accuracy of at least 0.85"
    assert q.describe("R²") == "get a training R² of at least 0.85"
    assert "R² for a line" in q.describe()  # (no snapshot yet: either)

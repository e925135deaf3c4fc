"""The monkey itself (see monkey.py): chooses random actions on the studio's main window, performs them through the
real controls, answers the questions the window would ask a person, and records everything.

An action is a small dict: ``k`` the kind, ``t`` the target's objectName (``name#i`` when several share a name),
and the values the kind needs. Choosing (random) and performing (deterministic) are apart, so a recorded list
replays without the random generator.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import threading
import time
import warnings
from collections import Counter
from pathlib import Path

import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer, qWarning
from PySide6.QtGui import QAction, QKeySequence, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QDialog,
                               QDockWidget, QFileDialog, QGraphicsView, QLineEdit, QMessageBox, QSpinBox, QTableView,
                               QPushButton, QWidget)

from nnstudio.data import DATASETS
from nnstudio.qt.panels.base import Panel

SETTLE_MS = 25
# an action that waits on a long task (a comparison of millions of updates, say: the window shows its progress and
# holds input back but for Cancel) is cancelled after this long, as a person would, so the run goes on
PATIENCE_S = 20.0
KINDS = {  # kind: weight
    "click": 12, "trigger": 12, "combo": 14, "type": 12, "spin": 6, "stepby": 3, "slider": 3, "cell": 7, "tab": 6,
    "mouse": 6, "key": 4, "wait": 10, "scenario": 8,
}
EXCLUDED = {
    "quitAction",  # closing the window would end the run
    # pyqtgraph's own "Export..." in the data scatter's right-click menu: the right-click first records which item was
    # clicked (scene.contextMenuItem), and the action fails without it; triggered alone it is not a person's path
    "scatterExportAction",
}
TYPED = ["0", "-1", "-1000", "1e6", "1000000", "999999999999", "1e-9", "0.000001", "100", "nan", "inf", "", "abc",
         "0.5", "2", "1e300", "-0"]
CELL_TEXT = ["0", "-1", "1e6", "1e308", "-1e308", "1e309", "nan", "inf", "abc", "", "0.5", "3", "-7.25"]
KEYS = ["Space", "S", "Right", "E", "Ctrl+R", "Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+S", "Ctrl+N"]
SESSION_NAMES = ["a", "b", "c"]
BROKEN_SESSIONS = {"damaged": b"\x00\xffnot a session\x13" * 20, "empty": b"",
                   "future": b'{"format": "nnstudio", "version": 999}'}
CSV_FILES = {
    "classes.csv": "x1,x2,label\n" + "".join(f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}\n" for i in range(40)),
    "numbers.csv": "a,b,c,y\n" + "".join(f"{i},{i * 0.5},{-i},{i * 2.5 + 1}\n" for i in range(30)),
    "huge.csv": "a,b,y\n" + "".join(f"{1e300 * (i + 1)},{-1e300},{i % 2}\n" for i in range(10)),
    "ragged.csv": "a,b,y\n1,2,3\n4,5\n6,7,8,9\n",
    "words.csv": "a,b,y\nx,y,z\np,q,r\n",
    "empty.csv": "",
    "one-row.csv": "a,y\n1,0\n",
    "constant.csv": "a,b,y\n" + "1,1,0\n1,1,1\n" * 10,
}
SIZES = [(64, 64), (640, 480), (1200, 800), (2400, 1600)]


def _key(widget, same: dict) -> str:
    name = widget.objectName()
    i = same.get(name, 0)
    same[name] = i + 1
    return name if i == 0 else f"{name}#{i}"


def _inside(widget, ancestor) -> bool:
    while widget is not None:
        if widget is ancestor:
            return True
        widget = widget.parentWidget() if isinstance(widget, QWidget) else None
    return False


def _in_file_dialog(widget) -> bool:
    """Whether ``widget`` is a part of a file dialog (the monkey only picks a file or cancels, never browses)."""
    widget = widget.parentWidget()
    while widget is not None:
        if isinstance(widget, QFileDialog):
            return True
        widget = widget.parentWidget()
    return False


class Monkey:
    def __init__(self, app, seed: int, workdir: Path, watch):
        from nnstudio.qt.main_window import MainWindow

        self.app, self.seed, self.workdir, self.watch = app, seed, Path(workdir), watch
        self.rng = random.Random(seed)
        self.by_kind: Counter = Counter()
        self.dialogs: Counter = Counter()
        self.skipped = 0
        self.choosing = 0.0  # seconds spent choosing (the monkey's own overhead)
        self.n = 0
        self.started = time.perf_counter()
        self.max_step = 0
        self.runs = 0
        self.visited: set[str] = set()
        self.durations: list[tuple[float, int]] = []  # (seconds, action) of the slowest actions
        self.cancelled_waits = 0  # long tasks the monkey cancelled (see _patience)
        self._make_files()
        self._log = open(self.workdir / "actions.jsonl", "w", encoding="utf-8")
        self.answers: dict = {}
        self.window = MainWindow(remember_layout=False)
        self._answer_questions()
        self.window.show()
        self.window.activateWindow()
        self.startup = round(time.perf_counter() - self.started, 2)  # imports, window, first lesson: not a stall
        self.guarded(lambda: QTest.qWait(100))
        end = time.perf_counter() + 10  # the panels on show are made after the first paint (panels_later.py):
        while not getattr(self.window.later, "started", True) and time.perf_counter() < end:  # the whole screen first
            self.guarded(lambda: QTest.qWait(10))
        watch.start_heartbeat(self.window)

    # -- files and answers ---------------------------------------------------------------------------------------------
    def _make_files(self) -> None:
        for sub in ("sessions", "exports", "csv"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        for name, data in BROKEN_SESSIONS.items():
            (self.workdir / "sessions" / f"{name}.nnstudio").write_bytes(data)
        for name, text in CSV_FILES.items():
            (self.workdir / "csv" / name).write_text(text, encoding="utf-8")
        lessons = self.workdir / "lessons"
        lessons.mkdir(exist_ok=True)
        from nnstudio.lessons.catalog import lessons_dir

        (lessons / "good.md").write_text((lessons_dir() / "t1-chain-rule.md").read_text(encoding="utf-8"),
                                         encoding="utf-8")
        (lessons / "broken.md").write_text("---\nlesson: Broken\n---\n\n---\npage: One\npreset: nonsense\n---\n",
                                           encoding="utf-8")

    def _answer_questions(self) -> None:
        """Replace every blocking question with the answers of the action under way (recorded in it)."""
        s, d = self.window.session, self.workdir

        def path(folder: str, name, suffix: str = ""):
            return None if name is None else d / folder / f"{name}{suffix}"

        s.ask_unsaved = lambda: self.answers.get("unsaved", "discard")
        s.ask_open_path = lambda: path("sessions", self.answers.get("open"), ".nnstudio")
        s.ask_save_path = lambda: path("sessions", self.answers.get("save"), ".nnstudio")
        s.ask_export_folder = lambda: path("exports", self.answers.get("folder"))
        from nnstudio.qt import lesson_dock

        def lesson_path(window, start) -> str:  # File -> Open lesson…: a good file, a broken one, or none
            name = self.answers.get("open")
            if name is None:
                return ""
            return str(d / "lessons" / ("good.md" if sum(map(ord, str(name))) % 2 else "broken.md"))

        lesson_dock.ask_lesson_path = lesson_path
        # every panel's, those made later too (a tab's panel is made when first shown); the monkey has its own process
        Panel.ask_export_path = lambda panel, kind: self._export_answer(panel, kind)

    def _export_answer(self, panel, kind: str):
        answer = self.answers.get("export")
        if answer is None:
            return None, None
        name, w, h = answer
        return self.workdir / "exports" / f"{panel.name}-{name}.{kind}", ((w, h) if kind == "png" else None)

    def _choose_answers(self) -> dict:
        r = self.rng
        return {"unsaved": r.choices(["discard", "save", "cancel"], [6, 2, 2])[0],
                "open": r.choice(SESSION_NAMES + list(BROKEN_SESSIONS) + [None]),
                "save": r.choice(SESSION_NAMES + [None]),
                "folder": r.choice(["x", "y", None]),
                "export": r.choice([None, [r.choice("pq"), *r.choice(SIZES)]])}

    # -- finding controls ----------------------------------------------------------------------------------------------
    def modal_dialog(self) -> QDialog | None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QDialog) and not isinstance(w, QMessageBox) and w.isVisible() and (
                    w.isModal() or w.windowModality() != Qt.WindowModality.NonModal):
                return w
        return None

    def controls(self, cls, reachable: bool = True) -> list[tuple[str, object]]:
        """(key, object) of every ``cls`` with an objectName (not Qt's own ``qt_*`` parts), sorted by key; with
        ``reachable``, only the enabled, visible ones a person could use now (inside an open modal dialog if any)."""
        same: dict = {}
        found = []
        modal = self.modal_dialog() if reachable else None
        objects = []
        for c in cls if isinstance(cls, tuple) else (cls,):
            objects += [o for o in self.window.findChildren(c) if all(o is not p for p in objects)]
        for obj in objects:
            key = _key(obj, same)
            name = obj.objectName()
            if not name or name.startswith("qt_") or name in EXCLUDED:
                continue
            if isinstance(obj, QWidget) and _in_file_dialog(obj):
                continue
            if reachable:
                if not (obj.isEnabled() and obj.isVisible()):
                    continue
                if modal is not None and not (isinstance(obj, QWidget) and _inside(obj, modal)):
                    continue
                if modal is None and isinstance(obj, QWidget) and self._in_hidden_window(obj):
                    continue
            found.append((key, obj))
        return sorted(found, key=lambda kv: kv[0])

    def _in_hidden_window(self, widget) -> bool:
        top = widget.window()
        return top is not self.window and not (isinstance(top, QDockWidget) and top.isVisible())

    def find(self, cls, key: str):
        for k, obj in self.controls(cls, reachable=False):
            if k == key:
                return obj
        return None

    def _bring_forward(self, widget) -> None:
        """A control under another tab of its dock group: click that dock's tab first, as a person would."""
        w = widget
        while w is not None and not isinstance(w, QDockWidget):
            w = w.parentWidget()
        if w is not None and w.isVisible() and w.widget() is not None and w.widget().visibleRegion().isEmpty():
            w.raise_()
            QApplication.processEvents()

    # -- choosing --------------------------------------------------------------------------------------------------
    def choose(self) -> list[dict]:
        modal = self.modal_dialog()
        if modal is not None:
            return [self._choose_in_dialog(modal)]
        kind = self.rng.choices(list(KINDS), list(KINDS.values()))[0]
        if kind == "scenario":
            return self._scenario()
        action = getattr(self, f"_choose_{kind}")()
        return [action or self._wait(30, 200)]

    def _pick(self, cls):
        """A control of ``cls``: a name first (several controls sharing one, e.g. each plot's export actions, count
        as one), then one of the controls with that name."""
        items = self.controls(cls)
        if not items:
            return None, None
        names = sorted({k.split("#")[0] for k, _ in items})
        name = self.rng.choice(names)
        return self.rng.choice([kv for kv in items if kv[0].split("#")[0] == name])

    def _wait(self, lo: int = 50, hi: int = 3000) -> dict:
        r = self.rng
        return {"k": "wait", "ms": int(r.choice([r.uniform(lo, min(hi, 400)), r.uniform(lo, hi)]))}

    def _choose_wait(self) -> dict:
        return self._wait()

    def _choose_click(self):
        key, _ = self._pick(QAbstractButton)
        return key and {"k": "click", "t": key}

    def _choose_trigger(self):
        key, _ = self._pick(QAction)
        return key and {"k": "trigger", "t": key, "a": self._choose_answers()}

    def _choose_combo(self):
        key, combo = self._pick(QComboBox)
        if key is None or combo.count() == 0:
            return None
        enabled = [i for i in range(combo.count())
                   if combo.model().flags(combo.model().index(i, 0)) & Qt.ItemFlag.ItemIsEnabled]
        i = self.rng.choice(enabled or [0])
        return {"k": "combo", "t": key, "i": i, "d": combo.itemText(i)}

    def _spin_value(self, spin):
        r = self.rng
        lo, hi = spin.minimum(), spin.maximum()
        if isinstance(spin, QSpinBox):
            return r.choice([lo, hi, r.randint(lo, min(hi, lo + 20)), r.randint(lo, hi)])
        return r.choice([lo, hi, r.uniform(lo, hi), lo + (hi - lo) * r.random() ** 6])

    def _choose_type(self):
        key, w = self._pick((QAbstractSpinBox, QLineEdit))
        if key is None:
            return None
        r = self.rng
        if isinstance(w, QAbstractSpinBox) and r.random() < 0.3:
            text = str(self._spin_value(w))
        else:
            text = r.choice(TYPED)
        return {"k": "type", "t": key, "v": text}

    def _choose_spin(self):
        key, spin = self._pick(QAbstractSpinBox)
        if key is None or not hasattr(spin, "maximum"):
            return None
        return {"k": "spin", "t": key, "v": self._spin_value(spin)}

    def _choose_stepby(self):
        key, _ = self._pick(QAbstractSpinBox)
        return key and {"k": "stepby", "t": key, "by": self.rng.choice([-100, -10, -1, 1, 1, 10, 100])}

    def _choose_slider(self):
        key, s = self._pick(QAbstractSlider)
        return key and {"k": "slider", "t": key, "v": self.rng.randint(s.minimum(), s.maximum())}

    def _choose_cell(self):
        key, view = self._pick(QTableView)
        model = view.model() if key else None
        if model is None or model.rowCount() == 0 or model.columnCount() == 0:
            return None
        r = self.rng
        row = r.choice([0, model.rowCount() - 1, r.randrange(model.rowCount())])
        return {"k": "cell", "t": key, "r": row, "c": r.randrange(model.columnCount()), "v": r.choice(CELL_TEXT),
                "i": r.randrange(4)}

    def _choose_tab(self):
        docks = [(k, d) for k, d in self.controls(QDockWidget) if not d.isFloating()]
        return docks and {"k": "tab", "t": self.rng.choice(docks)[0]}

    def _choose_mouse(self):
        key, _ = self._pick(QGraphicsView)
        r = self.rng
        return key and {"k": "mouse", "t": key, "how": r.choice(["click", "click", "double", "wheel", "move"]),
                        "x": round(r.random(), 3), "y": round(r.random(), 3), "v": r.choice([-3, -1, 1, 3, 10])}

    def _choose_key(self):
        return {"k": "key", "t": self.rng.choice(KEYS), "a": self._choose_answers()}

    def _choose_in_dialog(self, dialog) -> dict:
        r = self.rng
        if isinstance(dialog, QFileDialog):
            return {"k": "file", "t": dialog.objectName(), "v": r.choice([*CSV_FILES, None])}
        if r.random() < 0.15:
            return {"k": "close", "t": dialog.objectName()}
        kind = r.choice(["click", "combo", "type", "spin", "cell"])
        return getattr(self, f"_choose_{kind}")() or {"k": "close", "t": dialog.objectName()}

    def _scenario(self) -> list[dict]:
        """A classroom path, as primitive actions (each recorded, so the path replays and shrinks)."""
        r = self.rng
        run = {"k": "check", "t": "runAction", "v": True}
        name = r.choice(["huge_lr", "lesson_mid_run", "dataset_mid_run", "layer_mid_run", "log_axes_diverge",
                         "save_mid_run", "undo_storm", "big_generated_set"])
        lr = {"k": "type", "t": "learningRateSpin", "v": r.choice(["100", "1e6", "50", "10"])}
        if name == "huge_lr":
            steps = [{"k": "tab", "t": "settingsDock"}, lr, {"k": "slider", "t": "speedSlider", "v": 10}, run,
                     self._wait(500, 3000)]
        elif name == "lesson_mid_run":
            lessons = [k for k, _ in self.controls(QAction, reachable=False) if k.startswith("lesson_")]
            steps = [run, self._wait(200, 2000),
                     {"k": "trigger", "t": r.choice(lessons), "a": self._choose_answers()}, self._wait(200, 1500)]
        elif name == "dataset_mid_run":
            names = [n for n, s in DATASETS.items() if s.listed]
            steps = [run, self._wait(200, 2000), {"k": "tab", "t": "dataDock"},
                     {"k": "combo", "t": "datasetCombo", "d": DATASETS[r.choice(names)].title}, self._wait(200, 1500)]
        elif name == "layer_mid_run":
            steps = [run, self._wait(200, 2000), {"k": "tab", "t": "builderDock"}, {"k": "click", "t": "addLayerButton"},
                     self._wait(200, 1500)]
        elif name == "log_axes_diverge":
            steps = [{"k": "tab", "t": "curvesDock"}, {"k": "combo", "t": "curvesScaleCombo", "i": r.randrange(1, 3)},
                     {"k": "tab", "t": "settingsDock"}, lr, run, self._wait(1000, 3000)]
        elif name == "save_mid_run":
            steps = [run, self._wait(200, 2000), {"k": "trigger", "t": "saveAction", "a": self._choose_answers()}]
        elif name == "undo_storm":
            steps = [{"k": "trigger", "t": r.choice(["undoAction", "redoAction"])} for _ in range(r.randint(3, 12))]
        else:
            synthetic = [n for n, s in DATASETS.items() if s.listed and "size" in s.defaults]
            steps = [{"k": "tab", "t": "dataDock"},
                     {"k": "combo", "t": "datasetCombo", "d": DATASETS[r.choice(synthetic)].title},
                     {"k": "type", "t": "sizeSpin", "v": r.choice(["100000", "4", "5000"])},
                     {"k": "type", "t": "noiseSpin", "v": r.choice(["10", "0", "3"])}, run, self._wait(500, 2500)]
        for step in steps:
            step["s"] = name
        return steps

    # -- performing ------------------------------------------------------------------------------------------------
    def perform(self, a: dict) -> bool:
        """Do ``a``; False when its target is not there now (the action is skipped)."""
        self.answers = a.get("a") or {}
        return getattr(self, f"_do_{a['k']}")(a) is not False

    def _target(self, cls, a: dict):
        obj = self.find(cls, a["t"])
        if obj is None or (isinstance(obj, QWidget) and not (obj.isVisible() and obj.isEnabled())):
            return None
        if isinstance(obj, QWidget):
            self._bring_forward(obj)
            if not shiboken6.isValid(obj):  # its panel, brought forward, made its contents again (the inspector's
                obj = self.find(cls, a["t"])  # stage tables): the control of that name now, as a person would see
                if obj is None or not (obj.isVisible() and obj.isEnabled()):
                    return None
        return obj

    def _do_wait(self, a):
        QTest.qWait(a["ms"])

    def _do_click(self, a):
        b = self._target(QAbstractButton, a)
        if b is None:
            return False
        b.click()

    def _do_trigger(self, a):
        action = self.find(QAction, a["t"])
        if action is None or not action.isEnabled():
            return False
        action.trigger()

    def _do_check(self, a):
        action = self.find(QAction, a["t"])
        if action is None or not action.isEnabled():
            return False
        if action.isChecked() != a["v"]:
            action.trigger()

    def _do_combo(self, a):
        combo = self._target(QComboBox, a)
        if combo is None:
            return False
        i = combo.findText(a["d"]) if "d" in a else -1
        i = a.get("i", -1) if i < 0 else i
        if not 0 <= i < combo.count():
            return False
        combo.setCurrentIndex(i)  # what choosing an item in the list does: currentIndexChanged, then activated
        combo.activated.emit(i)

    def _do_type(self, a):
        w = self._target((QAbstractSpinBox, QLineEdit), a)
        if w is None:
            return False
        w.setFocus()
        w.selectAll()
        if a["v"]:
            QTest.keyClicks(w, a["v"])
        else:
            QTest.keyClick(w, Qt.Key.Key_Backspace)
        QTest.keyClick(w, Qt.Key.Key_Return)

    def _do_spin(self, a):
        spin = self._target(QAbstractSpinBox, a)
        if spin is None or not hasattr(spin, "setValue"):
            return False
        spin.setValue(a["v"])

    def _do_stepby(self, a):
        spin = self._target(QAbstractSpinBox, a)
        if spin is None:
            return False
        spin.stepBy(a.get("by", 1))  # lists recorded before "by" existed lost the count

    def _do_slider(self, a):
        s = self._target(QAbstractSlider, a)
        if s is None:
            return False
        s.setValue(a["v"])

    def _do_cell(self, a):
        view = self._target(QTableView, a)
        model = view.model() if view is not None else None
        if model is None or a["r"] >= model.rowCount() or a["c"] >= model.columnCount():
            return False
        index = model.index(a["r"], a["c"])
        view.scrollTo(index)
        view.setCurrentIndex(index)
        flags = model.flags(index)
        if flags & Qt.ItemFlag.ItemIsUserCheckable:  # what a click on the tick box does
            now = model.data(index, Qt.ItemDataRole.CheckStateRole)
            checked = now in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
            model.setData(index, Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked,
                          Qt.ItemDataRole.CheckStateRole)
            return
        if not flags & Qt.ItemFlag.ItemIsEditable:
            return
        view.edit(index)
        editors = [w for w in view.viewport().findChildren(QWidget) if w.objectName() in ("cellEditor", "targetEditor")
                   and w.isVisible()]
        if not editors:
            return False
        editor = editors[-1]
        if isinstance(editor, QComboBox):
            i = a.get("i", 0) % max(editor.count(), 1)
            editor.setCurrentIndex(i)
            editor.activated.emit(i)
        else:
            editor.selectAll()
            if a["v"]:
                QTest.keyClicks(editor, a["v"])
            QTest.keyClick(editor, Qt.Key.Key_Return)

    def _do_tab(self, a):
        dock = self.find(QDockWidget, a["t"])
        if dock is None or not dock.isVisible():
            return False
        dock.raise_()

    def _do_mouse(self, a):
        view = self._target(QGraphicsView, a)
        if view is None:
            return False
        vp = view.viewport()
        pos = QPoint(int(a["x"] * max(vp.width() - 1, 0)), int(a["y"] * max(vp.height() - 1, 0)))
        how = a["how"]
        if how == "click":
            QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        elif how == "double":
            QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        elif how == "move":
            QTest.mouseMove(vp, pos)
        else:
            p = QPointF(pos)
            event = QWheelEvent(p, QPointF(vp.mapToGlobal(pos)), QPoint(), QPoint(0, 120 * a["v"]),
                                Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                                False)
            QApplication.sendEvent(vp, event)

    def _do_key(self, a):
        seq = QKeySequence(a["t"])[0]
        target = QApplication.focusWidget() or self.window.network_view
        if isinstance(target, (QLineEdit, QAbstractSpinBox, QComboBox)) or not target.isVisible():
            target = self.window.network_view  # a shortcut typed into a text field is text, not a shortcut
        QTest.keyClick(target, seq.key(), seq.keyboardModifiers())

    def _do_file(self, a):
        dialog = self.find(QDialog, a["t"]) if a["t"] else self.modal_dialog()
        if not isinstance(dialog, QFileDialog) or not dialog.isVisible():
            return False
        if a["v"] is None:
            dialog.reject()
        else:
            dialog.selectFile(str(self.workdir / "csv" / a["v"]))
            dialog.accept()

    def _do_close(self, a):
        dialog = self.find(QDialog, a["t"]) if a["t"] else self.modal_dialog()
        if dialog is None or not dialog.isVisible():
            return False
        dialog.reject()

    def _do_fault(self, a):
        """A deliberate failure of one kind, so tests can check that the watch catches each (never chosen)."""
        kind = a["t"]
        if kind == "exception":  # in a slot
            QTimer.singleShot(0, lambda: 1 / 0)
        elif kind == "paint":  # in a Qt virtual override
            class Broken(QWidget):
                def paintEvent(self, event):  # noqa: N802
                    raise KeyError("injected in paintEvent")

            self._broken = Broken(self.window)
            self._broken.setObjectName("brokenWidget")
            self._broken.show()
            self._broken.repaint()
        elif kind == "thread":
            thread = threading.Thread(target=lambda: [][1], name="injected-thread")
            thread.start()
            thread.join()
        elif kind == "qt-warning":
            qWarning("injected Qt warning")
        elif kind == "error-box":
            self.window.show_message("critical", "Injected", "an injected error", "errorDialog")
        elif kind == "stall":
            time.sleep(a.get("v", 2.5))
        elif kind == "py-warning":
            warnings.warn_explicit("injected", RuntimeWarning, os.path.join(os.sep, "nnstudio", "injected.py"), 1)
        elif kind == "hang":
            while True:
                time.sleep(0.01)
        elif kind == "segfault":
            ctypes.string_at(0)
        elif kind == "abort":
            os.abort()

    # -- boxes -------------------------------------------------------------------------------------------------------
    def handle_boxes(self) -> None:
        """Count and close every message box; an error box (``errorDialog`` or a critical icon) is a failure."""
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible():
                name = w.objectName() or "unnamed box"
                self.dialogs[name] += 1
                if name == "errorDialog" or w.icon() == QMessageBox.Icon.Critical:
                    self.watch.fail("error-box", f"{name}: {w.windowTitle()}: {w.text()}", w.detailedText() or "")
                w.done(0)
            elif w.isVisible() and w is not self.window and not isinstance(w, QDialog) and w.isWindow() \
                    and w.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip):
                self.dialogs[f"window {type(w).__name__}"] += 1
                w.close()  # e.g. pyqtgraph's own export window

    def guarded(self, fn, default=None):
        """Run ``fn``; an exception it lets out is a failure like any other. (PySide6 hands an exception raised in a
        slot to sys.excepthook, except while a Qt call made from Python runs the event loop, e.g. QTest.qWait: then
        it comes out of that call.)"""
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - every exception is a finding
            self.watch.exception(type(e), e, e.__traceback__)
            return default

    # -- the run ---------------------------------------------------------------------------------------------------
    def state(self) -> list:
        snap = self.window.worker.latest()
        exp = self.window.controller.experiment
        step = snap.step if snap is not None else -1
        self.max_step = max(self.max_step, step)
        return [step, bool(self.window.worker.running), exp.dataset if exp else None]

    def run(self, seconds: float, replay: list[dict] | None = None, keep_going: bool = False) -> int:
        w = self.window
        self.guarded(lambda: QTest.qWait(50))
        deadline = time.perf_counter() + seconds
        queue: list[dict] = [dict(a) for a in replay] if replay is not None else []
        while True:
            self.handle_boxes()
            if self.watch.failures and not keep_going:
                break
            if replay is None:
                if time.perf_counter() > deadline:
                    break
                if not queue:
                    t0 = time.perf_counter()
                    queue = self.choose()
                    self.choosing += time.perf_counter() - t0
            elif not queue:
                break
            a = queue.pop(0)
            for key in ("n", "st", "dt"):
                a.pop(key, None)
            a["n"], a["st"] = self.n, self.state()
            self._log.write(json.dumps(a) + "\n")
            self._log.flush()
            self.watch.action = self.n
            was_running = w.worker.running
            t0 = time.perf_counter()
            patience = self._patience(t0)
            try:
                done = self.guarded(lambda: self.perform(a), True)
            finally:
                patience.stop()
            dt = time.perf_counter() - t0
            if a["k"] != "wait":
                self.durations = sorted([*self.durations, (round(dt, 3), self.n)], reverse=True)[:5]
            self.by_kind[a["k"]] += 1
            self.skipped += not done
            if a.get("t", "").startswith("lesson_"):
                self.visited.add(a["t"])
            if a["k"] != "wait":
                self.guarded(lambda: QTest.qWait(SETTLE_MS))
            self.runs += w.worker.running and not was_running
            self.n += 1
        self.handle_boxes()
        return self.finish()

    def _patience(self, since: float) -> QTimer:
        """A timer that, while an action runs the event loop waiting on a task for longer than PATIENCE_S, presses
        the status bar's Cancel (counted in ``cancelled_waits``)."""
        timer = QTimer()
        timer.setInterval(500)

        def check():
            if time.perf_counter() - since < PATIENCE_S:
                return
            button = self.window.findChild(QPushButton, "taskCancelButton")
            if button is not None and button.isVisible() and button.isEnabled():
                self.cancelled_waits += 1
                button.click()

        timer.timeout.connect(check)
        timer.start()
        return timer

    def finish(self) -> int:
        """Close the window as a person would (discarding unsaved work); its training thread must stop."""
        w = self.window
        self.watch.action = self.n
        modal = self.modal_dialog()
        if modal is not None:
            modal.reject()
        self.answers = {"unsaved": "discard"}
        self.guarded(w.close)
        deadline = time.perf_counter() + 15
        while w.worker_thread.thread.isRunning() and time.perf_counter() < deadline:
            self.guarded(lambda: QTest.qWait(50))
        if w.worker_thread.thread.isRunning():
            self.watch.fail("shutdown", "the training thread did not stop within 15 s of closing the window")
        self._log.close()
        return 1 if self.watch.failures else 0

    def result(self) -> dict:
        return {"seed": self.seed, "elapsed": round(time.perf_counter() - self.started, 1), "actions": self.n,
                "by_kind": dict(self.by_kind), "skipped": self.skipped, "dialogs": dict(self.dialogs),
                "failures": self.watch.failures, "gaps": sorted(self.watch.gaps, key=lambda g: -g["seconds"])[:10],
                "worst_gap": round(self.watch.worst_gap, 3), "worst_gap_action": self.watch.worst_gap_action,
                "slowest_actions": self.durations, "qt_ignored": self.watch.qt_ignored, "other_warnings": self.watch.other_warnings, "startup": self.startup,
                "choosing_s": round(self.choosing, 2), "cancelled_waits": self.cancelled_waits,
                "progress": {"max_updates": self.max_step, "runs_started": self.runs,
                             "lessons": sorted(self.visited), "final_dataset": self._dataset()}}

    def _dataset(self):
        exp = self.window.controller.experiment
        return exp.dataset if exp is not None else None

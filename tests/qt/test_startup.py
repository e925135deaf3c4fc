"""What the studio does as it starts (bench/startup.py times it)."""


def test_the_heap_is_settled_after_the_first_paint(qtbot):
    """The studio's start runs the full collection once the window is on screen, not before its first paint."""
    import gc

    from PySide6.QtWidgets import QWidget

    from nnstudio.qt.app import after_first_paint

    calls = []
    widget = QWidget()
    qtbot.addWidget(widget)
    after_first_paint(widget, lambda: calls.append(gc.get_freeze_count()))
    assert calls == []
    widget.show()
    qtbot.waitUntil(lambda: calls != [], timeout=3000)
    widget.update()
    qtbot.wait(50)
    assert len(calls) == 1  # once only


LATER_MODULES = ["nnstudio.qt.panels.weights", "nnstudio.qt.panels.activation", "nnstudio.qt.panels.predictions",
                 "nnstudio.qt.panels.surface", "nnstudio.qt.panels.gallery", "nnstudio.qt.panels.drawing",
                 "nnstudio.core.landscape", "nnstudio.qt.csv_dialog", "nnstudio.qt.about", "nnstudio.qt.export"]


FIRST_SCREEN = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject
from nnstudio.qt.app import create_app
from nnstudio.qt import errors
app = create_app([])
errors.install(app)  # as the studio's main() does
from nnstudio.qt.main_window import MainWindow
seen = {}


def loaded():
    return sorted(m for m in sys.modules if m.startswith(("nnstudio", "pyqtgraph", "numpy.ma.")) or m == "numpy.ma")


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "painted" not in seen:
            seen["painted"] = loaded()
        return False

watch = FirstPaint()
app.installEventFilter(watch)
import importlib.abc, threading


class ImportedOn(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in ("pyqtgraph", "numpy.ma"):
            seen.setdefault("imported on", {})[name] = threading.current_thread().name
        return None


sys.meta_path.insert(0, ImportedOn())
w = MainWindow(remember_layout=False)
seen["built"] = loaded()
w.show()
end = time.time() + 30
made = lambda: not getattr(w.later, "held", False) and getattr(w.data_panel, "_scatter", 0) is not None
while (not made() or w.worker.latest() is None or "painted" not in seen) and time.time() < end:
    app.processEvents()
curves = w.__dict__.get("curves")
seen["after"] = loaded()
seen["curves"] = None if curves is None else [curves.scale(), curves.errors_check.isChecked()]
seen["scatter made"] = getattr(w.data_panel, "_scatter", None) is not None
seen["guarded"] = "pyqtgraph" in sys.modules and getattr(sys.modules["pyqtgraph"].PlotCurveItem.paint,
                                                            "__nnstudio_guarded__", False)
print(json.dumps(seen))
w.shutdown()
"""


def _first_screen(tmp_path) -> dict:
    """The window on its first lesson, shown, until the panels on show are made: the modules loaded when it was
    built, at its first paint and after it, and what the Curves panel shows."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", FIRST_SCREEN], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_pyqtgraph_is_imported_on_the_gui_thread(tmp_path):
    """Not on a thread of its own: PySide6 makes a class's Python type when it is first looked up, and pyqtgraph's
    import looks up every class; made on another thread, the GUI thread's garbage collector could walk one half made
    (a SIGSEGV now and then at start, see nnstudio/qt/panels_later.py)."""
    seen = _first_screen(tmp_path)
    assert seen["imported on"] == {"pyqtgraph": "MainThread", "numpy.ma": "MainThread"}


def test_the_first_screen_loads_only_what_it_shows(tmp_path):
    """The window on its first lesson, shown: the panels under other tabs, the loss-surface maths, the CSV import
    dialog, the exports and the About box are not imported yet (they load when first used)."""
    seen = _first_screen(tmp_path)
    assert "nnstudio.qt.panels.curves" in seen["after"] and "nnstudio.qt.panels.network" in seen["after"]
    assert [m for m in LATER_MODULES if m in seen["after"]] == []


def test_pyqtgraph_is_not_imported_before_the_first_paint(tmp_path):
    """pyqtgraph takes a quarter of a second to import: the window is built and painted without it (the network, the
    data table, the lesson), and the Curves panel on show is made just after the first paint, set up as the first
    lesson wants it (linear axes, the error curves on), with plot paints guarded (nnstudio/qt/errors.py)."""
    seen = _first_screen(tmp_path)
    for moment in ("built", "painted"):
        assert "nnstudio.qt.panels.network" in seen[moment]
        assert [m for m in seen[moment] if m.startswith(("pyqtgraph", "numpy.ma"))] == [], moment  # (numpy.ma: 0.1 s)
        assert "nnstudio.qt.panels.curves" not in seen[moment] and "nnstudio.qt.data_scatter" not in seen[moment]
    assert "pyqtgraph" in seen["after"] and "nnstudio.qt.panels.curves" in seen["after"]
    assert seen["curves"] == ["linear", True]
    assert seen["scatter made"] and seen["guarded"]

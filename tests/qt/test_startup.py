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


def test_the_first_screen_loads_only_what_it_shows(tmp_path):
    """The window on its first lesson, shown: the panels under other tabs, the loss-surface maths, the CSV import
    dialog, the exports and the About box are not imported yet (they load when first used)."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys\n"
            "from nnstudio.qt.app import create_app\n"
            "app = create_app([])\n"
            "from nnstudio.qt.main_window import MainWindow\n"
            "w = MainWindow(remember_layout=False); w.show(); app.processEvents()\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('nnstudio'))))\n"
            "w.shutdown()\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "nnstudio.qt.panels.curves" in loaded and "nnstudio.qt.panels.network" in loaded
    assert [m for m in LATER_MODULES if m in loaded] == []

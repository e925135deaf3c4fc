"""Quitting the studio while an error box is open: the box goes with its window, and the process ends cleanly.

Run as a separate process (the studio's own main(), the studio's error handling installed): left open after the
window had closed, the box was closed by the application's quit, and Qt crashed doing it (SIGSEGV in
QDialog::setResult, every time under Xvfb; the offscreen platform used here does not crash, so the test checks that
the box is closed with its window, which fails without the fix, and that the process ends with status 0)."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    import nnstudio.qt.app as app_module

    def boom():
        raise RuntimeError("raised on purpose in a slot")

    def boxes():
        return [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorDialog" and w.isVisible()]

    def close_main():
        print("boxes open:", len(boxes()), flush=True)
        for w in QApplication.topLevelWidgets():
            if type(w).__name__ == "MainWindow":
                w.close()
        print("boxes open after the window closed:", len(boxes()), flush=True)

    made = app_module.create_app

    def create(argv):
        app = made(argv)
        QTimer.singleShot(1200, boom)
        QTimer.singleShot(1800, close_main)
        QTimer.singleShot(2600, QApplication.instance().quit)
        return app

    app_module.create_app = create
    sys.exit(app_module.main([]))
""")


def test_closing_the_window_with_an_error_box_open_closes_the_box_and_quits_cleanly(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-X", "faulthandler", "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120)
    assert "raised on purpose in a slot" in done.stderr  # reported (the box was opened: see below)
    assert "boxes open: 1" in done.stdout, done.stdout + done.stderr
    assert "boxes open after the window closed: 0" in done.stdout, done.stdout
    assert done.returncode == 0, done.stderr[-2000:]

"""What the screenshot scripts beside this file share: the studio's application with settings of its own (a
temporary folder: the default layout and a first start, never the user's), and waiting with the event loop running.
The scripts import it by name (a script's own folder comes first on Python's path)."""

from __future__ import annotations

import tempfile

from PySide6.QtCore import QEventLoop, QSettings, QTimer


def app_with_fresh_settings():
    """The studio's QApplication, its settings in a new temporary folder; the process set up as the studio's own
    ``main`` sets it up (one BLAS thread, so that runs of large networks train in a child process as they do in the
    studio; big freed blocks given back)."""
    from nnstudio.malloc import give_back_big_blocks
    from nnstudio.qt.app import create_app
    from nnstudio.training.threads import use_blas_threads

    give_back_big_blocks()
    use_blas_threads(1)
    app = create_app([])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    return app


def studio_window(width: int = 1400, height: int = 880, at_origin: bool = True, **options):
    """The studio's main window (``options`` go to MainWindow), shown at this size, never asking about unsaved work."""
    from nnstudio.qt.main_window import MainWindow

    w = MainWindow(**options)
    w.session.ask_unsaved = lambda: "discard"
    w.resize(width, height)
    if at_origin:
        w.move(0, 0)
    w.show()
    return w


def wait(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

"""Starting the studio: checks for a display, creates the QApplication, installs the error hook, shows the window."""

from __future__ import annotations

import os
import sys

NO_DISPLAY = ("nnstudio: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). Open the studio from a "
              "desktop session, or under a virtual X server with 'xvfb-run nnstudio'; for work without a window "
              "see 'nnstudio train --help'.")


def display_available(env=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt can open a window: always on Windows/macOS; on Linux a DISPLAY, a WAYLAND_DISPLAY or an
    explicit QT_QPA_PLATFORM (offscreen, vnc, ...) is needed, else Qt would abort."""
    if not platform.startswith("linux"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def _install_error_hook(app) -> None:
    """Uncaught exceptions in Qt slots, timers and paints are reported once each (a box for the first of a kind,
    a count in the status bar for repeats) and the view that raised recovers: see nnstudio/qt/errors.py."""
    from nnstudio.qt import errors

    errors.install(app)


def settle_heap() -> None:
    """Put the objects that make up the open window (tens of thousands: widgets, plot items and their Python
    wrappers, kept for as long as the studio runs) out of the cycle collector's sight. A full collection, which
    Python starts on its own now and then, otherwise scans them all on the GUI thread: 70-180 ms measured (a stall of
    its own), 15 ms after this (bench/gui_stalls.py)."""
    import gc

    gc.collect()
    gc.freeze()


def after_first_paint(window, fn) -> None:
    """Call ``fn()`` once, on the event loop's next turn after ``window`` is first painted."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                obj.removeEventFilter(self)
                QTimer.singleShot(0, fn)
                self.deleteLater()
            return False

    window.installEventFilter(FirstPaint(window))


def create_app(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["nnstudio", *(argv or [])])
    app.setApplicationName("NN Studio")
    app.setOrganizationName("nnstudio")
    app.setApplicationDisplayName("NN Studio")
    from nnstudio.qt.icon import DESKTOP_ID, app_icon

    app.setWindowIcon(app_icon())
    app.setDesktopFileName(DESKTOP_ID)  # the desktop entry's name: docks and taskbars show its icon
    return app


def try_alone(make, title: str = "", size: tuple[int, int] | None = None, preset: str = "gender-network") -> int:
    """Try one part of the studio on its own (each such module's ``__main__`` calls this): ``make(studio)`` builds it
    on a StudioController of the ``preset`` lesson over a real training thread; it is titled ``title``, sized
    ``size`` and shown, and the controller's problems and messages are printed, until the app quits. Returns the exit
    status."""
    from nnstudio.qt.controller import StudioController
    from nnstudio.qt.worker import WorkerThread
    from nnstudio.training import presets

    experiment = presets.get(preset)  # (an unknown name stops here, before a thread runs)
    app = create_app(sys.argv[1:])
    thread = WorkerThread()
    studio = StudioController(thread.worker)
    studio.problem.connect(lambda title, text: print(f"{title}: {text}", file=sys.stderr))
    studio.message.connect(print)
    studio.open_experiment(experiment)
    widget = make(studio)
    if title:
        widget.setWindowTitle(title)
    if size:
        widget.resize(*size)
    widget.show()
    code = app.exec()
    thread.shutdown()
    _delete_before_exit(widget)  # (as main() does: a plot item left to interpreter exit may crash it)
    return code


def main(argv: list[str] | None = None) -> int:
    """The studio, on the session file in ``argv`` if one is given. A file that cannot be opened is explained (a
    message in the window and one line on stderr) and the studio starts on the first lesson instead. Exit status:
    0 once the window is closed; 2 without a display; 1 if the window could not be built (one line on stderr)."""
    if not display_available():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    from nnstudio.malloc import give_back_big_blocks
    from nnstudio.training.threads import use_blas_threads

    give_back_big_blocks()  # freed arrays go back to the system, not into the threads' heaps (see nnstudio.malloc)
    use_blas_threads(1)
    app = create_app(argv)
    _install_error_hook(app)
    from nnstudio.qt.main_window import MainWindow

    open_path = next((a for a in (argv or []) if not a.startswith("-")), None)
    try:
        window = MainWindow(open_path)
    except Exception as e:  # noqa: BLE001 - whatever stopped the window, the process must not abort
        _stop_half_built_windows(app)
        print(f"nnstudio: the studio could not start ({type(e).__name__}: {' '.join(str(e).split())})",
              file=sys.stderr)
        return 1
    window.show()
    # the window on screen first, then the panels on show made (panels_later), then the collection (30-100 ms)
    window.later.after_release(settle_heap)
    quit_after = os.environ.get("NNSTUDIO_QUIT_AFTER_MS")  # for smoke tests and screenshots: close by itself
    if quit_after:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(quit_after), window.close)
    code = app.exec()
    window.shutdown()  # idempotent: the close event already did it unless the app was quit another way
    _delete_before_exit(window)
    return code


def _delete_before_exit(window) -> None:
    """Delete the window and its plot items now, while Python and Qt are whole. Left to interpreter exit, a plot
    item's event ran Python code while modules were being torn down: a segfault after about half of long runs."""
    from PySide6.QtCore import QCoreApplication, QEvent

    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def _stop_half_built_windows(app) -> None:
    """Stop the training thread of a window whose construction failed: a QThread destroyed while running aborts
    the whole process ("QThread: Destroyed while thread is still running")."""
    for widget in app.topLevelWidgets():
        thread = getattr(widget, "worker_thread", None)
        if thread is not None:
            try:
                thread.shutdown()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass

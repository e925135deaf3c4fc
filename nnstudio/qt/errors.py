"""Unexpected errors in the studio: reported once, never in a loop, and the view that raised recovers.

An exception in a Qt slot, a timer or a paint goes to ``sys.excepthook``. A paint or a timer that raises does so
again at the next repaint or tick, and a modal box per exception (each with its own event loop, which repaints)
would pile up without end. The ``ErrorReporter`` therefore:
- tells an error apart by its type and the place it was raised (file and line); the first of a kind gets one
  non-blocking box and a full traceback on stderr, repeats are only counted (the status bar says how many);
- never opens a second box while one is open (the details of later kinds go into the status bar and stderr);
- makes the item that raised in a paint stop painting what made it raise: a pyqtgraph item is cleared (the panel
  gives it fresh data with the next snapshot), any other graphics item is hidden;
- accepts reports from any thread (they are handled in the GUI thread).
"""

from __future__ import annotations

import functools
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QGraphicsItem, QMessageBox

MAX_KINDS = 50  # kinds remembered; beyond, each new kind is still counted, but no more boxes open


def chain(exc: BaseException | None) -> list[BaseException]:
    """The exception and those it came from (``__cause__`` / ``__context__``), outermost first. An exception in a
    paint reaches Python wrapped by PySide, often several times over ("Error calling Python override of ...")."""
    out: list[BaseException] = []
    while exc is not None and exc not in out and len(out) < 20:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def root_cause(exc_type: type, exc: BaseException | None, tb: TracebackType | None):
    """(type, exception, traceback) of the innermost exception of the chain: where things first went wrong."""
    exceptions = chain(exc)
    if len(exceptions) > 1:
        root = exceptions[-1]
        return type(root), root, root.__traceback__
    return exc_type, exc, tb


def signature(exc_type: type, tb: TracebackType | None) -> tuple:
    """What makes two errors "the same": the exception's type and where it was raised."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    where = (frames[-1].filename, frames[-1].lineno) if frames else ("", 0)
    return exc_type.__name__, *where


def _painting_item(tracebacks) -> QGraphicsItem | None:
    """The graphics item whose paint (or bounds) raised, found in the frames of the tracebacks (innermost last)."""
    item = None
    for tb in tracebacks:
        while tb is not None:
            frame = tb.tb_frame
            if frame.f_code.co_name in ("paint", "boundingRect", "shape", "dataBounds", "viewRangeChanged"):
                candidate = frame.f_locals.get("self")
                if isinstance(candidate, QGraphicsItem):
                    item = candidate
            tb = tb.tb_next
    return item


def _recover_later(item: QGraphicsItem) -> None:
    try:
        recover_item(item)
    except (RuntimeError, Exception):  # noqa: BLE001 - the item was deleted meanwhile: nothing left to recover
        pass


def recover_item(item: QGraphicsItem) -> str:
    """Make a graphics item that raised while painting stop raising: clear its data if it has any, else hide it.
    Returns what was done, for the report."""
    try:
        clear = getattr(item, "clear", None)
        if callable(clear):
            clear()
            return f"the {type(item).__name__} that raised was cleared"
    except Exception:  # noqa: BLE001 - clearing failed too: hiding is the last resort
        pass
    item.hide()
    return f"the {type(item).__name__} that raised was hidden"


class ErrorReporter(QObject):
    reported = Signal(str)  # a one-line summary for a status bar
    _incoming = Signal(object, object, object, str)  # from any thread to the GUI thread

    def __init__(self, parent: QObject | None = None, show_boxes: bool = True):
        super().__init__(parent)
        self.show_boxes = show_boxes
        self.counts: dict[tuple, int] = {}
        self.box: QMessageBox | None = None
        self._busy = False
        self._incoming.connect(self._handle, Qt.ConnectionType.QueuedConnection)

    # -- entry points --------------------------------------------------------------------------------------------------
    def excepthook(self, exc_type, exc, tb) -> None:
        self.report(exc_type, exc, tb)

    def thread_excepthook(self, args) -> None:
        name = args.thread.name if args.thread is not None else "?"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, f"in thread {name}")

    def report(self, exc_type, exc, tb, where: str = "") -> None:
        """Record an exception (any thread). In the GUI thread a painting item recovers at once."""
        if threading.current_thread() is threading.main_thread():
            self._handle(exc_type, exc, tb, where)
        else:
            self._incoming.emit(exc_type, exc, tb, where)

    # -- handling --------------------------------------------------------------------------------------------------------
    def _handle(self, exc_type, exc, tb, where: str) -> None:
        exc_type, exc, tb = root_cause(exc_type, exc, tb)
        key = signature(exc_type, tb)
        if key not in self.counts and len(self.counts) >= MAX_KINDS:
            key = ("other kinds",)  # counted together; their first one was already shown
        seen = self.counts.get(key, 0)
        self.counts[key] = seen + 1
        item = _painting_item([tb])  # where it first went wrong: outer frames are often innocent bystanders
        recovery = ""
        if item is not None:
            # not now: this runs inside the scene's paint, and changing its items there pulls the rug from under it
            recovery = f"the {type(item).__name__} that raised was {'cleared' if hasattr(item, 'clear') else 'hidden'}"
            QTimer.singleShot(0, lambda: _recover_later(item))
        if self._busy:  # an error while reporting one: stderr only, never recursion
            print(f"nnstudio: {exc_type.__name__}: {exc}", file=sys.stderr)
            return
        self._busy = True
        try:
            if seen:
                if seen + 1 in (2, 10, 100, 1000) or (seen + 1) % 10000 == 0:
                    print(f"nnstudio: the same {exc_type.__name__} again ({seen + 1} times so far)", file=sys.stderr)
                self.reported.emit(f"The same error happened again ({seen + 1} times): {exc_type.__name__}: "
                                   f"{_short(exc)}")
                return
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            print(text, file=sys.stderr, end="")
            summary = f"Unexpected error{' ' + where if where else ''}: {exc_type.__name__}: {_short(exc)}"
            if recovery:
                summary += f" ({recovery})"
            self.reported.emit(summary)
            if self.show_boxes and self.box is None and QApplication.instance() is not None:
                self._open_box(exc_type, exc, text, recovery)
        finally:
            self._busy = False

    def _open_box(self, exc_type, exc, text: str, recovery: str) -> None:
        parent = QApplication.activeWindow()
        note = f"\n\n{recovery[0].upper()}{recovery[1:]}." if recovery else ""
        box = QMessageBox(QMessageBox.Icon.Critical, "NN Studio: unexpected error",
                          f"{exc_type.__name__}: {_short(exc)}{note}\n\nYour work is still open; saving it is a good "
                          "idea. If this happens again it is counted in the status bar instead of shown here.",
                          QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("errorDialog")
        box.setDetailedText(text)
        box.finished.connect(self._box_closed)
        box.destroyed.connect(self._box_closed)  # deleted with its window, never closed
        self.box = box
        box.open()  # not exec(): a nested event loop would repaint, and a paint that raises would come back here

    def _box_closed(self, *_args) -> None:
        self.box = None

    def close_box(self) -> None:
        """Close the error box if one is open (the window it belongs to is closing). Left open past its window, the
        box was closed by the application's quit after the window had gone, and Qt crashed doing it (a segfault in
        QDialog::setResult)."""
        box, self.box = self.box, None
        if box is not None:
            box.close()

    def total(self) -> int:
        return sum(self.counts.values())


def _short(exc, limit: int = 300) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


_reporter: ErrorReporter | None = None
_guarded = False
PAINT_METHODS = ("paint", "boundingRect", "shape", "paintEvent")  # the methods Qt's C++ calls while painting


def guarded(method):
    """Wrap a paint-time method so that an exception never crosses into Qt's C++ paint code: PySide passes it on
    with the interpreter's error state half set, which was seen to corrupt memory (a segfault in a later, unrelated
    call). The exception is reported (once per kind) and the item recovers instead; without a reporter installed
    (tests) it goes to ``sys.excepthook`` (pytest-qt records it)."""
    if getattr(method, "__nnstudio_guarded__", False):
        return method

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception:  # noqa: BLE001 - reported, never swallowed silently
            exc_type, exc, tb = sys.exc_info()
            if _reporter is not None:
                _reporter.report(exc_type, exc, tb, f"while drawing a {type(self).__name__}")
            else:
                sys.excepthook(exc_type, exc, tb)
            if method.__name__ == "boundingRect":
                from PySide6.QtCore import QRectF

                return QRectF()
            if method.__name__ == "shape":
                from PySide6.QtGui import QPainterPath

                return QPainterPath()
            return None

    wrapper.__nnstudio_guarded__ = True
    return wrapper


def _unwrap_warn_on_exception(fn):
    """pyqtgraph wraps a few paints (PlotCurveItem, ScatterPlotItem) in ``debug.warnOnException``, which prints a
    warning at every paint that raises, for ever; take the function it wraps, so ours reports once instead."""
    if getattr(fn, "__qualname__", "") == "warnOnException.<locals>.w" and fn.__closure__:
        inner = fn.__closure__[0].cell_contents
        if callable(inner):
            return inner
    return fn


def guard_paints() -> None:
    """Guard the paint-time methods of every pyqtgraph graphics item (see ``guarded``); idempotent. The studio calls
    it before it makes a plot (it imports pyqtgraph)."""
    global _guarded
    if _guarded:
        return
    import pyqtgraph as pg

    for name in dir(pg):
        cls = getattr(pg, name, None)
        if isinstance(cls, type) and issubclass(cls, QGraphicsItem):
            for method in PAINT_METHODS:
                if method in cls.__dict__ and callable(cls.__dict__[method]):
                    setattr(cls, method, guarded(_unwrap_warn_on_exception(cls.__dict__[method])))
    _guarded = True


def install(app) -> ErrorReporter:
    """Route every uncaught exception of the GUI (and of Python threads) to one reporter, made once per app."""
    global _reporter
    if _reporter is None:
        _reporter = ErrorReporter(app)
        sys.excepthook = _reporter.excepthook
        threading.excepthook = _reporter.thread_excepthook
    if "pyqtgraph" in sys.modules:  # else whatever makes the first plot guards them first (the studio's
        guard_paints()  # pyqtgraph is imported after its first paint: nnstudio/qt/panels_later.py)
    return _reporter


def reporter() -> ErrorReporter | None:
    return _reporter

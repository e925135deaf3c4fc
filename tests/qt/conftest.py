"""Qt tests: settings go to a temporary folder, never the user's; a ready controller over a real worker thread."""

import pytest
from PySide6.QtCore import Qt


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield


@pytest.fixture
def controller(qtbot):
    """A StudioController on the trask-neuron lesson, its worker on a real QThread (shut down afterwards).
    ``controller.problems`` collects (title, text) of every refused request."""
    from nnstudio.qt.controller import StudioController
    from nnstudio.qt.worker import WorkerThread
    from nnstudio.training import presets

    wt = WorkerThread()
    c = StudioController(wt.worker)
    c.problems = []
    c.problem.connect(lambda title, text: c.problems.append((title, text)))
    assert c.open_experiment(presets.get("trask-neuron"))
    qtbot.waitUntil(lambda: wt.worker.latest() is not None, timeout=5000)
    yield c
    assert wt.shutdown(), "the training thread did not stop"


@pytest.fixture
def window(qtbot):
    """The studio's main window, shown, with its first snapshot and the panels on show made (those wait for the
    first paint: panels_later.py) (no saved layout, never a blocking save question); closed afterwards. Modules that
    need another kind of window define their own."""
    from nnstudio.qt.main_window import MainWindow

    w = MainWindow(remember_layout=False)
    qtbot.addWidget(w)
    w.session.ask_unsaved = lambda: "discard"
    w.show()
    qtbot.waitUntil(lambda: w.worker.latest() is not None and w.later.started, timeout=5000)
    yield w
    w.close()


@pytest.fixture
def in_gui_thread(qtbot):
    """``in_gui_thread(signal)``: a signal re-emitted in the GUI thread each time ``signal`` fires, for
    ``qtbot.waitSignal``. pytest-qt's blocker is not a QObject, so connected straight to a signal emitted in the
    training thread it runs there and stops its timeout QTimer from that thread, which Qt refuses ("QObject::killTimer:
    Timers cannot be stopped from another thread"). A bound method of a QObject living in the GUI thread is queued."""
    from PySide6.QtCore import QObject, Signal

    class Relay(QObject):
        fired = Signal()

        def relay(self, *_args):
            self.fired.emit()

    relays = []

    def make(signal):
        relay = Relay()
        signal.connect(relay.relay)
        relays.append(relay)
        return relay.fired

    yield make
    for relay in relays:
        relay.deleteLater()


class Heartbeat:
    """A timer on the GUI thread ticking every 2 ms; ``count`` ticks so far, and ``reached`` (a threading.Event other
    threads can wait on) set once it has ticked ``enough`` times: proof that the event loop kept running."""

    def __init__(self, enough: int = 5):
        import threading

        from PySide6.QtCore import QTimer

        self.count, self.enough = 0, enough
        self.reached = threading.Event()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(2)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        self.count += 1
        if self.count >= self.enough:
            self.reached.set()


@pytest.fixture
def heartbeat():
    """``heartbeat(enough=5)``: a started Heartbeat, stopped after the test."""
    made = []

    def make(enough: int = 5) -> Heartbeat:
        beat = Heartbeat(enough)
        made.append(beat)
        return beat

    yield make
    for beat in made:
        beat.timer.stop()

"""The window's redraw of a view during a run (MainWindow._draw_view) paints what changed, now and only that: a
part of the panel whose content stayed is not painted again (every child and every plot item of a panel used to be,
at each redraw)."""

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from nnstudio.qt.main_window import MainWindow
from nnstudio.qt.panels.base import Panel, PanelContext


class _Counting(QLabel):
    def __init__(self, text):
        super().__init__(text)
        self.paints = 0

    def paintEvent(self, event):
        self.paints += 1
        super().paintEvent(event)


class _View(Panel):
    """A panel with a part that shows the snapshot and a part that never changes."""

    name = "test"

    def __init__(self, context):
        super().__init__(context)
        self.live, self.still = _Counting("–"), _Counting("a caption that never changes")
        layout = QVBoxLayout(self)
        layout.addWidget(self.live)
        layout.addWidget(self.still)

    def set_snapshot(self, snap) -> None:
        super().set_snapshot(snap)
        self.live.setText(str(snap))


def test_a_redraw_paints_what_changed_at_once_and_nothing_else(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    view = _View(PanelContext())
    QVBoxLayout(window).addWidget(view)
    window.resize(300, 120)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: view.live.paints > 0 and view.still.paints > 0)
    qtbot.wait(50)
    live, still = view.live.paints, view.still.paints
    MainWindow._draw_view(view, 12345)
    assert view.live.paints == live + 1  # painted within the call (its cost is measured there)
    assert view.live.text() == "12345"
    assert view.still.paints == still  # not painted again

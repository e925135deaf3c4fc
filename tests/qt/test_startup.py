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

"""Help -> About and Help -> Keyboard shortcuts, and the studio's icon."""

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QPushButton, QTableWidget

from nnstudio import __version__
from nnstudio.qt import about


def table_rows(table: QTableWidget) -> list[tuple[str, ...]]:
    return [tuple(table.item(r, c).text() for c in range(table.columnCount())) for r in range(table.rowCount())]


def test_the_window_has_our_icon(window):
    icon = window.windowIcon()
    assert not icon.isNull()
    image = icon.pixmap(32, 32).toImage()
    assert image.width() == 32 and len({image.pixel(x, 16) for x in range(32)}) > 3  # drawn, not blank


def test_about_shows_version_data_licences_and_libraries(window, qtbot):
    window.about_action.trigger()
    dialog = window.findChild(QDialog, "aboutDialog")
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert __version__ in dialog.findChild(QLabel, "aboutVersion").text()
    assert not dialog.findChild(QLabel, "aboutIcon").pixmap().isNull()
    data = dialog.findChild(QPlainTextEdit, "aboutDataLicences").toPlainText()
    assert "MNIST" in data and "CC BY-SA 3.0" in data and "BSD 3-Clause" in data
    rows = {name: (version, licence) for name, version, licence in
            table_rows(dialog.findChild(QTableWidget, "aboutLibraries"))}
    import numpy
    import pyqtgraph

    assert rows["numpy"][0] == numpy.__version__ and "BSD-3-Clause" in rows["numpy"][1]
    assert rows["pyqtgraph"] == (pyqtgraph.__version__, "MIT")
    assert {"Python", "Qt", "PySide6-Essentials", "threadpoolctl"} <= set(rows)
    assert all(version and licence for version, licence in rows.values())
    window.about_action.trigger()  # asked again: the same window, brought forward
    assert window.findChildren(QDialog, "aboutDialog") == [dialog]
    qtbot.mouseClick(dialog.findChild(QPushButton, "aboutCloseButton"), qtbot_left())
    assert not dialog.isVisible()


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_shortcuts_lists_every_action_with_keys(window):
    window.keys_action.trigger()
    dialog = window.findChild(QDialog, "keysDialog")
    assert dialog is not None and dialog.isVisible()
    listed = table_rows(dialog.findChild(QTableWidget, "keysTable"))
    keyed = [a for a in {*window.actions(), *window.findChildren(QAction)} if any(not k.isEmpty()
                                                                                 for k in a.shortcuts())]
    assert len(keyed) >= 8  # run, step, step epoch, reset, undo, redo, quit, save, open, ...
    for action in keyed:
        keys = " or ".join(dict.fromkeys(k.toString(QKeySequence.SequenceFormat.NativeText)
                                         for k in action.shortcuts() if not k.isEmpty()))
        text = action.text().replace("&", "")
        assert any(k == keys and d.startswith(text) for k, d in listed), (keys, text)
    assert any(k.startswith("Space") and d.startswith("Run") for k, d in listed)


def test_shortcuts_follow_the_actions(window):
    """A shortcut added after the list was first shown is in it the next time (read from the actions each time)."""
    window.keys_action.trigger()
    extra = QAction("Something new", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.addAction(extra)
    window.keys_action.trigger()
    dialog = window.findChild(QDialog, "keysDialog")
    listed = table_rows(dialog.findChild(QTableWidget, "keysTable"))
    assert any(d.startswith("Something new") for _, d in listed)
    assert len(window.findChildren(QTableWidget, "keysTable")) == 1


def test_libraries_without_metadata_fall_back_to_the_module(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "metadata", missing)
    rows = {name: (version, licence) for name, version, licence in about.libraries()}
    import numpy

    assert rows["numpy"] == (numpy.__version__, "BSD-3-Clause")


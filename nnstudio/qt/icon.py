"""NN Studio's icon and the name of its desktop entry (small: the window needs them before anything else shows)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from nnstudio.paths import resource_path

DESKTOP_ID = "io.github.nnstudio.NNStudio"  # packaging/linux/<id>.desktop: lets the desktop match windows to it


def app_icon() -> QIcon:
    """NN Studio's icon (resources/icons/nnstudio.svg), drawn at whatever size is asked."""
    return QIcon(str(resource_path("icons", "nnstudio.svg")))

"""The studio's main window (a first frame; the full studio is built on it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("NN Studio")
        self.resize(1100, 700)
        label = QLabel("NN Studio\n\nThe studio window is being built. Meanwhile, try:\n"
                       "nnstudio train --preset trask-neuron --predict 1,0,0")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setObjectName("welcomeLabel")
        label.setAccessibleName("Welcome")
        self.setCentralWidget(label)

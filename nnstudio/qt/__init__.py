"""The studio: the only part of NN Studio that imports PySide6 or pyqtgraph."""

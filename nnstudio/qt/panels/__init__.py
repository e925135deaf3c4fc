"""Live panels. Each gets what it shows (a Snapshot, the controller's dataset) and draws it; none computes
training maths. Each module runs on its own: ``python -m nnstudio.qt.panels.<name>``."""

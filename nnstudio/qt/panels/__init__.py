"""Live panels. Each gets what it shows (Snapshots, the PanelContext's dataset and experiment) and draws it; none
computes training maths. Each module runs on its own: ``python -m nnstudio.qt.panels.<name>``.

``panel_classes()`` maps the names used by exports and ``nnstudio plot`` to the panel classes."""

from __future__ import annotations

import importlib

PANEL_MODULES = {  # name -> (module, class)
    "network": ("nnstudio.qt.panels.network", "NetworkPanel"),
    "weights": ("nnstudio.qt.panels.weights", "WeightsPanel"),
    "curves": ("nnstudio.qt.panels.curves", "CurvesPanel"),
    "activation": ("nnstudio.qt.panels.activation", "ActivationPanel"),
    "surface": ("nnstudio.qt.panels.surface", "LossSurfacePanel"),
    "predictions": ("nnstudio.qt.panels.predictions", "PredictionsPanel"),
    "gallery": ("nnstudio.qt.panels.gallery", "GalleryPanel"),
}


def panel_classes() -> dict:
    return {name: getattr(importlib.import_module(mod), cls) for name, (mod, cls) in PANEL_MODULES.items()}

"""Screenshots of the backprop inspector ("Inside one update") for the README: run under a virtual X server, e.g.

    xvfb-run -a -s "-screen 0 1400x900x24" uv run python packaging/make_inspector_screenshots.py OUT_DIR

Each shot opens a lesson, turns on step-inside mode, selects a weight as a click on its edge would, walks to a stage
and grabs the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from shots import app_with_fresh_settings, studio_window, wait

SHOTS = [  # file, lesson, selected (parameter, flat index), stage (0-based), updates made first, sample (1-based)
    ("inspector-forward", "gender-network", (0, 1), 1, 0, 1),
    ("inspector-chain-rule", "trask-neuron", (0, 0), 3, 0, 2),
    ("inspector-backward", "gender-network", (2, 1), 4, 1, 1),
    ("inspector-update", "relu", (1, 1), 6, 5, 3),
]


def relu_experiment():
    from nnstudio.core.network import LayerSpec
    from nnstudio.training import Experiment

    return Experiment(name="relu-xor", title="A 2-layer ReLU network on XOR", dataset="xor",
                      dataset_params={"size": 60, "seed": 3}, layers=[LayerSpec(4, "relu"), LayerSpec(1, "sigmoid")],
                      init="he", seed=2, loss="binary_cross_entropy", optimizer="momentum", learning_rate=0.1,
                      batch_size=8, shuffle=True)



def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = app_with_fresh_settings()  # noqa: F841 (kept alive)
    from nnstudio.training import presets

    for name, lesson, selection, stage, updates, sample in SHOTS:
        w = studio_window(remember_layout=False)
        w.controller.open_experiment(relu_experiment() if lesson == "relu" else presets.get(lesson))
        wait(300)
        for _ in range(updates):
            w.step()
            wait(60)
        w.resizeDocks([w.data_dock, w.inspector_dock], [320, 620], Qt.Orientation.Horizontal)
        w.step_inside_action.setChecked(True)
        wait(400)
        w.context.select_weight(selection)
        w.inspector.sample_spin.setValue(sample)
        for _ in range(stage):
            w.inspector.next_stage()
        wait(300)
        path = out / f"{name}.png"
        w.grab().save(str(path))
        print(f"{path}: {w.inspector.headline.text()}", flush=True)
        w.shutdown()
        w.deleteLater()
        wait(50)


if __name__ == "__main__":
    main()

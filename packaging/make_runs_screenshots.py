"""Screenshots of comparing runs, the timeline and the neuron maps, under a virtual X server, e.g.

    xvfb-run -a -s "-screen 0 1500x950x24" uv run python packaging/make_runs_screenshots.py OUT_DIR

- runs-t5-two-learning-rates.png: T5's learning rates 0.008 and 0.001 compared from the same start, their paths
  on the exact loss surface of m and b (the star: least squares);
- runs-t4-one-vs-two-layers.png: T4's lone neuron and a hidden layer of three on one log-log plot;
- runs-spiral-neuron-maps.png: a 2-6-6-1 network on the spiral, each unit drawn as its output over the plane, the
  output's enlarged (the decision surface) with the training rows;
- runs-timeline-back.png: the timeline dragged back to update 20 of 60 (every view shows the network of then).
"""

from __future__ import annotations

import sys
from pathlib import Path

from shots import app_with_fresh_settings, studio_window, wait



def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = app_with_fresh_settings()  # noqa: F841 (kept alive)
    from nnstudio.core.network import LayerSpec
    from nnstudio.qt.timeline_bar import compare

    w = studio_window(1480, 920, at_origin=False, remember_layout=False)
    wait(500)

    def shot(name: str, widget=None) -> None:
        w.pull_snapshot()
        wait(600)
        (widget or w).grab().save(str(out / name))
        print(out / name)

    w.session.open_lesson("diabetes-regression")
    wait(300)
    compare(w, "learning_rate", [0.008, 0.001], 100)
    w.surface_dock.show()
    w.surface_dock.raise_()
    wait(300)
    w.surface.x_combo.setCurrentIndex(w.surface.x_combo.findData(0))
    w.surface.recompute()
    wait(2000)
    shot("runs-t5-two-learning-rates.png", w.surface_dock)

    w.session.open_lesson("perceptron-50k")
    wait(300)
    compare(w, "hidden_layers", [[], [3]], 5000)
    w.curves_dock.raise_()
    wait(1000)
    shot("runs-t4-one-vs-two-layers.png", w.curves_dock)

    w.controller.choose_dataset("spiral")
    exp = w.controller.experiment
    w.controller.edit(exp.replace(layers=[LayerSpec(6, "tanh"), LayerSpec(6, "tanh"), LayerSpec(1, "sigmoid")],
                                  learning_rate=0.03, optimizer="adam", batch_size=16, shuffle=True), "spiral net")
    w.run_action.trigger()
    wait(8000)
    w.run_action.trigger()
    wait(500)
    view = w.network_view
    g = view.drawing_geometry()
    view.canvas.hover = view.hit_test(g.center(len(g.columns_x) - 1, 0))
    view.canvas.update()
    shot("runs-spiral-neuron-maps.png", view)
    view.canvas.hover = None

    w.session.open_lesson("gender-network")
    wait(300)
    for _ in range(60):
        w.step_action.trigger()
    wait(1500)
    w.timeline_bar.go_to(20)
    wait(1500)
    shot("runs-timeline-back.png")
    w.close()


if __name__ == "__main__":
    main()

"""The GUI thread's CPU time per redraw of each view, while a 784-128-10 network trains on MNIST with every panel on
screen (the figure that decides how often the draw budget can redraw them; far less load-sensitive than throughput).

The window's own feeding is switched off; the bench redraws every visible view in turn with the newest snapshot
(--rounds times, --gap ms apart, so that each redraw has new data as in a run), timing each with the GUI thread's CPU
clock, exactly as the window's draw budget measures a redraw.

Figures (branch redraw2, Xvfb, 2 cores at load 2.0-2.8 from other benchmarks, so only the same-session pairs
compare; median ms per redraw, old = 2726922 then new, run alternately):
  --rounds 30 (60 ms apart):           Network 15.5 -> 14.2 (other runs 9.8-13.6), Activation 14.8 -> 9.3 (6.5-9.4);
                                       a round 54.4 -> 48.9 ms
  --rounds 8 --gap 2500 (as in a run): Network 17.3 -> 11.8, Activation 14.4 -> 9.2; a round 73.7 -> 59.6 ms
Every view costs more when redrawn seldom (cold caches: Curves 7 -> 25 ms, Weights 8 -> 17 ms at 2.5 s gaps).

Usage:
    xvfb-run -a -s "-screen 0 1600x1000x24" uv run python bench/redraw_cost.py [--rounds N] [--warm S]
        [--profile CurvesPanel,WeightsPanel] [--shots DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from gui_responsiveness import Studio, mnist_experiment, print_profiles  # noqa: E402

from nnstudio.training.threads import use_blas_threads  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=40, help="redraws of each view")
    p.add_argument("--gap", type=int, default=60, help="ms between rounds (new snapshots arrive meanwhile)")
    p.add_argument("--warm", type=float, default=4.0, help="seconds of training before measuring (some history)")
    p.add_argument("--profile", metavar="VIEWS", default=None, help="cProfile these views' redraws")
    p.add_argument("--shots", metavar="DIR", default=None, help="save a screenshot of each panel at the end")
    args = p.parse_args()
    use_blas_threads(1)
    from nnstudio import data

    exp, ds = mnist_experiment(10**6), data.load("mnist")
    studio = Studio(exp, ds, exp.batch_size, "all")
    w = studio.window
    w.run_action.trigger()
    studio.wait(int(args.warm * 1000))
    w.draw_budget.due = lambda *a, **k: []  # the bench draws, the window does not
    views = studio.views_on_screen()
    costs = {type(v).__name__: [] for v in views}
    import cProfile

    profilers = {name: cProfile.Profile() for name in (args.profile.split(",") if args.profile else [])}
    for _ in range(args.rounds):
        studio.wait(args.gap)
        snap = w.worker.latest()
        for v in views:
            name = type(v).__name__
            prof = profilers.get(name)
            start = time.thread_time()
            if prof:
                prof.enable()
            with w.worker.hold_for_gui():
                w._draw_view(v, snap)
            if prof:
                prof.disable()
            costs[name].append(time.thread_time() - start)
    if args.shots:
        out = Path(args.shots)
        out.mkdir(parents=True, exist_ok=True)
        for v in views:
            v.grab().save(str(out / f"{type(v).__name__}.png"))
    step = w.worker.latest().step
    w.run_action.trigger()
    studio.wait(300)
    studio.close()
    print(f"GUI thread CPU per redraw, ms (median / mean / worst of {args.rounds}; history of {step:,} updates):")
    total = 0.0
    for name, c in sorted(costs.items(), key=lambda kv: -np.median(kv[1])):
        c = 1000 * np.asarray(c)
        total += np.median(c)
        print(f"  {name.removesuffix('Panel'):<14} {np.median(c):6.1f} / {c.mean():6.1f} / {c.max():6.1f}")
    print(f"  a round of every view: {total:.1f} ms (medians)")
    print_profiles(profilers, 40, 25)


if __name__ == "__main__":
    main()

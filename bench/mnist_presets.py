"""The MNIST presets run headless as the command line runs them: test accuracy after each epoch, and the time from
nothing loaded to each epoch's end (loading MNIST and building the network included).

Usage: uv run python bench/mnist_presets.py [--presets mnist-fast mnist-tutorial] [--target 0.98]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["mnist-fast", "mnist-tutorial"])
    parser.add_argument("--target", type=float, default=0.98, help="test accuracy whose first epoch is reported")
    args = parser.parse_args()
    start = time.perf_counter()
    from nnstudio import data
    from nnstudio.training import Trainer, presets
    from nnstudio.training.threads import use_blas_threads

    use_blas_threads(1)
    for name in args.presets:
        t0 = time.perf_counter()
        exp = presets.get(name)
        ds = data.load(exp.dataset, **exp.dataset_params)
        loaded = time.perf_counter() - t0
        trainer = Trainer(exp, ds)
        built = time.perf_counter() - t0
        print(f"{name}: MNIST loaded in {loaded:.2f} s, network built at {built:.2f} s", flush=True)
        reached = None
        for epoch in range(1, exp.epochs + 1):
            trainer.run(max_epochs=epoch)
            accuracy = trainer.evaluate(trainer.X_test, trainer.Y_test)[1]
            at = time.perf_counter() - t0
            if reached is None and accuracy >= args.target:
                reached = (epoch, at)
            print(f"  epoch {epoch:3d}  test accuracy {accuracy:.4f}  at {at:6.2f} s", flush=True)
        print(f"  {name}: final {accuracy:.4f}; "
              + (f"{args.target:.1%} first at epoch {reached[0]}, {reached[1]:.2f} s from nothing loaded"
                 if reached else f"never reached {args.target:.1%}"), flush=True)
    print(f"(process: {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()

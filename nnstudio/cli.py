"""The ``nnstudio`` command. With no arguments it opens the studio (``nnstudio FILE.nnstudio`` opens a saved
session in it); subcommands work without a window:

    nnstudio presets                      the tutorial lessons
    nnstudio datasets                     the built-in datasets
    nnstudio train --preset trask-neuron --predict 1,0,0 [--json] [--save run.nnstudio]
    nnstudio train --preset NAME --data-dir FOLDER [--subset 1000]   (an IDX image folder, e.g. Fashion-MNIST)
    nnstudio plot --preset diabetes-regression --panel surface --out surface.png

Exit status: 0 when the command did what was asked; 2 for bad input (arguments, a missing, damaged or foreign file,
a network too big to build), with one line on stderr saying what is wrong; 1 for a failure during the run (training
diverged, out of memory, a file that cannot be written, Ctrl+C), also one line. Ctrl+C during ``train`` stops
after the current update, writes the --save file with what was trained so far (saying so), and exits 1. When the
reader of stdout goes away (``| head``), the command stops quietly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

from nnstudio.numbers import count

EXIT_USAGE = 2
EXIT_FAILURE = 1
EPILOG = ("exit status: 0 done; 2 bad input (arguments, a damaged or foreign file, a network too big to build); "
          "1 failure during the run (divergence, out of memory, a file not written, Ctrl+C)")


class UsageError(Exception):
    """Bad arguments: reported on one line, exit status 2."""


# "outputs" in --json lists every training row's outputs only for tables up to this size (MNIST's would be 12 MB)
MAX_JSON_OUTPUT_ROWS = 10_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(message)


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nnstudio", description="NN Studio: build, train and watch small neural networks. "
                                              "Run without arguments to open the studio.", epilog=EPILOG)
    from nnstudio import __version__

    p.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.add_parser("presets", help="list the tutorial lessons")
    sub.add_parser("datasets", help="list the built-in datasets")
    t = sub.add_parser("train", help="train a preset or an experiment file without a window")
    src = t.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", metavar="NAME", help="a lesson from 'nnstudio presets'")
    src.add_argument("--experiment", metavar="FILE.json", help="an experiment saved by the studio")
    t.add_argument("--epochs", type=_whole, metavar="N", help="epochs to train (default: the experiment's)")
    t.add_argument("--seed", type=_whole, metavar="S", help="random seed for the starting weights and order")
    t.add_argument("--lr", type=_positive, metavar="X", help="learning rate")
    t.add_argument("--early-stopping", type=_whole, metavar="K", help="stop when the test loss has not improved for "
                   "K epochs in a row (0: off; needs test rows)")
    t.add_argument("--data-dir", metavar="FOLDER", help="train on the images in FOLDER instead (MNIST's IDX files: "
                   "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], optionally the t10k-* pair; or a "
                   "Keras-style .npz file); the network's inputs and outputs follow the data")
    t.add_argument("--subset", type=_subset, metavar="N", help="train on N of the training images (image datasets; "
                   "each class keeps its share; 'all' for every image)")
    t.add_argument("--predict", action="append", default=[], metavar="V1,V2,...",
                   help="raw feature values to predict after training (repeatable)")
    t.add_argument("--save", metavar="FILE", help="write the session (experiment, weights, history) to FILE")
    t.add_argument("--json", action="store_true", help="print one JSON object on stdout and nothing else")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    pl = sub.add_parser("plot", help="train (or open a session) and write one panel as PNG, SVG or CSV")
    src = pl.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", metavar="NAME", help="a lesson from 'nnstudio presets'")
    src.add_argument("--session", metavar="FILE", help="a session saved by the studio or 'train --save'")
    pl.add_argument("--panel", required=True, metavar="NAME", help="network, weights, curves, activation, surface "
                                                                    "or predictions")
    pl.add_argument("--epochs", type=_whole, metavar="N", help="epochs to train (default: the experiment's)")
    pl.add_argument("--out", required=True, metavar="FILE", help="FILE.png, FILE.svg or FILE.csv")
    pl.add_argument("--size", default="1200x800", metavar="WxH", help="image size in pixels (default 1200x800)")
    return p


def _whole(text: str, what: str = "a whole number") -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _subset(text: str) -> int:
    return 0 if text.strip().lower() == "all" else _whole(text, "a whole number of images (or 'all')")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return value


def _parse_values(text: str, n: int, names: tuple[str, ...]) -> list[float]:
    parts = [s.strip() for s in text.replace(";", ",").split(",") if s.strip()]
    try:
        values = [float(s) for s in parts]
    except ValueError:
        bad = next(s for s in parts if not _is_number(s))
        raise UsageError(f"--predict {text!r}: {bad!r} is not a number") from None
    if not all(math.isfinite(v) for v in values):
        raise UsageError(f"--predict {text!r}: values must be finite numbers")
    if len(values) != n:
        shown = ", ".join(names) if len(names) <= 8 else f"{', '.join(names[:3])}, ..., {names[-1]}"  # e.g. pixels
        raise UsageError(f"--predict {text!r}: expected {n} value(s) ({shown}), got {len(values)}")
    return values


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


# -- subcommands ---------------------------------------------------------------------------------------------------------
def cmd_presets(args) -> int:
    from nnstudio.training.presets import PRESETS

    for name, p in PRESETS.items():
        print(f"{name:22} {p.title}\n{'':22} {p.description}")
    return 0


def cmd_datasets(args) -> int:
    from nnstudio.data import DATASETS

    for name, src in DATASETS.items():
        if not src.listed and "path" in src.defaults:  # a file of one's own: see the line below
            continue
        params = ", ".join(f"{k}={v}" for k, v in src.defaults.items())
        print(f"{name:14} {src.task:10} {src.title}" + (f"  [{params}]" if params else ""))
        print(f"{'':14} {src.description}")
    print("(and your own CSV files: File > Import CSV in the studio; image folders in MNIST's IDX format: "
          "nnstudio train --data-dir FOLDER)")
    return 0


def cmd_train(args) -> int:
    from nnstudio.cli_report import Interrupt, ProgressBar, finite, print_summary
    from nnstudio.training import presets
    from nnstudio.training.diagnose import saturation_note
    from nnstudio.training.experiment import Experiment, ExperimentError
    from nnstudio.training.session import Session
    from nnstudio.training.threads import use_blas_threads
    from nnstudio.training.trainer import Trainer

    use_blas_threads(1)
    try:
        exp = presets.get(args.preset) if args.preset is not None else Experiment.load(args.experiment)
    except KeyError as e:
        raise UsageError(str(e.args[0]) if e.args else str(e)) from None
    except ExperimentError as e:
        raise UsageError(str(e)) from None
    changes = {}
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.lr is not None:
        changes["learning_rate"] = args.lr
    if args.early_stopping is not None:
        changes["early_stopping"] = args.early_stopping
    exp, dataset = _with_data(exp.replace(**changes), args.data_dir, args.subset)
    try:
        trainer = Trainer(exp, dataset)
    except (ExperimentError, ValueError) as e:
        raise UsageError(str(e)) from None
    ds = trainer.dataset
    if trainer.experiment.early_stopping and trainer.X_test is None:
        print(f"nnstudio: early stopping does nothing here: {ds.title} has no test rows to watch", file=sys.stderr)
    queries = [_parse_values(text, ds.n_features, ds.feature_names) for text in args.predict]

    bar = ProgressBar(trainer.experiment.epochs, not (args.quiet or args.json))
    t0 = time.perf_counter()
    with Interrupt() as interrupt:
        try:
            reason = trainer.run(on_progress=bar, progress_interval=0.1, should_stop=lambda: interrupt.pressed)
        finally:
            bar.close()
        seconds = time.perf_counter() - t0
        interrupted = interrupt.pressed
        if args.save:
            try:
                Session(trainer).save(args.save)
            except OSError as e:
                print(f"nnstudio: cannot save {args.save}: {e.strerror or e}", file=sys.stderr)
                return EXIT_FAILURE
            except KeyboardInterrupt:
                print(f"nnstudio: interrupted while saving: {args.save} was not written (a file already there is "
                      f"unchanged)", file=sys.stderr)
                return EXIT_FAILURE

    train_loss, train_metric = trainer.evaluate(trainer.X_train, trainer.Y_train)
    test_loss, test_metric = (trainer.evaluate(trainer.X_test, trainer.Y_test) if trainer.X_test is not None
                              else (math.nan, math.nan))
    regression = ds.task == "regression"
    predictions = [{"input": q, "output": trainer.predict(q)[0].tolist()} for q in queries]
    note = None if trainer.diverged else saturation_note(trainer.snapshot())
    result = finite({
        "preset": args.preset, "experiment": args.experiment, "dataset": ds.name, "epochs": trainer.epoch,
        "updates": trainer.step_count, "final_loss": train_loss,
        "train_accuracy": None if regression else train_metric,
        "test_accuracy": None if regression or trainer.X_test is None else test_metric,
        "train_r2": train_metric if regression else None,
        "test_r2": test_metric if regression and trainer.X_test is not None else None,
        "layers": [{"weights": d.W.tolist(), "bias": None if d.b is None else d.b.tolist(),
                    "activation": d.activation.name} for d in trainer.network.dense_layers],
        # what the first layer expects: x' = (x - shift) / scale of the raw values, feature by feature
        "preprocessing": trainer.preprocessing.to_dict(),
        "outputs": trainer.last_outputs.tolist() if trainer.n_train <= MAX_JSON_OUTPUT_ROWS else None,
        "predictions": predictions, "seconds": seconds, "diverged": trainer.diverged, "note": note,
        "interrupted": interrupted, "stopped_early": reason == "early-stopped",
        "best_epoch": trainer.best.epoch, "best_test_loss": trainer.snapshot().best_test_loss,
    })
    if args.json:
        print(json.dumps(result))
    else:
        print_summary(trainer, result)
    if interrupted:
        saved = f"; saved what was trained so far to {args.save}" if args.save else ""
        print(f"nnstudio: interrupted after {count(trainer.epoch)} of {count(trainer.experiment.epochs)} epochs "
              f"({count(trainer.step_count)} updates){saved}", file=sys.stderr)
        return EXIT_FAILURE
    if trainer.diverged:
        print(f"nnstudio: {trainer.diverged}", file=sys.stderr)
        return EXIT_FAILURE
    return 0 if reason in ("finished", "early-stopped") else EXIT_FAILURE


def _with_data(exp, data_dir: str | None, subset: int | None):
    """``exp`` on the images of ``data_dir`` (its output layer, and its loss if need be, following the data) and
    that dataset, or on its own dataset with ``subset`` training images (and None: the Trainer loads it)."""
    from pathlib import Path

    from nnstudio import data
    from nnstudio.training.adapt import adapt_to_dataset

    if data_dir is None:
        if subset is None:
            return exp, None
        if "subset" not in data.DATASETS[exp.dataset].defaults:
            takes = [name for name, source in data.DATASETS.items() if "subset" in source.defaults]
            raise UsageError(f"--subset: the dataset {exp.dataset!r} has no subset (only image datasets do: "
                             f"{', '.join(takes)}; or give --data-dir)")
        return exp.replace(dataset_params={**exp.dataset_params, "subset": subset}), None
    path = Path(data_dir).expanduser()
    kind = "npz" if path.suffix.lower() == ".npz" and not path.is_dir() else "idx"
    params = {"path": str(path.resolve()), "subset": subset or 0, "subset_seed": 0}
    try:
        dataset = data.load(kind, **params)
    except data.DataError as e:
        raise UsageError(f"--data-dir: {e}") from None
    exp = exp.replace(dataset=kind, dataset_params=params, excluded_rows=(), cell_edits=())
    return adapt_to_dataset(exp, dataset, new_dataset=False)[0], dataset


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size {text!r}: expected WIDTHxHEIGHT in pixels, e.g. 1200x800") from None
    if not (64 <= w <= 8000 and 64 <= h <= 8000):
        raise UsageError(f"--size {text!r}: each side must be from 64 to 8000 pixels")
    return w, h


def cmd_plot(args) -> int:
    import os
    from pathlib import Path

    from nnstudio.qt.panels import PANEL_MODULES

    if args.panel not in PANEL_MODULES:
        raise UsageError(f"unknown panel {args.panel!r}; valid panels: {', '.join(PANEL_MODULES)}")
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".svg", ".csv"):
        raise UsageError(f"--out {args.out!r}: the file must end in .png, .svg or .csv")
    if not out.parent.exists():
        raise UsageError(f"--out {args.out!r}: the folder {out.parent} does not exist")
    width, height = _size(args.size)
    trainer = _plot_trainer(args)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # drawing needs no screen
    from nnstudio.qt.app import create_app
    from nnstudio.qt.export import export_panel, offscreen_panel
    from nnstudio.qt.panels import panel_classes
    from nnstudio.qt.panels.base import PanelContext

    app = create_app([])
    context = PanelContext()
    context.set_data(trainer.dataset, trainer.experiment)
    panel = offscreen_panel(panel_classes()[args.panel], context, trainer.snapshot(), width, height)
    try:
        export_panel(panel, out, width, height)
    except (OSError, ValueError) as e:
        print(f"nnstudio: cannot write {out}: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({panel.title}, epoch {trainer.epoch})", file=sys.stderr)
    del app
    return 0


def _plot_trainer(args):
    from nnstudio.training import presets
    from nnstudio.training.experiment import ExperimentError
    from nnstudio.training.session import Session, SessionError
    from nnstudio.training.threads import use_blas_threads
    from nnstudio.training.trainer import Trainer

    use_blas_threads(1)
    try:
        if args.session is not None:
            trainer = Session.load(args.session).trainer
            if args.epochs is not None:
                trainer.run(max_epochs=trainer.epoch + args.epochs)
            return trainer
        exp = presets.get(args.preset)
    except (KeyError, SessionError, ExperimentError) as e:
        raise UsageError(str(e.args[0]) if isinstance(e, KeyError) else str(e)) from None
    if args.epochs is not None:
        exp = exp.replace(epochs=args.epochs)
    trainer = Trainer(exp)
    trainer.run()
    return trainer


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure ends here as one line on stderr and exit status 2 (bad input) or 1."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (len(argv) == 1 and argv[0].endswith(".nnstudio")):
        from nnstudio.qt.app import main as studio_main

        return studio_main(argv)
    try:
        code = _dispatch(argv)
        sys.stdout.flush()  # a reader that went away shows here, not as a message at exit
        return code
    except UsageError as e:
        return _fail(f"error: {e}", EXIT_USAGE)
    except BrokenPipeError:
        # the reader of our output went away (| head): stop quietly; Python's own recipe, so that flushing at
        # exit does not complain either
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_FAILURE)
    except MemoryError:
        return _fail("out of memory (try a smaller network or fewer rows)", EXIT_FAILURE)
    except Exception as e:  # noqa: BLE001 - a bug still ends as one line; NNSTUDIO_DEBUG=1 shows the traceback
        if os.environ.get("NNSTUDIO_DEBUG"):
            raise
        return _fail(f"unexpected error ({type(e).__name__}: {' '.join(str(e).split())}); "
                     f"NNSTUDIO_DEBUG=1 shows where", EXIT_FAILURE)


def _dispatch(argv: list[str]) -> int:
    args = _build_parser().parse_args(argv)
    if args.command is None:
        raise UsageError("missing command (presets, datasets, train or plot); run without arguments for the "
                         "studio")
    return {"presets": cmd_presets, "datasets": cmd_datasets, "train": cmd_train, "plot": cmd_plot}[args.command](args)


def _fail(message: str, code: int) -> int:
    try:
        print(f"nnstudio: {message}", file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass
    return code


if __name__ == "__main__":
    sys.exit(main())

"""A seeded random-action ("monkey") run of the studio's main window, in a subprocess.

The monkey drives ``MainWindow`` through its real controls, found generically (every enabled, visible button, combo
box, spin box, slider, action, table and line edit with an objectName, so new controls are exercised without
changes here), plus a few weighted scenarios that reproduce classroom paths (a huge learning rate and run; a lesson,
a dataset or a hidden layer changed mid-run; ...) and waits of random length so runs progress. File dialogs and the
"unsaved changes" question are answered by the monkey (``window.session.ask_*``, each panel's ``ask_export_path``):
the answers are chosen with the action and recorded in it, and files go to the run's own folder.

Every action is one JSON object (kind, target objectName, value, answers), written to ``actions.jsonl`` before it is
performed: the list replays (``--replay FILE``) and can be shrunk to a minimal reproduction (bench/monkey_soak.py
--minimise). Random choices come from ``random.Random(seed)``; how far a run gets in a wait depends on timing, so the
state before each action (updates done, running, dataset) is recorded beside it.

A run fails on an uncaught exception, an error box (objectName ``errorDialog`` or a critical icon), a Qt warning
not on the platform allow-list, an event-loop stall over 2 s, a hang, or a crash (segfault/abort: the parent reads
faulthandler's traceback from the child's stderr). See monkey_watch.py. Expected warning boxes ("Training diverged",
"That change cannot be made", ...) are counted, closed, and the run goes on.

    python tests/qt/monkey.py --seed 3 --seconds 20          # one seed in a subprocess; prints the summary
    python tests/qt/monkey.py --replay actions.json          # replay a recorded list
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monkey_watch import HANG_S, Watch  # noqa: E402

HERE = Path(__file__).resolve()
LAST = 30  # actions shown before a failure
SETTLE_MS = 25  # events processed after every action
EXIT_HANG = 4


# -- the parent side: run one child, read what it left ---------------------------------------------------------------
def run_subprocess(seed: int | None = 1, seconds: float = 20.0, workdir: str | Path | None = None,
                   replay: list[dict] | None = None, keep_going: bool = False, timeout: float | None = None,
                   env: dict | None = None) -> dict:
    """Run the monkey (or a replay) in a fresh Python process; return its result with ``last_actions`` and, for a
    crash, faulthandler's traceback as the failure's details."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix=f"monkey-{seed}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in ("result.json", "actions.jsonl", "failures.jsonl", "stderr.txt"):
        (workdir / stale).unlink(missing_ok=True)
    cmd = [sys.executable, "-X", "faulthandler", str(HERE), "--child", "--workdir", str(workdir),
           "--seconds", str(seconds)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if replay is not None:
        (workdir / "replay.json").write_text(json.dumps(replay), encoding="utf-8")
        cmd += ["--replay", str(workdir / "replay.json")]
        seconds = sum(a.get("ms", 0) for a in replay) / 1000 + len(replay) * 0.1
    if keep_going:
        cmd.append("--keep-going")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1", **(env or {}))
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=timeout or seconds + HANG_S + 120)
        code, stderr = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as e:
        code = None
        stderr = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    (workdir / "stderr.txt").write_text(stderr, encoding="utf-8")
    result_file = workdir / "result.json"
    result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else {}
    actions = read_actions(workdir / "actions.jsonl")
    result.setdefault("failures", read_actions(workdir / "failures.jsonl"))  # those before a crash
    result.setdefault("seed", seed)
    result.setdefault("actions", len(actions))
    result.setdefault("elapsed", round(time.perf_counter() - started, 1))
    if code not in (0, 1, EXIT_HANG) or "progress" not in result:
        fatal = next((line for line in stderr.splitlines() if line.startswith("Fatal Python error")), "")
        what = f"killed by signal {-code}" if code is not None and code < 0 else (
            "timed out" if code is None else f"exit code {code}")
        result["failures"].append({"kind": "crash", "message": f"{fatal or 'the process died'} ({what})",
                                   "details": _crash_details(stderr), "action": len(actions) - 1})
    result["returncode"] = code
    result["workdir"] = str(workdir)
    result["all_actions"] = actions
    result["last_actions"] = actions[-LAST:]
    result["stderr_tail"] = stderr[-4000:]
    return result


def _crash_details(stderr: str) -> str:
    """faulthandler's report: the crashing thread's stack first (innermost frame first), then the other threads';
    else the end of stderr."""
    start = stderr.find("Fatal Python error")
    if start < 0:
        return stderr[-4000:]
    report = stderr[start:].split("\nExtension modules:")[0]
    blocks = report.split("\n\n")
    current = [b for b in blocks if b.lstrip().startswith("Current thread")]
    others = [b for b in blocks[1:] if b not in current]
    return "\n\n".join([blocks[0], *current, *others])[:8000]


def read_actions(path: Path) -> list[dict]:
    if not path.exists():
        return []
    actions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            actions.append(json.loads(line))
        except json.JSONDecodeError:  # the last line of a process that died while writing it
            pass
    return actions


def describe(a: dict) -> str:
    """One short line for an action, e.g. ``type learningRateSpin '1e6'``."""
    parts = [a["k"], a.get("t", "")]
    for key in ("d", "v", "ms", "by", "r", "c", "how"):
        if key in a and not (key == "v" and a["k"] == "mouse" and a.get("how") != "wheel"):
            parts.append(f"{key}={a[key]!r}" if key in ("r", "c", "how", "by") else repr(a[key]))
    if a.get("a"):
        parts.append(f"answers={a['a']}")
    if a.get("s"):
        parts.append(f"[{a['s']}]")
    st = a.get("st")
    if st:
        parts.append(f"(before: {st[0]} updates, {'running' if st[1] else 'paused'}, {st[2]})")
    return " ".join(p for p in parts if p != "")


def summary(result: dict, details: bool = True) -> str:
    """The per-seed summary: actions by kind, failures by kind, stalls; with ``details`` each failure's traceback
    and the last actions before the first."""
    kinds = Counter(f["kind"] for f in result.get("failures", []))
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(result.get("by_kind", {}).items(), key=lambda kv: -kv[1]))
    dialogs = ", ".join(f"{k} {n}" for k, n in sorted(result.get("dialogs", {}).items())) or "none"
    progress = result.get("progress", {})
    lines = [f"monkey seed {result.get('seed')}: {result.get('actions', 0)} actions in {result.get('elapsed', 0)} s "
             f"({by_kind})",
             f"  progress: {progress}",
             f"  boxes closed: {dialogs}",
             f"  exceptions {kinds['exception']}, RuntimeWarnings {kinds['py-warning']}, Qt warnings {kinds['qt-warning']}, "
             f"error boxes {kinds['error-box']}, "
             f"crashes {kinds['crash']}, hangs {kinds['hang'] + kinds['shutdown']}, stalls {kinds['stall']} "
             f"(worst gap {result.get('worst_gap', 0):.2f} s at action {result.get('worst_gap_action', -1)})"]
    if not details:
        return "\n".join(lines)
    by_n = {a.get("n"): a for a in result.get("all_actions", [])}
    for f in result.get("failures", []):
        at = by_n.get(f.get("action"))
        lines.append(f"FAILED ({f['kind']}) at action {f.get('action')}"
                     f"{': ' + describe(at) if at else ''}\n  {f['message']}")
        if f.get("details"):
            lines.append("  " + f["details"].strip().replace("\n", "\n  "))
    if result.get("failures"):
        lines.append(f"  seed {result.get('seed')}, the last {len(result.get('last_actions', []))} actions "
                     f"(all in {result.get('workdir')}/actions.jsonl):")
        lines += [f"    {a.get('n')}: {describe(a)}" for a in result.get("last_actions", [])]
    return "\n".join(lines)


# -- the child side ----------------------------------------------------------------------------------------------------
def child_main(seed: int, seconds: float, workdir: Path, replay: list[dict] | None, keep_going: bool) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from nnstudio.qt.app import create_app
    from nnstudio.training.threads import use_blas_threads

    use_blas_threads(1)  # as the studio does (nnstudio.qt.app.main)
    app = create_app()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(workdir / "settings"))

    results: dict = {}

    def write_result(extra: dict) -> None:
        results.update(extra)
        (workdir / "result.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")

    def on_hang(extra: dict) -> None:
        write_result({**monkey.result(), **extra})
        os._exit(EXIT_HANG)

    watch = Watch(on_hang=on_hang, log=open(workdir / "failures.jsonl", "w", encoding="utf-8"))
    watch.install()
    from monkey_actions import Monkey  # noqa: E402 - Qt is imported by now

    monkey = Monkey(app, seed, workdir, watch)
    code = monkey.run(seconds, replay=replay, keep_going=keep_going)
    watch.stop()
    write_result(monkey.result())
    if not monkey.window.worker_thread.thread.isRunning():
        from nnstudio.qt.app import _delete_before_exit

        _delete_before_exit(monkey.window)  # as the studio's main() does before the process ends
    return code


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--replay", help="a JSON list of actions (or an actions.jsonl) to perform instead of random ones")
    p.add_argument("--keep-going", action="store_true", help="go on after a failure (default: stop at the first)")
    p.add_argument("--workdir", help="folder for the run's files (default: a new temporary folder)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    replay = None
    if args.replay:
        text = Path(args.replay).read_text(encoding="utf-8")
        replay = json.loads(text) if text.lstrip().startswith("[") else read_actions(Path(args.replay))
    if args.child:
        return child_main(args.seed, args.seconds, Path(args.workdir), replay, args.keep_going)
    result = run_subprocess(args.seed, args.seconds, args.workdir, replay, args.keep_going)
    print(summary(result))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""A long monkey run (tests/qt/monkey.py) for soak testing: each seed in its own subprocess for --seconds, going on
after failures (unless --stop-at-first; after a crash the seed's remaining time goes to a new process seeded
seed*1000+k), then one line per distinct failure and, with --minimise, a minimal
list of actions that still reproduces it (found by replaying shorter lists in fresh processes).

    uv run python bench/monkey_soak.py --seconds 300 --seeds 1 2 3 --minimise
    uv run python bench/monkey_soak.py --replay /tmp/x/seed-1/actions.jsonl      # replay once and summarise

What a replay reproduces depends on timing where the failure does (how far a run got in a wait), so a shrunk list is
confirmed by replaying it again (--confirm times) and the count is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
spec = importlib.util.spec_from_file_location("monkey", HERE.parents[1] / "tests" / "qt" / "monkey.py")
monkey = importlib.util.module_from_spec(spec)
spec.loader.exec_module(monkey)


def signature(failure: dict) -> str:
    """What makes two failures the same: the kind, the message without numbers, and the deepest frame of our own code
    (or of pyqtgraph) in its traceback or stall stack."""
    message = re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "N", failure["message"].split("\n")[0])[:160]
    frames = re.findall(r'File "([^"]+)", line \d+, in (\w+)', failure.get("details", ""))
    ours = [f"{Path(f).name}:{fn}" for f, fn in frames if "/nnstudio/" in f or "pyqtgraph" in f]
    where = ours[-1] if ours else ""
    if failure["kind"] == "crash":  # the crashing thread's stack, innermost frame first
        block = next((b for b in failure.get("details", "").split("\n\n") if "Current thread" in b), "")
        inner = re.findall(r'File "([^"]+)", line \d+ in (\w+)', block)
        ours = [f"{Path(f).name}:{fn}" for f, fn in inner if "/nnstudio/" in f or "pyqtgraph" in f]
        where = ours[0] if ours else ("inside Qt, from the event loop" if inner else "inside Qt")
    return f"{failure['kind']}: {message} @ {where}"


def distinct(result: dict) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for f in result.get("failures", []):
        found.setdefault(signature(f), {**f, "count": 0})["count"] += 1
    return found


def reproduces(actions: list[dict], sig: str, workdir: Path) -> bool:
    result = monkey.run_subprocess(seed=None, workdir=workdir, replay=actions, keep_going=True)
    return sig in distinct(result)


def minimise(actions: list[dict], sig: str, workdir: Path, budget: int) -> tuple[list[dict], int]:
    """A shorter list that still fails with ``sig``: the shortest tail first (often the last action alone is
    enough), then delta debugging (drop chunks while it still fails), then shorter waits."""
    tries = 0

    def check(candidate: list[dict]) -> bool:
        nonlocal tries
        if tries >= budget or not candidate:
            return False
        tries += 1
        return reproduces(candidate, sig, workdir)

    k = 1
    while k < len(actions):
        if check(actions[-k:]):
            actions = actions[-k:]
            break
        k *= 2
    n = 2
    while len(actions) >= 2 and tries < budget:
        size = -(-len(actions) // n)
        for i in range(n):
            candidate = actions[:i * size] + actions[(i + 1) * size:]
            if candidate and check(candidate):
                actions, n = candidate, max(n - 1, 2)
                break
        else:
            if n >= len(actions):
                break
            n = min(len(actions), 2 * n)
    for i, a in enumerate(actions):
        if a["k"] == "wait" and a["ms"] > 100 and tries < budget:
            shorter = [*actions[:i], {**a, "ms": a["ms"] // 4}, *actions[i + 1:]]
            if check(shorter):
                actions = shorter
    return actions, tries


def report(result: dict, args, out: Path) -> None:
    print(monkey.summary(result, details=False))
    found = distinct(result)
    print(f"  {len(result.get('failures', []))} failures, {len(found)} distinct")
    for sig, f in found.items():
        print(f"  - [{f['count']}x, first at action {f.get('action')}] {sig}")
        print("    " + f["message"].split("\n")[0][:300])
        if f.get("details"):  # the innermost frames: a crash report lists them first, a traceback last
            lines = f["details"].strip().splitlines()
            print("    " + "\n    ".join(lines[:16] if f["kind"] == "crash" else lines[-14:]))
        if not args.minimise or f.get("action", -1) < 0:
            continue
        upto = [a for a in result["all_actions"] if a.get("n", 0) <= max(f.get("action", 0), 0)]
        started = time.perf_counter()
        small, tries = minimise(upto, sig, out / "shrink", args.max_replays)
        confirmed = sum(reproduces(small, sig, out / "shrink") for _ in range(args.confirm))
        print(f"    minimal: {len(small)} of {len(upto)} actions ({tries} replays, "
              f"{time.perf_counter() - started:.0f} s), reproduced {confirmed}/{args.confirm} times:")
        for a in small:
            print(f"      {monkey.describe({k: v for k, v in a.items() if k != 'st'})}")
        name = re.sub(r"\W+", "-", sig)[:60]
        (out / f"repro-seed{result.get('seed')}-{name}.json").write_text(json.dumps(small, indent=1))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=300.0, help="per seed")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--stop-at-first", action="store_true", help="stop each seed at its first failure")
    p.add_argument("--minimise", action="store_true", help="shrink each distinct failure to a minimal action list")
    p.add_argument("--max-replays", type=int, default=40, help="replays per failure while shrinking")
    p.add_argument("--confirm", type=int, default=3, help="replays of the shrunk list to confirm it")
    p.add_argument("--replay", help="replay this action list (JSON list or actions.jsonl) instead of seeds")
    p.add_argument("--out", help="folder for the runs' files (default: a new temporary folder)")
    args = p.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="monkey-soak-"))
    print(f"monkey soak: files in {out}", flush=True)
    if args.replay:
        text = Path(args.replay).read_text(encoding="utf-8")
        actions = json.loads(text) if text.lstrip().startswith("[") else monkey.read_actions(Path(args.replay))
        result = monkey.run_subprocess(seed=None, workdir=out / "replay", replay=actions, keep_going=True)
        report(result, args, out)
        return 1 if result["failures"] else 0
    failed = 0
    for seed in args.seeds:
        # a crash ends a process: the seed's time goes on in a new one, seeded seed*1000+k
        deadline, k = time.perf_counter() + args.seconds, 0
        while (left := deadline - time.perf_counter()) > 10 or k == 0:
            part = seed if k == 0 else seed * 1000 + k
            result = monkey.run_subprocess(part, left, out / f"seed-{part}", keep_going=not args.stop_at_first)
            report(result, args, out)
            failed += bool(result["failures"])
            sys.stdout.flush()
            k += 1
            if args.stop_at_first:
                break
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

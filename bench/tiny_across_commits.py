"""Tiny networks' updates per second at several commits, to tell a real slowdown from a busy machine.

Each commit's ``nnstudio`` package is unpacked with ``git archive`` into a temporary folder and run by this
project's Python with that folder first on the path; the commits take turns round after round, and each figure is
CPU time (``time.process_time``), so time spent waiting for a shared core does not count. Figures: trask-neuron
(3-1, 4 rows, full batch), gender-network (2-2-1, one person per update) and the same with the whole table per
update, each ``Trainer.run(max_updates=U)`` on a fresh Trainer, best of 3 per round.

Usage:
    uv run python bench/tiny_across_commits.py [--rounds R] [--updates U] COMMIT [COMMIT ...]
    (the working tree itself is the commit name "." )
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
import nnstudio
assert nnstudio.__file__.startswith(sys.argv[1]), nnstudio.__file__
from nnstudio.training import Trainer, presets
updates = int(sys.argv[2])
out = {}
for label, name, changes in (("trask-neuron", "trask-neuron", {}), ("gender-network", "gender-network", {}),
                             ("gender, full batch", "gender-network", {"batch_size": 0})):
    best = 0.0
    for _ in range(3):
        t = Trainer(presets.get(name).replace(epochs=10**7, **changes))
        start = time.process_time()
        t.run(max_updates=updates)
        best = max(best, updates / (time.process_time() - start))
    out[label] = best
print(json.dumps(out))
"""


def unpack(commit: str, where: Path) -> Path:
    folder = where / commit.replace("/", "_").replace(".", "worktree")
    folder.mkdir()
    if commit == ".":
        shutil.copytree(ROOT / "nnstudio", folder / "nnstudio")
    else:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "nnstudio"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("commits", nargs="+")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--updates", type=int, default=2000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folders = {c: unpack(c, Path(tmp)) for c in args.commits}
        results: dict[str, list[dict]] = {c: [] for c in args.commits}
        for _ in range(args.rounds):
            for commit, folder in folders.items():
                env = {"PYTHONPATH": str(folder), "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
                done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(args.updates)], env=env,
                                      capture_output=True, text=True, check=True, cwd=tmp)
                results[commit].append(json.loads(done.stdout))
    print(f"updates per second (CPU time), best of 3 x {args.updates:,} updates; rounds: "
          f"{args.rounds}, each column min-max over them")
    labels = list(next(iter(results.values()))[0])
    print(f"{'commit':>12s}  " + "  ".join(f"{label:>20s}" for label in labels))
    for commit, rounds in results.items():
        cells = [f"{min(r[k] for r in rounds):>9,.0f}-{max(r[k] for r in rounds):<9,.0f}" for k in labels]
        print(f"{commit:>12s}  " + "  ".join(f"{c:>20s}" for c in cells))


if __name__ == "__main__":
    main()

"""How long loading the shipped MNIST takes, and how much memory it needs.

Prints, on this machine:
- the time to read the four gzipped IDX files and check them (``load_mnist``), warm (files in the page cache),
  as the best and the median of several runs, and a 1,000-image subset;
- the share of that spent decompressing (zlib alone on the same bytes, for comparison);
- the peak memory (VmHWM) of a fresh process: after the imports, after loading MNIST, and after preparing the
  float32 arrays a network trains on (the one float32 copy), each measured in its own fresh process.

Usage: uv run python bench/mnist_load.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import time

PROBE = r"""
import sys, time
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
from nnstudio.data.mnist import load_mnist
from nnstudio.training.trainer import prepare_arrays
from nnstudio.training.experiment import Experiment
from nnstudio.core.network import LayerSpec
stage = sys.argv[1]
base = hwm()
if stage != "imports":
    t = time.perf_counter()
    ds = load_mnist()
    seconds = time.perf_counter() - t
if stage == "prepared":
    exp = Experiment(dataset="mnist", layers=[LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                     dtype="float32")
    prepared = prepare_arrays(ds, exp)
print(base, hwm())
"""


def peak_mb(stage: str) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", PROBE, stage], capture_output=True, text=True, check=True)
    before, after = (float(v) for v in done.stdout.split())
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    from nnstudio.data.mnist import FOLDER, TEST_FILES, TRAIN_FILES, load_mnist
    from nnstudio.paths import resource_path

    load_mnist()  # warm the page cache and the imports
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        ds = load_mnist()
        times.append(time.perf_counter() - t)
    print(f"load_mnist(): {ds.n_samples:,} + {len(ds.X_test):,} images of {ds.image_shape}, X {ds.X.dtype}")
    print(f"  warm, {args.repeats} runs: best {min(times):.3f} s, median {statistics.median(times):.3f} s")
    subset = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        load_mnist(subset=1000, subset_seed=0)
        subset.append(time.perf_counter() - t)
    print(f"  subset=1000: median {statistics.median(subset):.3f} s")

    files = [resource_path(FOLDER, f) for f in (*TRAIN_FILES, *TEST_FILES)]
    blobs = [f.read_bytes() for f in files]
    unzip = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        for blob in blobs:
            gzip.decompress(blob)
        unzip.append(time.perf_counter() - t)
    compressed = sum(len(b) for b in blobs)
    print(f"  gzip.decompress alone of the same {compressed / 1e6:.1f} MB: median {statistics.median(unzip):.3f} s")

    base, loaded = peak_mb("loaded")
    _, prepared = peak_mb("prepared")
    print("peak memory (VmHWM) of a fresh process:")
    print(f"  after the imports          {base:7.1f} MB")
    print(f"  after loading MNIST        {loaded:7.1f} MB  (+{loaded - base:.1f} MB; the pixels are "
          f"{(ds.X.nbytes + ds.X_test.nbytes) / 1e6:.1f} MB of uint8)")
    print(f"  after the float32 arrays   {prepared:7.1f} MB  (+{prepared - loaded:.1f} MB; float32 train + test "
          f"{(ds.X.size + ds.X_test.size) * 4 / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

"""Small generated image sets for the digit views' tests (until MNIST ships, and for other sizes and class counts):
seven-segment digits drawn with anti-aliased strokes, jittered in place, size, slant and thickness, at any picture
size. Load it with ``load_image_sets()`` (the tests run with --import-mode=importlib)."""

from __future__ import annotations

import numpy as np

from nnstudio.data.dataset import Dataset, Preprocessing

# segments as ((x0, y0), (x1, y1)) in a unit box, x to the right, y down: a top, b top right, c bottom right,
# d bottom, e bottom left, f top left, g middle
SEGMENTS = {"a": ((0, 0), (1, 0)), "b": ((1, 0), (1, 0.5)), "c": ((1, 0.5), (1, 1)), "d": ((0, 1), (1, 1)),
            "e": ((0, 0.5), (0, 1)), "f": ((0, 0), (0, 0.5)), "g": ((0, 0.5), (1, 0.5))}
DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afedcg", "abc", "abcdefg", "abcdfg"]


def _segment_distance(px, py, x0, y0, x1, y1):
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((px - x0) * dx + (py - y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
    return np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))


def draw_digit(k: int, shape=(28, 28), rng=None) -> np.ndarray:
    """Digit ``k`` (0..9) as a (h, w) uint8 picture, white ink on black, jittered by ``rng`` (None: no jitter)."""
    h, w = shape
    jitter = (lambda lo, hi: rng.uniform(lo, hi)) if rng is not None else (lambda lo, hi: (lo + hi) / 2)
    box_h = h * jitter(0.55, 0.7)
    box_w = min(w * 0.6, box_h * jitter(0.45, 0.6))
    cx, cy = w / 2 + jitter(-0.06, 0.06) * w, h / 2 + jitter(-0.06, 0.06) * h
    slant = jitter(-0.25, 0.25)
    thickness = max(0.6, min(h, w) * jitter(0.045, 0.07))
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    d = np.full((h, w), np.inf)
    for name in DIGITS[k]:
        (x0, y0), (x1, y1) = SEGMENTS[name]
        pts = [(cx + (x - 0.5) * box_w + slant * (0.5 - y) * box_h, cy + (y - 0.5) * box_h) for x, y in
               ((x0, y0), (x1, y1))]
        d = np.minimum(d, _segment_distance(xs, ys, *pts[0], *pts[1]))
    return (np.clip(thickness + 0.5 - d, 0, 1) * 255).astype(np.uint8)


def digit_set(n_train=600, n_test=200, shape=(28, 28), n_classes=10, seed=0, name="seven-segment",
              uint8=True) -> Dataset:
    """A classification set of seven-segment digits 0..n_classes-1 as pictures of ``shape``: raw values 0..255
    (uint8, preprocessing scale 255, as MNIST ships), or floats 0..1 with no preprocessing."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = np.arange(n) % n_classes
        rng.shuffle(y)
        X = np.stack([draw_digit(int(k), shape, rng).ravel() for k in y])
        return (X if uint8 else X / 255.0), y

    X, y = make(n_train)
    X_test, y_test = make(n_test) if n_test else (None, None)
    n = shape[0] * shape[1]
    prep = Preprocessing((0.0,) * n, (255.0,) * n, "divided by 255") if uint8 else None
    return Dataset(name=name, title=f"seven-segment digits {shape[0]}x{shape[1]}", task="multiclass", X=X, y=y,
                   feature_names=tuple(f"px{i}" for i in range(n)), class_names=tuple(str(k) for k in range(n_classes)),
                   preprocessing=prep, X_test=X_test, y_test=y_test, image_shape=shape)


def trained(ds: Dataset, hidden: int | None = 32, epochs=8, seed=0):
    """A Trainer on ``ds`` after ``epochs`` epochs (no hidden layer with ``hidden=None``)."""
    from nnstudio.core.network import LayerSpec
    from nnstudio.training import Experiment, Trainer

    layers = ([LayerSpec(hidden, "relu")] if hidden else []) + [LayerSpec(ds.n_classes, "softmax")]
    exp = Experiment(name=ds.name, dataset=ds.name, layers=layers, loss="softmax_cross_entropy", init="xavier",
                     optimizer="adam", learning_rate=0.01, batch_size=32, epochs=epochs, seed=seed,
                     preprocessing="dataset", dtype="float32")
    t = Trainer(exp, ds)
    t.run()
    return t

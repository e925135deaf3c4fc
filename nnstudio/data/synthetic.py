"""Generated two-feature classification sets in the spirit of TensorFlow Playground.

Every generator takes the same keyword parameters:

- ``size``: how many points in total (train plus test), a whole number from 4 to 100000;
- ``noise``: how much the points are blurred (its exact meaning is given per generator), a finite number >= 0;
- ``seed``: the seed of the random generator (a whole number >= 0); the same parameters always give identical arrays;
- ``test_fraction``: the share of the points held out for testing, in [0, 1).

The two classes are always the same size (class 1 gets ``size // 2`` points, class 0 the rest), so both are present
however small the set is. The points are shuffled, then divided into train and test parts by :func:`split`.
The features ``x1`` and ``x2`` come out in small ranges already (about [-1, 1], the spiral about [-5, 5]),
so no preprocessing is attached.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from nnstudio.data.dataset import DataError, Dataset, split
from nnstudio.data.registry import DatasetSource, register

MIN_SIZE = 4
MAX_SIZE = 100_000

FEATURE_NAMES = ("x1", "x2")
CLASS_NAMES = ("0", "1")

XOR_MARGIN = 0.1  # xor points keep at least this distance from both axes (before noise)
CIRCLE_INNER_RADIUS = 0.5  # class 1 fills the disc r <= 0.5
CIRCLE_RING = (0.7, 1.0)  # class 0 fills the ring 0.7 <= r <= 1
SPIRAL_RADIUS = 5.0  # the arms end this far from the centre
SPIRAL_TURNS = 1.75  # turns each arm makes on its way out
GAUSSIAN_CENTRES = ((-1.0, -1.0), (1.0, 1.0))  # class 0, class 1


# -- parameter checks -------------------------------------------------------------------------------------------------
def _check_params(name: str, size, noise, seed, test_fraction) -> dict:
    """Validate the common parameters; return them as plain Python numbers, or raise a DataError naming the culprit."""
    if isinstance(size, bool) or not isinstance(size, Integral) or not MIN_SIZE <= size <= MAX_SIZE:
        raise DataError(f"{name}: size must be a whole number from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
    if isinstance(noise, bool) or not isinstance(noise, Real) or not math.isfinite(noise) or noise < 0:
        raise DataError(f"{name}: noise must be a finite number >= 0, got {noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise DataError(f"{name}: seed must be a whole number >= 0, got {seed!r}")
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, Real)
            or not 0.0 <= test_fraction < 1.0):  # also rejects NaN
        raise DataError(f"{name}: test_fraction must be a number in [0, 1), got {test_fraction!r}")
    # + 0.0 turns -0.0 (a spin box's answer to a negative typed at its minimum) into 0.0, which numpy accepts
    return {"size": int(size), "noise": float(noise) + 0.0, "seed": int(seed),
            "test_fraction": float(test_fraction) + 0.0}


def _class_sizes(size: int) -> tuple[int, int]:
    """Points for class 0 and class 1: an even share, class 0 takes the odd one out."""
    n1 = size // 2
    return size - n1, n1


def _finish(name: str, title: str, description: str, X: np.ndarray, y: np.ndarray, params: dict,
            rng: np.random.Generator) -> Dataset:
    """Shuffle the generated points, split off the test part and wrap everything up as a Dataset."""
    order = rng.permutation(len(X))
    X = np.ascontiguousarray(X[order], dtype=np.float64)
    y = np.ascontiguousarray(y[order], dtype=np.int64)
    try:
        X_train, y_train, X_test, y_test = split(X, y, params["test_fraction"], params["seed"])
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    return Dataset(
        name=name, title=title, task="binary", X=X_train, y=y_train,
        feature_names=FEATURE_NAMES, class_names=CLASS_NAMES,
        X_test=X_test, y_test=y_test,
        description=description, source="generated (nnstudio.data.synthetic)", params=dict(params),
    )


def _labels(n0: int, n1: int) -> np.ndarray:
    return np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])


# -- the generators ---------------------------------------------------------------------------------------------------
XOR_DESCRIPTION = ("Points in the square [-1, 1]², labelled 1 when x1 and x2 have the same sign "
                   "(top-right and bottom-left quadrants) and 0 otherwise, so no single straight line separates them.")


def xor(*, size: int = 200, noise: float = 0.05, seed: int = 0, test_fraction: float = 0.25) -> Dataset:
    """The four-quadrant XOR pattern.

    Class 1 is where x1 * x2 > 0 (both coordinates positive or both negative), class 0 where they differ in sign.
    Before noise every coordinate lies between ``XOR_MARGIN`` and 1 in absolute value, so the classes are cleanly
    separated by the axes when ``noise`` is 0. ``noise`` is the standard deviation of gaussian jitter added to both
    coordinates after the labels are fixed, so with noise some points stray over an axis into the other class.
    """
    params = _check_params("xor", size, noise, seed, test_fraction)
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _class_sizes(params["size"])
    n = n0 + n1
    magnitude = rng.uniform(XOR_MARGIN, 1.0, size=(n, 2))
    sign1 = rng.choice(np.array([-1.0, 1.0]), size=n)
    y = _labels(n0, n1)
    # class 1: the second sign agrees with the first; class 0: it is the opposite
    sign2 = np.where(y == 1, sign1, -sign1)
    X = magnitude * np.column_stack([sign1, sign2])
    X = X + rng.normal(0.0, params["noise"], size=X.shape)
    return _finish("xor", "XOR (four quadrants)", XOR_DESCRIPTION, X, y, params, rng)


CIRCLES_DESCRIPTION = ("A disc of class-1 points (radius 0.5) inside a ring of class-0 points (radius 0.7 to 1), "
                       "which a network can only separate with a closed, curved boundary.")


def circles(*, size: int = 200, noise: float = 0.05, seed: int = 0, test_fraction: float = 0.25) -> Dataset:
    """A disc inside a ring.

    Class 1 is spread evenly over the disc of radius ``CIRCLE_INNER_RADIUS`` (0.5) around the origin, class 0 evenly
    over the ring between radii 0.7 and 1. ``noise`` is the standard deviation of gaussian jitter added to both
    coordinates afterwards; with noise 0 a point's class is exactly "distance from the origin below 0.6".
    """
    params = _check_params("circles", size, noise, seed, test_fraction)
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _class_sizes(params["size"])
    # radius drawn through a square root, so the points are evenly spread over the area rather than crowded inward
    r_inner = CIRCLE_INNER_RADIUS * np.sqrt(rng.uniform(0.0, 1.0, size=n1))
    lo, hi = CIRCLE_RING
    r_outer = np.sqrt(rng.uniform(lo * lo, hi * hi, size=n0))
    r = np.concatenate([r_outer, r_inner])
    angle = rng.uniform(0.0, 2.0 * np.pi, size=n0 + n1)
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    X = X + rng.normal(0.0, params["noise"], size=X.shape)
    return _finish("circles", "Circles (disc inside a ring)", CIRCLES_DESCRIPTION, X, _labels(n0, n1), params, rng)


SPIRAL_DESCRIPTION = ("Two spiral arms wound around each other for 1.75 turns out to radius 5, one per class, "
                      "the hardest of the generated sets to separate.")


def spiral(*, size: int = 200, noise: float = 0.1, seed: int = 0, test_fraction: float = 0.25) -> Dataset:
    """Two interleaved spirals, shaped like TensorFlow Playground's.

    Each point draws a position t uniformly from [0, 1] along its arm; it sits at radius ``SPIRAL_RADIUS * t`` and
    angle ``2π * SPIRAL_TURNS * t`` (measured from the x1 axis, counter-clockwise), plus π for class 1, so the class-1
    arm is the class-0 arm turned half a revolution. ``noise`` is the standard deviation of gaussian jitter added to
    both coordinates afterwards (the arms are about 1.4 apart, so the default 0.1 leaves them clearly visible).
    """
    params = _check_params("spiral", size, noise, seed, test_fraction)
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _class_sizes(params["size"])
    y = _labels(n0, n1)
    t = rng.uniform(0.0, 1.0, size=n0 + n1)
    r = SPIRAL_RADIUS * t
    angle = 2.0 * np.pi * SPIRAL_TURNS * t + np.pi * y
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    X = X + rng.normal(0.0, params["noise"], size=X.shape)
    return _finish("spiral", "Spiral (two interleaved arms)", SPIRAL_DESCRIPTION, X, y, params, rng)


GAUSSIANS_DESCRIPTION = ("Two round clouds of points, class 0 centred on (-1, -1) and class 1 on (1, 1), "
                         "which a straight line separates well unless the noise makes them overlap.")


def gaussians(*, size: int = 200, noise: float = 0.5, seed: int = 0, test_fraction: float = 0.25) -> Dataset:
    """Two gaussian blobs.

    Class 0 is drawn around (-1, -1) and class 1 around (1, 1); ``noise`` is the standard deviation of each blob in
    both coordinates (0 puts every point exactly on its centre).
    """
    params = _check_params("gaussians", size, noise, seed, test_fraction)
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _class_sizes(params["size"])
    y = _labels(n0, n1)
    centres = np.asarray(GAUSSIAN_CENTRES, dtype=np.float64)[y]
    X = centres + rng.normal(0.0, params["noise"], size=centres.shape)
    return _finish("gaussians", "Two gaussian blobs", GAUSSIANS_DESCRIPTION, X, y, params, rng)


def _defaults(noise: float) -> dict:
    return {"size": 200, "noise": noise, "seed": 0, "test_fraction": 0.25}


register(DatasetSource("xor", "XOR (four quadrants)", "binary", XOR_DESCRIPTION, xor, defaults=_defaults(0.05)))
register(DatasetSource("circles", "Circles (disc inside a ring)", "binary", CIRCLES_DESCRIPTION, circles,
                       defaults=_defaults(0.05)))
register(DatasetSource("spiral", "Spiral (two interleaved arms)", "binary", SPIRAL_DESCRIPTION, spiral,
                       defaults=_defaults(0.1)))
register(DatasetSource("gaussians", "Two gaussian blobs", "binary", GAUSSIANS_DESCRIPTION, gaussians,
                       defaults=_defaults(0.5)))

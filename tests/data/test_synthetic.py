"""The generated 2-D sets: reproducible, the right size, balanced, shaped as documented, strict about parameters."""

import math

import numpy as np
import pytest

from nnstudio.data import DATASETS, DataError, Dataset, load
from nnstudio.data import synthetic

GENERATORS = {
    "xor": synthetic.xor,
    "circles": synthetic.circles,
    "spiral": synthetic.spiral,
    "gaussians": synthetic.gaussians,
}
DEFAULT_NOISE = {"xor": 0.05, "circles": 0.05, "spiral": 0.1, "gaussians": 0.5}
names = pytest.mark.parametrize("name", sorted(GENERATORS))


def all_points(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Train and test parts joined back together."""
    if ds.X_test is None:
        return ds.X, ds.y
    return np.vstack([ds.X, ds.X_test]), np.concatenate([ds.y, ds.y_test])


@names
def test_same_parameters_give_identical_arrays(name):
    a = GENERATORS[name](size=120, noise=0.2, seed=7, test_fraction=0.3)
    b = GENERATORS[name](size=120, noise=0.2, seed=7, test_fraction=0.3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    np.testing.assert_array_equal(a.y_test, b.y_test)


@names
def test_different_seed_gives_different_points(name):
    a = GENERATORS[name](seed=1)
    b = GENERATORS[name](seed=2)
    assert not np.array_equal(a.X, b.X)


@names
def test_no_global_random_state_is_used(name):
    np.random.seed(0)
    a = GENERATORS[name](seed=3)
    np.random.seed(12345)
    np.random.rand(10)
    b = GENERATORS[name](seed=3)
    np.testing.assert_array_equal(a.X, b.X)


@names
@pytest.mark.parametrize("size,test_fraction", [(200, 0.25), (4, 0.0), (4, 0.25), (101, 0.1), (57, 0.5)])
def test_sizes_and_split(name, size, test_fraction):
    ds = GENERATORS[name](size=size, test_fraction=test_fraction)
    n_test = 0 if ds.X_test is None else len(ds.X_test)
    assert len(ds.X) + n_test == size
    assert n_test == round(size * test_fraction)
    assert ds.has_test == (n_test > 0)
    assert ds.X.shape[1] == 2
    assert ds.X.dtype == np.float64
    assert ds.y.dtype == np.int64


@names
@pytest.mark.parametrize("size", [4, 5, 200])
def test_both_classes_present_and_balanced(name, size):
    _, y = all_points(GENERATORS[name](size=size))
    assert set(np.unique(y)) == {0, 1}
    assert abs(int((y == 1).sum()) - int((y == 0).sum())) <= 1


@names
def test_metadata(name):
    ds = GENERATORS[name](size=40, noise=0.0, seed=5, test_fraction=0.5)
    assert ds.name == name
    assert ds.task == "binary"
    assert ds.feature_names == ("x1", "x2")
    assert ds.class_names == ("0", "1")
    assert ds.preprocessing.is_identity
    assert ds.params == {"size": 40, "noise": 0.0, "seed": 5, "test_fraction": 0.5}
    assert ds.description
    assert ds.title


@names
def test_registered_with_defaults(name):
    source = DATASETS[name]
    assert source.task == "binary"
    assert source.listed
    assert source.defaults == {"size": 200, "noise": DEFAULT_NOISE[name], "seed": 0, "test_fraction": 0.25}
    via_registry = load(name, seed=4, size=60)
    direct = GENERATORS[name](seed=4, size=60)
    np.testing.assert_array_equal(via_registry.X, direct.X)
    assert via_registry.params["noise"] == DEFAULT_NOISE[name]


@names
def test_shuffled(name):
    # the classes are generated in blocks; the stored order must not give them away
    _, y = all_points(GENERATORS[name](size=200, test_fraction=0.0))
    assert 0 < y[:100].sum() < 100


# -- geometry with no noise -------------------------------------------------------------------------------------------
def test_xor_sign_rule_and_margin():
    X, y = all_points(synthetic.xor(size=500, noise=0.0, seed=3))
    same_sign = X[:, 0] * X[:, 1] > 0
    np.testing.assert_array_equal(y == 1, same_sign)
    assert np.all(np.abs(X) >= synthetic.XOR_MARGIN)
    assert np.all(np.abs(X) <= 1.0)
    # all four quadrants are used
    quadrants = {(bool(a > 0), bool(b > 0)) for a, b in X}
    assert len(quadrants) == 4


def test_xor_noise_blurs_the_points():
    clean, _ = all_points(synthetic.xor(size=300, noise=0.0, seed=1))
    noisy, _ = all_points(synthetic.xor(size=300, noise=0.3, seed=1))
    assert not np.allclose(clean, noisy)


def test_circles_radius_rule():
    X, y = all_points(synthetic.circles(size=500, noise=0.0, seed=2))
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y == 1] <= synthetic.CIRCLE_INNER_RADIUS + 1e-12)
    lo, hi = synthetic.CIRCLE_RING
    assert np.all((r[y == 0] >= lo - 1e-12) & (r[y == 0] <= hi + 1e-12))
    np.testing.assert_array_equal(y == 1, r < 0.6)


def test_spiral_arms():
    X, y = all_points(synthetic.spiral(size=400, noise=0.0, seed=9))
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() <= synthetic.SPIRAL_RADIUS + 1e-9
    assert r.max() > 0.9 * synthetic.SPIRAL_RADIUS
    # every point sits where its arm passes at its radius: angle = 2π·1.75·(r / R), plus π for class 1
    t = r / synthetic.SPIRAL_RADIUS
    angle = 2 * np.pi * synthetic.SPIRAL_TURNS * t + np.pi * y
    np.testing.assert_allclose(X[:, 0], r * np.cos(angle), atol=1e-9)
    np.testing.assert_allclose(X[:, 1], r * np.sin(angle), atol=1e-9)
    assert synthetic.SPIRAL_TURNS == 1.75


def test_gaussians_centres_and_spread():
    X, y = all_points(synthetic.gaussians(size=100, noise=0.0))
    np.testing.assert_array_equal(X[y == 0], np.tile([-1.0, -1.0], ((y == 0).sum(), 1)))
    np.testing.assert_array_equal(X[y == 1], np.tile([1.0, 1.0], ((y == 1).sum(), 1)))
    X, y = all_points(synthetic.gaussians(size=4000, noise=0.5, seed=1))
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [1, 1], atol=0.05)
    np.testing.assert_allclose(X[y == 0].std(axis=0), [0.5, 0.5], atol=0.05)


# -- parameter checks -------------------------------------------------------------------------------------------------
BAD = [
    ("size", 3), ("size", 0), ("size", -10), ("size", 100_001), ("size", 10.5), ("size", 200.0), ("size", "200"),
    ("size", True), ("size", None),
    ("noise", -0.1), ("noise", math.nan), ("noise", math.inf), ("noise", "0.1"), ("noise", None),
    ("test_fraction", 1.0), ("test_fraction", -0.1), ("test_fraction", 1.5), ("test_fraction", math.nan),
    ("test_fraction", "0.2"),
    ("seed", -1), ("seed", 1.5),
]


@names
@pytest.mark.parametrize("param,value", BAD)
def test_bad_parameters_raise_data_error(name, param, value):
    with pytest.raises(DataError) as info:
        GENERATORS[name](**{param: value})
    message = str(info.value)
    assert param in message
    assert repr(value) in message
    assert name in message


@names
def test_limits_are_accepted(name):
    assert GENERATORS[name](size=4, noise=0.0, test_fraction=0.0).n_samples == 4
    assert GENERATORS[name](size=np.int64(10)).n_samples + len(GENERATORS[name](size=10).X_test) == 10


@names
def test_test_fraction_that_leaves_no_training_rows(name):
    with pytest.raises(DataError, match="training"):
        GENERATORS[name](size=4, test_fraction=0.9)


def test_unknown_parameter_through_registry():
    with pytest.raises(DataError, match="radius"):
        load("circles", radius=2)


def test_negative_zero_noise_from_a_spin_box_is_zero():
    """A spin box clamps a typed -1000 to its minimum and answers -0.0; numpy's normal() refused it (scale < 0)."""
    from nnstudio import data

    for name in ("xor", "circles", "spiral", "gaussians"):
        ds = data.load(name, noise=-0.0, test_fraction=-0.0)
        assert ds.params["noise"] == 0.0 and str(ds.params["noise"]) == "0.0"

"""Tables of pixels (uint8) stay cheap: no check or conversion makes a float64 copy of a big image set, and the
numbers a network sees are exactly those of the float64 formula."""

import tracemalloc

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data import dataset as dataset_module
from nnstudio.data.dataset import DataError, Dataset, Preprocessing
from nnstudio.training.experiment import Experiment
from nnstudio.training.trainer import prepare_arrays

ROWS, COLS = 2_000, 784  # 1.6 million pixels: big enough that a whole-table temporary stands out


def peak_bytes(f, *args, **kwargs):
    """What calling f allocates at its peak (numpy's arrays included), and its result."""
    tracemalloc.start()
    try:
        result = f(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def pixels():
    return np.random.default_rng(0).integers(0, 256, (ROWS, COLS), dtype=np.uint8)


def image_set(X, y=None):
    n, m = X.shape
    return Dataset(name="px", title="px", task="multiclass", X=X,
                   y=np.arange(n) % 10 if y is None else y, feature_names=tuple(f"p{i}" for i in range(m)),
                   class_names=tuple("0123456789"), preprocessing=Preprocessing((0.0,) * m, (255.0,) * m, "/255"))


def test_checking_a_table_of_pixels_copies_nothing(pixels):
    peak, ds = peak_bytes(image_set, pixels)
    assert ds.X is pixels
    assert peak < pixels.nbytes / 4  # (np.isfinite made a whole-table array of booleans: 1 byte per pixel)


def test_pixels_reach_a_float32_network_without_a_float64_copy(pixels):
    prep = Preprocessing((0.0,) * COLS, (255.0,) * COLS)
    peak, out = peak_bytes(prep.apply, pixels, np.float32)
    assert out.dtype == np.float32 and out.shape == pixels.shape
    assert peak < 1.1 * out.nbytes  # the result, and nothing of its size beside it


def test_pixel_over_255_in_float32_is_the_float64_result_rounded():
    every = np.arange(256, dtype=np.uint8).reshape(1, 256)
    prep = Preprocessing((0.0,) * 256, (255.0,) * 256)
    expected = (every.astype(np.float64) / 255.0).astype(np.float32)
    np.testing.assert_array_equal(prep.apply(every, np.float32), expected)
    np.testing.assert_array_equal(prep.apply(every, np.float64), every / 255.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["float64", "uint8", "int32", "1-d"])
def test_apply_gives_the_formula_bit_for_bit_in_blocks(monkeypatch, dtype, kind):
    monkeypatch.setattr(dataset_module, "BLOCK_VALUES", 50)  # many blocks, and a last one cut short
    rng = np.random.default_rng(1)
    X = rng.normal(100, 30, (37, 7)) if kind in ("float64", "1-d") else rng.integers(0, 256, (37, 7))
    X = X.astype(np.uint8) if kind == "uint8" else X
    X = X[0] if kind == "1-d" else X
    shift, scale = tuple(rng.normal(100, 10, 7)), tuple(rng.uniform(0.1, 50, 7))
    prep = Preprocessing(shift, scale)
    old = ((np.asarray(X, dtype=np.float64) - np.asarray(shift)) / np.asarray(scale)).astype(dtype)
    got = prep.apply(X, dtype)
    assert got.dtype == dtype and got.shape == X.shape
    if kind == "uint8" and dtype == np.float32:  # worked in float32: within a rounding or two
        np.testing.assert_allclose(got, old, rtol=3e-7, atol=3e-7)
    else:
        np.testing.assert_array_equal(got, old)
    assert not np.shares_memory(Preprocessing.identity(7).apply(X, np.float64), X)


def test_standardize_measures_the_same_numbers_in_blocks(monkeypatch):
    X = np.random.default_rng(2).normal(5, 3, (300, 11))
    X[:, 4] = 7.0  # constant: scale 1
    monkeypatch.setattr(dataset_module, "BLOCK_VALUES", 900)  # three columns a block
    prep = Preprocessing.standardize(X)
    np.testing.assert_array_equal(prep.shift, X.mean(axis=0))
    std = X.std(axis=0)
    np.testing.assert_array_equal(prep.scale, np.where(std > 0, std, 1.0))


def test_standardizing_pixels_makes_no_float64_copy(monkeypatch, pixels):
    monkeypatch.setattr(dataset_module, "BLOCK_VALUES", 1 << 15)  # blocks far smaller than this table
    peak, prep = peak_bytes(Preprocessing.standardize, pixels)
    np.testing.assert_allclose(prep.shift, pixels.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(prep.scale, pixels.std(axis=0), rtol=1e-12)
    assert peak < pixels.nbytes  # a block of columns at a time: not the table as float64 (8 bytes a pixel)


def test_the_trainers_arrays_from_pixels_are_one_float32_copy(pixels):
    ds = image_set(pixels)
    exp = Experiment(dataset="px", layers=[LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                     dtype="float32")
    peak, prepared = peak_bytes(prepare_arrays, ds, exp)
    assert prepared.X_train.dtype == np.float32
    assert peak < 1.1 * prepared.X_train.nbytes + prepared.Y_train.nbytes  # no copy of the pixels on the way
    np.testing.assert_array_equal(prepared.X_train, pixels / np.float32(255))
    left_out = prepare_arrays(ds, exp.replace(excluded_rows=(0, 5)))
    assert len(left_out.X_train) == ROWS - 2
    np.testing.assert_array_equal(left_out.X_train[0], prepared.X_train[1])


def test_editing_a_pixel_keeps_to_what_a_byte_holds():
    X = np.zeros((3, 4), dtype=np.uint8)
    ds = image_set(X, y=np.array([0, 1, 2]))
    edited = ds.with_edits([(1, 2, 200.0)])
    assert edited.X.dtype == np.uint8 and edited.X[1, 2] == 200 and ds.X[1, 2] == 0
    for value in (256.0, -1.0, 2.5):
        with pytest.raises(DataError, match=rf"^row 1, column 1: this table holds whole numbers from 0 to 255, got "
                                            rf"{value:g}$"):
            ds.with_edits([(0, 0, value)])

"""Big arrays of floats in session files as their bytes (nnstudio.packed): every bit back, non-finite numbers as NaN
(as the lists write null), and a damaged packed array refused with what is wrong."""

import base64
import json

import numpy as np
import pytest

from nnstudio import packed
from nnstudio.training import checks


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1024,), (64, 700), (3, 20, 30)])
def test_every_bit_comes_back(dtype, shape):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-30, 30, shape)).astype(dtype)
    a.flat[:4] = [0.0, -0.0, np.finfo(dtype).tiny / 4, np.finfo(dtype).max]  # a subnormal and the largest
    doc = json.loads(json.dumps(packed.to_json(a)))
    assert packed.is_packed(doc) and doc["packed"] == np.dtype(dtype).name and doc["shape"] == list(shape)
    b = packed.unpack(doc)
    assert b.dtype == dtype and b.shape == shape and b.flags.writeable
    assert a.tobytes() == b.tobytes()  # bit for bit, -0.0 and the subnormal included


def test_small_arrays_and_integers_stay_lists():
    assert packed.to_json(np.arange(1023.0)) == list(np.arange(1023.0))
    assert packed.to_json(np.arange(5000)) == list(range(5000))  # whole numbers (rows, updates) stay readable
    assert packed.is_packed(packed.to_json(np.zeros(1024, np.float32)))


def test_numbers_that_are_not_finite_come_back_as_nan():
    a = np.arange(2048, dtype=np.float32)
    a[[3, 5, 7]] = [np.nan, np.inf, -np.inf]
    b = packed.unpack(packed.pack(a))
    assert np.isnan(b[[3, 5, 7]]).all() and np.array_equal(np.delete(b, [3, 5, 7]), np.delete(a, [3, 5, 7]))


def test_the_header_and_the_pieces_join_into_json_dumps_of_the_whole():
    a = np.linspace(-1, 1, 6000, dtype=np.float32).reshape(60, 100)
    raw = packed.raw_bytes(a)
    pieces = [base64.b64encode(raw[i:i + 3 * 1000]).decode() for i in range(0, len(raw), 3 * 1000)]
    assert packed.header(a) + "".join(pieces) + '"}' == json.dumps(packed.pack(a))


def good(n=1024):
    return packed.pack(np.arange(n, dtype=np.float32))


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(packed="float16"), "a packed array of 'float16'"),
    (lambda d: d.update(packed=None), "a packed array of 'None'"),
    (lambda d: d.update(shape=[1023]), "base64 characters, but 1,023 float32 numbers take"),
    (lambda d: d.update(shape=[-1024]), "shape must be a list of whole numbers from 0 up"),
    (lambda d: d.update(shape="1024"), "shape must be a list of whole numbers from 0 up"),
    (lambda d: d.update(shape=[True] * 3), "shape must be a list of whole numbers from 0 up"),
    (lambda d: d.update(shape=[2**40, 2**40]), "numbers (at most"),
    (lambda d: d.update(base64=d["base64"][:-4]), "base64 characters, but 1,024 float32 numbers take"),
    (lambda d: d.update(base64="!" * len(d["base64"])), "not base64"),
    (lambda d: d.update(base64="é" * len(d["base64"])), "must be base64 text"),
    (lambda d: d.update(base64=12), "must be base64 text"),
    (lambda d: d.update(colour="red"), "unknown field 'colour'"),
])
def test_a_damaged_packed_array_is_refused_with_what_is_wrong(change, message):
    d = good()
    change(d)
    with pytest.raises(ValueError, match=None) as info:
        packed.unpack(d)
    assert message in str(info.value)
    with pytest.raises(checks.FieldError) as field:  # a session's reader names the field as well
        checks.array(d, "state.history.path.values")
    assert str(field.value).startswith("state.history.path.values") and message in str(field.value)


def test_a_session_reader_checks_a_packed_array_as_it_checks_lists():
    a = np.ones((4, 300), np.float32)
    a[2, 7] = np.nan
    with pytest.raises(checks.FieldError, match=r"the value at \[2, 7\] is NaN"):
        checks.array(packed.pack(a), "w")
    assert np.isnan(checks.array(packed.pack(a), "w", allow_nan=True)[2, 7])
    with pytest.raises(checks.FieldError, match="does not fit the expected"):
        checks.array(packed.pack(a), "w", shape=(300, 4))
    big = np.full(2048, 1e300)
    with pytest.raises(checks.FieldError, match="too large for float32"):
        checks.array(packed.pack(big), "w", dtype=np.float32)

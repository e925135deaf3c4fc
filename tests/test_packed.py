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
    (lambda d: d.update(packed=["float32"]), "a packed array of \"['float32']\""),
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


class BackslashOutsideAString(Exception):
    pass


def reference_nesting(data: bytes, max_depth: int):
    """A plain scanner, character by character: the position of the first bracket deeper than max_depth outside
    strings (None: none). A backslash outside a string is no JSON at all (the file is refused whatever the check
    says: the parser fails, or stops at its recursion limit, which parse_json reports): raises for it."""
    depth, inside, escaped = 0, False, False
    for i, c in enumerate(data):
        if not inside and c == ord("\\"):
            raise BackslashOutsideAString()
        if inside:
            if escaped:
                escaped = False
            elif c == ord("\\"):
                escaped = True
            elif c == ord('"'):
                inside = False
        elif c == ord('"'):
            inside = True
        elif c in b"[{":
            depth += 1
            if depth > max_depth:
                return i
        elif c in b"]}":
            depth -= 1
    return None


def test_the_nesting_check_agrees_with_a_plain_scanner_on_random_text():
    """Quotes, backslashes (runs of any length), brackets in and out of strings: the vectorised check finds the same
    first too-deep bracket as a character-by-character scan."""
    rng = np.random.default_rng(5)
    tried = 0
    alphabet = np.frombuffer(b'[[[{]]}"\\\\\\\\ a', dtype=np.uint8)
    for _ in range(6000):
        data = alphabet[rng.integers(0, len(alphabet), rng.integers(1, 60))].tobytes()
        try:
            at = reference_nesting(data, 3)
        except BackslashOutsideAString:
            continue
        tried += 1
        found = checks.nesting_problem(data, max_depth=3)
        if at is None:
            assert found is None, data
        else:
            assert found is not None and found.endswith(f"(line 1, column {at + 1})"), (data, found, at)
    assert tried > 500


def test_a_long_run_of_backslashes_is_measured_at_once():
    """A valid string of a million backslashes before a quote: the check counted the run one backslash a step
    (7 s); the answer must be right either way."""
    text = b'["' + b"\\\\" * 500_000 + b'", ' + b"[" * 40 + b"]" * 40 + b"]"
    before = len('["') + 1_000_000 + len('", ') + 31  # the outer list's bracket, then 31 of the 40
    assert checks.nesting_problem(text, max_depth=32) == \
        f"lists or objects nested more than 32 deep (line 1, column {before + 1})"
    odd = b'["' + b"\\\\" * 500_000 + b'\\"' + b"[" * 40 + b'"]'  # an escaped quote: the brackets are in the string
    assert checks.nesting_problem(odd, max_depth=32) is None


def test_an_experiments_starting_weights_are_lists_never_packed():
    """Experiment files are for people: a packed array where starting weights belong is refused naming the field
    (it reached the Trainer, which failed on it with an error naming nothing)."""
    from nnstudio.training import presets
    from nnstudio.training.experiment import Experiment, ExperimentError

    d = presets.get("diabetes-regression").to_dict()
    d["initial_weights"] = [packed.pack(np.ones((1, 1024))), [10.0]]
    with pytest.raises(ExperimentError, match=r"initial_weights\[0\]: expected a list of numbers"):
        Experiment.from_dict(d, "mine.json")

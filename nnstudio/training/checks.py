"""Checking what a file says before anything is built from it.

Every reader of a session or experiment file goes through these: each check returns a clean Python or numpy value or
raises ``FieldError`` naming the field (``state.history.epochs.x[3]``) and what is wrong with it, in one short line.
Nothing here allocates more than the file itself holds: arrays are made from lists the file contains, and a size a
file merely claims is compared with those lists, never used to allocate.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from numbers import Integral, Real

import numpy as np

from nnstudio import packed
from nnstudio.numbers import fmt

MAX_COUNT = 2**53  # counters (updates, epochs, rows) stay exact as floats and fit numpy's int64
MAX_DEPTH = 32  # lists and objects nested deeper than this are no file of ours (a session nests about 6 deep)


class FieldError(ValueError):
    """One field of a file that cannot be used: ``where`` is its path, the message says why."""

    def __init__(self, where: str, what: str):
        self.where = where
        super().__init__(f"{where}: {what}" if where else what)


def show(value, limit: int = 40) -> str:
    """A short, one-line description of a value found in a file (never its whole text)."""
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"an object of {len(value)} field(s)"
    text = repr(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(message: str, limit: int = 120) -> str:
    """A message on one line, at most ``limit`` characters."""
    line = " ".join(str(message).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a number" if isinstance(value, Real) else type(value).__name__


def whole(value, where: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
    """A whole number in [lo, hi]; 3.0 is accepted as 3 (JSON has one number type), true and 2.5 are not."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise FieldError(where, f"expected a whole number, found {_kind(value)} {show(value)}")
    if not isinstance(value, Integral):
        if not (math.isfinite(value) and float(value).is_integer()):
            raise FieldError(where, f"expected a whole number, found {show(value)}")
        value = int(value)
    value = int(value)
    if value < lo:
        raise FieldError(where, f"{value} is negative" if lo == 0 else f"{value} is less than {lo}")
    if value > hi:
        raise FieldError(where, f"{fmt(value)} is more than {fmt(hi)}, the most there can be")
    return value


def number(value, where: str, finite: bool = True, allow_none: bool = False) -> float:
    """A float; null gives NaN when ``allow_none``; ``finite`` refuses NaN and infinities."""
    if value is None and allow_none:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, Real):
        raise FieldError(where, f"expected a number, found {_kind(value)} {show(value)}")
    v = float(value)
    if finite and not math.isfinite(v):
        raise FieldError(where, f"{show(v)} is not a finite number")
    return v


def _of_type(value, where: str, kind: type, expected: str):
    if not isinstance(value, kind):
        raise FieldError(where, f"expected {expected}, found {_kind(value)} {show(value)}")
    return value


def text(value, where: str) -> str:
    return _of_type(value, where, str, "text")


def flag(value, where: str) -> bool:
    return _of_type(value, where, bool, "true or false")


def obj(value, where: str) -> dict:
    return _of_type(value, where, dict, "an object")


def seq(value, where: str) -> list:
    return _of_type(value, where, list, "a list")


def array(value, where: str, shape: tuple[int, ...] | None = None, dtype=np.float64, allow_nan: bool = False,
          ndim: int | None = None) -> np.ndarray:
    """An array of numbers made from (nested) lists the file holds, or from a packed array (``nnstudio.packed``), of
    exactly ``shape`` (or ``ndim`` dimensions); null (NaN) becomes NaN, which only ``allow_nan`` accepts; infinities
    are always refused."""
    if packed.is_packed(value):
        try:
            a = packed.unpack(value)
        except ValueError as e:
            raise FieldError(where, str(e)) from None
    else:
        _of_type(value, where, list, "a list of numbers")
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                a = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise FieldError(where, "expected a table of numbers (rows of equal length, numbers only)") from None
    if shape is not None and a.shape != tuple(shape):
        raise FieldError(where, f"shape {a.shape} does not fit the expected {tuple(shape)}")
    if ndim is not None and a.ndim != ndim:
        raise FieldError(where, f"expected {ndim} dimension(s), found shape {a.shape}")
    bad = np.isinf(a) if allow_nan else ~np.isfinite(a)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        found = "NaN (null in the file)" if np.isnan(a[at]) else "infinite"
        raise FieldError(where, f"the value at {list(at)} is {found}: it must be a finite number")
    with np.errstate(over="ignore", invalid="ignore"):
        cast = a.astype(dtype, copy=False)
    if cast.dtype != a.dtype:
        over = np.isinf(cast) & ~np.isinf(a)
        if over.any():
            at = tuple(int(i) for i in np.argwhere(over)[0])
            raise FieldError(where, f"the value at {list(at)}, {a[at]:.3g}, is too large for {cast.dtype.name}")
    return cast


def rng_state(value, where: str) -> dict:
    """A numpy PCG64 bit-generator state as ``bit_generator.state`` gives it."""
    d = obj(value, where)
    if d.get("bit_generator") != "PCG64":
        raise FieldError(f"{where}.bit_generator", f"expected 'PCG64', found {show(d.get('bit_generator'))}")
    inner = obj(d.get("state"), f"{where}.state")
    state = whole(inner.get("state"), f"{where}.state.state", 0, 2**128 - 1)
    inc = whole(inner.get("inc"), f"{where}.state.inc", 0, 2**128 - 1)
    if inc % 2 == 0:
        raise FieldError(f"{where}.state.inc", "a PCG64 increment is always odd")
    has_uint32 = whole(d.get("has_uint32"), f"{where}.has_uint32", 0, 1)
    uinteger = whole(d.get("uinteger"), f"{where}.uinteger", 0, 2**32 - 1)
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": has_uint32,
            "uinteger": uinteger}


def base64_text(value, where: str) -> str:
    """Text holding base64 (ASCII letters, digits, + / =), as Qt's saveState().toBase64() writes it."""
    s = text(value, where)
    if not s.isascii():
        bad = next(c for c in s if not c.isascii())
        raise FieldError(where, f"not base64 text (it holds the character {bad!r})")
    try:
        base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise FieldError(where, f"not base64 text ({e})") from None
    return s


def parse_json(text: str, where: str, what: str, error: type[Exception] = ValueError, raw: bytes | None = None):
    """What the JSON ``text`` holds, or ``error`` raised with one line starting with ``where``: nested deeper than
    MAX_DEPTH (looked for before parsing, in ``raw`` when given: the bytes ``text`` was decoded from), so not ``what``
    ("an experiment file"); or not valid JSON, with the parser's line and column or its reason (e.g. a number of more
    than 4,300 digits)."""
    try:
        deep = nesting_problem(text if raw is None else raw)
    except MemoryError:
        raise error(f"{where}: too big to read") from None
    if deep:
        raise error(f"{where}: not {what}: {deep}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"{where}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise error(f"{where}: not valid JSON ({clip(str(e), 120)})") from None


def nesting_problem(raw: str | bytes, max_depth: int = MAX_DEPTH) -> str | None:
    """Where JSON text nests lists/objects deeper than ``max_depth`` ("line 1, column 40"), or None. Works on the
    text, before parsing, so neither the parser nor anything after it recurses that deep; brackets inside strings
    are not counted. Only the quotes and brackets are looked at one by one: a session holds strings of millions of
    characters (packed arrays), which a regular expression walking every character took 12 s to skip."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return None
    codes = np.frombuffer(data, dtype=np.uint8)
    quotes = _unescaped(codes, np.flatnonzero(codes == ord('"')))
    opens = np.flatnonzero((codes == ord("[")) | (codes == ord("{")))
    closes = np.flatnonzero((codes == ord("]")) | (codes == ord("}")))
    at = np.concatenate([opens, closes])
    step = np.concatenate([np.ones(len(opens), np.int64), -np.ones(len(closes), np.int64)])
    order = np.argsort(at, kind="stable")
    at, step = at[order], step[order]
    outside = np.searchsorted(quotes, at, side="right") % 2 == 0  # an even number of quotes before it
    at, step = at[outside], step[outside]
    if not len(step):
        return None
    deep = np.flatnonzero(np.cumsum(step) > max_depth)
    if not len(deep):
        return None
    at = int(at[deep[0]])
    line = data.count(b"\n", 0, at) + 1
    column = at - (data.rfind(b"\n", 0, at) + 1) + 1
    return f"lists or objects nested more than {max_depth} deep (line {line}, column {column})"


def _unescaped(codes: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """The quotes that open or close a string: those not escaped by an odd run of backslashes right before them.
    The runs are measured all at once (a run of a million backslashes is one subtraction, not a million steps)."""
    backslashes = np.flatnonzero(codes == ord("\\"))
    if not len(backslashes) or not len(quotes):
        return quotes
    first = np.ones(len(backslashes), bool)  # a backslash that starts a run
    first[1:] = np.diff(backslashes) != 1
    run_start = backslashes[np.maximum.accumulate(np.where(first, np.arange(len(backslashes)), 0))]
    k = np.minimum(np.searchsorted(backslashes, quotes - 1), len(backslashes) - 1)  # the backslash before, if any
    run = np.where((quotes > 0) & (backslashes[k] == quotes - 1), quotes - run_start[k], 0)
    return quotes[run % 2 == 0]

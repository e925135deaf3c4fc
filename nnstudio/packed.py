"""Big arrays of floats in a JSON file as their bytes rather than as lists of numbers.

A session of an MNIST network keeps every weight at up to 64 points of its path: 13 million numbers, which as JSON
text (17 digits each) made a 295 MB file that took 20 s to write and 17 s to read, most of it in Python's JSON parser
(which holds the interpreter lock: the window froze). Written as bytes, the same numbers take 4 or 8 bytes each (a
third more in base64) and are read back in a fraction of a second, exactly (every bit kept).

An array is packed when it holds floats and at least ``PACKED_MIN`` numbers; smaller ones stay readable lists (the
tutorials' sessions are read by people). A packed array is the JSON object

    {"packed": "float32", "shape": [64, 203530], "base64": "..."}

with the numbers in C order, little-endian. As in the lists, a number that is not finite is written as NaN (the
lists write null, read back as NaN); what a reader then accepts is its business (``checks.array``).
"""

from __future__ import annotations

import base64
import binascii
import math

import numpy as np

PACKED_MIN = 1024
DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8")}
MAX_NUMBERS = 1 << 31  # a packed array claiming more is refused before anything is decoded


def packs(a: np.ndarray) -> bool:
    """Whether ``a`` is written packed."""
    return a.dtype.name in DTYPES and a.size >= PACKED_MIN


def header(a: np.ndarray) -> str:
    """The JSON text of a packed ``a`` up to its base64 digits (json.dumps's separators)."""
    return f'{{"packed": "{a.dtype.name}", "shape": {list(a.shape)}, "base64": "'


def raw_bytes(a: np.ndarray) -> bytes:
    """``a``'s numbers as little-endian bytes in C order, anything not finite as NaN."""
    a = np.ascontiguousarray(a, dtype=DTYPES[a.dtype.name])
    if not np.isfinite(a).all():
        a = np.where(np.isfinite(a), a, np.nan).astype(a.dtype)
    return a.tobytes()


def pack(a: np.ndarray) -> dict:
    return {"packed": a.dtype.name, "shape": list(a.shape), "base64": base64.b64encode(raw_bytes(a)).decode("ascii")}


def to_json(a: np.ndarray):
    """``a`` as a session file holds it: packed, or nested lists (``ndarray.tolist``)."""
    return pack(a) if packs(a) else a.tolist()


def is_packed(value) -> bool:
    return isinstance(value, dict) and "packed" in value


def unpack(value: dict) -> np.ndarray:
    """The array a packed object holds (a new, writable array in the machine's byte order); ValueError saying what
    is wrong with it."""
    kind = value.get("packed")
    if not isinstance(kind, str) or kind not in DTYPES:
        raise ValueError(f"a packed array of {str(kind)[:40]!r} (known: {', '.join(DTYPES)})")
    unknown = sorted(set(value) - {"packed", "shape", "base64"})
    if unknown:
        raise ValueError(f"a packed array with the unknown field {unknown[0][:40]!r}")
    shape = value.get("shape")
    if (not isinstance(shape, list) or len(shape) > 8
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise ValueError("a packed array's shape must be a list of whole numbers from 0 up")
    n = math.prod(shape)
    if n > MAX_NUMBERS:
        raise ValueError(f"a packed array of {n:,} numbers (at most {MAX_NUMBERS:,})")
    text = value.get("base64")
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("a packed array's numbers must be base64 text")
    dtype = DTYPES[kind]
    if len(text) != 4 * math.ceil(n * dtype.itemsize / 3):
        raise ValueError(f"{len(text):,} base64 characters, but {n:,} {kind} numbers take "
                         f"{4 * math.ceil(n * dtype.itemsize / 3):,}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"a packed array's numbers are not base64 ({e})") from None
    if len(raw) != n * dtype.itemsize:
        raise ValueError(f"{len(raw):,} bytes, but {n:,} {kind} numbers take {n * dtype.itemsize:,}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def numbers(value):
    """``value`` with a packed array unpacked (anything else as it is), for readers that take nested lists."""
    return unpack(value) if is_packed(value) else value

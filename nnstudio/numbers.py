"""One way to write a number for a person: short whatever its size, and never an error.

Every number the studio or the command line shows goes through ``fmt`` (or ``fixed`` / ``percent`` / ``count``),
so a weight of 1e300 after a divergence reads "1.00e+300" instead of three hundred digits, and NaN or infinity read
"nan" / "inf" instead of raising. Plain digits are kept where they stay short (0.0123, 42.5, 133).
"""

from __future__ import annotations

import math

LARGE = 1e6  # from here on: scientific notation
SMALL = 1e-4  # below this (and above 0): scientific notation


def _as_float(x) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return None


def _special(v: float) -> str | None:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def fmt(x, digits: int = 4, sign: bool = False) -> str:
    """``x`` with about ``digits`` significant digits: 0.1235, 1234, 1.235e+21, 1.235e-07, nan, inf.
    Anything that is not a number is written with ``str``. ``sign`` writes a + before positive numbers."""
    v = _as_float(x)
    if v is None:
        if isinstance(x, int):  # a whole number too big for a float: its leading digits and its exponent
            digits_text = str(abs(x))
            return (f"{'-' if x < 0 else '+' if sign else ''}{digits_text[0]}.{digits_text[1:max(1, digits)]}"
                    f"e+{len(digits_text) - 1}")
        return str(x)
    special = _special(v)
    if special is not None:
        return ("+" + special) if sign and special == "inf" else special
    digits = max(1, int(digits))
    plus = "+" if sign else ""
    a = abs(v)
    if a != 0 and (a >= LARGE or a < SMALL):
        return f"{v:{plus}.{digits - 1}e}"
    text = f"{v:{plus}.{digits}g}"
    if "e" in text:  # 'g' chose an exponent for a number in the plain range (e.g. 123456 with 4 digits)
        text = f"{v:{plus}.0f}"
    return text


def fixed(x, decimals: int = 4, sign: bool = False) -> str:
    """``x`` with a fixed number of decimals (0.1235 for 4) while that stays short, else as ``fmt``: a learner
    comparing with a tutorial's printout sees its digits, and 1e300 still fits its label."""
    v = _as_float(x)
    if v is None:
        return str(x)
    if _special(v) is not None or abs(v) >= LARGE:
        return fmt(v, max(decimals, 3), sign)
    return f"{v:{'+' if sign else ''}.{max(0, int(decimals))}f}"


def percent(x, decimals: int = 1) -> str:
    """A share as a percentage (0.975 -> 97.5%); "–" for a missing share."""
    v = _as_float(x)
    if v is None or not math.isfinite(v):
        return "–"
    if abs(v) >= 100:  # 10,000% and more: a number that went wrong, written short
        return f"{fmt(v * 100, 3)}%"
    return f"{v:.{max(0, int(decimals))}%}"


def count(x) -> str:
    """A whole number with thousands separators (12,345); huge or missing counts as ``fmt``."""
    v = _as_float(x)
    if v is None or not math.isfinite(v) or abs(v) >= 1e15:
        return fmt(x)
    return f"{int(round(v)):,}"


def duration(seconds) -> str:
    """A length of time for people, to two units at most: "under a second", "40 s", "3 min 20 s", "2 h 5 min",
    "3 days 4 h"; "–" for a missing or impossible one."""
    v = _as_float(seconds)
    if v is None or not math.isfinite(v) or v < 0:
        return "–"
    if v < 1:
        return "under a second"
    s = int(round(v))
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} min {s} s" if s else f"{m} min"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(h, 24)
    days = f"{count(d)} day{'s' if d != 1 else ''}"
    return f"{days} {h} h" if h and d < 100 else days

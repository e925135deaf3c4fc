"""The panels' colours and "nice" scale steps, without pyqtgraph: the network drawing on the first screen uses them
before any plot exists (``colormaps`` re-exports them beside its pyqtgraph helpers).

The sign colours match the network drawing: blue for positive, orange for negative, white for zero. The class colours
are one palette for every view that colours classes (the data scatter, the decision surface, the confusion matrix):
class 0 orange and class 1 blue, as the sign colours have it, then the usual ten-colour cycle."""

from __future__ import annotations

import math

POSITIVE = (38, 110, 200)
NEGATIVE = (230, 120, 20)
AXIS_PEN = (40, 40, 40)

# class k is drawn in CLASS_COLOURS[k % 10], in every view
CLASS_COLOURS = (NEGATIVE, POSITIVE, (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194),
                 (127, 127, 127), (188, 189, 34), (23, 190, 207))


def class_colour(k: int) -> tuple[int, int, int]:
    """The colour of class k (0-based) wherever classes are coloured."""
    return CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]

# Sixteen colours that stay apart from each other on white (units beyond 16 reuse them in order).
UNIT_COLOURS = [  # blue and orange come last: the sign colours and the activation curves use them
    (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
    (188, 189, 34), (23, 190, 207), (57, 59, 121), (173, 73, 74), (99, 121, 57), (140, 109, 49),
    (123, 65, 115), (0, 0, 0), (31, 119, 180), (255, 127, 14),
]


def sign_colour(value: float, scale: float) -> tuple[int, int, int]:
    """The colour the diverging map gives ``value`` on the symmetric scale (-scale, scale)."""
    t = 0.0 if scale <= 0 else max(-1.0, min(1.0, value / scale))
    end = POSITIVE if t >= 0 else NEGATIVE
    k = abs(t)
    return tuple(int(round(255 + (c - 255) * k)) for c in end)


NICE_STEPS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceil(x: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= x (x <= 0 or not finite
    gives 1)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in NICE_STEPS:
        v = m * 10.0 ** exp
        if v >= x * (1 - 1e-12):
            return float(v)
    return float(10.0 ** (exp + 1))

"""A hand-drawn picture made ready for a network trained on MNIST, the way MNIST's own digits were made.

LeCun, Cortes and Burges describe it: each NIST digit was scaled to fit a 20x20 box keeping its aspect ratio, with
anti-aliasing (so the edges turn grey), then placed in a 28x28 field so that its centre of mass lies at the field's
centre. ``prepare_digit`` does the same to a drawing (white ink on black, values 0..255):

1. crop to the ink's bounding box (every pixel above 0);
2. scale it so that it fits the box, keeping its aspect ratio: the limiting side becomes exactly the box's side.
   Shrinking averages the area each new pixel covers; enlarging (a tiny drawing) interpolates linearly;
3. paste it into the field, shifted so that its centre of mass (in pixel-index coordinates, the mean of the row and
   column numbers weighted by ink) lands on (height / 2, width / 2), the shift rounded to whole pixels. A drawing so
   lopsided that this would push ink past the edge is shifted only as far as keeps it all;
4. round to uint8, 0..255.

For an image set of another size the box is 20/28 of each side (``ink_box``). Plain numpy: the drawing pad calls it,
the tests check it.
"""

from __future__ import annotations

import math

import numpy as np

MNIST_FIELD, MNIST_BOX = 28, 20


def ink_box(shape: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of the box a drawing is fitted into for pictures of ``shape``: 20/28 of each side, rounded,
    at least 1 (20x20 for 28x28, 6x6 for 8x8, 9x7 for 12x10)."""
    return tuple(max(1, _round(side * MNIST_BOX / MNIST_FIELD)) for side in shape)


def _round(x: float) -> int:
    """Half away from zero for the positive numbers used here (Python's round() sends 2.5 to 2)."""
    return int(math.floor(x + 0.5))


def _axis_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): how much each old pixel along one axis gives each new one. Shrinking, a new pixel is the
    average of the stretch of old ones it covers (partial pixels in part); enlarging, it is interpolated linearly
    between the two old pixels nearest its centre. Every row sums to 1."""
    M = np.zeros((n_out, n_in))
    if n_out <= n_in:
        step = n_in / n_out
        for j in range(n_out):
            lo, hi = j * step, (j + 1) * step
            for i in range(int(math.floor(lo)), min(int(math.ceil(hi)), n_in)):
                M[j, i] = min(hi, i + 1) - max(lo, i)
        return M / step
    centres = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    left = np.floor(centres).astype(int)
    right = np.minimum(left + 1, n_in - 1)
    t = centres - left
    M[np.arange(n_out), left] += 1 - t
    M[np.arange(n_out), right] += t
    return M


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (2-D) resampled to ``height`` x ``width`` as float64, each axis by ``_axis_weights`` (area averages
    when shrinking, so a 200-pixel stroke becomes a 20-pixel one with grey edges, never a jagged nearest pick)."""
    image = np.asarray(image, dtype=np.float64)
    return _axis_weights(image.shape[0], height) @ image @ _axis_weights(image.shape[1], width).T


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass in pixel-index coordinates; the image's middle when it is blank."""
    image = np.asarray(image, dtype=np.float64)
    total = image.sum()
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows = image.sum(axis=1) @ np.arange(image.shape[0]) / total
    cols = image.sum(axis=0) @ np.arange(image.shape[1]) / total
    return float(rows), float(cols)


def prepare_digit(drawn, shape: tuple[int, int] = (MNIST_FIELD, MNIST_FIELD)) -> np.ndarray | None:
    """The drawing as a picture of ``shape`` (height, width) prepared as MNIST's digits were (see the module's
    text): uint8, white ink on black. ``drawn`` is a 2-D greyscale image, ink 0..255 (larger values are taken as 255,
    NaN as no ink). None when there is no ink at all."""
    ink = np.asarray(drawn, dtype=np.float64)
    if ink.ndim != 2:
        raise ValueError(f"a drawing is a 2-D greyscale image, got shape {ink.shape}")
    field_h, field_w = (int(v) for v in shape)
    if field_h < 1 or field_w < 1:
        raise ValueError(f"pictures of {field_h}x{field_w} pixels cannot hold a drawing")
    ink = np.clip(np.nan_to_num(ink, nan=0.0, posinf=255.0, neginf=0.0), 0.0, 255.0)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not rows.size:
        return None
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    box_h, box_w = ink_box((field_h, field_w))
    factor = min(box_h / crop.shape[0], box_w / crop.shape[1])
    h = min(box_h, max(1, _round(crop.shape[0] * factor)))
    w = min(box_w, max(1, _round(crop.shape[1] * factor)))
    small = resize(crop, h, w)
    cy, cx = centre_of_mass(small)
    top = min(max(_round(field_h / 2 - cy), 0), field_h - h)
    left = min(max(_round(field_w / 2 - cx), 0), field_w - w)
    out = np.zeros((field_h, field_w))
    out[top:top + h, left:left + w] = small
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)

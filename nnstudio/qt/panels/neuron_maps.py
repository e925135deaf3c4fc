"""What each neuron computes over the input plane, for networks on 2-D data: one small picture per neuron.

Every hidden neuron's output (and the output neuron's, the decision surface) is worked out on a grid over the data's
plane with the snapshot's weights, and coloured as the decision surface is: the middle of the activation's range
white, its top in blue (class 1's colour, the sign colour of positive values) and its bottom in orange. Where the
top and bottom lie depends on the activation: sigmoid 0..1, tanh -1..1, an unbounded one (ReLU, linear) symmetric
around 0 up to the largest size the neuron reaches on the grid. Inf or NaN (a diverged network) are drawn grey.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.qt.panels.colours import NEGATIVE, POSITIVE

SIZE = 40  # grid points per axis of a neuron's picture
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softmax": (0.0, 1.0), "step": (0.0, 1.0)}
NOT_FINITE = (170, 170, 170)


@dataclass(frozen=True, eq=False)
class NeuronMaps:
    xs: np.ndarray
    ys: np.ndarray
    values: tuple[np.ndarray, ...]  # per dense layer: (units, len(ys), len(xs)) outputs a = f(z)
    images: tuple[np.ndarray, ...]  # per dense layer: (units, len(ys), len(xs), 3) uint8, row 0 at the bottom

    def value_at(self, layer: int, unit: int, row: int, column: int) -> float:
        return float(self.values[layer][unit, row, column])


def grid_axes(axes, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``size`` points along each of two axes spanning the given ones (e.g. the decision surface's grid)."""
    xs, ys = (np.asarray(a, dtype=np.float64) for a in axes)
    return np.linspace(xs[0], xs[-1], size), np.linspace(ys[0], ys[-1], size)


def compute(snap, axes, size: int = SIZE) -> NeuronMaps:
    """Every neuron's output over the plane spanned by ``axes`` (two 1-D arrays of raw feature values)."""
    xs, ys = grid_axes(axes, size)
    gx, gy = np.meshgrid(xs, ys)
    layers = snap.forward_layers(np.column_stack([gx.ravel(), gy.ravel()]))
    values, images = [], []
    for spec, (_, a) in zip(snap.layers, layers):
        v = np.asarray(a, dtype=np.float64).T.reshape(a.shape[1], len(ys), len(xs))
        values.append(v)
        images.append(colour(v, spec.activation))
    return NeuronMaps(xs, ys, tuple(values), tuple(images))


def colour(values: np.ndarray, activation: str) -> np.ndarray:
    """RGB pictures (uint8) of neuron outputs: see the module's description. Works on any numbers."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(values)
        if activation in BOUNDED:
            lo, hi = BOUNDED[activation]
            t = (np.where(finite, values, 0.0) - lo) / (hi - lo) * 2 - 1  # -1 .. 1
        else:  # per neuron, symmetric around zero
            v = np.where(finite, values, 0.0)
            scale = np.abs(v).reshape(len(v), -1).max(axis=1) if v.size else np.zeros(0)
            scale = np.where(scale > 0, scale, 1.0)[:, None, None]
            t = v / scale
        t = np.clip(t, -1.0, 1.0)[..., None]
        pos, neg, white = (np.array(c, dtype=np.float64) for c in (POSITIVE, NEGATIVE, (255, 255, 255)))
        rgb = np.where(t >= 0, white + (pos - white) * t, white + (neg - white) * -t)
        rgb[~finite] = NOT_FINITE
    return np.rint(rgb).astype(np.uint8)


# -- in the network drawing -------------------------------------------------------------------------------------------
ENLARGED = 170  # pixels of a map enlarged under the mouse


def wanted(ds) -> bool:
    """Maps make sense for a table of two numeric features (a plane), not for pictures."""
    return ds is not None and ds.n_features == 2 and ds.image_shape is None


def qimage(rgb: np.ndarray):
    """A QImage of an (h, w, 3) uint8 picture whose row 0 is the bottom of the plane (so it is flipped: screen rows
    go down)."""
    from PySide6.QtGui import QImage

    pixels = np.ascontiguousarray(rgb[::-1])
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class MapCache:
    """The maps of the latest snapshot, and their QImages, worked out once per snapshot and data."""

    def __init__(self) -> None:
        self._key = None
        self.maps: NeuronMaps | None = None
        self.images: dict[tuple[int, int], object] = {}  # (column, unit) -> QImage

    def update(self, snap, ds) -> NeuronMaps | None:
        if snap is None or not wanted(ds) or snap.weights[0].shape[0] != 2:
            self._key, self.maps, self.images = None, None, {}
            return None
        key = (id(snap), id(ds))
        if key != self._key:
            from nnstudio.qt.panels.predictions_numbers import plane_axes

            self._key = key
            self.maps = compute(snap, plane_axes(ds))
            self.images = {}
        return self.maps

    def image(self, column: int, unit: int):
        """The QImage of unit ``unit`` in column ``column`` (1: the first hidden layer); None without maps."""
        if self.maps is None or column < 1 or column > len(self.maps.images):
            return None
        pictures = self.maps.images[column - 1]
        if unit >= len(pictures):
            return None
        key = (column, unit)
        if key not in self.images:
            self.images[key] = qimage(pictures[unit])
        return self.images[key]

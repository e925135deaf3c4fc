"""The loss-surface computation, run off the GUI thread.

``compute`` is plain numpy (``nnstudio.core.landscape`` on a private network built from a snapshot's weights), so the
same code runs in a ``QThreadPool`` worker (``SurfaceJob``) or synchronously for a headless export. A job stops early
when it is cancelled: the progress callback answers "stop" and the rest of the grid stays NaN. With the grid it works
out what the heatmap shows (``contours.grid_picture``: colours and contour lines, for both colour scales), so that
the GUI thread only hands finished arrays to the plot.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, QThreadPool, Signal

from nnstudio.core import landscape, losses
from nnstudio.core.network import LayerSpec, Network
from nnstudio.numbers import fmt, percent
from nnstudio.qt.panels.bounds import sane
from nnstudio.qt.panels.contours import GridPicture, contour_segments, grid_picture, segments_to_xy

__all__ = ["compute", "contour_segments", "make_plan", "segments_to_xy", "SurfaceJob", "SurfaceRequest",
           "SurfaceResult"]

CHUNK_SECONDS = 0.004  # grid points are computed in chunks of about this much work...
PAUSE_SECONDS = 0.0005  # ...with a pause this long between them on a worker thread (see ``compute``)
CHOSEN, RANDOM, PCA = MODES = ("two chosen weights", "random directions (filter-normalised)",
                               "principal directions of the path")
MARGIN = 0.1  # share of the span added on each side of what must be seen


class PlanError(ValueError):
    """Why no slice can be drawn yet; the message is shown to the learner."""


# -- what to compute ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SlicePlan:
    """A slice of weight space: centre θ₀, directions, the grid of offsets, and how to show it. Display
    coordinates are the weights' own values for two chosen weights, and the offsets α, β for directions."""

    mode: str
    centre: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    axes: tuple[int, int] | None  # flat weight indices (two chosen weights only)
    origin: np.ndarray  # display coordinates of the centre
    alphas: np.ndarray  # offsets along d1
    betas: np.ndarray  # offsets along d2 (empty for a 1-D cut)
    labels: tuple[str, str]
    step: int  # the update the centre's weights belong to
    note: str = ""  # how to read the path on this slice
    # the slice does not depend on where the run stands: every weight is on an axis (a network of two weights), so
    # the grid is the exact loss and is centred on the start; it is computed again only when the path leaves it
    fixed: bool = False

    def project(self, rows) -> np.ndarray:
        """Display coordinates (n, 2) of flat weight vectors (rows, float32 or float64; never copied whole)."""
        rows = np.atleast_2d(np.asarray(rows))
        if self.axes is not None:
            return np.asarray(rows[:, list(self.axes)], dtype=np.float64)
        return landscape.project(rows, self.centre, self.d1, self.d2) + self.origin

    def project_path(self, snap) -> tuple[np.ndarray, np.ndarray]:
        """(updates, display coordinates) of the snapshot's training path, ending at its current weights."""
        xs, rows = path_rows(snap)
        coords = np.vstack([self.project(rows).reshape(-1, 2), self.project(snap.current_flat_weights())])
        return np.r_[np.asarray(xs, dtype=np.float64), float(snap.step)], coords


def path_rows(snap) -> tuple[np.ndarray, np.ndarray]:
    """(updates, flat weight vectors) of the training path before the current weights, as the snapshot holds them:
    a big network's path stays float32 (``Snapshot.training_path`` makes a float64 copy of it all, 52 MB for a
    784-128-10 network, which the slice and its path never need)."""
    if snap.path_x is not None and len(snap.path_x):
        return snap.path_x, snap.path_values
    xs, full = snap.training_path()  # a small network's path: its tracked weights
    return xs[:-1], full[:-1]


def path_length(snap) -> int:
    """Points on the training path, the current weights included (as ``Snapshot.training_path`` counts them)."""
    return len(path_rows(snap)[0]) + 1


def weight_label(snap, flat: int) -> str:
    """"W1[0,0]", "b1[0]"; with " (m)" / " (b)" for the straight line y = m·x + b of one identity neuron."""
    offset = 0
    line = (len(snap.layers) == 1 and snap.layers[0].activation == "identity" and snap.weights[0].shape == (1, 1))
    for name, w in zip(snap.parameter_names, snap.weights):
        if flat < offset + w.size:
            index = ",".join(str(int(i)) for i in np.unravel_index(flat - offset, w.shape))
            return f"{name}[{index}]" + ((" (m)" if name.startswith("W") else " (b)") if line else "")
        offset += w.size
    raise IndexError(f"weight {flat} is out of range (the network has {offset})")


def make_plan(snap, mode: str, ix: int = 0, iy: int = 1, seed: int = 0, resolution: int = 61,
              cut: bool = False, extra=(), anchors=()) -> SlicePlan:
    """The slice through the snapshot's weights for the given settings; raises PlanError when there is none.
    ``extra``: more weight vectors (rows) the slice should show too, as far as they are finite, sane and near (kept
    runs' paths: see _with_nearby); ``anchors``: rows it always shows (the minimum of a linear model)."""
    centre = snap.current_flat_weights()
    n = centre.size
    if not sane(centre).all():  # the loss around such weights overflows; there is no slice worth drawing
        finite = np.abs(centre[np.isfinite(centre)])
        size = f"up to {fmt(finite.max())}" if finite.size and finite.max() > 1 else "not numbers"
        raise PlanError(f"These weights are too large to draw a slice around ({size}): the run diverged. Reset, "
                        "or lower the learning rate.")
    _, path = path_rows(snap)  # the path before the centre (which is the current weights: offsets 0, 0)
    path = np.asarray(path).reshape(-1, n)
    current = centre
    extra, anchors = _rows(extra, n), _rows(anchors, n)
    axes = None
    origin = np.zeros(2)
    note = ""
    fixed = False
    if mode == CHOSEN:
        if n < 2:
            cut, iy = True, ix
        elif ix == iy and not cut:
            raise PlanError("Choose two different weights for the two axes.")
        start = np.asarray(path[0] if len(path) else current, dtype=np.float64)
        fixed = (n == 1 or (n == 2 and not cut)) and bool(sane(start).all())
        if fixed:  # the exact surface: centred on the start, whatever the run has done since
            centre = start.copy()
        d1, d2 = landscape.axis_direction(n, ix), landscape.axis_direction(n, iy)
        axes, origin = (ix, iy), centre[[ix, iy]]
        own = np.vstack([np.asarray(path[:, [ix, iy]], dtype=np.float64), current[[ix, iy]],
                         anchors[:, [ix, iy]]]) - origin
        coords, floor = _and_centre(own), 1.0
        coords = _with_nearby(coords, extra[:, [ix, iy]] - origin, floor)
        labels = (weight_label(snap, ix), weight_label(snap, iy))
        held = [k for k in range(n) if k not in (ix, iy if not cut else ix)]
        if len(held) == 1:
            note = (f"{weight_label(snap, held[0])} is held at its current value; earlier points of the path had "
                    "other values for it.")
        elif held:
            note = (f"The other {len(held)} weights are held at their current values; earlier points of the path "
                    "had other values for them.")
    elif mode == RANDOM:
        net = Network.build(snap.weights[0].shape[0], list(snap.layers), np.dtype(snap.dtype))
        net.set_weights(list(snap.weights))
        rng = np.random.default_rng(seed)
        d1, d2 = (_nonzero(landscape.random_direction(net, rng), rng) for _ in range(2))
        # ±1: each unit moved by its own norm
        coords, floor = _and_centre(landscape.project(np.vstack([path, anchors]), centre, d1, d2)), 1.0
        coords = _with_nearby(coords, landscape.project(extra, centre, d1, d2), floor)
        labels = (f"random direction 1 (seed {seed})", "random direction 2")
        note = ("The path is projected onto this plane but does not lie in it: the colours under it are not "
                "its own losses.")
    elif mode == PCA:
        if len(path) + 1 < 3:
            raise PlanError("Principal directions need at least 3 points on the training path: "
                            "train a few updates first (or pick another slice).")
        try:
            d1, d2, share = landscape.pca_directions(path, centre)
        except ValueError as e:
            raise PlanError(str(e)[0].upper() + str(e)[1:] + ".") from None
        if not np.any(d2):  # a perfectly straight path: any perpendicular will do
            d2 = _perpendicular(d1, np.random.default_rng(seed))
        share = np.r_[share, 0.0, 0.0]
        coords = _and_centre(landscape.project(path, centre, d1, d2))
        along = coords[:, 0][sane(coords[:, 0])]
        floor = 0.25 * float(np.ptp(along)) if along.size else 1.0  # room beyond the current weights, where the
        #   path may go on
        labels = (f"direction 1 ({percent(share[0])} of the path's variance)",
                  f"direction 2 ({percent(share[1])} of the path's variance)")
        if len(anchors):
            coords = np.vstack([coords, landscape.project(anchors, centre, d1, d2)])
        coords = _with_nearby(coords, landscape.project(extra, centre, d1, d2), floor)
        note = (f"The path is projected onto the plane of its two main directions, which hold "
                f"{percent(share[0] + share[1])} of its movement.")
    else:
        raise PlanError(f"unknown slice {mode!r}; known: {', '.join(MODES)}")
    (lo1, hi1), (lo2, hi2) = _extent(coords[:, 0], floor), _extent(coords[:, 1], floor)
    if axes is None:  # directions: keep the picture from collapsing into a thin strip
        (lo1, hi1), (lo2, hi2) = _widen(lo1, hi1, hi2 - lo2), _widen(lo2, hi2, hi1 - lo1)
    if cut:
        alphas, betas = _grid(lo1, hi1, min(max(4 * resolution, 101), 801)), np.zeros(0)
    else:
        alphas, betas = _grid(lo1, hi1, resolution), _grid(lo2, hi2, resolution)
    return SlicePlan(mode, centre, d1, d2, axes, origin, alphas, betas, labels, snap.step, note, fixed)


NEARBY = 10.0  # kept paths widen the slice up to this many times the reach of the run's own path (and minimum)


def _rows(vectors, n: int) -> np.ndarray:
    """Weight vectors (arrays of rows) of ``n`` weights, stacked, those not finite and sane left out."""
    rows = [np.atleast_2d(np.asarray(v, dtype=np.float64)) for v in vectors]
    rows = np.vstack([r for r in rows if r.ndim == 2 and r.shape[1] == n] or [np.zeros((0, n))])
    return rows[sane(rows).all(axis=1)] if len(rows) else rows


def _with_nearby(coords: np.ndarray, extra: np.ndarray, floor: float) -> np.ndarray:
    """The run's own coordinates and those of ``extra`` (kept runs' paths) that lie within NEARBY times the run's
    reach: a kept run that diverged must not shrink the run and the minimum to a dot in a corner (it is drawn as far
    as the slice goes)."""
    if not len(extra):
        return coords
    own = coords[sane(coords).all(axis=1)]
    reach = NEARBY * max(float(np.abs(own).max(initial=0.0)), floor)
    with np.errstate(invalid="ignore"):
        near = np.all(np.abs(extra) <= reach, axis=1)
    return np.vstack([coords, extra[near]])


def _and_centre(coords: np.ndarray) -> np.ndarray:
    """The path's offsets (n, 2) and the centre's own (0, 0): the path ends at the current weights."""
    return np.vstack([coords.reshape(-1, 2), np.zeros((1, 2))])


def _extent(c: np.ndarray, floor: float) -> tuple[float, float]:
    """Offsets that show every path coordinate and at least ±floor around the centre, plus a margin. Coordinates
    that are not finite or beyond ±LIMIT (a run that diverged) are left out: the path is drawn leaving the plot."""
    c = c[sane(c)]
    lo, hi = min(float(c.min(initial=0.0)), -floor), max(float(c.max(initial=0.0)), floor)
    pad = MARGIN * (hi - lo)
    return lo - pad, hi + pad


def _widen(lo: float, hi: float, other: float) -> tuple[float, float]:
    extra = max(0.5 * other - (hi - lo), 0.0) / 2
    if hi - lo + 2 * extra <= 0:
        extra = 0.5
    return lo - extra, hi + extra


def _grid(lo: float, hi: float, n: int) -> np.ndarray:
    """n evenly spaced offsets covering about [lo, hi] that include 0 exactly (the current weights)."""
    n = max(int(n), 3)
    step = (hi - lo) / (n - 1)
    k0 = min(max(int(round(lo / step)), -(n - 1)), 0)
    return (k0 + np.arange(n)) * step


def _nonzero(d: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A filter-normalised direction is zero when every weight is; fall back to a unit Gaussian direction."""
    if np.any(d):
        return d
    g = rng.standard_normal(d.size)
    return g / np.linalg.norm(g)


def _perpendicular(d: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    g = rng.standard_normal(d.size)
    g -= (g @ d) * d
    return g / (np.linalg.norm(g) or 1.0)


@dataclass(frozen=True, eq=False)
class SurfaceRequest:
    """Everything one computation needs; every array is owned by the request (never changed afterwards)."""

    token: int
    n_inputs: int
    layers: tuple[LayerSpec, ...]
    dtype: str
    weights: tuple[np.ndarray, ...]
    loss: str
    X: np.ndarray  # the training rows as the network sees them (the Trainer's own arrays: read, never written)...
    Y: np.ndarray
    centre: np.ndarray  # θ₀, the flat weights the slice goes through
    d1: np.ndarray
    d2: np.ndarray
    alphas: np.ndarray  # offsets along d1
    betas: np.ndarray  # offsets along d2; empty for a 1-D cut along d1
    sample: int = 0  # ...of which a fixed random sample of this many is taken, on the computing thread (0: all)
    origin: tuple[float, float] = (0.0, 0.0)  # display coordinates of the centre (see SlicePlan.origin)

    @property
    def is_cut(self) -> bool:
        return len(self.betas) == 0


@dataclass(frozen=True, eq=False)
class SurfaceResult:
    request: SurfaceRequest
    Z: np.ndarray  # (len(betas), len(alphas)), row j at β = betas[j]; (len(alphas),) for a cut
    complete: bool  # False when cancelled part-way (the missing values are NaN)
    seconds: float
    pictures: dict | None = None  # {log scale?: GridPicture or None} of a complete grid (not of a cut)

    def picture(self, log: bool) -> GridPicture | None:
        """What the heatmap shows on the chosen colour scale (None: the loss is not finite anywhere)."""
        if self.pictures is None or log not in self.pictures:
            r = self.request
            return grid_picture(r.alphas + r.origin[0], r.betas + r.origin[1], self.Z, log)
        return self.pictures[log]


def sample_rows(X: np.ndarray, Y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """All rows, or the same fixed random sample of ``limit`` of them every time (for a table of 100,000 rows the
    draw alone takes a few tens of milliseconds: it happens with the computation, off the GUI thread)."""
    if not limit or len(X) <= limit:
        return X, Y
    keep = np.sort(np.random.default_rng(0).choice(len(X), limit, replace=False))
    return X[keep], Y[keep]


def build_network(request: SurfaceRequest) -> Network:
    net = Network.build(request.n_inputs, list(request.layers), np.dtype(request.dtype))
    net.set_weights([np.asarray(w) for w in request.weights])
    return landscape.clone(net)  # its own caches: nothing else ever sees this copy


def compute(request: SurfaceRequest, progress: Callable[[float], bool] | None = None,
            share_gil: bool = False) -> SurfaceResult:
    """The data loss over the request's grid (or cut). ``progress(fraction)`` may return False to stop.

    Row j of the grid is the cut through θ₀ + β_j d₂ along d₁ (``landscape.line``; the same sums as
    ``landscape.surface``), taken in short chunks. With ``share_gil`` (on a worker thread) the loop pauses for
    half a millisecond every few milliseconds, so the GUI thread can take the GIL: without the pauses a 10 ms
    GUI timer sometimes got no tick at all during a 2-second grid (in the full test run), with them it ticks
    about 90% of the time."""
    start = time.perf_counter()
    net = build_network(request)
    loss = losses.get(request.loss)
    X, Y = sample_rows(request.X, request.Y, request.sample)
    rows = [0.0] if request.is_cut else list(request.betas)
    n = len(request.alphas)
    Z = np.full((len(rows), n), np.nan)
    chunk, rested, complete = 1, time.perf_counter(), True
    for j, beta in enumerate(rows):
        base = request.centre if request.is_cut else request.centre + beta * request.d2
        i = 0
        while i < n and complete:
            t0 = time.perf_counter()
            Z[j, i:i + chunk] = landscape.line(net, loss, X, Y, base, request.d1,
                                               request.alphas[i:i + chunk])
            i += chunk
            now = time.perf_counter()
            if now - t0 < CHUNK_SECONDS / 2:
                chunk = min(2 * chunk, 256)
            if share_gil and now - rested > CHUNK_SECONDS:
                time.sleep(PAUSE_SECONDS)  # the GUI thread's turn
                rested = time.perf_counter()
            complete = progress is None or progress((j * n + min(i, n)) / (len(rows) * n)) is not False
        if not complete:
            break
    pictures = None
    if complete and not request.is_cut:  # the colours and contour lines too (a 301 x 301 grid: a tenth of a second)
        alphas, betas = request.alphas + request.origin[0], request.betas + request.origin[1]
        pictures = {log: grid_picture(alphas, betas, Z, log) for log in (True, False)}
    return SurfaceResult(request, Z[0] if request.is_cut else Z, complete, time.perf_counter() - start, pictures)


class SurfaceJob(QObject):
    """Runs one computation at a time on its own one-thread pool. ``start`` cancels whatever runs, so the newest
    request always wins; results and progress arrive as queued signals on the GUI thread, tagged with the token."""

    progressed = Signal(int, float)  # token, fraction done
    finished = Signal(object)  # SurfaceResult of a run that was not cancelled (check the token)
    failed = Signal(int, str)  # token, message

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setThreadPriority(QThread.Priority.LowPriority)  # training and the GUI come first
        self._cancel: threading.Event | None = None
        cancel_holder = self._holder = [None]
        # A panel being destroyed must not wait for a long grid: stop it (QObject emits this before its children die).
        self.destroyed.connect(lambda *_: cancel_holder[0] is not None and cancel_holder[0].set())
        app = QCoreApplication.instance()
        if app is not None:  # quitting the studio mid-computation: stop and let the thread end first
            app.aboutToQuit.connect(self._shut_down)

    def start(self, request: SurfaceRequest) -> None:
        self.cancel()
        event = threading.Event()
        self._cancel = self._holder[0] = event
        self._pool.start(lambda: self._run(request, event))

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def _shut_down(self) -> None:
        self.cancel()
        self.wait()

    def busy(self) -> bool:
        return self._pool.activeThreadCount() > 0

    def wait(self, msecs: int = -1) -> bool:
        """Block until the pool is idle (True) or ``msecs`` pass (False)."""
        return self._pool.waitForDone(msecs)

    def _run(self, request: SurfaceRequest, event: threading.Event) -> None:
        shown = [-1]

        def progress(fraction: float) -> bool:
            if event.is_set():
                return False
            percent = int(100 * fraction)
            if percent == shown[0]:
                return True
            shown[0] = percent
            return self._report(event, "progressed", request.token, fraction)

        if event.is_set():  # superseded before it began
            return
        try:
            result = compute(request, progress, share_gil=True)
        except Exception as e:  # noqa: BLE001 - reported in the panel, the GUI stays usable
            traceback.print_exc()
            self._report(event, "failed", request.token, f"{type(e).__name__}: {e}")
            return
        if not event.is_set():  # a cancelled job ends quietly: its owner may be on its way out
            self._report(event, "finished", result)

    def _report(self, event: threading.Event, signal: str, *args) -> bool:
        """Emit from the worker thread; False once the owner is gone (its panel was closed mid-computation)."""
        try:
            getattr(self, signal).emit(*args)
            return True
        except RuntimeError:  # "Signal source has been deleted"
            event.set()
            return False

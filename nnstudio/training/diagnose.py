"""Noticing what a learner should be told about a run, from a Snapshot alone (no Qt, no Trainer).

``saturation_note(snap)``: sigmoid and tanh neurons whose inputs z have grown so large that the curve is flat there.
Their slope f'(z) is then about 0, and since every gradient through a neuron is multiplied by that slope, their
weights (and everything below them) stop changing: the loss stays put although nothing diverged. A learning rate
that is far too large does this in a few updates (the gender lesson with --lr 1e6 sits at loss 0.5 for good).
"""

from __future__ import annotations

import numpy as np

from nnstudio.core import activations
from nnstudio.numbers import fmt

SATURATING = ("sigmoid", "tanh")
# A neuron is saturated when, on every row of the last batch, its slope is below this share of the steepest slope
# the curve has (at z = 0): |z| above about 8.3 for the sigmoid and 4.1 for tanh. The tutorials' trained networks
# stay inside that (the single neuron's |z| is at most 3.85 after 1000 updates, the perceptron's 5.86 after 50,000);
# the gender lesson's hidden pair does saturate (|z| 35), but that network has learned, and the note needs a stall too.
FLAT = 1e-3


def _layer_name(i: int, n_layers: int) -> str:
    return "the output layer" if i == n_layers - 1 else f"hidden layer {i + 1}"


def saturation_note(snap) -> str | None:
    """One or two plain sentences when training has stalled (the loss is not even half what it was at the start)
    and at least half of the sigmoid/tanh neurons of some layer saturated on the last batch: which layer, how many,
    how large z got, how small the gradients became. None otherwise: a network that learned may well have
    saturated neurons (the gender lesson's hidden pair ends up working like two steps), and then nothing is wrong."""
    layers, zs = tuple(snap.layers), tuple(snap.layer_z)
    stalled = _stalled(snap)
    if not zs or stalled is None:
        return None
    grads = _weight_gradients(snap)
    found = []
    for i, (spec, z) in enumerate(zip(layers, zs)):
        if spec.activation not in SATURATING or z.ndim != 2 or z.size == 0:
            continue
        f = activations.get(spec.activation)
        with np.errstate(all="ignore"):
            z64 = np.asarray(z, dtype=np.float64)
            if not np.isfinite(z64).all():
                continue  # a diverged run says so itself
            steepest = float(f.derivative(np.zeros(1), f.forward(np.zeros(1)))[0])
            slope = f.derivative(z64, f.forward(z64)) / steepest
        flat = np.all(slope < FLAT, axis=0)
        k, n = int(flat.sum()), z.shape[1]
        if k and 2 * k >= n:
            g = grads[i] if i < len(grads) else None
            largest = float(np.max(np.abs(g[:, flat]))) if g is not None and g.shape[1] == n else None
            found.append((i, spec.activation, k, n, float(np.max(np.abs(z64[:, flat]))), largest))
    if not found:
        return None
    parts = [f"{k} of {n} {act} neuron{'s' if n != 1 else ''} in {_layer_name(i, len(layers))}"
             for i, act, k, n, _, _ in found]
    biggest = max(zmax for *_, zmax, _ in found)
    grad_values = [g for *_, g in found if g is not None]
    if not grad_values:
        grad_text = ""
    elif max(grad_values) == 0:
        grad_text = " (exactly 0 on the last batch)"
    else:
        grad_text = f" (at most {fmt(max(grad_values), 2)} on the last batch)"
    now, start = stalled
    return (f"Training is stuck (loss {fmt(now, 3)}, at the start {fmt(start, 3)}): {_join(parts)} saturated, "
            f"with inputs z as large as {fmt(biggest, 3)} where the curve is flat. "
            f"Their slope is about 0, so the gradients through them are too{grad_text} and the weights stop "
            f"changing; a smaller learning rate keeps z where the curve bends.")


def _stalled(snap) -> tuple[float, float] | None:
    """(loss now, loss at the start) when training has not even halved the loss, else None. Uses the per-epoch
    training loss (its first row is the untrained network), or the per-update loss before the first epoch ends."""
    if len(snap.epoch_x) >= 2:
        start, now = float(snap.epoch_values[0, 0]), float(snap.epoch_values[-1, 0])
    elif len(snap.update_x) >= 2:
        start, now = float(snap.update_loss[0]), float(snap.update_loss[-1])
    else:
        return None
    if not (np.isfinite(start) and np.isfinite(now)) or start <= 0 or now <= start / 2:
        return None
    return now, start


def _weight_gradients(snap) -> list[np.ndarray | None]:
    """The gradient of each dense layer's W, from the flat ``gradients`` tuple (same order as ``weights``)."""
    out, j = [], 0
    grads = tuple(snap.gradients)
    for spec in snap.layers:
        out.append(np.asarray(grads[j]) if j < len(grads) else None)
        j += 2 if spec.bias else 1
    return out


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

"""How parameters move once their gradients are known, how the learning rate changes, and weight penalties.

Each optimizer updates a list of parameter arrays in place from a matching list of gradients, ``g = ∂L/∂p`` (or,
given ``out``, writes the new values there and leaves the parameters as they were):

- ``sgd``       p ← p − η g                                   (plain gradient descent; the batch size decides
                                                                whether it is full-batch, minibatch or per-sample)
- ``momentum``  v ← μ v − η g;  p ← p + v
- ``nesterov``  v ← μ v − η g;  p ← p + μ v − η g              (the gradient is taken "ahead", at p + μ v)
- ``adam``      m ← β₁ m + (1 − β₁) g;  s ← β₂ s + (1 − β₂) g²;
                p ← p − η m̂ / (√ŝ + ε)  with m̂ = m / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ)

Penalties add to the loss and to the gradient of the *weights* (never the biases):
  L1: λ₁ Σ|w|, gradient λ₁ sign(w);   L2: ½ λ₂ Σ w², gradient λ₂ w.
"""

from __future__ import annotations

import math

import numpy as np

from nnstudio import packed
from nnstudio.core.registry import Registry


class Optimizer:
    name = ""
    title = ""
    slots = 0  # arrays of state kept per parameter (velocity; Adam's two averages)

    def __init__(self, momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.momentum = float(momentum)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.state: list[list[np.ndarray]] = []
        self.t = 0

    def reset(self) -> None:
        self.state = []
        self.t = 0

    def _slots(self, params: list[np.ndarray], n: int) -> list[list[np.ndarray]]:
        if len(self.state) != len(params) or any(s[0].shape != p.shape for s, p in zip(self.state, params)):
            self.state = [[np.zeros_like(p) for _ in range(n)] for p in params]
        return self.state

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float,
             out: list[np.ndarray] | None = None) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"t": self.t, "state": [[packed.to_json(s) for s in slots] for slots in self.state]}

    def load_state_dict(self, d: dict, params: list[np.ndarray]) -> None:
        """Take a ``state_dict`` for these parameters, checked completely first: a ValueError naming the field
        changes nothing. The state is empty (a fresh optimizer) or holds ``slots`` arrays per parameter, each of
        that parameter's shape and finite (Adam's squared-gradient average s is never negative)."""
        if not isinstance(d, dict):
            raise ValueError(f"optimizer: expected an object, found {type(d).__name__}")
        t = d.get("t", 0)
        if isinstance(t, float) and t.is_integer():
            t = int(t)
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= 2**53:
            raise ValueError(f"optimizer.t: expected a whole number of updates from 0 up, found {str(t)[:40]}")
        state = d.get("state", [])
        if not isinstance(state, list):
            raise ValueError(f"optimizer.state: expected a list, found {type(state).__name__}")
        loaded: list[list[np.ndarray]] = []
        if state:
            if self.slots == 0 or len(state) != len(params):
                raise ValueError(f"optimizer.state: {self.title} keeps {self.slots} array(s) for each of the "
                                 f"{len(params)} parameters; the file holds {len(state)} entries")
            for i, (slots, p) in enumerate(zip(state, params)):
                if not isinstance(slots, list) or len(slots) != self.slots:
                    raise ValueError(f"optimizer.state[{i}]: {self.title} keeps {self.slots} array(s) per parameter")
                arrays = []
                for j, s in enumerate(slots):
                    if packed.is_packed(s):
                        try:
                            s = packed.unpack(s)
                        except ValueError as e:
                            raise ValueError(f"optimizer.state[{i}][{j}]: {e}") from None
                    try:
                        with np.errstate(over="ignore", invalid="ignore"):
                            a = np.asarray(s, dtype=np.float64)
                    except (TypeError, ValueError, OverflowError):
                        raise ValueError(f"optimizer.state[{i}][{j}]: expected a table of numbers") from None
                    if a.shape != p.shape:
                        raise ValueError(f"optimizer.state[{i}][{j}]: shape {a.shape} does not fit the parameter's "
                                         f"{p.shape}")
                    with np.errstate(over="ignore", invalid="ignore"):
                        a = a.astype(p.dtype)
                    if not np.isfinite(a).all():
                        raise ValueError(f"optimizer.state[{i}][{j}]: holds NaN or infinite values")
                    if self.name == "adam" and j == 1 and (a < 0).any():
                        raise ValueError(f"optimizer.state[{i}][{j}]: an average of squares cannot be negative")
                    arrays.append(a)
                loaded.append(arrays)
        self.t = t
        self.state = loaded


class SGD(Optimizer):
    name = "sgd"
    title = "Gradient descent (SGD)"

    def step(self, params, grads, lr, out=None):
        lr = float(lr)
        self.t += 1
        for p, g, new in zip(params, grads, out or params):
            step = np.multiply(g, lr, out=None if new is p else new)  # η g (in ``new`` itself when it is free)
            np.subtract(p, step, out=new)


class Momentum(Optimizer):
    name = "momentum"
    title = "Momentum"
    slots = 1

    def step(self, params, grads, lr, out=None):
        lr, mu = float(lr), self.momentum
        self.t += 1
        for p, g, (v,), new in zip(params, grads, self._slots(params, 1), out or params):
            v *= mu
            v -= np.multiply(g, lr, out=None if new is p else new)
            np.add(p, v, out=new)


class Nesterov(Optimizer):
    name = "nesterov"
    title = "Nesterov momentum"
    slots = 1

    def step(self, params, grads, lr, out=None):
        lr, mu = float(lr), self.momentum
        self.t += 1
        for p, g, (v,), new in zip(params, grads, self._slots(params, 1), out or params):
            step = np.multiply(g, lr, out=None if new is p else new)  # η g
            v *= mu
            v -= step
            np.add(p, mu * v - step, out=new)


class Adam(Optimizer):
    name = "adam"
    title = "Adam"
    slots = 2

    def step(self, params, grads, lr, out=None):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # bias corrections folded into the step size: η √(1 − β₂ᵗ) / (1 − β₁ᵗ)
        step = float(lr) * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        eps_hat = self.eps * math.sqrt(1 - b2 ** self.t)
        for p, g, (m, s), new in zip(params, grads, self._slots(params, 2), out or params):
            m *= b1
            m += (1 - b1) * g
            s *= b2
            s += (1 - b2) * (g * g)
            np.subtract(p, step * m / (np.sqrt(s) + eps_hat), out=new)


OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer", {c.name: c for c in (SGD, Momentum, Nesterov, Adam)})


def make(name: str, **hyper) -> Optimizer:
    return OPTIMIZERS[name](**hyper)


# -- learning-rate schedules -------------------------------------------------------------------------------------------
def _constant(lr0: float, decay: float, epoch: int) -> float:
    return lr0


def _inverse(lr0: float, decay: float, epoch: int) -> float:
    """η_e = η₀ / (1 + d·e)."""
    return lr0 / (1.0 + decay * epoch)


def _compound(lr0: float, decay: float, epoch: int) -> float:
    """Divide by (1 + d·e) at the start of every epoch e = 0, 1, 2, ...: η_e = η₀ / Π_{i≤e} (1 + d·i)."""
    lr = lr0
    for i in range(1, epoch + 1):
        lr /= 1.0 + decay * i
    return lr


SCHEDULES = Registry("learning-rate schedule", {"constant": _constant, "inverse": _inverse, "compound": _compound})


def learning_rate(schedule: str, lr0: float, decay: float, epoch: int) -> float:
    return SCHEDULES[schedule](lr0, decay, epoch)


# -- penalties ----------------------------------------------------------------------------------------------------------
def penalty(weights: list[np.ndarray], l1: float, l2: float) -> float:
    total = 0.0
    if l1:
        total += l1 * sum(float(np.abs(w).sum()) for w in weights)
    if l2:
        total += 0.5 * l2 * sum(float((w * w).sum()) for w in weights)
    return total


def add_penalty_gradients(weights: list[np.ndarray], grads: list[np.ndarray], l1: float, l2: float) -> None:
    for w, g in zip(weights, grads):
        if l1:
            g += w.dtype.type(l1) * np.sign(w)
        if l2:
            g += w.dtype.type(l2) * w

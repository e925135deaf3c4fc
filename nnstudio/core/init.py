"""Weight initialisers. Each draws a ``(n_in, n_out)`` matrix from a ``numpy.random.RandomState``.

``RandomState(seed)`` is NumPy's legacy stream, the same one ``np.random.seed(seed)`` drives, so
``uniform`` with seed 1 gives ``2·random((3, 1)) − 1 = [-0.16595599, 0.44064899, -0.99977125]`` exactly as in the
classic tutorials. Drawing happens layer by layer, the weight matrix first and then (where the bias is drawn from the
same distribution) the bias, so a run is reproducible from its seed alone.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.registry import Registry


class Initializer:
    name = ""
    title = ""
    formula = ""

    def draw(self, rs: np.random.RandomState, shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
        raise NotImplementedError


class Uniform(Initializer):
    """w ~ U[−1, 1), drawn as 2·u − 1 with u ~ U[0, 1)."""

    name = "uniform"
    title = "Uniform in [−1, 1)"
    formula = "w = 2u − 1, u ~ U[0, 1)"

    def draw(self, rs, shape, fan_in, fan_out):
        return 2 * rs.random_sample(shape) - 1


class Normal(Initializer):
    """w ~ N(0, 1), the standard normal."""

    name = "normal"
    title = "Standard normal"
    formula = "w ~ N(0, 1)"

    def draw(self, rs, shape, fan_in, fan_out):
        return rs.standard_normal(shape)


class Xavier(Initializer):
    """Glorot / Xavier uniform: w ~ U[−r, r) with r = √(6 / (n_in + n_out)); keeps tanh/sigmoid layers' variance."""

    name = "xavier"
    title = "Xavier / Glorot uniform"
    formula = "w ~ U[−r, r), r = √(6/(n_in + n_out))"

    def draw(self, rs, shape, fan_in, fan_out):
        r = np.sqrt(6.0 / (fan_in + fan_out))
        return r * (2 * rs.random_sample(shape) - 1)


class He(Initializer):
    """He / Kaiming normal: w ~ N(0, 2 / n_in); suited to ReLU layers, which zero half their inputs."""

    name = "he"
    title = "He / Kaiming normal"
    formula = "w ~ N(0, 2/n_in)"

    def draw(self, rs, shape, fan_in, fan_out):
        return np.sqrt(2.0 / fan_in) * rs.standard_normal(shape)


INITIALIZERS: Registry[Initializer] = Registry(
    "initialiser", {cls.name: cls() for cls in (Uniform, Normal, Xavier, He)}
)

BIAS_INITS = ("zeros", "same")  # "same": the bias is drawn like the weights (the tutorials' "bias unit")


def get(name: str) -> Initializer:
    return INITIALIZERS[name]

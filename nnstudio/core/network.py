"""A network is its layers in order. It runs them forward, runs the chain rule backward, and lists its parameters.

    forward:  a⁰ = X,  aˡ = layerˡ(aˡ⁻¹),  ŷ = aᴸ
    backward: starting from ∂L/∂ŷ (or ∂L/∂zᴸ where the loss fuses with the output activation), each layer
              turns the gradient of its output into the gradient of its input and fills its own ∂L/∂W, ∂L/∂b.

All the parameters lie end to end in one array, ``flat_parameters`` (W1, b1, W2, ... in ``parameters()`` order), and
each layer's ``W`` and ``b`` are views of it; the gradients likewise in ``flat_gradients``. Nothing changes for the
layers, but a trainer can copy, check or record every weight with one numpy call instead of one per array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core import init as initializers
from nnstudio.core.layers import Dense, Dropout
from nnstudio.core.losses import Loss


@dataclass(frozen=True)
class LayerSpec:
    """One layer as a learner builds it: units, activation, bias on/off, dropout applied to its output."""

    units: int
    activation: str = "sigmoid"
    bias: bool = True
    dropout: float = 0.0

    def to_dict(self) -> dict:
        return {"units": self.units, "activation": self.activation, "bias": self.bias, "dropout": self.dropout}

    @classmethod
    def from_dict(cls, d: dict) -> "LayerSpec":
        """A layer from ``to_dict``, types checked strictly (a ValueError says which field): units a whole number,
        activation text, bias true/false, dropout a number. Ranges are the Experiment's to check."""
        if not isinstance(d, dict):
            raise ValueError(f"a layer must be an object with units, activation, bias and dropout, "
                             f"found {type(d).__name__}")
        unknown = sorted(set(d) - {"units", "activation", "bias", "dropout"})
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(map(str, unknown))}")
        if "units" not in d:
            raise ValueError("units is missing")
        units, activation = d["units"], d.get("activation", "sigmoid")
        bias, dropout = d.get("bias", True), d.get("dropout", 0.0)
        if isinstance(units, float) and units.is_integer():
            units = int(units)
        if isinstance(units, bool) or not isinstance(units, int):
            raise ValueError(f"units must be a whole number, found {_short(units)}")
        if not isinstance(activation, str):
            raise ValueError(f"activation must be a name, found {_short(activation)}")
        if not isinstance(bias, bool):
            raise ValueError(f"bias must be true or false, found {_short(bias)}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise ValueError(f"dropout must be a number, found {_short(dropout)}")
        return cls(units, activation, bias, float(dropout))


def _short(value) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


class Network:
    def __init__(self, layers: list):
        if not layers or not isinstance(layers[-1], Dense):
            raise ValueError("a network ends with a dense output layer")
        self.layers = layers
        self.flat_parameters, self.flat_gradients = self._lay_end_to_end()
        self._views: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}  # see parameter_views

    def _lay_end_to_end(self) -> tuple[np.ndarray, np.ndarray]:
        """Move every parameter and every gradient into one array each (values kept), the layers' arrays becoming
        views of it: see the module's docstring."""
        dense = self.dense_layers
        n = sum(p.size for layer in dense for p in layer.parameters())
        flat_p, flat_g = np.empty(n, dtype=self.dtype), np.empty(n, dtype=self.dtype)
        i = 0
        for layer in dense:
            for p_name, g_name in (("W", "dW"), ("b", "db")):
                p, g = getattr(layer, p_name), getattr(layer, g_name)
                if p is None:
                    continue
                p_view, g_view = flat_p[i:i + p.size].reshape(p.shape), flat_g[i:i + p.size].reshape(p.shape)
                p_view[...], g_view[...] = p, g
                setattr(layer, p_name, p_view)
                setattr(layer, g_name, g_view)
                i += p.size
        return flat_p, flat_g

    def parameter_views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of ``flat`` (an array like ``flat_parameters``, e.g. made by ``np.empty_like``), shaped and ordered
        like ``parameters()``: where an optimizer can write new weights while the network keeps the old ones."""
        kept = self._views.get(id(flat))
        if kept is None or kept[0] is not flat:
            if flat.shape != self.flat_parameters.shape or flat.dtype != self.flat_parameters.dtype:
                raise ValueError(f"expected {self.flat_parameters.size} {self.dtype.name} values, got {flat.size} "
                                 f"{flat.dtype.name}")
            if len(self._views) >= 4:
                self._views.clear()
            views, i = [], 0
            for p in self.parameters():
                views.append(flat[i:i + p.size].reshape(p.shape))
                i += p.size
            kept = self._views[id(flat)] = (flat, views)
        return kept[1]

    def use_parameters(self, flat: np.ndarray) -> None:
        """Make ``flat`` the network's parameters without copying: every layer's W and b become views of it. A trainer
        writes an update into a second array and then swaps, keeping the weights before the update for nothing."""
        views = self.parameter_views(flat)
        for layer, i in self._slots:
            layer.W = views[i]
            if layer.b is not None:
                layer.b = views[i + 1]
        self.flat_parameters = flat

    @property
    def _slots(self) -> list[tuple[Dense, int]]:
        """(dense layer, index of its W in ``parameters()``), worked out once."""
        slots = self.__dict__.get("_slot_list")
        if slots is None:
            slots, i = [], 0
            for layer in self.dense_layers:
                slots.append((layer, i))
                i += 1 if layer.b is None else 2
            self._slot_list = slots
        return slots

    # -- building ---------------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, n_inputs: int, specs: list[LayerSpec], dtype=np.float64,
              dropout_rng: np.random.Generator | None = None) -> "Network":
        """Layers from specs; the weights are zero until ``initialize`` is called."""
        layers: list = []
        n_in = n_inputs
        if dropout_rng is None:  # one stream for all dropout layers, so their masks differ
            dropout_rng = np.random.default_rng(0)
        for i, spec in enumerate(specs):
            layers.append(Dense(n_in, spec.units, spec.activation, spec.bias, dtype))
            if spec.dropout > 0:
                if i == len(specs) - 1:
                    raise ValueError("dropout cannot follow the output layer")
                layers.append(Dropout(spec.dropout, dropout_rng))
            n_in = spec.units
        return cls(layers)

    def initialize(self, method: str, seed: int, bias_init: str = "zeros") -> None:
        """Draw every weight from ``method`` with NumPy's legacy stream seeded by ``seed``, layer by layer,
        weights first, then the bias (drawn the same way when ``bias_init == "same"``, zero otherwise)."""
        initializer = initializers.get(method)
        if bias_init not in initializers.BIAS_INITS:
            raise ValueError(f"unknown bias initialisation {bias_init!r}; known: {', '.join(initializers.BIAS_INITS)}")
        rs = np.random.RandomState(seed)
        for layer in self.dense_layers:
            layer.W[...] = initializer.draw(rs, layer.W.shape, layer.n_in, layer.n_out)
            if layer.b is not None:
                if bias_init == "same":
                    layer.b[...] = initializer.draw(rs, layer.b.shape, layer.n_in, layer.n_out)
                else:
                    layer.b[...] = 0

    # -- structure --------------------------------------------------------------------------------------------------
    @property
    def dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def dtype(self) -> np.dtype:
        return self.layers[-1].dtype

    @property
    def n_inputs(self) -> int:
        return self.dense_layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    def parameters(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self) -> list[np.ndarray]:
        return [g for layer in self.layers for g in layer.gradients()]

    def parameter_names(self) -> list[str]:
        """"W1", "b1", "W2", ... in the order of ``parameters()`` (layers counted from 1)."""
        names = []
        for i, layer in enumerate(self.dense_layers, start=1):
            names.append(f"W{i}")
            if layer.has_bias:
                names.append(f"b{i}")
        return names

    @property
    def n_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    @property
    def trainable(self) -> bool:
        return all(layer.activation.trainable for layer in self.dense_layers)

    # -- computing --------------------------------------------------------------------------------------------------
    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        a = X
        for layer in self.layers:
            a = layer.forward(a, training)
        return a

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.forward(np.asarray(X, dtype=self.dtype), training=False)

    def backward(self, loss: Loss, y_hat: np.ndarray, y: np.ndarray) -> None:
        """Fill every layer's gradients for ``loss`` at output ``y_hat`` (from the last ``forward``) and targets ``y``."""
        out = self.layers[-1]
        below = len(self.layers) > 1  # does anything below the output layer need its input gradient?
        if loss.fuses_with is not None and loss.fuses_with == out.activation.name:
            grad = out.backward(grad_z=loss.fused_gradient(y_hat, y), need_input_grad=below)
        else:
            grad = out.backward(grad_a=loss.gradient(y_hat, y), need_input_grad=below)
        for i in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[i].backward(grad_a=grad, need_input_grad=i > 0)

    # -- persistence ------------------------------------------------------------------------------------------------
    def specs(self) -> list[LayerSpec]:
        specs = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                specs.append(LayerSpec(layer.n_out, layer.activation.name, layer.has_bias))
            else:  # dropout belongs to the dense layer before it
                last = specs[-1]
                specs[-1] = LayerSpec(last.units, last.activation, last.bias, layer.rate)
        return specs

    def get_weights(self) -> list[np.ndarray]:
        return [p.copy() for p in self.parameters()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Copy ``weights`` into the parameters; all shapes are checked first, so a misfit changes nothing."""
        params = self.parameters()
        if len(weights) != len(params):
            raise ValueError(f"expected {len(params)} arrays, got {len(weights)}")
        arrays = [np.asarray(w) for w in weights]
        for name, p, w in zip(self.parameter_names(), params, arrays):
            if w.shape != p.shape:
                raise ValueError(f"{name}: weight shape {w.shape} does not fit parameter of shape {p.shape}")
        for p, w in zip(params, arrays):
            p[...] = w

    def to_dict(self) -> dict:
        return {
            "n_inputs": self.n_inputs,
            "dtype": self.dtype.name,
            "layers": [s.to_dict() for s in self.specs()],
            "parameters": [p.tolist() for p in self.parameters()],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Network":
        net = cls.build(int(d["n_inputs"]), [LayerSpec.from_dict(s) for s in d["layers"]], np.dtype(d["dtype"]))
        net.set_weights([np.asarray(p, dtype=net.dtype) for p in d["parameters"]])
        return net

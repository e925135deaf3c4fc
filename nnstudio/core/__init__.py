"""The numpy core: activations, losses, layers, network, optimizers, initialisers, gradient checks. No Qt here."""

from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.init import INITIALIZERS
from nnstudio.core.layers import Dense, Dropout
from nnstudio.core.losses import LOSSES
from nnstudio.core.network import LayerSpec, Network
from nnstudio.core.optimizers import OPTIMIZERS, SCHEDULES
from nnstudio.core.registry import Registry, UnknownNameError

__all__ = ["ACTIVATIONS", "INITIALIZERS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "Dense", "Dropout", "LayerSpec",
           "Network", "Registry", "UnknownNameError"]

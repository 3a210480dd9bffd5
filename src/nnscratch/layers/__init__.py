"""Layers: each follows the protocol in :mod:`nnscratch.layers.base`."""

from .activations import ACTIVATIONS, LeakyReLU, ReLU, Sigmoid, Tanh, get_activation
from .base import Layer
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten

LAYER_TYPES = {cls.__name__: cls for cls in (Dense, ReLU, LeakyReLU, Sigmoid, Tanh, Dropout,
                                              Flatten)}

__all__ = ["ACTIVATIONS", "Dense", "Dropout", "Flatten", "LAYER_TYPES", "Layer", "LeakyReLU",
           "ReLU", "Sigmoid", "Tanh", "get_activation"]

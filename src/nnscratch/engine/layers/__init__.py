"""Layers: each follows the protocol in :mod:`nnscratch.layers.base`."""

from .activations import ACTIVATIONS, LeakyReLU, ReLU, Sigmoid, Tanh, get_activation
from .base import Layer
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .pooling import MaxPool2D
from .reshape import Reshape

LAYER_TYPES = {cls.__name__: cls for cls in (Dense, ReLU, LeakyReLU, Sigmoid, Tanh, Dropout,
                                              Flatten, Reshape, Conv2D, MaxPool2D)}

__all__ = ["ACTIVATIONS", "Conv2D", "Dense", "Dropout", "Flatten", "LAYER_TYPES", "Layer",
           "LeakyReLU", "MaxPool2D", "ReLU", "Reshape", "Sigmoid", "Tanh", "get_activation"]

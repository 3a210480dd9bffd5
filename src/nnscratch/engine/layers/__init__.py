"""Layers: each follows the protocol in :mod:`nnscratch.layers.base`."""

from .activations import ACTIVATIONS, LeakyReLU, ReLU, Sigmoid, Tanh, get_activation
from .avgpool import AvgPool2D, GlobalAvgPool2D
from .base import Layer
from .batchnorm import BatchNorm
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .gru import GRU
from .layernorm import LayerNorm
from .lstm import LSTM
from .pooling import MaxPool2D
from .reshape import Reshape

LAYER_TYPES = {
    cls.__name__: cls
    for cls in (
        Dense,
        ReLU,
        LeakyReLU,
        Sigmoid,
        Tanh,
        Dropout,
        Flatten,
        Reshape,
        Conv2D,
        MaxPool2D,
        AvgPool2D,
        GlobalAvgPool2D,
        BatchNorm,
        LayerNorm,
        LSTM,
        GRU,
    )
}

__all__ = [
    "ACTIVATIONS",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GRU",
    "GlobalAvgPool2D",
    "LAYER_TYPES",
    "LSTM",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "MaxPool2D",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Tanh",
    "get_activation",
]

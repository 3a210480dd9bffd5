"""Layers: each follows the protocol in :mod:`nnscratch.engine.layers.base`.

``LAYERS`` is the one list of layer classes: the layer types a spec or a model file may name
(``LAYER_TYPES``), this package's and the ``nnscratch`` package's exports, and what the layer
test harness checks all come from it. A new layer is its module, one line here, and its ONNX
converter (:mod:`nnscratch.onnx.layers`).
"""

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

LAYERS: tuple[type[Layer], ...] = (
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

LAYER_TYPES: dict[str, type[Layer]] = {cls.__name__: cls for cls in LAYERS}

__all__ = [
    "ACTIVATIONS",
    "LAYERS",
    "LAYER_TYPES",
    "Layer",
    "get_activation",
    *LAYER_TYPES,
]

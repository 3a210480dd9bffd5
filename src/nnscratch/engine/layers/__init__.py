"""Layers: each follows the protocol in :mod:`nnscratch.engine.layers.base`.

``LAYERS`` is the one list of layer classes: the layer types a spec or a model file may name
(``LAYER_TYPES``), this package's and the ``nnscratch`` package's exports, and what the layer
test harness checks all come from it. A new layer is its module, one line here, and its ONNX
converter (:mod:`nnscratch.onnx.layers`).
"""

# "X as X": an explicit re-export for type checkers, as __all__ is built from LAYERS.
from .activations import ACTIVATIONS as ACTIVATIONS
from .activations import LeakyReLU as LeakyReLU
from .activations import ReLU as ReLU
from .activations import Sigmoid as Sigmoid
from .activations import Tanh as Tanh
from .activations import get_activation as get_activation
from .avgpool import AvgPool2D as AvgPool2D
from .avgpool import GlobalAvgPool2D as GlobalAvgPool2D
from .base import Layer as Layer
from .batchnorm import BatchNorm as BatchNorm
from .conv import Conv2D as Conv2D
from .dense import Dense as Dense
from .dropout import Dropout as Dropout
from .flatten import Flatten as Flatten
from .gru import GRU as GRU
from .layernorm import LayerNorm as LayerNorm
from .lstm import LSTM as LSTM
from .pooling import MaxPool2D as MaxPool2D
from .reshape import Reshape as Reshape

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

"""One converter per layer type: the ONNX nodes that compute what the layer's ``forward``
computes at inference.

A converter takes the graph, the layer, the name of its input and ``prefix``
(``layers.<index>``, the layer's name in a model file) and returns the name of its output.
Weights keep their model-file names (``layers.1.W``), so a graph reads like the file.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..engine.layers import (Conv2D, Dense, Dropout, Flatten, LeakyReLU, MaxPool2D, ReLU,
                             Reshape, Sigmoid, Tanh)
from ..engine.layers.base import Layer
from .graph import Graph

Converter = Callable[[Graph, Layer, str, str], str]


def dense(graph: Graph, layer: Dense, x: str, prefix: str) -> str:
    """z = x W + b: Gemm, with W stored (in, out) as ours is (no transpose)."""
    return graph.node("Gemm", [x, graph.constant(f"{prefix}.W", layer.params["W"]),
                               graph.constant(f"{prefix}.b", layer.params["b"])],
                      f"{prefix}.Gemm")


def conv2d(graph: Graph, layer: Conv2D, x: str, prefix: str) -> str:
    """Cross-correlation plus bias: ONNX's Conv, kernels (C_out, C_in, k, k) as ours."""
    k, s, p = layer.kernel_size, layer.stride, layer.padding
    return graph.node("Conv", [x, graph.constant(f"{prefix}.W", layer.params["W"]),
                               graph.constant(f"{prefix}.b", layer.params["b"])],
                      f"{prefix}.Conv", kernel_shape=[k, k], strides=[s, s],
                      pads=[p, p, p, p])


def max_pool(graph: Graph, layer: MaxPool2D, x: str, prefix: str) -> str:
    """Windows side by side; leftover rows and columns dropped (ONNX's floor mode)."""
    k = layer.pool_size
    return graph.node("MaxPool", [x], f"{prefix}.MaxPool", kernel_shape=[k, k],
                      strides=[k, k])


def flatten(graph: Graph, layer: Flatten, x: str, prefix: str) -> str:
    return graph.node("Flatten", [x], f"{prefix}.Flatten", axis=1)


def reshape(graph: Graph, layer: Reshape, x: str, prefix: str) -> str:
    """(N, ...) -> (N, *shape): -1 takes the batch's size."""
    shape = graph.constant(f"{prefix}.shape", [-1, *layer.shape], dtype=np.int64)
    return graph.node("Reshape", [x, shape], f"{prefix}.Reshape")


def dropout(graph: Graph, layer: Dropout, x: str, prefix: str) -> str:
    """Inverted dropout is the identity at inference."""
    return graph.node("Identity", [x], f"{prefix}.Identity")


def leaky_relu(graph: Graph, layer: LeakyReLU, x: str, prefix: str) -> str:
    return graph.node("LeakyRelu", [x], f"{prefix}.LeakyRelu", alpha=float(layer.alpha))


def elementwise(op: str) -> Converter:
    """The converter of an activation that is one ONNX operator of the same maths."""
    def convert(graph: Graph, layer: Layer, x: str, prefix: str) -> str:
        return graph.node(op, [x], f"{prefix}.{op}")
    convert.__doc__ = f"ONNX's {op}."
    return convert


# Exact types: a subclass may compute something else, so it needs a converter of its own.
CONVERTERS: dict[type[Layer], Converter] = {
    Dense: dense, Conv2D: conv2d, MaxPool2D: max_pool, Flatten: flatten, Reshape: reshape,
    Dropout: dropout, ReLU: elementwise("Relu"), LeakyReLU: leaky_relu,
    Sigmoid: elementwise("Sigmoid"), Tanh: elementwise("Tanh"),
}

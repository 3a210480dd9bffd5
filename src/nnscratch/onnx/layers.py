"""One converter per layer type: the ONNX nodes that compute what the layer's ``forward``
computes at inference.

A converter takes the graph, the layer, the name of its input and ``prefix``
(``layers.<index>``, the layer's name in a model file) and returns the name of its output.
Weights keep their model-file names (``layers.1.W``), so a graph reads like the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.layers import (
    GRU,
    LSTM,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    LayerNorm,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Reshape,
    Sigmoid,
    Tanh,
)
from ..engine.layers.base import Layer
from .graph import Graph

# The layer argument is each converter's own layer type: Any, as a Callable's argument types
# cannot vary with the key of the registry that holds it.
Converter = Callable[[Graph, Any, str, str], str]


def dense(graph: Graph, layer: Dense, x: str, prefix: str) -> str:
    """Z = x W + b: Gemm, with W stored (in, out) as ours is (no transpose)."""
    return graph.node(
        "Gemm",
        [
            x,
            graph.constant(f"{prefix}.W", layer.params["W"]),
            graph.constant(f"{prefix}.b", layer.params["b"]),
        ],
        f"{prefix}.Gemm",
    )


def conv2d(graph: Graph, layer: Conv2D, x: str, prefix: str) -> str:
    """Cross-correlation plus bias: ONNX's Conv, kernels (C_out, C_in, k, k) as ours."""
    k, s, p = layer.kernel_size, layer.stride, layer.padding
    return graph.node(
        "Conv",
        [
            x,
            graph.constant(f"{prefix}.W", layer.params["W"]),
            graph.constant(f"{prefix}.b", layer.params["b"]),
        ],
        f"{prefix}.Conv",
        kernel_shape=[k, k],
        strides=[s, s],
        pads=[p, p, p, p],
    )


def max_pool(graph: Graph, layer: MaxPool2D, x: str, prefix: str) -> str:
    """Windows side by side; leftover rows and columns dropped (ONNX's floor mode)."""
    k = layer.pool_size
    return graph.node("MaxPool", [x], f"{prefix}.MaxPool", kernel_shape=[k, k], strides=[k, k])


def flatten(graph: Graph, layer: Flatten, x: str, prefix: str) -> str:
    """(N, d1, d2, ...) -> (N, d1·d2·...): ONNX's Flatten from axis 1."""
    return graph.node("Flatten", [x], f"{prefix}.Flatten", axis=1)


def reshape(graph: Graph, layer: Reshape, x: str, prefix: str) -> str:
    """(N, ...) -> (N, *shape): -1 takes the batch's size."""
    shape = graph.constant(f"{prefix}.shape", [-1, *layer.shape], dtype=np.int64)
    return graph.node("Reshape", [x, shape], f"{prefix}.Reshape")


def dropout(graph: Graph, layer: Dropout, x: str, prefix: str) -> str:
    """Inverted dropout is the identity at inference."""
    return graph.node("Identity", [x], f"{prefix}.Identity")


def leaky_relu(graph: Graph, layer: LeakyReLU, x: str, prefix: str) -> str:
    """ONNX's LeakyRelu, with the layer's slope."""
    return graph.node("LeakyRelu", [x], f"{prefix}.LeakyRelu", alpha=float(layer.alpha))


def avg_pool(graph: Graph, layer: AvgPool2D, x: str, prefix: str) -> str:
    """Windows side by side, as max_pool; no padding, so no padded zeros counted."""
    k = layer.pool_size
    return graph.node(
        "AveragePool", [x], f"{prefix}.AveragePool", kernel_shape=[k, k], strides=[k, k]
    )


def global_avg_pool(graph: Graph, layer: GlobalAvgPool2D, x: str, prefix: str) -> str:
    """GlobalAveragePool gives (N, C, 1, 1); ours gives (N, C)."""
    pooled = graph.node("GlobalAveragePool", [x], f"{prefix}.GlobalAveragePool")
    return graph.node("Flatten", [pooled], f"{prefix}.Flatten", axis=1)


def batch_norm(graph: Graph, layer: BatchNorm, x: str, prefix: str) -> str:
    """BatchNormalization in inference mode: the running averages, channels on axis 1 for
    (N, F) and (N, C, H, W) alike."""
    arrays = [
        graph.constant(f"{prefix}.{name}", array)
        for name, array in (
            ("gamma", layer.params["gamma"]),
            ("beta", layer.params["beta"]),
            ("running_mean", layer.buffers["running_mean"]),
            ("running_var", layer.buffers["running_var"]),
        )
    ]
    return graph.node(
        "BatchNormalization", [x, *arrays], f"{prefix}.BatchNormalization", epsilon=float(layer.eps)
    )


def layer_norm(graph: Graph, layer: LayerNorm, x: str, prefix: str) -> str:
    """LayerNormalization over the last len(shape) axes, γ and β of that shape."""
    return graph.node(
        "LayerNormalization",
        [
            x,
            graph.constant(f"{prefix}.gamma", layer.params["gamma"]),
            graph.constant(f"{prefix}.beta", layer.params["beta"]),
        ],
        f"{prefix}.LayerNormalization",
        axis=-len(layer.shape),
        epsilon=float(layer.eps),
    )


def recurrent(op: str, onnx_gate_order: list[int], **attributes) -> Converter:
    """The converter of a recurrent layer: ONNX's ``op`` over steps-first sequences (what
    onnxruntime runs: it refuses ``layout=1``), between transposes from and to our
    batch-first ones; its weights' gate blocks reordered from PyTorch's (ours) into ONNX's,
    ``onnx_gate_order`` naming which of ours comes at each place; one direction, h_0 = 0."""

    def convert(graph: Graph, layer, x: str, prefix: str) -> str:
        h, p = layer.hidden_size, layer.params

        def onnx_order(array):
            blocks = [array[g * h : (g + 1) * h] for g in onnx_gate_order]
            return np.concatenate(blocks)[None]  # (1 direction, gates·H, ...)

        weights = [
            graph.constant(f"{prefix}.W_ih", onnx_order(p["W_ih"])),
            graph.constant(f"{prefix}.W_hh", onnx_order(p["W_hh"])),
            graph.constant(
                f"{prefix}.b",
                np.concatenate([onnx_order(p["b_ih"]), onnx_order(p["b_hh"])], axis=1),
            ),
        ]
        steps = graph.node("Transpose", [x], f"{prefix}.steps_first", perm=[1, 0, 2])
        # Y (T, 1, N, H): every step's hidden state, one direction
        y = graph.node(op, [steps, *weights], f"{prefix}.{op}", hidden_size=h, **attributes)
        if layer.return_sequences:
            axis = graph.constant(f"{prefix}.direction_axis", [1], dtype=np.int64)
            states = graph.node("Squeeze", [y, axis], f"{prefix}.Squeeze")
            return graph.node("Transpose", [states], f"{prefix}.batch_first", perm=[1, 0, 2])
        last = graph.constant(f"{prefix}.last_step", [-1], dtype=np.int64)
        last_y = graph.node("Gather", [y, last], f"{prefix}.Gather", axis=0)  # (1, 1, N, H)
        axes = graph.constant(f"{prefix}.step_and_direction_axes", [0, 1], dtype=np.int64)
        return graph.node("Squeeze", [last_y, axes], f"{prefix}.Squeeze")

    convert.__doc__ = f"ONNX's {op}, gate blocks reordered."
    return convert


def elementwise(op: str) -> Converter:
    """The converter of an activation that is one ONNX operator of the same maths."""

    def convert(graph: Graph, layer: Layer, x: str, prefix: str) -> str:
        return graph.node(op, [x], f"{prefix}.{op}")

    convert.__doc__ = f"ONNX's {op}."
    return convert


# Exact types: a subclass may compute something else, so it needs a converter of its own.
CONVERTERS: dict[type[Layer], Converter] = {
    Dense: dense,
    Conv2D: conv2d,
    MaxPool2D: max_pool,
    Flatten: flatten,
    Reshape: reshape,
    Dropout: dropout,
    ReLU: elementwise("Relu"),
    LeakyReLU: leaky_relu,
    Sigmoid: elementwise("Sigmoid"),
    Tanh: elementwise("Tanh"),
    AvgPool2D: avg_pool,
    GlobalAvgPool2D: global_avg_pool,
    BatchNorm: batch_norm,
    LayerNorm: layer_norm,
    # ONNX's LSTM gates are i, o, f, c (our i, f, g, o: g is its c); its GRU's z, r, h (our
    # r, z, n), with linear_before_reset=1 for the reset gate applied as PyTorch applies it.
    LSTM: recurrent("LSTM", [0, 3, 1, 2]),
    GRU: recurrent("GRU", [1, 0, 2], linear_before_reset=1),
}

"""A model as one ONNX graph: raw input -> scaling -> the layers -> logits and probabilities."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import __version__, checks
from ..errors import ConfigError
from ..fileio import atomic_write
from .contract import ExportableModel
from .graph import Graph
from .layers import CONVERTERS

# Opset 17: LayerNormalization's first; read by every onnxruntime since 1.12 (2022). IR
# version 8 is the one that opset came with, so older runtimes load the file too.
OPSET, IR_VERSION = 17, 8
INPUT = "input"
OUTPUTS = ("logits", "probabilities")
# What turns the logits into probabilities, per loss (as the loss's probabilities() does).
PROBABILITIES = {
    "softmax_cross_entropy": ("Softmax", {"axis": -1}),
    "binary_cross_entropy": ("Sigmoid", {}),
    "mean_squared_error": ("Identity", {}),
}


def to_onnx(
    model: ExportableModel,
    path: str | os.PathLike[str] | None = None,
    *,
    input_shape: Sequence[int] | None = None,
) -> Any:
    """The network as an ONNX ``ModelProto``, also written to ``path`` (atomically) if given.

    ``model`` is any :class:`~nnscratch.onnx.contract.ExportableModel`, e.g. a Sequential;
    the result is an ``onnx.ModelProto`` (typed Any: the onnx package is optional).
    The graph takes ``input``: float32 (N, *input_shape) of raw values, as ``model.predict``
    takes them (0-255 pixels for our MNIST models: the input scaling is the graph's first
    node), and gives ``logits`` (N, C) and ``probabilities`` (N, C), as ``model.outputs`` and
    ``model.predict_proba``. Weights are float32 (a float64 model's are rounded).

    ``input_shape``: one example's shape; by default the image shape the model file records,
    e.g. (28, 28), else the input size the first layers fix, e.g. (784,).
    Raises ConfigError for a layer without an ONNX form (naming it), and when the onnx
    package is missing.
    """
    shape = _input_shape(model, input_shape)
    graph = Graph()
    x = INPUT
    if model.input_scale is not None:
        x = graph.node("Mul", [x, graph.constant("input_scale", model.input_scale)], "scaled")
    for i, layer in enumerate(model.layers):
        convert = CONVERTERS.get(type(layer))
        if convert is None:
            known = ", ".join(sorted(t.__name__ for t in CONVERTERS))
            raise ConfigError(
                f"layer {i} ({layer!r}) has no ONNX form, so the model cannot be "
                f"exported; the exporter knows: {known}"
            )
        x = convert(graph, layer, x, f"layers.{i}")
    op, attributes = PROBABILITIES[model.loss.name]
    graph.node("Identity", [x], "logits")
    graph.node(op, [x], "probabilities", **attributes)
    classes = model.output_size or "C"
    proto = graph.model(
        input_name=INPUT,
        input_shape=["N", *shape],
        outputs={name: ["N", classes] for name in OUTPUTS},
        opset=OPSET,
        ir_version=IR_VERSION,
        metadata={
            "nnscratch_version": __version__,
            "preset": str(model.metadata.get("preset") or ""),
            "input_scale": repr(model.input_scale),
        },
        doc=f"nnscratch network: {INPUT} (N, {', '.join(map(str, shape))}) raw values"
        + (f", scaled by {model.input_scale:g} in the graph" if model.input_scale else "")
        + f"; outputs {' and '.join(OUTPUTS)} (N, {classes}).",
    )
    if path is not None:
        with atomic_write(path, ConfigError) as handle:
            handle.write(proto.SerializeToString())
    return proto


def _input_shape(model: ExportableModel, given: Sequence[int] | None) -> tuple[int, ...]:
    """One example's shape: ``given``, or what the model records or fixes."""
    if given is not None:
        shape = checks.sizes("input_shape", given)
        features = int(np.prod(shape))
        if model.input_size is not None and features != model.input_size:
            raise ConfigError(
                f"input_shape {shape} has {features} values, the model takes {model.input_size}"
            )
        return shape
    if model.image_shape is not None:
        return tuple(model.image_shape)
    if model.input_size is not None:
        return (model.input_size,)
    raise ConfigError(
        "the model does not say what shape its input has (its first layer "
        "takes images of any size); pass input_shape=(H, W) or (C, H, W)"
    )

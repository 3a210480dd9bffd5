"""A model as one ONNX graph: raw input -> scaling -> the layers -> logits and probabilities.

The file says what it takes and gives in its metadata (``metadata_props``, strings), so that a
program holding only the .onnx file can use it: ``labels`` (JSON list, the class of each output
column), ``input_type``, ``input_shape`` (JSON list, "N" the batch), ``input_scale`` (only when
the graph scales its input), ``input_meaning`` (in words: what one value is and how it is
scaled), ``nnscratch_version`` and ``preset``; the model's ``producer_version`` is nnscratch's.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import __version__, checks
from ..engine.layers import Layer, LayerNorm
from ..errors import ConfigError
from ..fileio import atomic_write
from .contract import ExportableModel
from .graph import Graph
from .layers import CONVERTERS

# Opset 17 by default: LayerNormalization's first; read by every onnxruntime since 1.12 (2022).
# The graph can be written in opsets 13 (Squeeze's axes became an input, as the recurrent
# layers' converters give them) to 19, the newest that the lowest versions we declare write and
# run (onnx 1.14, onnxruntime 1.16); each is tested in onnxruntime. The IR version is the lowest
# each opset allows, so older runtimes load the file too.
OPSET = 17
OPSETS = range(13, 20)
# Layer types whose ONNX operator is newer than the lowest opset: the first opset that has it.
NEWER_OPERATORS: dict[type[Layer], int] = {LayerNorm: 17}
INPUT_TYPES = ("float32", "uint8")
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
    opset: int = OPSET,
    input_type: str = "float32",
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
    ``opset``: the ONNX operator set, one of :data:`OPSETS` (13 to 19; default 17).
    ``input_type``: ``float32``, or ``uint8`` for 0-255 pixels as image files hold them (the
    graph casts them to float32 before its scaling).
    The labels of the output columns are the model's ``metadata["labels"]`` if it records
    them (the scikit-learn estimator's ``classes_``), else 0 to C-1.
    Raises ConfigError for a layer without an ONNX form (naming it) or one that the opset
    lacks, an opset or input type outside those listed, and when the onnx package is missing.
    """
    opset = check_opset("opset", opset)
    input_type = check_input_type("input_type", input_type)
    shape = _input_shape(model, input_shape)
    _check_layers_in_opset(model, opset)
    graph = Graph()
    x = INPUT
    if input_type != "float32":
        x = graph.node("Cast", [x], "as_float32", to=1)  # TensorProto.FLOAT
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
    meaning = input_meaning(shape, model.input_scale, input_type)
    metadata = {
        "nnscratch_version": __version__,
        "preset": str(model.metadata.get("preset") or ""),
        "labels": json.dumps(_labels(model)),
        "input_type": input_type,
        "input_shape": json.dumps(["N", *shape]),
        "input_meaning": meaning,
    }
    if model.input_scale is not None:
        metadata["input_scale"] = repr(float(model.input_scale))
    proto = graph.model(
        input_name=INPUT,
        input_type=input_type,
        input_shape=["N", *shape],
        outputs={name: ["N", classes] for name in OUTPUTS},
        opset=opset,
        producer_version=__version__,
        metadata=metadata,
        doc=f"nnscratch network: {INPUT} (N, {', '.join(map(str, shape))}) {meaning}; outputs "
        f"{' and '.join(OUTPUTS)} (N, {classes}), columns in the order of the labels.",
    )
    if path is not None:
        with atomic_write(path, ConfigError) as handle:
            handle.write(proto.SerializeToString())
    return proto


def check_opset(name: str, value: Any) -> int:
    """``value`` if it is an opset the exporter writes, else ConfigError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in OPSETS:
        raise ConfigError(
            f"{name} {value!r} is not an opset the exporter writes; choose {OPSETS[0]} to "
            f"{OPSETS[-1]} (default {OPSET})"
        )
    return value


def check_input_type(name: str, value: Any) -> str:
    """``value`` if it is an input type the exporter writes, else ConfigError naming ``name``."""
    return checks.choice(name, value, INPUT_TYPES)


def input_meaning(shape: Sequence[int], scale: float | None, input_type: str) -> str:
    """What the graph's input is, in words: its type, one example's shape, what a value means
    and what the graph does with it."""
    if len(shape) == 2:
        what = f"{input_type} images of {shape[0]}x{shape[1]} grey-scale pixels"
    else:
        what = f"{input_type} examples of {' x '.join(map(str, shape))} values"
    if scale is None:
        return f"{what}, used as they are (the model was trained on them unscaled)"
    top = 1 / scale
    top_words = f"{round(top)}" if math.isclose(top, round(top), rel_tol=1e-6) else f"{top:.6g}"
    if len(shape) == 2:
        what += f", each from 0 (the background) to {top_words} (the strokes), as in MNIST"
    else:
        what += f", each from 0 to {top_words}"
    return f"{what}; the graph multiplies them by {scale:.6g} (1/{top_words}) first"


def _labels(model: ExportableModel) -> list[str]:
    """The label of each output column: the model's recorded ``labels``, else 0 to C-1."""
    recorded = model.metadata.get("labels")
    if isinstance(recorded, list) and len(recorded) == model.output_size:
        return [str(label) for label in recorded]
    return [str(i) for i in range(model.output_size)]


def _check_layers_in_opset(model: ExportableModel, opset: int) -> None:
    """ConfigError naming the first layer whose operator the opset lacks."""
    for i, layer in enumerate(model.layers):
        first = NEWER_OPERATORS.get(type(layer))
        if first is not None and opset < first:
            raise ConfigError(
                f"layer {i} ({layer!r}) needs opset {first} or later, and opset {opset} "
                f"was asked for"
            )


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

"""ONNX export: a network as an ONNX graph that onnxruntime (or any ONNX runtime) runs, giving
the probabilities ours gives.

:func:`to_onnx` (also ``Sequential.to_onnx`` and ``nnscratch export MODEL model.onnx``) turns
a model into one graph: its input scaling first (so the graph takes raw pixels, as the model
does), then each layer by its converter (:mod:`.layers`, one per layer type; a layer without
one is refused by name), then the loss's probabilities. Needs the ``onnx`` package
(``pip install "nnscratch[onnx]"``), imported only when a model is exported.

Like the training loop, the exporter knows a model only by what it reads (``layers``,
``input_scale``, ``loss``, ``image_shape``, ``input_size``, ``output_size``, ``metadata``), so
it sits below the model tier and ``Sequential.to_onnx`` calls down into it.
"""

from .export import INPUT, INPUT_TYPES, OPSET, OPSETS, OUTPUTS, to_onnx
from .layers import CONVERTERS

__all__ = ["CONVERTERS", "INPUT", "INPUT_TYPES", "OPSET", "OPSETS", "OUTPUTS", "to_onnx"]

"""A graph being built: nodes and constants as plain Python and NumPy, turned into an ONNX
``ModelProto`` at the end (the only place that needs the onnx package)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ..environment import optional_import


def onnx_library() -> Any:
    """The onnx package (typed Any: it is optional), or MissingExtra saying how to install it."""
    return optional_import("onnx", "onnx", "ONNX export")


class Graph:
    """Nodes in the order they run, and the constants (weights) they read, all float32.

    Every name is unique: :meth:`node` names its output after the node, :meth:`constant`
    uses the name it is given (a model file's array name, ``layers.1.W``) once.
    """

    def __init__(self) -> None:
        self.nodes: list[tuple[str, list[str], str, dict[str, Any]]] = []
        self.constants: dict[str, np.ndarray] = {}

    def constant(self, name: str, value: ArrayLike, dtype: DTypeLike = np.float32) -> str:
        """Add a constant tensor called ``name``; returns the name."""
        if name in self.constants:
            raise ValueError(f"two constants are called {name!r}")
        self.constants[name] = np.ascontiguousarray(value, dtype=dtype)
        return name

    def node(self, op: str, inputs: list[str], name: str, **attributes: Any) -> str:
        """Add an ``op`` node reading ``inputs``; its output is called ``name``, returned."""
        self.nodes.append((op, list(inputs), name, attributes))
        return name

    def model(
        self,
        *,
        input_name: str,
        input_type: str,
        input_shape: list[str | int],
        outputs: dict[str, list[str | int]],
        opset: int,
        producer_version: str,
        metadata: dict[str, str],
        doc: str,
    ) -> Any:
        """The ONNX model: input ``input_name`` of ``input_type`` (a NumPy dtype's name,
        ``float32``, ``uint8``) and ``input_shape`` (a string for a free dimension, such as the
        batch), float32 ``outputs`` (name: shape), in ``opset`` with the lowest IR version it
        allows; an ``onnx.ModelProto``."""
        onnx = onnx_library()
        helper, numpy_helper = onnx.helper, onnx.numpy_helper
        nodes = [
            helper.make_node(op, inputs, [output], name=output, **attributes)
            for op, inputs, output, attributes in self.nodes
        ]
        graph = helper.make_graph(
            nodes,
            "nnscratch",
            inputs=[
                helper.make_tensor_value_info(
                    input_name, helper.np_dtype_to_tensor_dtype(np.dtype(input_type)), input_shape
                )
            ],
            outputs=[
                helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, shape)
                for name, shape in outputs.items()
            ],
            initializer=[
                numpy_helper.from_array(value, name) for name, value in self.constants.items()
            ],
        )
        opsets = [helper.make_opsetid("", opset)]
        model = helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="nnscratch",
            producer_version=producer_version,
            doc_string=doc,
        )
        model.ir_version = helper.find_min_ir_version_for(opsets)
        helper.set_model_props(model, metadata)
        onnx.checker.check_model(model, full_check=True)  # shapes inferred and checked too
        return model

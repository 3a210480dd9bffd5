"""Exporting a model file to ONNX, for runtimes other than ours (``nnscratch export``)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..environment import require
from ..fileio import check_outputs
from ..model import Sequential


@dataclasses.dataclass(frozen=True)
class Export:
    """What was written: the ONNX file, its size in bytes, its opset, the type and the shape of
    one example its input takes, the scale applied to it inside the graph, and the number of
    classes."""

    model: Path
    output: Path
    size: int
    opset: int
    input_type: str
    input_shape: tuple[int, ...]
    input_scale: float | None
    classes: int


def export_model_file(
    model_path: str | os.PathLike,
    output: str | os.PathLike,
    *,
    opset: int | None = None,
    input_type: str = "float32",
) -> Export:
    """Write the model in ``model_path`` (a model file) to ``output`` as ONNX, atomically, in
    ``opset`` (None: the exporter's default) with an input of ``input_type`` (``float32`` or
    ``uint8``).

    The options and the output are checked before the model is read: the output must be
    writable, not the model file, and named ``.onnx``. Raises ConfigError (naming the
    command's ``--opset`` and ``--input-type``; ModelFileError for a bad model file), or
    MissingExtra without the onnx package.
    """
    require("onnx", "nnscratch export")  # before any file is looked at: it is needed anyway
    from ..onnx import OPSET
    from ..onnx.export import check_input_type, check_opset

    opset = check_opset("--opset", OPSET if opset is None else opset)
    input_type = check_input_type("--input-type", input_type)
    model_path, output = Path(model_path), Path(output)
    check_outputs([("OUTPUT", output, "model.onnx")], [("the model file MODEL", model_path)])
    model = Sequential.load(model_path)
    proto = model.to_onnx(output, opset=opset, input_type=input_type)
    shape = tuple(d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim[1:])
    return Export(
        model_path,
        output,
        output.stat().st_size,
        proto.opset_import[0].version,
        input_type,
        shape,
        model.input_scale,
        model.output_size,
    )

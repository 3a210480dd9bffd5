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
    """What was written: the ONNX file, its size in bytes, its opset, the shape of one example
    its input takes, the scale applied to it inside the graph, and the number of classes."""

    model: Path
    output: Path
    size: int
    opset: int
    input_shape: tuple[int, ...]
    input_scale: float | None
    classes: int


def export_model_file(model_path: str | os.PathLike, output: str | os.PathLike) -> Export:
    """Write the model in ``model_path`` (a model file) to ``output`` as ONNX, atomically.

    The output is checked before the model is read: it must be writable, not the model file,
    and named ``.onnx``. Raises ConfigError (or ModelFileError for a bad model file), or
    MissingExtra without the onnx package.
    """
    require("onnx", "nnscratch export")  # before any file is looked at: it is needed anyway
    model_path, output = Path(model_path), Path(output)
    check_outputs([("OUTPUT", output, "model.onnx")], [("the model file MODEL", model_path)])
    model = Sequential.load(model_path)
    proto = model.to_onnx(output)
    shape = tuple(d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim[1:])
    return Export(
        model_path,
        output,
        output.stat().st_size,
        proto.opset_import[0].version,
        shape,
        model.input_scale,
        model.output_size,
    )

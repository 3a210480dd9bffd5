"""What a Sequential model is made of, layer by layer: shapes, parameters, a text summary.

Read by the model file's document (:mod:`.storage`), the describe use case, the report and
the web page; nothing here changes the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .sequential import Sequential


def architecture(
    model: Sequential, input_shape: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Each layer's type, per-example input and output shapes, and parameter shapes.

    ``input_shape``: one example's shape, e.g. ``(28, 28)``; default ``(input_size,)``.
    Shapes are found by passing one zero example through the layers (inference mode),
    so they hold for any layer type. Returns JSON-able dicts: ``{"index", "type",
    "config", "input_shape", "output_shape", "parameters": {name: shape}, "buffers":
    {name: shape} (running averages: saved, not learnt), "parameter_count"}``; empty when
    neither ``input_shape`` nor ``input_size`` is known (an image layer first takes images
    of any size).
    """
    if input_shape:
        shape = tuple(input_shape)
    elif model.input_size is not None:
        shape = (model.input_size,)
    else:
        return []
    x = np.zeros((1, *shape), dtype=model.dtype)
    rows = []
    for i, layer in enumerate(model.layers):
        y = layer.forward(x, training=False)
        rows.append(
            {
                "index": i,
                "type": layer.name,
                "config": layer.config(),
                "input_shape": list(x.shape[1:]),
                "output_shape": list(y.shape[1:]),
                "parameters": {k: list(v.shape) for k, v in layer.params.items()},
                "buffers": {k: list(v.shape) for k, v in layer.buffers.items()},
                "parameter_count": int(sum(v.size for v in layer.params.values())),
            }
        )
        x = y
    return rows


def parameter_count(model: Sequential) -> int:
    """Learnt numbers in all the layers (buffers such as running averages not counted)."""
    return sum(p.size for layer in model.layers for p in layer.params.values())


def summary(model: Sequential) -> str:
    """One line per layer with its parameter count, then the total."""
    lines = [
        f"{i:>2}  {layer!r}  ({sum(p.size for p in layer.params.values()):,} params)"
        for i, layer in enumerate(model.layers)
    ]
    return "\n".join(lines + [f"total: {parameter_count(model):,} parameters"])

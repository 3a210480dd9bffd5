"""What a Sequential model is made of, layer by layer: shapes, parameters, its repr, and the
summary table (text, and HTML for notebooks).

Read by the model file's document (:mod:`.storage`), the describe use case, the report and
the web page; nothing here changes the model.
"""

from __future__ import annotations

import html
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


def model_repr(model: Sequential) -> str:
    """``Sequential([...layers, one a line...], loss=..., input_scale=...)``: what the model
    is, written as the call that makes it (dtype only when not float32)."""
    config = model.config()
    options = [f"loss={config['loss']!r}", f"input_scale={config['input_scale']!r}"]
    if config["dtype"] != "float32":
        options.append(f"dtype={config['dtype']!r}")
    layers = "".join(f"    {layer!r},\n" for layer in model.layers)
    return f"Sequential([\n{layers}], {', '.join(options)})"


class Summary(str):
    """:func:`summary`'s table: a str (print it, search it), which a REPL shows as the table
    itself and a notebook as an HTML table (``_repr_html_``)."""

    header: tuple[str, ...] = ("#", "layer", "output shape", "parameters")
    rows: list[tuple[str, ...]]
    total: str

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        def row(cells: Sequence[str], tag: str) -> str:
            return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"

        return (
            "<table><thead>"
            + row(self.header, "th")
            + "</thead><tbody>"
            + "".join(row(r, "td") for r in self.rows)
            + f'</tbody><tfoot><tr><td colspan="4">{html.escape(self.total)}</td></tr>'
            + "</tfoot></table>"
        )


def summary(model: Sequential) -> Summary:
    """A table of the layers: index, the layer, one example's output shape (``?`` when the
    input's shape is not known) and its parameter count, then the total."""
    shapes = [tuple(row["output_shape"]) for row in architecture(model)]
    rows: list[tuple[str, ...]] = [
        (
            str(i),
            repr(layer),
            str(shapes[i]) if shapes else "?",
            f"{sum(p.size for p in layer.params.values()):,}",
        )
        for i, layer in enumerate(model.layers)
    ]
    every = [Summary.header, *rows]
    widths = [max(len(r[c]) for r in every) for c in range(4)]
    lines = [
        f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
        for r in every
    ]
    total = f"total: {parameter_count(model):,} parameters"
    table = Summary("\n".join([*lines, total]))
    table.rows, table.total = rows, total
    return table

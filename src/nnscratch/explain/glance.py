"""The whole network at a glance on one image: every layer with weights, named as a reader
would name it, its units' (or feature maps') values, and the strongest contributions
``w * a`` that reach each unit shown, so a page can draw the activity flowing through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from ..engine.layers import Conv2D, Dense
from ..errors import ConfigError
from ..model import Sequential
from .inside import activation_after, layer_outputs, output_layer
from .maths import layer_title, weighted_layers

SHOWN_UNITS = 12  # a wide dense layer shows its most active units and "+N more"
EDGES_PER_UNIT = 3  # the strongest contributions drawn into each unit shown


@dataclass(frozen=True)
class Edge:
    """One contribution ``w * a`` into ``target`` (a unit of this layer) from ``source``: a
    pixel index (row * width + column) for the first layer, a unit of the previous dense
    layer, or a feature map of the previous convolution (summed over its positions)."""

    source: int
    target: int
    value: float


@dataclass(frozen=True)
class GlanceLayer:
    """One layer with weights. ``values``: after its activation (softmax at the output), (units,)
    or (maps, H, W). ``shown``: the units drawn (all of a narrow dense layer, the most active of
    a wide one, in index order; every map of a convolution). ``source``: what the edges come
    from ("pixel", "unit" or "map"); ``edges``: the strongest into each shown unit."""

    index: int
    number: int
    title: str
    kind: str
    units: int
    values: np.ndarray
    shown: list[int]
    source: str
    edges: list[Edge]


def glance(
    model: Sequential,
    image: np.ndarray,
    shown: int = SHOWN_UNITS,
    per_unit: int = EDGES_PER_UNIT,
    keep: tuple[int, int] | None = None,
) -> list[GlanceLayer]:
    """Every Dense or Conv2D layer of ``model`` on ``image`` (H, W), input side first (see
    :class:`GlanceLayer`). Edges are drawn into dense layers only: a convolution's maps are
    shown as pictures. ``keep`` (layer index, unit): a unit shown whatever its value (the one
    a reader chose stays in view while the drawing changes). Raises ConfigError for ``shown``
    or ``per_unit`` below 1, or a ``keep`` that names no unit."""
    if shown < 1 or per_unit < 1:
        raise ConfigError(f"shown and per_unit must be at least 1, got {shown} and {per_unit}")
    if keep is not None:
        _check_unit(model, *keep)
    seen = layer_outputs(model, image)
    last = output_layer(model)
    result: list[GlanceLayer] = []
    for number, index in enumerate(weighted_layers(model), start=1):
        layer = model.layers[index]
        after, _ = activation_after(model, index)
        values = seen[-1][0] if index == last else seen[after + 1][0]
        if index == last and model.loss.name == "softmax_cross_entropy":
            values = model.loss.probabilities(seen[-1])[0]
        values = np.asarray(values, dtype=np.float64)
        title = layer_title(model, index)
        if isinstance(layer, Conv2D):
            units = layer.out_channels
            result.append(
                GlanceLayer(index, number, title, "conv", units, values, list(range(units)), "", [])
            )
            continue
        assert isinstance(layer, Dense)
        picked = _most_active(values, shown, keep[1] if keep and keep[0] == index else None)
        previous = result[-1] if result else None
        inputs = np.asarray(seen[index][0], dtype=np.float64).reshape(-1)
        terms = inputs[:, None] * layer.params["W"][:, picked]  # (in, shown): a_j W[j, u]
        if previous is None:
            source, sources = "pixel", terms
        elif previous.kind == "conv":
            # the flattened maps, channel-major: sum each map's share over its positions
            source = "map"
            sources = terms.reshape(previous.units, -1, len(picked)).sum(axis=1)
        else:
            source = "unit"
            drawn = np.zeros(len(inputs), dtype=bool)
            drawn[previous.shown] = True  # only edges between units that are drawn
            sources = np.where(drawn[:, None], terms, 0.0)
        edges = [
            Edge(int(j), unit, float(sources[j, column]))
            for column, unit in enumerate(picked)
            for j in np.argsort(-np.abs(sources[:, column]), kind="stable")[:per_unit]
            if sources[j, column] != 0
        ]
        result.append(
            GlanceLayer(index, number, title, "dense", len(values), values, picked, source, edges)
        )
    return result


def _most_active(values: np.ndarray, shown: int, keep: int | None) -> list[int]:
    """All units when there are at most ``shown``, else the ``shown`` largest (``keep`` in
    place of the last of them when it is not among them), in index order."""
    if len(values) <= shown:
        return list(range(len(values)))
    picked = [int(i) for i in np.argsort(-values, kind="stable")[:shown]]
    if keep is not None and keep not in picked:
        picked[-1] = keep
    return sorted(picked)


def _check_unit(model: Sequential, index: int, unit: int) -> None:
    if index not in weighted_layers(model):
        raise ConfigError(
            f"layer {index} has no units with weights; these do: "
            f"{', '.join(str(i) for i in weighted_layers(model))}"
        )
    layer = model.layers[index]
    units = layer.out_features if isinstance(layer, Dense) else cast(Conv2D, layer).out_channels
    if not 0 <= unit < units:
        raise ConfigError(f"unit {unit} does not exist ({layer_title(model, index)} has {units})")

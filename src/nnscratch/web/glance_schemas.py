"""The schemas of POST /api/network, the network at a glance (kept apart from
:mod:`nnscratch.web.schemas`, which is near its size limit)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from .schemas import OnImage


class NetworkRequest(OnImage):
    keep: (
        tuple[Annotated[int, Field(ge=0, le=1000)], Annotated[int, Field(ge=0, le=1_000_000)]]
        | None
    ) = Field(
        None,
        description="[layer, unit]: a unit drawn whatever its value, the one chosen (404 if none)",
    )


class NetworkLayer(BaseModel):
    index: int = Field(description="the layer's index, as /api/unit-maths takes it")
    number: int = Field(description="l of the tutorial's W[l]: 1 for the first layer with weights")
    title: str = Field(description='the layer in words, e.g. "Dense 784->128, ReLU"')
    kind: Literal["dense", "conv"]
    output: bool = Field(description="the layer that computes the answer")
    units: int = Field(description="units, or feature maps of a convolution")
    values: list = Field(description="after the activation: (units,) or (maps, height, width)")
    shown: list[int] = Field(description="the units to draw: the most active of a wide layer")
    source: Literal["pixel", "unit", "map", ""] = Field(
        description="what the edges come from: input pixels (row * 28 + column), units of the "
        "previous layer, or its feature maps; empty for a convolution (no edges)"
    )
    edges: list[list[float]] = Field(
        description="[source, target unit, w*a]: the strongest contributions into each unit shown"
    )


class NetworkAnswer(BaseModel):
    model: str
    kind: Literal["dense", "conv"]
    input: dict
    layers: list[NetworkLayer]

"""Requests and answers of the lessons' endpoints (:mod:`nnscratch.web.routes.lessons`): the
explanations measured on the logit, the maths of one unit with your numbers, and one step of
learning on your drawing. Images travel as in :mod:`nnscratch.web.schemas`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..explain import MAX_LEARNING_RATE, MAX_TERMS
from .schemas import Image, Strict

Place = Annotated[int, Field(ge=0, le=1000)]
Shape = list[int | str]  # "m" stands for the number of examples


class AttributionsRequest(Strict):
    pixels: Image
    model: str
    target: int | None = Field(
        None, ge=0, le=1000, description="the class to explain (default: the predicted)"
    )


class AttributionMap(BaseModel):
    name: Literal["gradient", "gradient_x_input", "integrated_gradients", "occlusion"]
    title: str
    sentence: str = Field(description="what the map shows, in one sentence, for the page")
    largest: float = Field(description="the largest |value|: a colour scale symmetric about 0")
    values: list[list[float]] = Field(description="per pixel, in units of the class's logit")


class AttributionsAnswer(BaseModel):
    model: str
    target: int
    logit: float = Field(description="the target's logit for this image")
    blank_logit: float = Field(description="the target's logit for blank paper")
    logits: list[float]
    probabilities: list[float]
    maps: list[AttributionMap]


class UnitMathsRequest(Strict):
    pixels: Image
    model: str
    layer: int = Field(ge=0, le=1000, description="the layer's index, as /api/inside gives it")
    unit: int = Field(ge=0, le=1_000_000, description="a Dense unit, or a Conv2D feature map")
    position: tuple[Place, Place] | None = Field(
        None, description="a feature map's [row, col] (default: where its z is largest)"
    )
    top: int = Field(8, ge=1, le=MAX_TERMS, description="terms of the sum written out")


class Term(BaseModel):
    index: int = Field(description="in the layer's input as one row")
    where: list[int] = Field(description="that place in the input's own shape")
    weight: float
    input: float
    product: float


class Notation(BaseModel):
    equation: str
    shapes: dict[str, Shape]


class LayerName(BaseModel):
    index: int
    number: int = Field(description="l in the tutorial's W_l")
    title: str = Field(description='kind and size, e.g. "Dense 784->128, ReLU"')


class Softmax(BaseModel):
    logits: list[float]
    probabilities: list[float]


class UnitMathsAnswer(BaseModel):
    model: str
    layer: int
    number: int
    title: str
    kind: Literal["dense", "conv"]
    unit: int
    units: int
    position: list[int] | None
    receptive_field: list[int] | None = Field(
        description="first row, last row, first col, last col of the layer's input"
    )
    terms: list[Term] = Field(description="the largest |w a| first")
    rest: float = Field(description="the sum of the terms not listed")
    rest_count: int
    bias: float
    z: float = Field(description="sum of the terms, the rest and the bias")
    activation: str
    value: float = Field(description="the unit's output after its activation")
    tutorial: list[Notation] = Field(description="examples as columns")
    ours: list[Notation] = Field(description="examples as rows")
    softmax: Softmax | None
    layers: list[LayerName] = Field(description="the model's layers with weights")


class OneStepRequest(Strict):
    pixels: Image
    model: str
    label: int = Field(ge=0, le=1000, description="the true label of the drawing")
    learning_rate: float = Field(0.1, gt=0, le=MAX_LEARNING_RATE, description="alpha")


class Entry(BaseModel):
    where: list[int]
    value: float


class ArraySummary(BaseModel):
    name: str = Field(description='the tutorial\'s name: "Z1", "dW2", "A2"...')
    layer: int
    title: str
    shape: list[int] = Field(description="ours: examples as rows, a Dense W (in, out)")
    tutorial_shape: list[int] = Field(description="examples as columns, a Dense W (out, in)")
    min: float
    max: float
    mean_abs: float
    largest: list[Entry] = Field(description="the largest |value|s, where in `shape`")
    values: list | None = Field(description="all values in `shape`, when small enough")
    tiles: list[list[list[float]]] | None = Field(
        description="small images: a first layer's columns as pictures, maps or kernels"
    )
    tiles_of: str | None = Field(description="what each tile is")
    overview: list[list[float]] | None = Field(
        description="a large matrix averaged over blocks, in `shape`'s orientation"
    )


class Change(BaseModel):
    name: str
    where: list[int]
    before: float
    gradient: float
    after: float = Field(description="before - learning_rate * gradient")


class OneStepAnswer(BaseModel):
    model: str
    label: int
    learning_rate: float
    loss: float
    loss_after: float
    before: list[float] = Field(description="the probabilities before the step")
    after: list[float] = Field(description="and after it")
    forward: list[ArraySummary]
    backward: list[ArraySummary]
    updated: list[ArraySummary]
    changes: list[Change] = Field(description="each parameter's largest moves")

"""The API's requests and answers, as pydantic models: FastAPI checks requests against them and
describes both in the OpenAPI schema at ``/openapi.json``.

Images travel as rows of pixels: ``pixels[row][column]``, integers 0-255, light ink on 0 (MNIST's
form). A drawing travels as its strokes, in the canvas's own units.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..datasets.drawing import MAX_CANVAS, MAX_COORDINATE, MAX_POINTS, MAX_STROKES
from ..usecases.explain import PROBES

Pixel = Annotated[int, Field(ge=0, le=255)]
Image = Annotated[list[list[Pixel]], Field(description="rows of pixels 0-255, light ink on 0",
                                           max_length=64)]


class Strict(BaseModel):
    # No NaN or infinity, no unknown fields: either is a mistake worth a message.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


Coordinate = Annotated[float, Field(ge=-MAX_COORDINATE, le=MAX_COORDINATE)]


class Stroke(Strict):
    brush: float = Field(gt=0, le=MAX_CANVAS, description="the brush's width, canvas units")
    points: list[tuple[Coordinate, Coordinate]] = Field(
        min_length=1, max_length=MAX_POINTS,
        description="[x, y] in canvas units, in order; off the canvas is clipped")


class Drawing(Strict):
    width: float = Field(ge=1, le=MAX_CANVAS, description="the canvas's width, in units")
    height: float = Field(ge=1, le=MAX_CANVAS, description="the canvas's height, in units")
    strokes: list[Stroke] = Field(max_length=MAX_STROKES)


class PredictRequest(Strict):
    """One input: a ``drawing`` or the 28x28 ``pixels`` the network takes as they are.
    (A picture file goes as multipart/form-data instead, in the field ``file``.)"""

    # Neither may be null: one is given, the other left out (the schema says so with oneOf).
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["drawing"]},
                                                           {"required": ["pixels"]}]})
    drawing: Drawing = Field(None, validate_default=False)
    pixels: Image = Field(None, validate_default=False)
    models: Optional[list[str]] = Field(None, max_length=32,
                                        description="which served models answer (default: all)")
    steps: bool = Field(False, description="also send the preprocessing's steps")

    @model_validator(mode="after")
    def _one_input(self):
        if (self.drawing is None) == (self.pixels is None):
            raise ValueError("give exactly one of drawing or pixels")
        return self


class ModelAnswer(BaseModel):
    model: str
    label: int
    confidence: float = Field(description="the label's probability")
    unsure: bool = Field(description="the confidence is below the server's threshold")
    probabilities: list[float] = Field(description="one per class, 0 first")


class Steps(BaseModel):
    cropped: list[list[int]] = Field(description="the ink cropped (at most 112 pixels a side)")
    scaled: list[list[int]] = Field(description="fitted into the 20x20 box, aspect kept")


class PredictAnswer(BaseModel):
    digit: bool = Field(description="false when the input holds no digit (then no answers)")
    message: str
    input: Optional[list[list[int]]] = Field(description="the 28x28 input the models saw")
    steps: Optional[Steps] = None
    answers: list[ModelAnswer]


class OnImage(Strict):
    pixels: Image
    model: str


class InsideRequest(OnImage):
    pass


class UnitRequest(OnImage):
    layer: int = Field(ge=0, le=1000, description="the layer's index, as /api/inside gives it")
    unit: int = Field(ge=0, le=1_000_000)


class SaliencyRequest(OnImage):
    target: Optional[int] = Field(None, ge=0, le=1000,
                                  description="the class to explain (default: the predicted)")


class ProbeRequest(Strict):
    pixels: Image
    kind: Literal[tuple(PROBES)]  # type: ignore[valid-type]
    models: Optional[list[str]] = Field(None, max_length=32)


class LayerOutput(BaseModel):
    index: int
    kind: Literal["dense", "conv"]
    activation: str
    shape: list[int]
    values: list = Field(description="(units,) or (maps, height, width)")


class Evidence(BaseModel):
    logits: list[float]
    evidence_for: list[float]
    evidence_against: list[float]
    bias: list[float]


class InsideAnswer(BaseModel):
    model: str
    kind: Literal["dense", "conv"]
    output_layer: int
    probabilities: list[float]
    layers: list[LayerOutput]
    evidence: Evidence


class UnitAnswer(BaseModel):
    model: str
    layer: int
    unit: int
    kind: Literal["dense", "conv"]
    shape: list[int] = Field(description="the shape of weights, inputs and products")
    weights: list
    inputs: list
    products: list
    bias: float
    preactivation: float | list


class SaliencyAnswer(BaseModel):
    model: str
    target: int
    probabilities: list[float]
    gradient: list[list[float]] = Field(description="d log p(target) / d ink, per pixel")
    occlusion: list[list[float]] = Field(description="drop of p(target) when blanked")


class ProbeCurve(BaseModel):
    model: str
    probabilities: list[list[float]] = Field(description="per value, one per class")


class ProbeAnswer(BaseModel):
    kind: str
    values: list[float]
    images: list[list[list[int]]]
    curves: list[ProbeCurve]


class ModelInfo(BaseModel):
    name: str
    kind: Literal["dense", "conv"]
    parameters: int
    preset: Optional[str]
    test_accuracy: Optional[float]
    file: Optional[str] = Field(description="the model file's name (no folder)")
    layers: list[dict]


class ModelsAnswer(BaseModel):
    models: list[ModelInfo]
    image_shape: list[int]
    classes: int
    unsure_below: float
    probes: dict[str, list[float]]


class MnistDigit(BaseModel):
    index: int
    label: int
    pixels: list[list[int]]


class Problem(BaseModel):
    detail: str

"""The API's requests and answers, as pydantic models: FastAPI checks requests against them and
describes both in the OpenAPI schema at ``/openapi.json``.

Images travel as rows of pixels: ``pixels[row][column]``, integers 0-255, light ink on 0 (MNIST's
form). A drawing travels as its strokes, in the canvas's own units.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from ..datasets.drawing import MAX_CANVAS, MAX_COORDINATE
from ..explain import PROBES

# A drawing's size, narrower than the library's (datasets.drawing): rendering costs up to about
# 100 us a point when every segment crosses the whole canvas (measured on 6 December 2026: 8,000
# random points with a 256-unit brush, 0.76 s of a core; 48 units, 0.47 s), off the event loop,
# two at a time. The page's digit takes tens of strokes, a few hundred points (about 5 ms) and a
# brush of at most 48 units on a 280-unit canvas.
MAX_STROKES = 100
MAX_STROKE_POINTS = 4000  # a slow stroke with a 1000 Hz mouse
MAX_POINTS = 8000  # in all strokes
MAX_BRUSH = 256  # units


Pixel = Annotated[int, Field(ge=0, le=255)]
Image = Annotated[
    list[list[Pixel]], Field(description="rows of pixels 0-255, light ink on 0", max_length=64)
]


class Strict(BaseModel):
    # No NaN or infinity, no unknown fields: either is a mistake worth a message.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, data: Any) -> Any:
        """JSON's true and false are not numbers, though Python's bool is an int: a field the
        schema types as a number (or arrays of numbers) refuses them. 42.0 stays a whole
        number, as JSON Schema has it. Nested objects check their own fields."""
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if field is None or field.annotation is bool or isinstance(value, dict):
                continue
            if _holds_a_boolean(value):
                raise ValueError(f"{name}: numbers, not true or false")
        return data


Coordinate = Annotated[float, Field(ge=-MAX_COORDINATE, le=MAX_COORDINATE)]


def _holds_a_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, list):
        return any(_holds_a_boolean(item) for item in value)
    return False


class Stroke(Strict):
    brush: float = Field(gt=0, le=MAX_BRUSH, description="the brush's width, canvas units")
    points: list[tuple[Coordinate, Coordinate]] = Field(
        min_length=1,
        max_length=MAX_STROKE_POINTS,
        description="[x, y] in canvas units, in order; off the canvas is clipped",
    )


class Drawing(Strict):
    width: float = Field(ge=1, le=MAX_CANVAS, description="the canvas's width, in units")
    height: float = Field(ge=1, le=MAX_CANVAS, description="the canvas's height, in units")
    strokes: list[Stroke] = Field(
        max_length=MAX_STROKES, description=f"at most {MAX_POINTS:,} points in all strokes"
    )

    @model_validator(mode="after")
    def _not_too_many_points(self) -> Drawing:
        total = sum(len(stroke.points) for stroke in self.strokes)
        if total > MAX_POINTS:
            raise ValueError(f"the drawing has {total:,} points; at most {MAX_POINTS:,} are taken")
        return self


def _not_nullable(schema: dict[str, Any]) -> None:
    """A field's schema without the null its ``X | None`` type adds: the field may be left
    out (reading as None), not sent as null."""
    choices = schema.pop("anyOf")
    schema.update(next(choice for choice in choices if choice != {"type": "null"}))


class DrawingOrPixels(Strict):
    """Exactly one of a ``drawing`` and ``pixels`` (28x28): one is given, the other left out."""

    # Neither may be null: the schema says so with oneOf, lists neither as nullable, and a
    # null sent is refused; None is only what a field left out reads as.
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["drawing"]}, {"required": ["pixels"]}]}
    )
    drawing: Drawing | None = Field(None, validate_default=False, json_schema_extra=_not_nullable)
    pixels: Image | None = Field(None, validate_default=False, json_schema_extra=_not_nullable)

    @field_validator("drawing", "pixels", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null: leave it out instead")
        return value

    @model_validator(mode="after")
    def _one_input(self) -> DrawingOrPixels:
        if (self.drawing is None) == (self.pixels is None):
            raise ValueError("give exactly one of drawing or pixels")
        return self

    def given(self) -> Drawing | list[list[int]]:
        """The input given: the drawing, or the pixels (rows of 0-255)."""
        if self.drawing is not None:
            return self.drawing
        if self.pixels is None:  # only if changed after validation
            raise ValueError("give exactly one of drawing or pixels")
        return self.pixels


class PredictRequest(DrawingOrPixels):
    """One input: a ``drawing`` or the 28x28 ``pixels`` the network takes as they are.

    A picture file goes as multipart/form-data instead, in the field ``file``.
    """

    models: list[str] | None = Field(
        None, max_length=32, description="which served models answer (default: all)"
    )
    steps: StrictBool = Field(False, description="also send the preprocessing's steps")


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
    input: list[list[int]] | None = Field(description="the 28x28 input the models saw")
    steps: Steps | None = None
    answers: list[ModelAnswer]


class OnImage(Strict):
    pixels: Image
    model: str


class InsideRequest(OnImage):
    pass


class UnitRequest(OnImage):
    layer: int = Field(
        ge=0, le=1000, description="the layer's index, as /api/inside gives it (404 if none)"
    )
    unit: int = Field(ge=0, le=1_000_000, description="the unit's index (404 if none)")


class ProbeRequest(Strict):
    pixels: Image
    kind: Literal[tuple(PROBES)]  # type: ignore[valid-type]
    models: list[str] | None = Field(None, max_length=32)


class LayerOutput(BaseModel):
    index: int
    number: int = Field(description="l of the tutorial's W[l]: 1 for the first layer with weights")
    title: str = Field(description='the layer in words, e.g. "Dense 784->128, ReLU"')
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
    preset: str | None
    test_accuracy: float | None = Field(
        description="accuracy on MNIST's test set (for a fine-tuned model, after its fine-tuning)"
    )
    held_out_accuracy: float | None = Field(
        None, description="a fine-tuned model's accuracy on the user's held-out digits"
    )
    file: str | None = Field(description="the model file's name (no folder)")
    layers: list[dict]


class ModelsAnswer(BaseModel):
    models: list[ModelInfo]
    training: bool = Field(description="the server trains runs started from the page")
    digits: bool = Field(description="the server keeps your digits")
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


# --- live training and your digits ---------------------------------------------------------------


class TrainRequest(Strict):
    """A run to start: a preset trained from scratch on the server's data (``mode`` "train"),
    or a served model fine-tuned on your digits ("fine_tune"); the other fields override the
    preset's (or, fine-tuning, the model's own recipe with a tenth of its learning rate)."""

    mode: Literal["train", "fine_tune"] = "train"
    preset: Literal["classic", "mlp", "cnn"] | None = Field(
        None, description="for mode train (default mlp)"
    )
    model: str | None = Field(
        None, max_length=200, description="for mode fine_tune: a served model's name"
    )
    epochs: int | None = Field(
        None, ge=1, le=1000, description="epochs (iterations of a full-batch preset)"
    )
    lr: float | None = Field(None, gt=0, le=1e6, description="learning rate")
    hidden: list[Annotated[int, Field(ge=1, le=2048)]] | None = Field(
        None, min_length=1, max_length=4, description="hidden layer sizes"
    )
    optimizer: Literal["sgd", "momentum", "nesterov", "adam", "adamw"] | None = None
    dropout: float | None = Field(None, ge=0, lt=1)
    dev_size: int | None = Field(None, ge=0, le=100_000, description="dev images held out")
    freeze: int | None = Field(
        None, ge=0, le=100, description="fine-tuning: layers with weights kept as they are"
    )


class SaveRequest(Strict):
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
        description="the new model's name (and file name, NAME.npz)",
    )


class WatchRequest(Strict):
    pixels: Image


class RunInfo(BaseModel):
    id: str
    mode: Literal["train", "fine_tune"]
    preset: str
    model: str | None
    title: str
    epochs: int
    unit: Literal["epoch", "iteration"]
    every: int
    description: str
    freeze: int
    settings: dict = Field(
        description="the form's fields as the run trains them: epochs, lr, hidden, "
        "optimizer, dropout, dev_size"
    )


class TrainingStatus(BaseModel):
    state: str = Field(
        description="idle, starting, running, pausing, paused, stopping, "
        "stopped, completed, early_stopping, diverged, failed or interrupted"
    )
    message: str
    run: RunInfo | None
    last_event: int = Field(description="the id of the newest event sent so far")
    choices: dict = Field(
        description="the form's settings: each preset's, and each served "
        "model's for a fine-tuning (with its layers that can be frozen)"
    )
    can: dict[str, bool] = Field(
        description="start, pause, resume, step (one iteration of a paused full-batch run), "
        "stop, save: allowed now"
    )


class Watched(BaseModel):
    watched: bool
    version: int = Field(description="names this drawing in the events' drawing scores")


class SavedModel(BaseModel):
    name: str
    file: str = Field(description="the model file, under the server's runs folder")


class DigitInfo(BaseModel):
    number: int
    label: int
    pixels: list[list[int]]


class DigitsAnswer(BaseModel):
    folder: str = Field(description="the server's digits folder, by name (no path)")
    count: int = Field(description="digits in the set")
    counts: list[int] = Field(description="digits of each label, 0 first")
    held_out: list[int] = Field(description="the numbers an IDX export holds out")
    offset: int = Field(description="the position in the set of the first digit sent")
    limit: int = Field(description="at most this many digits are sent")
    digits: list[DigitInfo] = Field(description="the digits from offset, in the order added")


class AddedDigit(BaseModel):
    added: bool = Field(description="false when a drawing holds no ink on its canvas")
    message: str = Field(description="why nothing was added, when nothing was")
    number: int | None
    label: int | None
    pixels: list[list[int]] | None
    count: int = Field(description="digits in the set now")
    counts: list[int] = Field(description="digits of each label now, 0 first")
    held_out: list[int] = Field(description="the numbers an IDX export holds out now")


class AddDigitRequest(DrawingOrPixels):
    """A digit to add: a ``drawing`` (brought into MNIST's form as /api/predict does) or the
    28x28 ``pixels`` themselves, with its ``label``."""

    label: int = Field(ge=0, le=9)


class ExportAnswer(BaseModel):
    folder: str = Field(
        description="where the IDX files were written, under the server's digits folder "
        "(the data folder serve names at start)"
    )
    csv: str = Field(description="the CSV file written, under the server's digits folder")
    train: int
    test: int
    files: list[str] = Field(description="names to download from /api/digits/export/NAME")
    command: str = Field(
        description="a command that fine-tunes a model on the export, run in the folder that "
        "holds the digits folder (the data folder serve names)"
    )


class ImportAnswer(BaseModel):
    added: int = Field(description="digits added")
    already_there: int = Field(description="digits of the files the set held already")
    count: int = Field(description="digits in the set now")

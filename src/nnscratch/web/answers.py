"""What each endpoint answers, as JSON-able dicts: library results (predictions, explain's
views) put into the shapes of :mod:`nnscratch.web.schemas`. Runs in worker threads; each
model runs through the calling thread's replica."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import explain
from ..budget import limited
from ..datasets.drawing import drawing_to_mnist, make_strokes
from ..datasets.mnist import load_mnist
from ..datasets.pictures import MnistFormSteps, NoDigitError, read_picture_steps, shrink_ink
from ..errors import ConfigError, DataError
from .served import ServedModels

UNSURE_BELOW = 0.6  # a top probability below this is shown as unsure
MAX_PICTURE_PIXELS = 12_000_000  # a 12-megapixel phone photo, not a decompression bomb
STEP_SIDE = 112  # the cropped step is sent at most this many pixels on a side
# Decoding a large photo takes tens of MB for a moment (pictures.WORK_PIXELS): two at a time.
PICTURE_SLOTS = threading.BoundedSemaphore(2)
# Rendering a drawing takes a core for up to about 0.4 s (schemas.MAX_POINTS): two at a time,
# the others wait in their threads while the event loop answers everything else.
DRAWING_SLOTS = threading.BoundedSemaphore(2)
DIGITS = 3  # significant decimals sent for views (the page draws them; more is noise)


class NotFound(ConfigError):
    """What a request names does not exist (a layer, a unit, a digit): answered 404."""


class Conflict(ConfigError):
    """What is asked cannot be done in the present state (an empty set exported, a name
    taken): answered 409."""


@dataclass(frozen=True)
class PredictInput:
    """One /api/predict input: ``kind`` "drawing", "pixels" or "picture", and its data."""

    kind: str
    data: Any
    models: list[str] | None = None
    steps: bool = False


def models_answer(models: ServedModels, *, training: bool = False, digits: bool = False) -> dict:
    return {
        "models": [served.describe() for served in models],
        "training": training,
        "digits": digits,
        "image_shape": list(models.image_shape),
        "classes": models.classes,
        "unsure_below": UNSURE_BELOW,
        "probes": {kind: [float(v) for v in explain.probe_values(kind)] for kind in explain.PROBES},
    }


def pixels_image(models: ServedModels, pixels: list[list[int]]) -> np.ndarray:
    """A 28x28 (the models' shape) list of rows as uint8; DataError for another shape."""
    height, width = models.image_shape
    if len(pixels) != height or any(len(row) != width for row in pixels):
        sizes = "/".join(sorted({str(len(row)) for row in pixels}, key=int))
        got = f"{len(pixels)} row{'' if len(pixels) == 1 else 's'}" + (
            f" of {sizes} values" if sizes else ""
        )
        raise DataError(f"pixels must be {height} rows of {width} values, got {got}")
    return np.array(pixels, dtype=np.uint8)


def predict_answer(models: ServedModels, given: PredictInput) -> dict:
    """Each chosen model's answer for one input, the input the models saw, and the steps."""
    picked = models.pick(given.models)
    size = models.image_shape[0]
    steps = None
    try:
        if given.kind == "pixels":
            image = pixels_image(models, given.data)
            if not image.any():
                raise NoDigitError("holds no digit (every pixel is 0)")
        else:
            if given.kind == "drawing":
                seen = render_drawing(given.data, size)
            else:
                with PICTURE_SLOTS, limited(pixels=MAX_PICTURE_PIXELS):
                    seen = read_picture_steps(
                        io.BytesIO(given.data), size=size, name="the uploaded picture"
                    )
            image = seen.field
            if given.steps:
                steps = {
                    "cropped": _ink_bytes(shrink_ink(seen.cropped, STEP_SIDE)),
                    "scaled": _ink_bytes(seen.scaled),
                }
    except NoDigitError as error:
        # An empty canvas is the page's normal state, not a mistake: no guess, a hint.
        message = str(error) if given.kind == "picture" else "draw a digit"
        return {"digit": False, "message": message, "input": None, "steps": None, "answers": []}
    answers = []
    for served in picked:
        probabilities = served.runner().predict_proba(image[None])[0].astype(np.float64)
        label = int(probabilities.argmax())
        answers.append(
            {
                "model": served.name,
                "label": label,
                "confidence": float(probabilities[label]),
                "unsure": bool(probabilities[label] < UNSURE_BELOW),
                "probabilities": probabilities.tolist(),
            }
        )
    return {
        "digit": True,
        "message": "",
        "input": image.tolist(),
        "steps": steps,
        "answers": answers,
    }


def render_drawing(drawing: dict, size: int) -> MnistFormSteps:
    """A drawing (``width``, ``height``, ``strokes`` as the schema gives them) in MNIST's form,
    (size, size) with its steps; at most two at a time (:data:`DRAWING_SLOTS`). Call it from a
    worker thread, never on the event loop. NoDigitError for a drawing without ink."""
    with DRAWING_SLOTS:
        return drawing_to_mnist(
            make_strokes(drawing["strokes"], drawing["width"], drawing["height"]),
            drawing["width"],
            drawing["height"],
            size=size,
        )


def inside_answer(models: ServedModels, pixels, name: str) -> dict:
    served = models.get(name)
    model = served.runner()
    seen = explain.look_inside(model, pixels_image(models, pixels))
    return {
        "model": served.name,
        "kind": served.kind,
        "output_layer": explain.output_layer(model),
        "probabilities": _rounded(seen.probabilities, 6),
        "layers": [
            {
                "index": layer.index,
                "number": explain.weighted_layers(model).index(layer.index) + 1,
                "title": explain.layer_title(model, layer.index),
                "kind": layer.kind,
                "activation": layer.activation,
                "shape": list(layer.values.shape),
                "values": _rounded(layer.values),
            }
            for layer in seen.layers
        ],
        "evidence": {
            "logits": _rounded(seen.logits),
            "evidence_for": _rounded(seen.evidence_for),
            "evidence_against": _rounded(seen.evidence_against),
            "bias": _rounded(seen.bias),
        },
    }


def network_answer(
    models: ServedModels, pixels, name: str, keep: tuple[int, int] | None = None
) -> dict:
    served = models.get(name)
    model = served.runner()
    image = pixels_image(models, pixels)
    try:
        layers = explain.glance(model, image, keep=keep)
    except ConfigError as error:  # glance's only, with the default sizes: keep names no unit
        raise NotFound(str(error)) from None
    return {
        "model": served.name,
        "kind": served.kind,
        "input": {"title": "Input 28x28 pixels", "shape": [28, 28]},
        "layers": [
            {
                "index": layer.index,
                "number": layer.number,
                "title": layer.title,
                "kind": layer.kind,
                "output": layer is layers[-1],
                "units": layer.units,
                "values": _rounded(layer.values),
                "shown": layer.shown,
                "source": layer.source,
                "edges": [[e.source, e.target, round(e.value, 4)] for e in layer.edges],
            }
            for layer in layers
        ],
    }


def unit_answer(models: ServedModels, pixels, name: str, layer: int, unit: int) -> dict:
    served = models.get(name)
    image = pixels_image(models, pixels)
    try:
        view = explain.unit_view(served.runner(), image, layer, unit)
    except ConfigError as error:  # unit_view's only: a layer or unit the model has not
        raise NotFound(str(error)) from None
    pre = view.preactivation
    return {
        "model": served.name,
        "layer": view.index,
        "unit": view.unit,
        "kind": view.kind,
        "shape": list(view.weights.shape),
        "weights": _rounded(view.weights),
        "inputs": _rounded(view.inputs),
        "products": _rounded(view.products),
        "bias": round(view.bias, 6),
        "preactivation": _rounded(pre) if pre.ndim else round(float(pre), 6),
    }


def probe_answer(models: ServedModels, pixels, kind: str, names: list[str] | None) -> dict:
    picked = models.pick(names)
    values, images = explain.probe_images(pixels_image(models, pixels), kind)
    return {
        "kind": kind,
        "values": [float(v) for v in values],
        "images": np.round(images).astype(np.uint8).tolist(),
        "curves": [
            {
                "model": served.name,
                "probabilities": _rounded(explain.probe(served.runner(), images), 6),
            }
            for served in picked
        ],
    }


def mnist_digit_answer(index: int) -> dict:
    images, labels = load_mnist("test")
    if not 0 <= index < len(labels):
        raise DataError(f"test digit {index} does not exist (there are {len(labels):,}, from 0)")
    return {"index": index, "label": int(labels[index]), "pixels": images[index].tolist()}


def _rounded(values: np.ndarray, digits: int = DIGITS) -> list:
    """Nested lists of floats rounded to ``digits`` decimals (JSON-able, finite)."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def _ink_bytes(ink: np.ndarray) -> list[list[int]]:
    return np.round(np.clip(ink, 0, 1) * 255).astype(np.uint8).tolist()

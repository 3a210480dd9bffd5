"""What the lessons' endpoints answer, as JSON-able dicts in the shapes of
:mod:`nnscratch.web.lesson_schemas`: explain's results, with large arrays sent as small images
and summaries so that an answer stays a few hundred kilobytes whatever the network."""

from __future__ import annotations

import numpy as np

from .. import explain
from .answers import pixels_image
from .served import ServedModels

SIGNIFICANT = 4  # significant digits sent: gradients are small numbers, decimals would zero them
FULL_VALUES = 1024  # an array this small is sent whole
TILES = 10  # small images per array at most (the classic network's ten units)
OVERVIEW_SIDE = 64  # a large matrix is sent averaged down to at most this many rows and cols
LARGEST = 8  # entries listed by size, and parameter moves per array
MAP_TITLES = {
    "gradient": "Gradient of the score",
    "gradient_x_input": "Gradient x input",
    "integrated_gradients": "Integrated gradients",
    "occlusion": "Occlusion",
}


def attributions_answer(
    models: ServedModels, pixels: list[list[int]], name: str, target: int | None
) -> dict:
    served = models.get(name)
    found = explain.attributions(served.runner(), pixels_image(models, pixels), target)
    return {
        "model": served.name,
        "target": found.target,
        "logit": float(found.logits[found.target]),
        "blank_logit": found.blank_logit,
        "logits": significant(found.logits),
        "probabilities": np.round(found.probabilities, 6).tolist(),
        "maps": [
            {
                "name": key,
                "title": MAP_TITLES[key],
                "sentence": explain.MAP_SENTENCES[key],
                "largest": float(np.abs(values).max()),
                "values": significant(values),
            }
            for key, values in found.maps().items()
        ],
    }


def unit_maths_answer(
    models: ServedModels,
    pixels: list[list[int]],
    name: str,
    layer: int,
    unit: int,
    position: tuple[int, int] | None,
    top: int,
) -> dict:
    served = models.get(name)
    model = served.runner()
    maths = explain.unit_maths(model, pixels_image(models, pixels), layer, unit, position, top)
    return {
        "model": served.name,
        "layer": maths.layer,
        "number": maths.number,
        "title": maths.title,
        "kind": maths.kind,
        "unit": maths.unit,
        "units": maths.units,
        "position": None if maths.position is None else list(maths.position),
        "receptive_field": None if maths.receptive_field is None else list(maths.receptive_field),
        "terms": [
            {
                "index": term.index,
                "where": list(term.where),
                "weight": _number(term.weight),
                "input": _number(term.input),
                "product": _number(term.product),
            }
            for term in maths.terms
        ],
        "rest": _number(maths.rest),
        "rest_count": maths.rest_count,
        "bias": _number(maths.bias),
        "z": _number(maths.z),
        "activation": maths.activation,
        "value": _number(maths.value),
        "tutorial": [_notation(n) for n in maths.tutorial],
        "ours": [_notation(n) for n in maths.ours],
        "softmax": None
        if maths.logits is None or maths.probabilities is None
        else {
            "logits": significant(maths.logits),
            "probabilities": np.round(maths.probabilities, 6).tolist(),
        },
        "layers": [
            {"index": index, "number": n, "title": explain.layer_title(model, index)}
            for n, index in enumerate(explain.weighted_layers(model), start=1)
        ],
    }


def one_step_answer(
    models: ServedModels, pixels: list[list[int]], name: str, label: int, learning_rate: float
) -> dict:
    served = models.get(name)
    model = served.runner()
    image_shape = models.image_shape
    step = explain.one_step(model, pixels_image(models, pixels), label, learning_rate)
    gradients = {q.name: q.values for q in step.backward}
    changes = []
    for q in step.updated:
        gradient = gradients["d" + q.name]
        before = model.layers[q.layer].params[q.name[0]]  # "W1" -> W: the served model's own
        moved = np.argsort(-np.abs(gradient).ravel(), kind="stable")[:LARGEST]
        for flat in moved:
            where = np.unravel_index(flat, q.values.shape)
            changes.append(
                {
                    "name": q.name,
                    "where": [int(n) for n in where],
                    "before": _number(before[where]),
                    "gradient": _number(gradient[where]),
                    "after": _number(q.values[where]),
                }
            )
    return {
        "model": served.name,
        "label": step.label,
        "learning_rate": step.learning_rate,
        "loss": step.loss,
        "loss_after": step.loss_after,
        "before": np.round(step.before, 6).tolist(),
        "after": np.round(step.after, 6).tolist(),
        "forward": [summary(q, image_shape) for q in step.forward],
        "backward": [summary(q, image_shape) for q in step.backward],
        "updated": [summary(q, image_shape) for q in step.updated],
        "changes": changes,
    }


def summary(q: explain.Quantity, image_shape: tuple[int, int]) -> dict:
    """One array of the step for the page: its shapes, range and largest entries, and the
    array itself when small, else small images (``tiles``) or a block average (``overview``)."""
    values = q.values
    magnitudes = np.abs(values).ravel()
    largest = np.argsort(-magnitudes, kind="stable")[:LARGEST]
    tiles, tiles_of, overview = _pictures(values, image_shape)
    return {
        "name": q.name,
        "layer": q.layer,
        "title": q.title,
        "shape": list(values.shape),
        "tutorial_shape": list(q.tutorial_shape),
        "min": _number(values.min()),
        "max": _number(values.max()),
        "mean_abs": _number(magnitudes.mean()),
        "largest": [
            {
                "where": [int(n) for n in np.unravel_index(flat, values.shape)],
                "value": _number(values.ravel()[flat]),
            }
            for flat in largest
        ],
        "values": significant(values) if values.size <= FULL_VALUES else None,
        "tiles": tiles,
        "tiles_of": tiles_of,
        "overview": overview,
    }


def _pictures(
    values: np.ndarray, image_shape: tuple[int, int]
) -> tuple[list | None, str | None, list | None]:
    """(tiles, what each tile is, overview) for an array too large, or too image-like, to be
    read as numbers: a Dense W whose rows are the image's pixels as one picture per unit, an
    example's feature maps, a convolution's kernels; else a block average of a large matrix."""
    pixels = image_shape[0] * image_shape[1]
    if values.ndim == 2 and values.shape[0] == pixels:  # a first Dense layer's W or dW
        columns = values[:, :TILES].T.reshape(-1, *image_shape)
        return significant(columns), "a unit's weights from each pixel", None
    if values.ndim == 2 and values.shape == (1, pixels):  # the input, or its gradient
        return significant(values.reshape(1, *image_shape)), "the image", None
    if values.ndim == 4 and values.shape[0] == 1:  # one example's maps (1, C, H, W)
        return significant(values[0, :TILES]), "a feature map", None
    if values.ndim == 4:  # kernels (C_out, C_in, k, k)
        kernels = values.reshape(-1, *values.shape[2:])[:TILES]
        return significant(kernels), "a kernel (output map, input map)", None
    if values.ndim == 2 and values.size > FULL_VALUES:
        return None, None, significant(_block_average(values, OVERVIEW_SIDE))
    return None, None, None


def _block_average(matrix: np.ndarray, side: int) -> np.ndarray:
    """``matrix`` (R, C) averaged over blocks into at most ``side`` x ``side``."""
    rows, cols = (min(side, n) for n in matrix.shape)
    row_edges = np.linspace(0, matrix.shape[0], rows + 1).astype(int)
    col_edges = np.linspace(0, matrix.shape[1], cols + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(matrix, row_edges[:-1], axis=0), col_edges[:-1], axis=1)
    counts = np.outer(np.diff(row_edges), np.diff(col_edges))
    averaged: np.ndarray = sums / counts
    return averaged


def significant(values: np.ndarray, digits: int = SIGNIFICANT) -> list:
    """Nested lists of ``values`` rounded to ``digits`` significant digits (finite floats)."""
    values = np.asarray(values, dtype=np.float64)
    magnitude = np.floor(np.log10(np.abs(np.where(values == 0, 1.0, values))))
    factor = 10.0 ** (digits - 1 - magnitude)
    rounded: list = (np.round(values * factor) / factor).tolist()
    return rounded


def _number(value: float | np.floating | np.ndarray) -> float:
    """One number to ``SIGNIFICANT + 2`` significant digits: a sum's terms, read as text."""
    return float(f"{float(value):.{SIGNIFICANT + 2}g}")


def _notation(notation: explain.Notation) -> dict:
    return {
        "equation": notation.equation,
        "shapes": {k: list(v) for k, v in notation.shapes.items()},
    }

"""The report's sections about the network's insides: its first layer's weights (or filters, or
recurrent gates) and single images beside the probabilities the model gives them."""

from __future__ import annotations

import numpy as np

from ..usecases.inspect import Inspection, misclassified_indices
from . import charts
from .report_html import embedded_figure, section

WEIGHT_UNITS = 64  # first-layer units drawn


def first_layer_section(c) -> str:
    """The first layer's weights as images: units, filters or recurrent gates."""
    model = c["model"]
    recurrent = next((layer for layer in model.layers if layer.gate_names), None)
    if recurrent is not None and model.layers.index(recurrent) <= 1:
        figure = charts.new_figure(9, 3.6)
        charts.recurrent_input_weights(figure, recurrent.params["W_ih"], recurrent.gate_names)
        return section(
            "first-layer",
            embedded_figure(
                figure,
                f"the {recurrent.name}'s input weights",
                f"What each unit of the "
                f"{recurrent.name} reads from a row of the image, gate by gate: one row per unit, "
                f"one column per pixel of the image's row (W_ih, its {len(recurrent.gate_names)} "
                f"blocks). Mid-grey is zero, white a positive weight, black a negative one.",
            ),
        )
    first = next((layer for layer in model.layers if "W" in layer.params), None)
    weights = None if first is None else first.params["W"]
    shape = c["image_shape"] or (28, 28)
    caption = (
        "Each tile is one unit's weights, scaled to its own range: mid-grey is zero, "
        "white excites the unit, black inhibits it."
    )
    if weights is not None and weights.ndim == 2 and weights.shape[0] == shape[0] * shape[1]:
        units = min(WEIGHT_UNITS, weights.shape[1])
        figure = charts.new_figure(min(8, units) + 0.2, -(-units // 8) * 1.05 + 0.4)
        charts.first_layer_weights(figure, weights, tuple(shape), count=units)
        return section(
            "first-layer",
            embedded_figure(
                figure,
                "first-layer weights",
                f"The first Dense layer's weights over the image's "
                f"pixels, one tile per hidden unit. {caption}",
            ),
        )
    if weights is not None and weights.ndim == 4:  # Conv2D: (C_out, C_in, k, k)
        kernels = min(WEIGHT_UNITS, weights.shape[0])
        figure = charts.new_figure(min(8, kernels) * 0.9 + 0.2, -(-kernels // 8) * 0.95 + 0.4)
        charts.conv_filters(figure, weights, count=kernels)
        return section(
            "first-layer",
            embedded_figure(
                figure,
                "first-layer convolution kernels",
                f"The first convolution's kernels, one tile per output channel. {caption}",
            ),
        )
    return section(
        "first-layer",
        "<p>The first layer with weights takes neither the image's "
        "pixels nor its channels directly; nothing to draw.</p>",
    )


def examples_section(c) -> str:
    """Single images beside the probabilities the model gives them."""
    ev: Inspection = c["evaluated"]
    picks = [("the first image", 0)]
    wrong = misclassified_indices(ev.probabilities, ev.labels, 1)
    if len(wrong):
        picks.append(("the most confident mistake", int(wrong[0])))
    right = np.flatnonzero(ev.predicted == ev.labels)
    if len(right):  # the least sure of its correct answers
        picks.append(
            (
                "the least confident right answer",
                int(right[np.argmin(ev.probabilities[right, ev.predicted[right]])]),
            )
        )
    parts = []
    for what, i in picks:
        figure = charts.probability_view(
            charts.new_figure(7, 3.0),
            ev.images[i],
            ev.probabilities[i],
            int(ev.labels[i]),
            title=f"image #{i}: {what}",
        )
        parts.append(
            embedded_figure(
                figure,
                f"image {i} and its probabilities",
                f"Image #{i} of {c['evaluated_on']}, {what}.",
            )
        )
    return section("examples", *parts)

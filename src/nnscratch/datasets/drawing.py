"""Drawings made on a canvas (the web page's): strokes of points turned into a greyscale
picture, then into MNIST's form by :mod:`nnscratch.datasets.pictures`, the code that reads
pictures for ``nnscratch predict``. A drawing rendered here and saved as a PNG gives
``predict`` the same 28x28 input as the drawing itself.

A drawing is a canvas of ``width`` x ``height`` units (CSS pixels of the page's canvas, whatever
its size on screen) and strokes, each a polyline of points ``(x, y)`` drawn with a round brush
``brush`` units wide, as the canvas 2-D context draws a line with round caps and joins. Points
may lie outside the canvas (a pointer dragged past its edge); the canvas clips them, and so
does :func:`render_strokes`.

Knows no networks: depends on NumPy, Pillow (to draw) and the pictures module only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnscratch.datasets.pictures import MnistFormSteps, NoDigitError, mnist_form_steps
from nnscratch.errors import DataError

MAX_CANVAS = 4096  # units on a side
MAX_STROKES = 1000
MAX_POINTS = 20_000  # in all strokes: a digit drawn slowly takes a few hundred
MAX_COORDINATE = 100_000  # a point this far off the canvas is a mistake, not a stroke
RASTER_SIDE = 112  # the ink's box is drawn this many pixels on its longer side, at most
MARGIN = 2  # black pixels around the ink, so the picture's frame is paper
SUPERSAMPLE = 4  # strokes are drawn this many times finer, then averaged down


@dataclass(frozen=True)
class Stroke:
    """One stroke: points float64 (P, 2) as (x, y) in canvas units, P >= 1, drawn with a
    round brush ``brush`` units wide."""

    points: np.ndarray
    brush: float


def make_strokes(strokes: Sequence[dict], width: float, height: float) -> list[Stroke]:
    """Check a drawing given as plain data and return its strokes.

    ``strokes``: dicts ``{"points": [[x, y], ...], "brush": width}``; ``width`` and ``height``:
    the canvas's size in units. Raises DataError naming the stroke and point that is wrong
    (not a number, not finite, a brush that is not positive or wider than the canvas, too many
    points).
    """
    for name, side in (("width", width), ("height", height)):
        if not (isinstance(side, (int, float)) and math.isfinite(side) and 1 <= side <= MAX_CANVAS):
            raise DataError(f"canvas {name} must be a number from 1 to {MAX_CANVAS}, got {side!r}")
    if len(strokes) > MAX_STROKES:
        raise DataError(f"{len(strokes)} strokes; at most {MAX_STROKES} are taken")
    checked, total = [], 0
    for i, stroke in enumerate(strokes):
        brush = stroke.get("brush")
        if not (
            isinstance(brush, (int, float)) and math.isfinite(brush) and 0 < brush <= MAX_CANVAS
        ):
            raise DataError(
                f"strokes[{i}].brush must be a positive number up to {MAX_CANVAS}, got {brush!r}"
            )
        try:
            points = np.array(stroke.get("points"), dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(f"strokes[{i}].points must be a list of [x, y] numbers") from None
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise DataError(
                f"strokes[{i}].points must be a non-empty list of [x, y] "
                f"pairs, got shape {points.shape}"
            )
        total += len(points)
        if total > MAX_POINTS:
            raise DataError(f"the drawing has more than {MAX_POINTS:,} points")
        bad = np.flatnonzero(~np.isfinite(points).all(axis=1))
        if len(bad):
            raise DataError(f"strokes[{i}].points[{bad[0]}] is not a pair of finite numbers")
        far = np.flatnonzero((np.abs(points) > MAX_COORDINATE).any(axis=1))
        if len(far):
            raise DataError(
                f"strokes[{i}].points[{far[0]}] lies more than {MAX_COORDINATE:,} "
                f"units off the canvas"
            )
        checked.append(Stroke(points, float(brush)))
    return checked


def render_strokes(strokes: Sequence[Stroke], width: float, height: float) -> np.ndarray:
    """Draw the strokes, white ink on black, anti-aliased: uint8 (h, w), or (0, 0) when no ink
    falls on the canvas.

    Only the canvas's part that holds ink is drawn, scaled so its longer side is at most
    ``RASTER_SIDE`` pixels (MNIST's box is 20: finer detail is averaged away), with a
    ``MARGIN`` of black around it. Each stroke is a polyline with round joins and caps, drawn
    ``SUPERSAMPLE`` times finer and averaged down, so a pixel's ink is the share of it the
    brush covers (to 1/16).
    """
    from PIL import Image, ImageDraw  # Pillow draws in C: a drawing takes a fraction of a ms

    if not strokes:
        return np.zeros((0, 0), dtype=np.uint8)
    all_points = np.concatenate([s.points for s in strokes])
    reach = max(s.brush for s in strokes) / 2
    low = np.maximum(all_points.min(axis=0) - reach, 0.0)
    high = np.minimum(all_points.max(axis=0) + reach, (width, height))
    if (high <= low).any():  # every stroke lies outside the canvas
        return np.zeros((0, 0), dtype=np.uint8)
    scale = min(1.0, RASTER_SIDE / float((high - low).max()))
    size = np.ceil((high - low) * scale).astype(int) + 2 * MARGIN  # (w, h)
    fine = SUPERSAMPLE
    canvas = Image.new("L", (int(size[0]) * fine, int(size[1]) * fine), 0)
    pen = ImageDraw.Draw(canvas)
    for stroke in strokes:
        points = (((stroke.points - low) * scale + MARGIN) * fine).tolist()  # Python floats:
        radius = stroke.brush * scale / 2 * fine  # Pillow's fast path
        if len(points) > 1:
            pen.line([(x, y) for x, y in points], fill=255, width=max(1, round(2 * radius)))
        for x, y in points:  # a disc at each point: round joins and caps (Pillow's own
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)  # are slow)
    ink = np.array(canvas.resize((int(size[0]), int(size[1])), Image.Resampling.BOX))
    # The canvas's own edges, in raster pixels: ink beyond them is clipped, as on the page.
    edge_low = np.floor(MARGIN - low * scale).astype(int)
    edge_high = np.ceil(MARGIN + (np.array((width, height)) - low) * scale).astype(int)
    ink[:, : max(edge_low[0], 0)] = 0
    ink[: max(edge_low[1], 0), :] = 0
    ink[:, max(edge_high[0], 0) :] = 0
    ink[max(edge_high[1], 0) :, :] = 0
    return ink


def drawing_to_mnist(
    strokes: Sequence[Stroke], width: float, height: float, *, size: int = 28
) -> MnistFormSteps:
    """A drawing in MNIST's form, with the steps it went through (see
    :func:`nnscratch.datasets.pictures.mnist_form_steps`); ``field`` is uint8 (size, size).
    Raises DataError ("holds no digit") for a drawing without ink on the canvas."""
    picture = render_strokes(strokes, width, height)
    if picture.size == 0:
        raise NoDigitError("holds no digit (the drawing is empty)")
    return mnist_form_steps(picture, size=size)

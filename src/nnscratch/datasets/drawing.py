"""Drawings made on a canvas (the web page's): strokes of points turned into a greyscale
picture, then into MNIST's form by :mod:`nnscratch.datasets.pictures`, the code that reads
pictures for ``nnscratch predict``. A drawing rendered here and saved as a PNG gives
``predict`` the same 28x28 input as the drawing itself.

A drawing is a canvas of ``width`` x ``height`` units (CSS pixels of the page's canvas, whatever
its size on screen) and strokes, each a polyline of points ``(x, y)`` drawn with a round brush
``brush`` units wide, as the canvas 2-D context draws a line with round caps and joins. Points
may lie outside the canvas (a pointer dragged past its edge); the canvas clips them, and so
does :func:`render_strokes`.

Knows no networks: depends on NumPy and the pictures module only.
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
RASTER_SIDE = 112  # the ink's box is drawn this many pixels on its longer side, at most
MARGIN = 2  # black pixels around the ink, so the picture's frame is paper
SEGMENTS_PER_PASS = 16  # segments whose distances are computed in one array operation


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
        if not (isinstance(side, (int, float)) and math.isfinite(side) and
                1 <= side <= MAX_CANVAS):
            raise DataError(f"canvas {name} must be a number from 1 to {MAX_CANVAS}, "
                            f"got {side!r}")
    if len(strokes) > MAX_STROKES:
        raise DataError(f"{len(strokes)} strokes; at most {MAX_STROKES} are taken")
    checked, total = [], 0
    for i, stroke in enumerate(strokes):
        brush = stroke.get("brush")
        if not (isinstance(brush, (int, float)) and math.isfinite(brush)
                and 0 < brush <= max(width, height)):
            raise DataError(f"strokes[{i}].brush must be a positive number up to the canvas's "
                            f"size, got {brush!r}")
        try:
            points = np.array(stroke.get("points"), dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(f"strokes[{i}].points must be a list of [x, y] numbers") from None
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise DataError(f"strokes[{i}].points must be a non-empty list of [x, y] "
                            f"pairs, got shape {points.shape}")
        total += len(points)
        if total > MAX_POINTS:
            raise DataError(f"the drawing has more than {MAX_POINTS:,} points")
        bad = np.flatnonzero(~np.isfinite(points).all(axis=1))
        if len(bad):
            raise DataError(f"strokes[{i}].points[{bad[0]}] is not a pair of finite numbers")
        checked.append(Stroke(points, float(brush)))
    return checked


def render_strokes(strokes: Sequence[Stroke], width: float, height: float) -> np.ndarray:
    """Draw the strokes, white ink on black, anti-aliased: uint8 (h, w), or (0, 0) when no ink
    falls on the canvas.

    Only the canvas's part that holds ink is drawn, scaled so its longer side is at most
    ``RASTER_SIDE`` pixels (MNIST's box is 20: finer detail would be averaged away), with a
    ``MARGIN`` of black around it. A pixel's ink is the share of it the brush covers, measured
    with a one-pixel ramp across the brush's edge: ``clip(r + 1/2 - d, 0, 1)`` for a pixel
    centre at distance ``d`` from the stroke's centre line and a brush of radius ``r``.
    """
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
    ink = np.zeros((size[1], size[0]), dtype=np.float32)
    # The canvas's own edges, in raster pixels: ink beyond them is clipped, as on the page.
    edge_low = np.floor(MARGIN - low * scale).astype(int)
    edge_high = np.ceil(MARGIN + (np.array((width, height)) - low) * scale).astype(int)
    for stroke in strokes:
        _draw_stroke(ink, (stroke.points - low) * scale + MARGIN, stroke.brush * scale / 2)
    ink[:, :max(edge_low[0], 0)] = 0
    ink[:max(edge_low[1], 0), :] = 0
    ink[:, max(edge_high[0], 0):] = 0
    ink[max(edge_high[1], 0):, :] = 0
    return np.round(ink * 255).astype(np.uint8)


def _draw_stroke(ink: np.ndarray, points: np.ndarray, radius: float) -> None:
    """Add one polyline's coverage into ``ink`` (h, w) in place (the maximum of the two).
    ``points`` (P, 2) in raster pixels; pixel (i, j) has its centre at (j + 1/2, i + 1/2)."""
    starts = points if len(points) == 1 else points[:-1]
    ends = points if len(points) == 1 else points[1:]
    height, width = ink.shape
    for first in range(0, len(starts), SEGMENTS_PER_PASS):
        a = starts[first:first + SEGMENTS_PER_PASS]
        b = ends[first:first + SEGMENTS_PER_PASS]
        corners = np.concatenate([a, b])
        x0, y0 = np.floor(corners.min(axis=0) - radius - 1).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0) + radius + 1).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if x1 <= x0 or y1 <= y0:
            continue
        px = (np.arange(x0, x1) + 0.5)[None, None, :]
        py = (np.arange(y0, y1) + 0.5)[None, :, None]
        ax, ay = a[:, 0, None, None], a[:, 1, None, None]
        dx, dy = (b - a)[:, 0, None, None], (b - a)[:, 1, None, None]
        length2 = dx * dx + dy * dy
        # The nearest point of each segment to each pixel centre: a + t (b - a), t in [0, 1].
        t = ((px - ax) * dx + (py - ay) * dy) / np.where(length2 > 0, length2, 1.0)
        np.clip(t, 0.0, 1.0, out=t)
        distance = np.hypot(px - ax - t * dx, py - ay - t * dy).min(axis=0)
        cover = np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)
        window = ink[y0:y1, x0:x1]
        np.maximum(window, cover, out=window)


def drawing_to_mnist(strokes: Sequence[Stroke], width: float, height: float, *,
                     size: int = 28) -> MnistFormSteps:
    """A drawing in MNIST's form, with the steps it went through (see
    :func:`nnscratch.datasets.pictures.mnist_form_steps`); ``field`` is uint8 (size, size).
    Raises DataError ("holds no digit") for a drawing without ink on the canvas."""
    picture = render_strokes(strokes, width, height)
    if picture.size == 0:
        raise NoDigitError("holds no digit (the drawing is empty)")
    return mnist_form_steps(picture, size=size)

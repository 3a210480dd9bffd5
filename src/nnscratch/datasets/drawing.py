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
    ``MARGIN`` of black around it. Each pixel is sampled at ``SUPERSAMPLE`` x ``SUPERSAMPLE``
    points, the centres of its finer pixels; a point is ink when it lies within ``brush / 2``
    of a segment of a stroke (a polyline with round joins and caps: the union of its capsules,
    a disc for a stroke of one point), and the pixel's value is ``round(255 · inked / 16)``.
    Plain float64 arithmetic, no drawing library, so that the exported page's preprocess.js
    computes the same numbers point for point (see :func:`cover_segments`).
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
    fine = SUPERSAMPLE
    inked = np.zeros((int(size[1]) * fine, int(size[0]) * fine), dtype=bool)
    segments = []
    for stroke in strokes:
        points = ((stroke.points - low) * scale + MARGIN) * fine
        radius = stroke.brush * scale / 2 * fine
        ends = points[1:] if len(points) > 1 else points
        segments.append(np.column_stack([points[: len(ends)], ends, np.full(len(ends), radius)]))
    cover_segments(inked, np.concatenate(segments))
    counts = inked.reshape(int(size[1]), fine, int(size[0]), fine).sum(axis=(1, 3))
    ink = ((counts * 255 + fine * fine // 2) // (fine * fine)).astype(np.uint8)
    # The canvas's own edges, in raster pixels: ink beyond them is clipped, as on the page.
    edge_low = np.floor(MARGIN - low * scale).astype(int)
    edge_high = np.ceil(MARGIN + (np.array((width, height)) - low) * scale).astype(int)
    ink[:, : max(edge_low[0], 0)] = 0
    ink[: max(edge_low[1], 0), :] = 0
    ink[:, max(edge_high[0], 0) :] = 0
    ink[max(edge_high[1], 0) :, :] = 0
    return ink


def cover_segments(inked: np.ndarray, segments: np.ndarray, chunk: int = 1 << 20) -> None:
    """Mark in ``inked`` (rows, columns) bool the points (column + 0.5, row + 0.5) that lie in
    any segment's capsule, the points within ``r`` of it; ``segments`` (S, 5) holds x0, y0, x1,
    y1, r.

    Row by row: on the line y = row + 0.5 a capsule holds an interval of x, the union of those
    of its end discs (``x0 ± sqrt(r² - (y - y0)²)``) and of its band (the x where
    ``0 <= (p - a)·d <= |d|²`` and ``|(p - a) × d| <= r |d|``, d = b - a), and the points
    marked are those whose x lies in it. The work grows with the rows a segment spans, not its
    area, and the float64 operations are those preprocess.js repeats, so that both mark the
    same points.
    """
    rows, columns = inked.shape
    x0, y0, x1, y1, r = segments.T
    first = np.maximum(np.floor(np.minimum(y0, y1) - r).astype(np.int64) - 1, 0)
    last = np.minimum(np.ceil(np.maximum(y0, y1) + r).astype(np.int64) + 1, rows)
    spans = np.maximum(last - first, 0)
    owner = np.repeat(np.arange(len(segments)), spans)
    row = np.arange(len(owner)) - np.repeat(np.cumsum(spans) - spans, spans) + first[owner]
    diff = np.zeros(rows * (columns + 1), dtype=np.int64)
    for start in range(0, len(owner), chunk):
        who, at = owner[start : start + chunk], row[start : start + chunk]
        low, high = _row_interval(segments[who], at + 0.5)
        c0 = np.maximum(np.ceil(low - 0.5), 0)
        c1 = np.minimum(np.floor(high - 0.5), columns - 1)
        some = c0 <= c1
        at, c0, c1 = at[some], c0[some].astype(np.int64), c1[some].astype(np.int64)
        width = columns + 1
        diff += np.bincount(at * width + c0, minlength=len(diff))
        diff -= np.bincount(at * width + c1 + 1, minlength=len(diff))
    inked |= np.cumsum(diff.reshape(rows, columns + 1), axis=1)[:, :columns] > 0


def _row_interval(segments: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The x interval [low, high] (empty: low > high) each segment's capsule holds on the line
    y; ``segments`` (M, 5) and ``y`` (M,). See :func:`cover_segments`."""
    x0, y0, x1, y1, r = segments.T
    low = np.full(len(y), np.inf)
    high = np.full(len(y), -np.inf)
    for cx, cy in ((x0, y0), (x1, y1)):  # the end discs
        h2 = r * r - (y - cy) * (y - cy)
        half = np.sqrt(np.maximum(h2, 0.0))
        inside = h2 >= 0
        low = np.where(inside, np.minimum(low, cx - half), low)
        high = np.where(inside, np.maximum(high, cx + half), high)
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (y - y0) * dy  # along: 0 <= (px - x0) dx + k <= |d|²
        along_a, along_b = x0 + -k / dx, x0 + (length2 - k) / dx
        m = (y - y0) * dx  # across: |(px - x0) dy - m| <= r |d|
        w = r * np.sqrt(length2)
        across_a, across_b = x0 + (m - w) / dy, x0 + (m + w) / dy
    band_low = np.where(
        dx > 0,
        along_a,
        np.where(dx < 0, along_b, np.where((k >= 0) & (k <= length2), -np.inf, np.inf)),
    )
    band_high = np.where(
        dx > 0,
        along_b,
        np.where(dx < 0, along_a, np.where((k >= 0) & (k <= length2), np.inf, -np.inf)),
    )
    across_low = np.where(
        dy > 0, across_a, np.where(dy < 0, across_b, np.where(np.abs(m) <= w, -np.inf, np.inf))
    )
    across_high = np.where(
        dy > 0, across_b, np.where(dy < 0, across_a, np.where(np.abs(m) <= w, np.inf, -np.inf))
    )
    band_low, band_high = np.maximum(band_low, across_low), np.minimum(band_high, across_high)
    band = (length2 > 0) & (band_low <= band_high)
    low = np.where(band, np.minimum(low, band_low), low)
    high = np.where(band, np.maximum(high, band_high), high)
    return low, high


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

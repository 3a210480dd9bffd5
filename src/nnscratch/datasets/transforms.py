"""Small changes to a digit image, as a hand or a scanner makes them: shifts, rotations,
thicker or thinner strokes, noise. What the robustness probes of :mod:`nnscratch.explain.probes`
try a network on.

Every function takes one image float or uint8 (H, W), light ink on 0, values 0-255, and
returns float32 (H, W) in the same range. Knows no networks: NumPy only.
"""

from __future__ import annotations

import numpy as np


def shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move the image ``dx`` pixels right and ``dy`` down; what leaves the field is lost and
    what enters is 0."""
    image = np.asarray(image, dtype=np.float32)
    out = np.zeros_like(image)
    height, width = image.shape
    dx, dy = int(dx), int(dy)
    if abs(dx) >= width or abs(dy) >= height:
        return out
    src_rows = slice(max(-dy, 0), height - max(dy, 0))
    src_cols = slice(max(-dx, 0), width - max(dx, 0))
    dst_rows = slice(max(dy, 0), height - max(-dy, 0))
    dst_cols = slice(max(dx, 0), width - max(-dx, 0))
    out[dst_rows, dst_cols] = image[src_rows, src_cols]
    return out


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Turn the image ``degrees`` anticlockwise (as seen) about its centre, with bilinear
    interpolation; corners brought in from outside are 0."""
    image = np.asarray(image, dtype=np.float32)
    height, width = image.shape
    angle = np.deg2rad(degrees)
    cy, cx = (height - 1) / 2, (width - 1) / 2
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    # Each output pixel takes the input at the point the rotation brings onto it (the
    # inverse map); rows grow downwards, so "anticlockwise on screen" flips the sine's sign.
    cos, sin = np.cos(angle), np.sin(angle)
    src_x = cos * (cols - cx) - sin * (rows - cy) + cx
    src_y = sin * (cols - cx) + cos * (rows - cy) + cy
    return _bilinear(image, src_x, src_y)


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample ``image`` at real coordinates (x: column, y: row); 0 outside."""
    height, width = image.shape
    padded = np.pad(image, 1)  # a ring of zeros, so neighbours just outside read 0
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0).astype(np.float32), (y - y0).astype(np.float32)
    # Indices into the padded image, clamped to its zero ring for points far outside.
    c0 = np.clip(x0.astype(int) + 1, 0, width + 1)
    c1 = np.clip(x0.astype(int) + 2, 0, width + 1)
    r0 = np.clip(y0.astype(int) + 1, 0, height + 1)
    r1 = np.clip(y0.astype(int) + 2, 0, height + 1)
    top = padded[r0, c0] * (1 - fx) + padded[r0, c1] * fx
    bottom = padded[r1, c0] * (1 - fx) + padded[r1, c1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def thicken(image: np.ndarray, steps: int) -> np.ndarray:
    """Make the strokes thicker by ``steps`` pixels on each side (grey dilation: each pixel
    takes the brightest of itself and its four neighbours, ``steps`` times), or thinner for a
    negative ``steps`` (grey erosion: the darkest)."""
    out = np.asarray(image, dtype=np.float32)
    combine = np.maximum if steps > 0 else np.minimum
    for _ in range(abs(int(steps))):
        padded = np.pad(out, 1)
        out = combine.reduce(
            [
                padded[1:-1, 1:-1],
                padded[:-2, 1:-1],
                padded[2:, 1:-1],
                padded[1:-1, :-2],
                padded[1:-1, 2:],
            ]
        )
    return out


def add_noise(image: np.ndarray, level: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``level`` x 255 to every pixel (the same noise
    for the same ``seed``), clipped to 0-255."""
    image = np.asarray(image, dtype=np.float32)
    noise = np.random.default_rng(seed).standard_normal(image.shape, dtype=np.float32)
    return np.clip(image + noise * np.float32(level * 255.0), 0.0, 255.0)

"""Data augmentation: each batch's images moved a little, differently every time they are seen.

The classic recipe for MNIST (Simard, Steinkraus & Platt, 2003): random shifts, small rotations
and scalings, and elastic distortion. All of them are one operation here, :func:`warp`: each
output pixel reads the input at a displaced position, by bilinear interpolation, with zeros
(paper) outside the image. A shift, a rotation, a scaling and an elastic field only change
where each pixel reads from, so they compose into one displacement and one interpolation.

Positions are (row, column) with the image's centre c = ((H - 1)/2, (W - 1)/2). A transform
that moves a point p of the input to ``c + s R(θ) (p - c) + t`` (rotation by θ, counter-
clockwise as the image is seen, scaling by s, shift by t) is computed backwards: output pixel q
reads input position ``c + R(-θ) (q - c - t) / s``, plus the elastic displacement d(q).

The random draws come from the generator the training loop gives (its own, which also draws
the order of the examples), so a seeded run is repeatable and a resumed run draws exactly what
an uninterrupted one would. Everything is NumPy, on the whole batch at once: no per-image loop
and no Pillow call (a per-image PIL transform of a batch of 128 takes several times longer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import checks


def warp(
    images: np.ndarray,
    *,
    shift: np.ndarray | None = None,
    rotation: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    displacement: np.ndarray | None = None,
) -> np.ndarray:
    """The images moved: each point p of an image goes to ``c + s R(θ) (p - c) + t``, then
    the elastic ``displacement`` moves where each output pixel reads from.

    Shapes: ``images`` (N, H, W) floats (any leading shape before H, W is flattened into N
    and restored); ``shift`` (N, 2) pixels (rows down, columns right); ``rotation`` (N,)
    radians, counter-clockwise; ``scale`` (N,) factors; ``displacement`` (N, 2, H, W): output
    pixel q reads from its position plus ``displacement[:, :, q]`` (in rows, columns), before
    the affine part is undone. Any of them may be None (no such move). Returns a new array of
    the images' shape and dtype; pixels read from outside the image are 0.
    """
    shape = images.shape
    images = images.reshape(-1, shape[-2], shape[-1])
    n, h, w = images.shape
    row_centre, col_centre = (h - 1) / 2, (w - 1) / 2
    grid_rows, grid_cols = _centred_grid(h, w)
    # q - c, the output pixel's offset from the centre, per image: two (N, H, W) arrays
    dr = np.broadcast_to(grid_rows, (n, h, w))
    dc = np.broadcast_to(grid_cols, (n, h, w))
    if displacement is not None:
        displacement = displacement.astype(np.float32, copy=False)
        dr, dc = dr + displacement[:, 0], dc + displacement[:, 1]
    if shift is not None:
        shift = shift.astype(np.float32)
        dr, dc = dr - shift[:, 0, None, None], dc - shift[:, 1, None, None]
    if rotation is not None or scale is not None:
        theta = np.zeros(n, np.float32) if rotation is None else rotation.astype(np.float32)
        factor = np.ones(n, np.float32) if scale is None else scale.astype(np.float32)
        # In (row, column) coordinates rows point down, so a counter-clockwise rotation as
        # seen is (dr, dc) -> (cos θ dr - sin θ dc, sin θ dr + cos θ dc); undoing it and the
        # scaling is the transpose, divided by s.
        cos = (np.cos(theta) / factor)[:, None, None]
        sin = (np.sin(theta) / factor)[:, None, None]
        dr, dc = cos * dr + sin * dc, cos * dc - sin * dr
    return _bilinear(images, dr + np.float32(row_centre), dc + np.float32(col_centre)).reshape(
        shape
    )


@lru_cache(maxsize=8)
def _centred_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's row and column offset from the centre, (H, W) float32 each (read-only)."""
    rows, cols = np.meshgrid(
        np.arange(h, dtype=np.float32) - np.float32((h - 1) / 2),
        np.arange(w, dtype=np.float32) - np.float32((w - 1) / 2),
        indexing="ij",
    )
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


def _bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Images (N, H, W) read at fractional positions rows, cols (N, H, W), zeros outside.

    The images are padded with zeros (one row and column before, two after), positions
    clipped into the padding, and the four neighbours of each position gathered by flat index
    from the corner's: four gathers and a few operations for the whole batch. A position
    beyond the image reads only padding, so it is 0."""
    n, h, w = images.shape
    width = w + 3
    padded = np.zeros((n, h + 3, width), dtype=images.dtype)
    padded[:, 1 : h + 1, 1 : w + 1] = images
    r = np.clip(rows + 1, 0, h + 1)  # into padded coordinates; new arrays, free to change
    c = np.clip(cols + 1, 0, w + 1)
    r0, c0 = np.floor(r), np.floor(c)
    r -= r0  # the fractional parts
    c -= c0
    corner = r0.astype(np.intp)
    corner *= width
    corner += c0.astype(np.intp)
    corner += (np.arange(n, dtype=np.intp) * ((h + 3) * width))[:, None, None]
    flat = padded.reshape(-1)
    top_left, top_right = flat[corner], flat[corner + 1]
    corner += width
    bottom_left, bottom_right = flat[corner], flat[corner + 1]
    top_right -= top_left
    top_right *= c
    top_left += top_right  # the top row read at column c
    bottom_right -= bottom_left
    bottom_right *= c
    bottom_left += bottom_right
    bottom_left -= top_left
    bottom_left *= r
    top_left += bottom_left
    return top_left


def gaussian_matrix(size: int, sigma: float) -> np.ndarray:
    """The (size, size) matrix G of a Gaussian blur along one axis, zeros beyond the edges:
    ``G @ f`` smooths the columns of f, ``f @ G.T`` its rows (G is symmetric)."""
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :]
    g = np.exp(-0.5 * (offsets / sigma) ** 2)
    return (g / (sigma * np.sqrt(2 * np.pi))).astype(np.float32)


def elastic_field(
    rng: np.random.Generator, n: int, h: int, w: int, *, alpha: float, sigma: float
) -> np.ndarray:
    """Simard's elastic displacement: uniform noise in [-1, 1] per pixel and direction,
    blurred by a Gaussian of ``sigma`` pixels (as a product with :func:`gaussian_matrix` on
    each side), times ``alpha``. Shapes: -> (n, 2, h, w) float32, in pixels."""
    noise = rng.random((n, 2, h, w), dtype=np.float32)
    noise *= 2
    noise -= 1
    smooth = gaussian_matrix(h, sigma) @ noise @ gaussian_matrix(w, sigma)
    smooth *= np.float32(alpha)
    return smooth


@dataclass(frozen=True)
class Augmentation:
    """Random moves for each batch: ``augmentation(images, rng)`` returns moved copies.

    Each image gets its own draws: a shift of whole pixels in [-max_shift, max_shift] along
    each axis, a rotation uniform in ±max_rotation degrees, a scaling uniform in
    [1 - max_scale, 1 + max_scale], and, if ``alpha`` > 0, an elastic field
    (:func:`elastic_field` with ``alpha`` and ``sigma``). ``kind`` names the set it is
    (:data:`KINDS`, see :func:`get_augmentation`); ``words`` say its moves, as a recipe's
    description says them.

    Shapes: images (N, H, W) (or (N, ..., H, W)) floats -> the same shape and dtype.
    """

    kind: str
    words: str
    max_shift: int = 0
    max_rotation: float = 0.0  # degrees
    max_scale: float = 0.0
    alpha: float = 0.0  # elastic strength, pixels
    sigma: float = 4.0  # elastic smoothness, pixels

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Moved copies of ``images`` (N, H, W) or (N, ..., H, W), with draws from ``rng``."""
        n: int = images.shape[0]
        h, w = images.shape[-2:]
        per_image = images.reshape(n, -1, h, w)
        # Always the same draws in the same order for a kind, so a run repeats exactly.
        shift = (
            rng.integers(-self.max_shift, self.max_shift + 1, (n, 2)) if self.max_shift else None
        )
        rotation: np.ndarray | None = None
        scale: np.ndarray | None = None
        displacement: np.ndarray | None = None
        if self.max_rotation:
            limit = np.deg2rad(self.max_rotation)
            rotation = rng.uniform(-limit, limit, n)
        if self.max_scale:
            scale = rng.uniform(1 - self.max_scale, 1 + self.max_scale, n)
        if self.alpha:
            displacement = elastic_field(rng, n, h, w, alpha=self.alpha, sigma=self.sigma)
        channels = per_image.shape[1]
        if channels > 1:  # every channel of an image moves alike

            def repeat(a):
                return None if a is None else np.repeat(a, channels, axis=0)

            shift, rotation, scale, displacement = map(
                repeat, (shift, rotation, scale, displacement)
            )
        moved = warp(
            per_image.reshape(-1, h, w),
            shift=shift,
            rotation=rotation,
            scale=scale,
            displacement=displacement,
        )
        return moved.reshape(images.shape)


AUGMENTATIONS = {
    "shift": Augmentation("shift", "shifts of up to 2 pixels", max_shift=2),
    "affine": Augmentation(
        "affine", "shifts, rotations and scalings", max_shift=2, max_rotation=10.0, max_scale=0.1
    ),
    # Wider moves, for digits that vary more than MNIST's. On MNIST's test set they did no
    # better than the affine ones: best's network, 30 epochs, 99.65 % (docs/presets.md).
    "strong": Augmentation(
        "strong",
        "wider shifts, rotations and scalings",
        max_shift=3,
        max_rotation=15.0,
        max_scale=0.15,
    ),
    "elastic": Augmentation(
        "elastic",
        "shifts, rotations, scalings and elastic distortion",
        max_shift=2,
        max_rotation=10.0,
        max_scale=0.1,
        alpha=34.0,
        sigma=4.0,
    ),
}
KINDS = ("none", *AUGMENTATIONS)


def get_augmentation(kind: str) -> Augmentation | None:
    """The augmentation called ``kind``: ``none`` (None: no augmentation), ``shift`` (up to
    2 pixels each way), ``affine`` (shifts, rotations up to 10 degrees, scalings by up to
    10 %), ``strong`` (up to 3 pixels, 15 degrees and 15 %) or ``elastic`` (affine plus
    Simard's elastic distortion, alpha 34, sigma 4)."""
    checks.choice("augmentation", kind, KINDS)
    return AUGMENTATIONS.get(kind)

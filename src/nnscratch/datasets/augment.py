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

import numpy as np

from .. import checks

KINDS = ("none", "shift", "affine", "elastic")


def warp(images: np.ndarray, *, shift: np.ndarray | None = None,
         rotation: np.ndarray | None = None, scale: np.ndarray | None = None,
         displacement: np.ndarray | None = None) -> np.ndarray:
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
    centre = np.array([(h - 1) / 2, (w - 1) / 2], dtype=np.float32)
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                             indexing="ij")
    # q - c, per image: (N, 2, H, W)
    q = np.broadcast_to(np.stack([rows, cols]) - centre[:, None, None], (n, 2, h, w))
    if displacement is not None:
        q = q + displacement.astype(np.float32, copy=False)
    if shift is not None:
        q = q - shift.astype(np.float32, copy=False)[:, :, None, None]
    if rotation is not None or scale is not None:
        theta = np.zeros(n, np.float32) if rotation is None else rotation.astype(np.float32)
        factor = np.ones(n, np.float32) if scale is None else scale.astype(np.float32)
        # In (row, column) coordinates rows point down, so a counter-clockwise rotation as
        # seen is (dr, dc) -> (cos θ dr - sin θ dc, sin θ dr + cos θ dc); undoing it and the
        # scaling is the transpose, divided by s.
        cos, sin = np.cos(theta) / factor, np.sin(theta) / factor
        cos, sin = cos[:, None, None], sin[:, None, None]
        dr, dc = q[:, 0], q[:, 1]
        q = np.stack([cos * dr + sin * dc, cos * dc - sin * dr], axis=1)
    source = q + centre[None, :, None, None]
    return _bilinear(images, source[:, 0], source[:, 1]).reshape(shape)


def _bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """images (N, H, W) read at fractional positions rows, cols (N, H, W), zeros outside.

    The images are padded with a border of zeros one pixel wide, positions clipped into it,
    and the four neighbours of each position gathered by flat index: four gathers and a few
    multiplications for the whole batch."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), dtype=images.dtype)
    padded[:, 1:-1, 1:-1] = images
    # Into padded coordinates; a position beyond the border reads the zero border.
    r = np.clip(rows + 1, 0, h + 1)
    c = np.clip(cols + 1, 0, w + 1)
    r0, c0 = np.floor(r), np.floor(c)
    fr, fc = (r - r0).astype(images.dtype), (c - c0).astype(images.dtype)
    r0, c0 = r0.astype(np.intp), c0.astype(np.intp)
    r1, c1 = np.minimum(r0 + 1, h + 1), np.minimum(c0 + 1, w + 1)
    base = (np.arange(n) * (h + 2) * (w + 2))[:, None, None]
    flat = padded.reshape(-1)
    top = flat[base + r0 * (w + 2) + c0] * (1 - fc) + flat[base + r0 * (w + 2) + c1] * fc
    bottom = flat[base + r1 * (w + 2) + c0] * (1 - fc) + flat[base + r1 * (w + 2) + c1] * fc
    return top * (1 - fr) + bottom * fr


def gaussian_matrix(size: int, sigma: float) -> np.ndarray:
    """The (size, size) matrix G of a Gaussian blur along one axis, zeros beyond the edges:
    ``G @ f`` smooths the columns of f, ``f @ G.T`` its rows (G is symmetric)."""
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :]
    g = np.exp(-0.5 * (offsets / sigma) ** 2)
    return (g / (sigma * np.sqrt(2 * np.pi))).astype(np.float32)


def elastic_field(rng: np.random.Generator, n: int, h: int, w: int, *, alpha: float,
                  sigma: float) -> np.ndarray:
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
    (:data:`KINDS`, see :func:`get_augmentation`).

    Shapes: images (N, H, W) (or (N, ..., H, W)) floats -> the same shape and dtype.
    """

    kind: str
    max_shift: int = 0
    max_rotation: float = 0.0  # degrees
    max_scale: float = 0.0
    alpha: float = 0.0  # elastic strength, pixels
    sigma: float = 4.0  # elastic smoothness, pixels

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = images.shape[0]
        h, w = images.shape[-2:]
        per_image = images.reshape(n, -1, h, w)
        # Always the same draws in the same order for a kind, so a run repeats exactly.
        shift = rng.integers(-self.max_shift, self.max_shift + 1, (n, 2)) \
            if self.max_shift else None
        rotation = scale = displacement = None
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
            shift, rotation, scale, displacement = map(repeat, (shift, rotation, scale,
                                                                displacement))
        moved = warp(per_image.reshape(-1, h, w), shift=shift, rotation=rotation,
                     scale=scale, displacement=displacement)
        return moved.reshape(images.shape)


AUGMENTATIONS = {
    "shift": Augmentation("shift", max_shift=2),
    "affine": Augmentation("affine", max_shift=2, max_rotation=10.0, max_scale=0.1),
    "elastic": Augmentation("elastic", max_shift=2, max_rotation=10.0, max_scale=0.1,
                            alpha=34.0, sigma=4.0),
}


def get_augmentation(kind: str) -> Augmentation | None:
    """The augmentation called ``kind``: ``none`` (None: no augmentation), ``shift`` (up to
    2 pixels each way), ``affine`` (shifts, rotations up to 10 degrees, scalings by up to
    10 %) or ``elastic`` (affine plus Simard's elastic distortion, alpha 34, sigma 4)."""
    checks.choice("augmentation", kind, KINDS)
    return AUGMENTATIONS.get(kind)

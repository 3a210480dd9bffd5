"""Pictures of digits (PNG, JPEG, ...) turned into MNIST's form.

MNIST's digits were made like this: grey levels, light ink on a dark background, the digit
scaled to fit a 20x20 box keeping its aspect ratio (with anti-aliasing), then placed in a 28x28
field so that its centre of mass sits at the centre. :func:`to_mnist_form` does the same to any
greyscale picture, so a digit drawn or photographed on white paper is read like an MNIST digit:

1. polarity: the background is the median of the picture's outer frame; if it is light, the
   picture is inverted (dark ink on light paper becomes light on dark);
2. contrast: grey levels are stretched so the background is 0 and the brightest ink is 1, and
   anything within the frame's own noise (5 robust standard deviations) becomes 0;
3. crop to the ink, and measure the digit's size on the ink brighter than a tenth of the peak
   (so faint halos of JPEG or resampling do not make the digit look bigger);
4. scale so that size is 20 (``box``) pixels, keeping the aspect ratio (shrinking by area
   averaging, enlarging by bilinear interpolation);
5. paste into a 28x28 (``size``) field, shifted by whole pixels so the centre of mass lands on
   pixel (14, 14), where MNIST's digits have theirs (measured: 14.00 ± 0.29 on both axes).

A picture already in MNIST's form comes back unchanged: its frame is black, its ink box is
20 pixels on the longer side, and its centre of mass is already on (14, 14).

Knows no networks: depends on NumPy, Pillow and nnscratch.errors only.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import BinaryIO, NamedTuple

import numpy as np

from nnscratch.budget import Budget, current_budget
from nnscratch.errors import DataError

MAX_PIXELS = Budget().pixels  # a 40-megapixel photo is fine; a decompression bomb is not
# A digit needs far fewer pixels than a photo holds: a larger picture is reduced (JPEG while it
# is decoded, others by whole-pixel box averaging) to about this many before any float copy,
# so a 12-megapixel photo costs tens of MB, not hundreds.
WORK_PIXELS = 2_000_000
# EXIF orientation -> the transposition that shows the picture upright (EXIF 2.3, tag 0x0112).
_UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE"}
_UPRIGHT |= {6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}
CROP_LEVEL = 0.1  # ink (0-1) that counts when cropping to the digit
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


class NoDigitError(DataError):
    """A picture or drawing holds no digit: it is blank, or nothing stands out of the paper."""


def read_picture(
    path: str | os.PathLike[str] | BinaryIO,
    *,
    size: int = 28,
    box: int | None = None,
    name: str | None = None,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Read a picture file and return it in MNIST's form: uint8 (size, size), light on dark.

    Any format Pillow reads (PNG, JPEG, BMP, GIF, WebP, TIFF); colour is turned into grey, a
    transparent background counts as white paper, and the EXIF orientation of photos is applied.
    ``path`` may also be an open binary file (an upload), named ``name`` in messages.
    Raises DataError naming the file if it is missing, not a picture, damaged, larger than
    ``max_pixels`` (default ``MAX_PIXELS``; checked from the header, before decoding), or holds
    no digit (a blank or uniform picture).
    """
    return read_picture_steps(path, size=size, box=box, name=name, max_pixels=max_pixels).field


def read_picture_steps(
    path: str | os.PathLike[str] | BinaryIO,
    *,
    size: int = 28,
    box: int | None = None,
    name: str | None = None,
    max_pixels: int | None = None,
) -> MnistFormSteps:
    """:func:`read_picture`, keeping the steps of :func:`mnist_form_steps`."""
    from PIL import Image  # Pillow is heavy to import; only pictures need it

    # Pillow's own bomb check (an error at twice this) backs ours, which reads the header: the
    # default budget's ceiling, the most any (only ever narrowed) budget allows.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    max_pixels = min(current_budget().pixels, MAX_PIXELS if max_pixels is None else max_pixels)
    file_path = path if isinstance(path, (str, os.PathLike)) else None  # else an open file
    where = name or ("the picture" if file_path is None else os.fspath(file_path))
    try:
        with warnings.catch_warnings():
            # Pillow warns on stderr of what it reads anyway: very large pictures (our own limit
            # below says it), a damaged EXIF block, palette transparency. Not the user's business.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", module=r"PIL(\.|$)")
            with Image.open(path if file_path is None else where) as picture:
                if picture.width * picture.height > max_pixels:
                    raise DataError(
                        f"{where}: picture of {picture.width}x{picture.height} pixels "
                        f"is larger than {max_pixels:,} pixels"
                    )
                grey = _to_grey(_reduced_upright(picture, Image), Image)
    except DataError as error:
        raise DataError(
            str(error) if str(error).startswith(where) else f"{where}: {error}"
        ) from None
    except FileNotFoundError:
        raise DataError(f"no such file: {where} (expected a picture)") from None
    except IsADirectoryError:
        raise DataError(f"{where} is a folder, expected a picture") from None
    except Image.UnidentifiedImageError:
        raise DataError(
            f"{where}: not a picture Pillow can read (expected PNG, JPEG, BMP, GIF, WebP or TIFF)"
        ) from None
    except Image.DecompressionBombError:
        raise DataError(f"{where}: picture is larger than {max_pixels:,} pixels") from None
    except (OSError, ValueError, SyntaxError) as error:
        # Pillow reports a truncated or corrupt picture as OSError, ValueError or SyntaxError.
        raise DataError(f"{where}: damaged picture ({error})") from None
    try:
        return mnist_form_steps(grey, size=size, box=box)
    except DataError as error:
        raise type(error)(f"{where}: {error}") from None


def _reduced_upright(picture, Image):
    """``picture`` decoded at about WORK_PIXELS at most, then turned upright as its EXIF
    orientation says (after reducing: turning a full photo would copy it whole)."""
    orientation = picture.getexif().get(0x0112)
    if _reduction(picture) > 1:
        if picture.format == "JPEG":  # decoded at 1/2, 1/4 or 1/8 scale: less memory, quicker
            factor = _reduction(picture)
            picture.draft(picture.mode, (picture.width // factor, picture.height // factor))
        if picture.mode in ("1", "P", "PA"):  # palette indices cannot be averaged
            picture = picture.convert("RGBA" if _has_alpha(picture) else "L")
        elif picture.mode.startswith("I;16"):  # 0-65535 kept, as 32-bit integers
            picture = picture.convert("I")
        picture = picture.reduce(_reduction(picture))
    if orientation in _UPRIGHT:
        picture = picture.transpose(getattr(Image.Transpose, _UPRIGHT[orientation]))
    return picture


def _reduction(picture) -> int:
    """The whole factor that brings ``picture`` to WORK_PIXELS or fewer."""
    return max(1, math.ceil(math.sqrt(picture.width * picture.height / WORK_PIXELS)))


def _has_alpha(picture) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info


def _to_grey(picture, Image) -> np.ndarray:
    """Decode to a float32 (H, W) array of grey levels 0-255, transparency as white."""
    if _has_alpha(picture):
        white = Image.new("RGBA", picture.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(white, picture.convert("RGBA"))
    if picture.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(picture.convert("F"), dtype=np.float32)
        if not np.isfinite(values).all():
            raise DataError("holds NaN or infinite pixel values, which are no grey level")
        # 16-bit and float pictures say nothing of their range (a scan may use 0-1000 of
        # 0-65535, a float one 0-1): their own darkest and lightest pixels span 0-255.
        low, high = float(values.min()), float(values.max())
        return (values - np.float32(low)) * np.float32(255.0 / max(high - low, 1e-12))
    return np.asarray(picture.convert("L"), dtype=np.float32)


class MnistFormSteps(NamedTuple):
    """What :func:`mnist_form_steps` went through, each as ink 0-1 float32 except ``field``:
    ``ink`` (H, W) after polarity and contrast, ``cropped`` to the ink, ``scaled`` to fit the
    box, and ``field`` uint8 (size, size), the result (centre of mass in the middle)."""

    ink: np.ndarray
    cropped: np.ndarray
    scaled: np.ndarray
    field: np.ndarray


def to_mnist_form(grey: np.ndarray, *, size: int = 28, box: int | None = None) -> np.ndarray:
    """Turn a greyscale picture into MNIST's form (see the module's docstring for the steps).

    ``grey``: (H, W) grey levels 0-255, any real dtype, either polarity (dark ink on light
    paper or light ink on dark). Returns uint8 (size, size): light ink on 0, the ink's box
    ``box`` pixels on its longer side (default: MNIST's 20 in 28, scaled to ``size``), centre
    of mass at (size / 2, size / 2).
    Raises DataError if the picture is empty or holds no ink (no contrast).
    """
    return mnist_form_steps(grey, size=size, box=box).field


def mnist_form_steps(grey: np.ndarray, *, size: int = 28, box: int | None = None) -> MnistFormSteps:
    """:func:`to_mnist_form`, keeping each step's picture (to show how a drawing was read)."""
    from PIL import Image

    if box is None:
        box = max(1, round(size * 20 / 28))
    if not 1 <= box <= size:
        raise ValueError(f"box must be in 1..size ({size}), got {box}")
    grey = np.asarray(grey, dtype=np.float32)
    if grey.ndim != 2 or grey.size == 0:
        raise DataError(f"expected a 2-D greyscale picture, got shape {grey.shape}")
    frame = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    if np.median(frame) > 127.5:  # light paper: invert so the ink is light, as in MNIST
        grey, frame = 255.0 - grey, 255.0 - frame
    background, peak = float(np.median(frame)), float(grey.max())
    if peak - background < 16:  # less than 1/16 of the grey range: nothing is written
        raise NoDigitError("holds no digit (the picture is blank or has no contrast)")
    ink = np.clip((grey - background) / (peak - background), 0.0, 1.0)
    # The paper's grain: within 5 robust standard deviations (1.4826 MAD) of the frame, which
    # a digit touching the edge does not move (a percentile would). 5, not 3: a 3-sigma floor
    # lets one grain in a thousand through, specks that would pull the centre of mass.
    spread = 1.4826 * float(np.median(np.abs(frame - background)))
    ink[ink <= 5 * spread / (peak - background)] = 0.0
    if not ink.any():
        raise NoDigitError("holds no digit (nothing stands out from the paper's grain)")

    # The digit's size is that of the ink brighter than a tenth of the peak: faint halos (JPEG,
    # resampling) must not shrink the digit. MNIST's own digits measure 20 at that level too.
    # The halo is kept, scaled along with the digit.
    visible = ink > CROP_LEVEL
    digit_size = (
        max(
            np.ptp(np.flatnonzero(visible.any(axis=1))), np.ptp(np.flatnonzero(visible.any(axis=0)))
        )
        + 1
    )
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    cropped = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = cropped.shape
    scale = box / digit_size
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL: (w, h)
    scaled = cropped
    if new_size != (width, height):
        # Shrinking averages each output pixel's area of the picture (MNIST's anti-aliasing:
        # a stroke keeps its ink, thin or faint); enlarging a small drawing interpolates.
        method = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
        scaled = np.asarray(
            Image.fromarray(cropped, mode="F").resize(new_size, method), dtype=np.float32
        )
    field = _centre_by_mass(scaled, size)
    if not field.any():
        # Faint specks far from a tiny mark can pull the centre of mass off it, out of the field.
        raise NoDigitError("holds no digit (no ink is left once it is centred in the field)")
    return MnistFormSteps(ink, cropped, scaled, field)


def _centre_by_mass(ink: np.ndarray, size: int) -> np.ndarray:
    """Paste ``ink`` (h, w), values 0-1, into a (size, size) uint8 field so its centre of mass
    lands on pixel (size / 2, size / 2), shifted by whole pixels and kept inside the field."""
    height, width = ink.shape
    # In float64, where sums of these float32 values are exact whatever their order: a digit
    # whose centre falls on a half pixel is placed alike by the page's JavaScript.
    exact = ink.astype(np.float64)
    mass = exact.sum()
    centre_row = (exact.sum(axis=1) @ np.arange(height)) / mass
    centre_col = (exact.sum(axis=0) @ np.arange(width)) / mass
    top, left = round(size / 2 - centre_row), round(size / 2 - centre_col)
    # Keep what fits inside the field; a faint halo wider than the field is cut.
    if height <= size:
        top = min(max(top, 0), size - height)
    if width <= size:
        left = min(max(left, 0), size - width)
    field = np.zeros((size, size), dtype=np.float32)
    rows = slice(max(top, 0), min(top + height, size))
    cols = slice(max(left, 0), min(left + width, size))
    field[rows, cols] = ink[
        rows.start - top : rows.stop - top, cols.start - left : cols.stop - left
    ]
    return np.round(np.clip(field, 0, 1) * 255).astype(np.uint8)


def shrink_ink(ink: np.ndarray, side: int) -> np.ndarray:
    """``ink`` (0-1 floats, (H, W)) scaled down by area averaging to at most ``side`` pixels a
    side, keeping its aspect ratio; unchanged when it is that small already."""
    height, width = ink.shape
    if max(height, width) <= side:
        return ink
    from PIL import Image

    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(
        Image.fromarray(ink.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX)
    )

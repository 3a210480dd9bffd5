"""Unlabelled digit images from the files a user has: IDX image files, CSV files and pictures.

:func:`read_inputs` is what ``nnscratch predict`` reads: every file's images in order, each with
its source (the file, and the row or index within it), so a prediction can be traced back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nnscratch.datasets.csv import _parse_digits_csv
from nnscratch.datasets.idx import _read_idx_bytes
from nnscratch.datasets.pictures import PICTURE_SUFFIXES, read_picture
from nnscratch.errors import DataError

# Magic bytes that tell a file's kind whatever its name.
_PICTURE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"GIF8", b"II*\0", b"MM\0*")
_GZIP_MAGIC = b"\x1f\x8b"
# Pictures in formats we do not read, by name; and an SVG whatever its name (its text would
# otherwise be tried as a CSV file).
_UNREAD_PICTURES = {
    ".svg": "SVG",
    ".svgz": "SVG",
    ".heic": "HEIC",
    ".heif": "HEIF",
    ".avif": "AVIF",
    ".pdf": "PDF",
    ".eps": "EPS",
}
_SVG_START = re.compile(rb"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE svg|<svg)", re.DOTALL)


def read_inputs(
    paths: Sequence[str | os.PathLike[str]], *, size: int = 28
) -> tuple[np.ndarray, list[dict]]:
    """Read every image in ``paths``, in order.

    Each path is, by its contents (and a picture's name):

    * an IDX file of images, plain or gzip (MNIST's ``t10k-images-idx3-ubyte``): uint8
      (N, H, W); sources ``{"file", "index"}`` with ``index`` 0-based;
    * a CSV file of 784-pixel rows (Kaggle's ``test.csv``), or 785 with a label first (Kaggle's
      ``train.csv``, whose labels are ignored here); sources ``{"file", "row"}`` with ``row``
      the 1-based data row (the header is not counted), as Kaggle's ImageId counts;
    * a picture (PNG, JPEG, BMP, GIF, WebP, TIFF), turned into MNIST's form by
      :func:`~nnscratch.datasets.pictures.read_picture` at ``size``x``size``; source
      ``{"file"}``.

    Returns ``(images, sources)``: uint8 (N, H, W) and N dicts. All images must share one
    size. Raises DataError naming the file for anything unreadable, empty or malformed.
    """
    if not paths:
        raise DataError("no input files given")
    images: list[np.ndarray] = []
    sources: list[dict] = []
    for path in paths:
        found, found_sources = read_input(path, size=size)
        if images and found.shape[1:] != images[0].shape[1:]:
            first = sources[0]["file"]
            raise DataError(
                f"{os.fspath(path)}: images are {_size(found)}, but those of "
                f"{first} are {_size(images[0])}; all inputs must share one size"
            )
        images.append(found)
        sources.extend(found_sources)
    return np.concatenate(images), sources


def read_input(path: str | os.PathLike[str], *, size: int = 28) -> tuple[np.ndarray, list[dict]]:
    """The images (N, H, W) uint8 and sources of one file; see :func:`read_inputs`."""
    where = os.fspath(path)
    file = Path(where)
    if file.suffix.lower() in PICTURE_SUFFIXES:
        return read_picture(where, size=size)[None], [{"file": where}]
    if file.suffix.lower() in _UNREAD_PICTURES:
        raise DataError(_unread_picture(where, file.suffix.lower()))
    if file.is_dir():
        raise DataError(f"{where} is a folder, expected an IDX, CSV or picture file")
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise DataError(f"no such file: {where} (expected an IDX, CSV or picture file)") from None
    except OSError as error:
        raise DataError(f"cannot read {where}: {error.strerror or error}") from None
    if data.startswith(_PICTURE_MAGIC):
        return read_picture(where, size=size)[None], [{"file": where}]
    if _SVG_START.match(data[:4096]):
        raise DataError(_unread_picture(where, ".svg"))
    if data.startswith(_GZIP_MAGIC) or data[:2] == b"\0\0":
        images = _read_idx_bytes(data, where)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DataError(
                f"{where}: holds {images.dtype} of shape {images.shape}, expected "
                f"uint8 images of shape (N, height, width) (a labels file?)"
            )
        if len(images) == 0:
            raise DataError(f"{where}: holds no images")
        return images, [{"file": where, "index": i} for i in range(len(images))]
    images, _ = _parse_digits_csv(data, where, "auto")  # a label column is read and ignored
    return images, [{"file": where, "row": i + 1} for i in range(len(images))]


def _unread_picture(where: str, suffix: str) -> str:
    kind = _UNREAD_PICTURES[suffix]
    return (
        f"{where}: a picture in {kind} format, which nnscratch does not read; save it as PNG "
        f"(or JPEG, BMP, GIF, WebP, TIFF) first"
    )


def _size(images: np.ndarray) -> str:
    return "x".join(str(n) for n in images.shape[1:])

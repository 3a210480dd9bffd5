"""Your own digits: a small labelled dataset kept in a folder, one picture file per digit.

Each digit is a 28x28 greyscale PNG in MNIST's form (light ink on black, what a network
receives), named ``digit-000012-label-7.png``: its number in the set and its label. Every file
is written atomically, so a crash loses at most the digit being added, and removing one is
deleting its file. Other files in the folder are left alone.

A set is exported in the two forms ``nnscratch train --data`` reads: IDX files named as MNIST's
(one digit in :data:`HELD_OUT_EVERY`, spread over the labels, goes to the ``t10k`` files as the
held-out test split: :func:`held_out`) and a Kaggle "Digit Recognizer" CSV (``label,pixel0..``);
either imports back, through the readers that refuse damaged files.

Knows no networks: NumPy, Pillow (PNG) and the readers and writers of this package.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnscratch.datasets.csv import write_digits_csv
from nnscratch.datasets.idx import write_idx
from nnscratch.datasets.sources import load_source
from nnscratch.errors import DataError
from nnscratch.fileio import atomic_write

SIDE = 28
MAX_DIGITS = 10_000  # a set drawn by hand; an import of all MNIST is refused, not written
HELD_OUT_EVERY = 5  # the 5th, 10th, ... digit of each label is held out by an IDX export
NAME = re.compile(r"digit-(\d{6,})-label-(\d)\.png")
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class Digit:
    """One digit of a set: its ``number`` (unique in the set, in the order added), ``label``
    0-9 and ``path``."""

    number: int
    label: int
    path: Path


class DigitSet:
    """The digits in ``folder`` (made when the first digit is added). Safe to share between
    threads: adding, removing and importing take a lock, so numbers are never given twice."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._pixels: dict[str, np.ndarray] = {}  # a digit's file never changes: read once

    # --- reading ------------------------------------------------------------------------------

    def digits(self) -> list[Digit]:
        """Every digit of the set, in the order added."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise DataError(
                f"cannot read the digits folder {self.folder}: {error.strerror or error}"
            ) from None
        found = [
            Digit(int(match[1]), int(match[2]), Path(entry.path))
            for entry in entries
            if (match := NAME.fullmatch(entry.name)) and entry.is_file()
        ]
        return sorted(found, key=lambda digit: digit.number)

    def pixels(self, digit: Digit) -> np.ndarray:
        """The digit's picture, uint8 (28, 28); DataError naming the file if it is damaged."""
        cached = self._pixels.get(digit.path.name)
        if cached is None:
            cached = self._pixels[digit.path.name] = _read_png(digit.path)
        return cached

    def arrays(self, digits: list[Digit] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Images uint8 (N, 28, 28) and labels uint8 (N,) of ``digits`` (default: all)."""
        digits = self.digits() if digits is None else digits
        images = np.zeros((len(digits), SIDE, SIDE), np.uint8)
        for i, digit in enumerate(digits):
            images[i] = self.pixels(digit)
        return images, np.array([digit.label for digit in digits], np.uint8)

    # --- changing -----------------------------------------------------------------------------

    def add(self, image: np.ndarray, label: int) -> Digit:
        """Add one digit: ``image`` (28, 28) of whole numbers 0-255, light ink on 0; ``label``
        0-9. Returns it; DataError for a wrong image or label, a full set, or a failed write."""
        return self.add_many(np.asarray(image)[None], np.array([label]))[0]

    def add_many(self, images: np.ndarray, labels: np.ndarray) -> list[Digit]:
        """Add digits (N, 28, 28) with their labels (N,), in order; all are checked first."""
        images, labels = _checked(images, labels)
        with self._lock:
            present = self.digits()
            if len(present) + len(images) > MAX_DIGITS:
                raise DataError(
                    f"the set would hold {len(present) + len(images):,} digits; a "
                    f"set takes at most {MAX_DIGITS:,} (it has {len(present):,})"
                )
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DataError(
                    f"cannot create the digits folder {self.folder}: {error.strerror or error}"
                ) from None
            number = present[-1].number + 1 if present else 1
            added = []
            for image, label in zip(images, labels, strict=False):
                path = self.folder / f"digit-{number:06d}-label-{int(label)}.png"
                with atomic_write(path, DataError) as handle:
                    handle.write(_png_bytes(image))
                self._pixels[path.name] = image.copy()
                added.append(Digit(number, int(label), path))
                number += 1
        return added

    def remove(self, number: int) -> Digit:
        """Remove digit ``number``; DataError if the set has none of that number."""
        with self._lock:
            for digit in self.digits():
                if digit.number == number:
                    try:
                        digit.path.unlink()
                    except OSError as error:
                        raise DataError(
                            f"cannot remove {digit.path}: {error.strerror or error}"
                        ) from None
                    self._pixels.pop(digit.path.name, None)
                    return digit
        raise DataError(f"the set has no digit #{number}")

    # --- export and import --------------------------------------------------------------------

    def export_idx(self, folder: str | os.PathLike) -> dict[str, int]:
        """Write the set to ``folder`` (made if missing) as IDX files named as MNIST's, one
        digit in :data:`HELD_OUT_EVERY` held out in the t10k files (:func:`held_out`; none are
        written when no digit is held out). Returns the counts: ``{"train": n, "test": m}``."""
        digits = self.digits()
        if not digits:
            raise DataError("the set is empty: add digits before exporting it")
        test = set(held_out(digits))
        parts = {
            "train": [d for d in digits if d.number not in test],
            "test": [d for d in digits if d.number in test],
        }
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(f"cannot create {folder}: {error.strerror or error}") from None
        for split, part in parts.items():
            images_name, labels_name = IDX_FILES[split]
            for name in (images_name, labels_name):  # what another export left: not ours now
                for stale in (folder / name, folder / f"{name}.gz"):
                    if not part or stale.suffix == ".gz":
                        stale.unlink(missing_ok=True)
            if part:
                _write_pair(folder, (images_name, labels_name), self.arrays(part))
        return {split: len(part) for split, part in parts.items()}

    def export_csv(self, path: str | os.PathLike) -> int:
        """Write the set to ``path`` as a Kaggle train CSV (``label,pixel0,...,pixel783``);
        returns the number of digits."""
        digits = self.digits()
        if not digits:
            raise DataError("the set is empty: add digits before exporting it")
        write_digits_csv(path, *self.arrays(digits))
        return len(digits)

    def import_from(self, spec: str | os.PathLike) -> list[Digit]:
        """The digits added by :meth:`import_new`."""
        return self.import_new(spec)[1]

    def import_new(self, spec: str | os.PathLike) -> tuple[int, list[Digit]]:
        """Add every digit of ``spec`` (what ``nnscratch train --data`` takes: a folder of IDX
        files, both splits, or a CSV with labels) that the set does not hold already (the same
        pixels with the same label), read by the usual readers, so a damaged export is refused
        with their errors (DataError naming the file). Returns the number of digits ``spec`` holds
        and the digits added."""
        if os.fspath(spec) == "mnist":
            raise DataError("import a folder of IDX files or a CSV file, not the bundled MNIST")
        dataset = load_source(spec)
        parts = [(dataset.train_images, dataset.train_labels)]
        if dataset.test_images is not None and dataset.test_labels is not None:
            parts.append((dataset.test_images, dataset.test_labels))
        if dataset.train_images.shape[1:] != (SIDE, SIDE):
            height, width = dataset.train_images.shape[1:]
            raise DataError(
                f"{dataset.source} holds {height}x{width} images; the digits of a "
                f"set are {SIDE}x{SIDE}"
            )
        images = np.concatenate([images for images, _ in parts])
        labels = np.concatenate([labels for _, labels in parts])
        # A digit the set holds already (same pixels, same label) is not added again: an
        # export imported back, or imported twice, adds nothing.
        seen = {_content_key(self.pixels(digit), digit.label) for digit in self.digits()}
        new = []
        for index, (image, label) in enumerate(zip(images, labels, strict=True)):
            key = _content_key(image, label)
            if key not in seen:
                seen.add(key)
                new.append(index)
        return len(images), self.add_many(images[new], labels[new]) if new else []


def held_out(digits: list[Digit]) -> list[int]:
    """The numbers of the digits an IDX export holds out, in the order added: the 5th, 10th,
    ... of each label, then, until one digit in :data:`HELD_OUT_EVERY` of the whole set is
    held out, the latest digit of each label in turn (0 first) that still leaves the label
    one to train on. So a set of 20 digits, two of each label, holds out 4."""
    by_label: dict[int, list[int]] = {}
    for digit in digits:
        by_label.setdefault(digit.label, []).append(digit.number)
    chosen = {
        number
        for numbers in by_label.values()
        for position, number in enumerate(numbers, 1)
        if position % HELD_OUT_EVERY == 0
    }
    quota = len(digits) // HELD_OUT_EVERY
    while len(chosen) < quota:
        before = len(chosen)
        for label in sorted(by_label):
            kept = [number for number in by_label[label] if number not in chosen]
            if len(kept) > 1 and len(chosen) < quota:
                chosen.add(kept[-1])
        if len(chosen) == before:  # every label is down to one digit
            break
    return [digit.number for digit in digits if digit.number in chosen]


def _checked(images, labels) -> tuple[np.ndarray, np.ndarray]:
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise DataError(f"a digit is a {SIDE}x{SIDE} image, got shape {images.shape[1:]}")
    if labels.shape != (len(images),):
        raise DataError(f"{len(images)} images but labels of shape {labels.shape}")
    for what, values, top in (("pixel", images, 255), ("label", labels, 9)):
        if not np.issubdtype(values.dtype, np.integer) or (
            values.size and (values.min() < 0 or values.max() > top)
        ):
            raise DataError(f"a digit's {what}s are whole numbers 0-{top}")
    return images.astype(np.uint8), labels.astype(np.uint8)


def _content_key(image: np.ndarray, label) -> bytes:
    """What makes two digits the same: the label and the 28x28 pixels (SHA-256)."""
    content = bytes([int(label)]) + np.ascontiguousarray(image, np.uint8).tobytes()
    return hashlib.sha256(content).digest()


def _png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            if picture.format != "PNG" or picture.mode != "L" or picture.size != (SIDE, SIDE):
                raise DataError(
                    f"{path}: not a digit of a set (a {SIDE}x{SIDE} greyscale "
                    f"PNG); move it out of the folder"
                )
            return np.array(picture, dtype=np.uint8)
    except DataError:
        raise
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
        raise DataError(f"{path}: damaged digit file ({error}); remove it") from None


def _write_pair(folder: Path, names: tuple[str, str], arrays: tuple[np.ndarray, ...]) -> None:
    """Write an IDX pair (images, labels) so that neither replaces its old file before both
    are written in full: a disk that fills up midway must not leave new images beside the old
    labels, which, with equal counts, readers would take as a pair. Both are staged beside
    their final names, then moved into place (renames, which take no room)."""
    staged = [(folder / f".{name}.export.tmp", folder / name) for name in names]
    try:
        for (temp, _), array in zip(staged, arrays, strict=True):
            write_idx(temp, array, compress=False)
        for temp, final in staged:
            os.replace(temp, final)
    except OSError as error:
        raise DataError(f"cannot write {folder}: {error.strerror or error}") from None
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)

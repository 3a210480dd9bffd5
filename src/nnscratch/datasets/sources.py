"""One entry point for every digit dataset: bundled MNIST, a folder of IDX files, or a CSV file."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np

from nnscratch.datasets.csv import _parse_digits_csv
from nnscratch.datasets.idx import _read_idx_bytes
from nnscratch.datasets.mnist import MNIST_SHA256, is_mnist, load_mnist
from nnscratch.errors import DataError

# MNIST's file names, shared by Fashion-MNIST and KMNIST; each may also end in ".gz".
_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_EXPECTED_SPECS = "expected 'mnist', a folder of IDX files, or a CSV file"


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value
class DigitDataset:
    """A labelled digit dataset, its origin and identity. All arrays are read-only.

    ``train_images``/``test_images``: uint8 (N, H, W); ``train_labels``/``test_labels``:
    uint8 (N,), values 0-9. The test pair is None when the source has no test set. ``sha256``
    is the hex SHA-256 identifying the source files' bytes; any copy of MNIST in an IDX folder
    has the bundled MNIST's, so it is known as the same data.
    """

    name: str
    source: str
    train_images: np.ndarray = dataclasses.field(repr=False)
    train_labels: np.ndarray = dataclasses.field(repr=False)
    test_images: np.ndarray | None = dataclasses.field(repr=False)
    test_labels: np.ndarray | None = dataclasses.field(repr=False)
    sha256: str

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The test pair (images (N, H, W), labels (N,)), or None without a test set."""
        if self.test_images is None or self.test_labels is None:
            return None
        return self.test_images, self.test_labels


def load_source(spec: str | os.PathLike[str] = "mnist", *, test_only: bool = False) -> DigitDataset:
    """Load the dataset named by `spec`.

    * ``"mnist"``: the bundled MNIST (60,000 train and 10,000 test images, 28x28); write
      ``./mnist`` for a folder of that name.
    * a folder holding ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (required)
      and optionally ``t10k-images-idx3-ubyte`` with ``t10k-labels-idx1-ubyte``, each plain or
      with ".gz" (if both exist the plain file is used): the MNIST, Fashion-MNIST and KMNIST
      layout. Images are uint8 (N, H, W) of any size, the same for train and test.
    * a CSV file (see :func:`read_digits_csv`) with a label column: training data only.

    ``test_only``: the caller only looks at the test set (``evaluate``, ``show``), so a folder
    holding only the two ``t10k`` files is taken too, with no training images (0, H, W).

    Returns a :class:`DigitDataset`. Raises DataError if `spec` does not exist, a required file
    is missing, or the data are malformed (counts differ, labels outside 0-9, wrong dtype).
    """
    if os.fspath(spec) == "mnist":
        return _bundled_mnist()
    if not os.fspath(spec).strip():  # Path("") is ".", which would read this folder
        raise DataError(f"the data is named by an empty string ({_EXPECTED_SPECS})")
    path = Path(spec)
    if path.is_dir():
        return _idx_folder(path, test_only)
    if path.is_file():
        return _csv_file(path)
    raise DataError(f"no such file or folder: {os.fspath(spec)} ({_EXPECTED_SPECS})")


def source_files(spec: str | os.PathLike[str] = "mnist") -> list[Path]:
    """The files of the user's that :func:`load_source` would read for `spec`: the CSV file,
    or the IDX files (plain and ".gz") in the folder; none for the bundled MNIST or a path
    that does not exist. A command checks its outputs against these before it writes."""
    if os.fspath(spec) == "mnist":
        return []
    path = Path(spec)
    if path.is_dir():
        names = [name for pair in _IDX_NAMES.values() for name in pair]
        return [
            candidate
            for name in names
            for candidate in (path / name, path / f"{name}.gz")
            if candidate.is_file()
        ]
    return [path] if path.is_file() else []


def _bundled_mnist() -> DigitDataset:
    train_images, train_labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    return DigitDataset(
        name="mnist",
        source="bundled MNIST",
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        sha256=_MNIST_IDENTITY,
    )


# The bundled files are verified against these constants, so hashing the constants identifies
# them; a copy of MNIST in an IDX folder gets the same identity (see _idx_folder).
_MNIST_IDENTITY = hashlib.sha256(
    "".join(f"{name} {MNIST_SHA256[name]}\n" for name in sorted(MNIST_SHA256)).encode("ascii")
).hexdigest()


def _idx_folder(folder: Path, test_only: bool = False) -> DigitDataset:
    train = [_find_idx(folder, name) for name in _IDX_NAMES["train"]]
    test = [_find_idx(folder, name) for name in _IDX_NAMES["test"]]
    train_paths = [path for path in train if path is not None]
    test_paths = [path for path in test if path is not None]
    if len(train_paths) < 2 and not (test_only and not train_paths and len(test_paths) == 2):
        missing = [
            name for name, path in zip(_IDX_NAMES["train"], train, strict=True) if path is None
        ]
        looked_for = ", ".join(f"{name}[.gz]" for name in missing)
        only_test = " (the t10k files alone are read by evaluate and show)" if test_paths else ""
        raise DataError(f"{folder}: no training data: looked for {looked_for}{only_test}")
    if len(test_paths) == 1:
        lack = 1 if test[1] is None else 0
        raise DataError(
            f"{folder}: found {test_paths[0].name} but not "
            f"{_IDX_NAMES['test'][lack]}[.gz]; expected both test files or neither"
        )

    digest = hashlib.sha256()  # the training files' bytes, then the test files'
    test_images, test_labels = None, None
    if train_paths:
        train_images, train_labels = _read_idx_pair(train_paths, digest)
    else:  # test_only: the test files alone, no training images of their size
        test_images, test_labels = _read_idx_pair(test_paths, digest)
        train_images = _read_only(np.zeros((0, *test_images.shape[1:]), np.uint8))
        train_labels = _read_only(np.zeros(0, np.uint8))
    if train_paths and test_paths:
        test_images, test_labels = _read_idx_pair(test_paths, digest)
    if train_paths and len(train_images) == 0:
        raise DataError(f"{train_paths[0]}: holds 0 images, expected at least one to train on")
    if test_images is not None and test_images.shape[1:] != train_images.shape[1:]:
        raise DataError(
            f"{test_paths[0]}: images are {test_images.shape[1]}x{test_images.shape[2]}, "
            f"expected {train_images.shape[1]}x{train_images.shape[2]} like the training images"
        )
    # MNIST in a folder is the bundled MNIST: a model trained on one was trained on the other.
    same_as_bundled = is_mnist(train_images, train_labels, test_images, test_labels)
    return DigitDataset(
        name=folder.resolve().name,
        source=str(folder.resolve()),
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        sha256=_MNIST_IDENTITY if same_as_bundled else digest.hexdigest(),
    )


def _find_idx(folder: Path, name: str) -> Path | None:
    """`folder/name`, else `folder/name.gz`, else None."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_idx_pair(paths: list[Path], digest: hashlib._Hash) -> tuple[np.ndarray, np.ndarray]:
    """The checked (images, labels) of the IDX files ``paths``, fed to ``digest`` in order."""
    images, labels = (_read_idx_hashed(path, digest) for path in paths)
    return _checked_pair(images, labels, *paths)


def _read_idx_hashed(path: Path, digest: hashlib._Hash) -> np.ndarray:
    """Read the IDX file `path`, also feeding its bytes to `digest` (one read serves both)."""
    data = _read_file(path)
    digest.update(data)
    return _read_idx_bytes(data, str(path))


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None


def _checked_pair(
    images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Check an (images, labels) pair read from IDX files and return it read-only."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(
            f"{images_path}: holds {images.dtype} of shape {images.shape}, "
            "expected uint8 images of shape (N, height, width)"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DataError(
            f"{labels_path}: holds {labels.dtype} of shape {labels.shape}, "
            "expected uint8 labels of shape (N,)"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
            "labels, expected equal counts"
        )
    _check_labels(labels, str(labels_path))
    return _read_only(images), _read_only(labels)


def _check_labels(labels: np.ndarray, where: str) -> None:
    bad = labels > 9
    if bad.any():
        index = int(bad.argmax())
        raise DataError(
            f"{where}: label at index {index} (0-based) is {labels[index]}, expected 0-9"
        )


def _csv_file(path: Path) -> DigitDataset:
    data = _read_file(path)
    if data[:2] in (b"\x1f\x8b", b"\0\0"):  # a lone IDX file (gzip or plain), not a CSV
        raise DataError(
            f"{path} looks like a single IDX file; pass the folder holding the IDX files "
            f"({_EXPECTED_SPECS})"
        )
    images, labels = _parse_digits_csv(data, str(path), "auto")
    if labels is None:
        raise DataError(
            f"{path} has no label column (784 columns), so it cannot be trained or evaluated on; "
            "expected 785 columns: the label, then 784 pixels"
        )
    return DigitDataset(
        name=path.name,
        source=str(path.resolve()),
        train_images=_read_only(images),
        train_labels=_read_only(labels),
        test_images=None,
        test_labels=None,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False  # the dataset is frozen; so are its arrays
    return array

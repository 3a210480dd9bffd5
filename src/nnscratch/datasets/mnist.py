"""The bundled MNIST files: verified by SHA-256, decoded once per process, handed out read-only."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from nnscratch.datasets.idx import _read_idx_bytes
from nnscratch.errors import DataError

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""SHA-256 of each bundled .gz file, checked before the file is decoded."""

MNIST_ARRAY_SHA256 = {
    "train-images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train-labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "t10k-images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "t10k-labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
"""SHA-256 of the bytes of each decoded MNIST array (the IDX file less its header): the same for
every copy, plain or gzip, the original download or the bundled one, whatever its compression."""

_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_DATA_DIR = Path(__file__).resolve().parent / "data"


def load_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Return the bundled MNIST ``split``: "train" (60,000 images) or "test" (10,000).

    Returns ``(images, labels)``: images uint8 of shape (N, 28, 28), pixel values 0-255;
    labels uint8 of shape (N,), values 0-9. Each file's SHA-256 is checked before decoding
    (DataError if a bundled file is damaged). The arrays are decoded once per process and cached:
    they are READ-ONLY (``flags.writeable`` is False); call ``.copy()`` for a writable array.
    """
    if split not in _SPLIT_FILES:
        valid = ", ".join(repr(name) for name in _SPLIT_FILES)
        raise DataError(f"unknown MNIST split {split!r}, expected one of {valid}")
    return _load_cached(split)


@functools.cache
def _load_cached(split: str) -> tuple[np.ndarray, np.ndarray]:
    return _load_verified(_DATA_DIR, split)


def _load_verified(folder: str | os.PathLike[str], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Load ``split`` from MNIST's .gz files in ``folder``, checking them against MNIST_SHA256.

    Returns read-only ``(images, labels)`` as :func:`load_mnist` does. Tests point ``folder``
    at a damaged copy.
    """
    arrays = []
    for name in _SPLIT_FILES[split]:
        path = Path(folder) / name
        try:
            data = path.read_bytes()
        except OSError as e:
            raise DataError(
                f"bundled MNIST file {path} cannot be read ({e.strerror or e}); reinstall nnscratch"
            ) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != MNIST_SHA256[name]:
            raise DataError(
                f"bundled MNIST file {path} is damaged: SHA-256 is {actual}, "
                f"expected {MNIST_SHA256[name]}; reinstall nnscratch"
            )
        array = _read_idx_bytes(data, str(path))
        array.flags.writeable = False  # shared through the cache: no caller may change it
        arrays.append(array)
    images, labels = arrays
    return images, labels


def is_mnist(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray | None,
    test_labels: np.ndarray | None,
) -> bool:
    """Whether the four arrays are exactly MNIST's (shapes (60000, 28, 28), (60000,),
    (10000, 28, 28), (10000,), uint8): a copy of the bundled data, in whatever files."""
    arrays = {
        "train-images": train_images,
        "train-labels": train_labels,
        "t10k-images": test_images,
        "t10k-labels": test_labels,
    }
    shapes = {
        "train-images": (60000, 28, 28),
        "train-labels": (60000,),
        "t10k-images": (10000, 28, 28),
        "t10k-labels": (10000,),
    }
    if any(a is None or a.dtype != np.uint8 or a.shape != shapes[k] for k, a in arrays.items()):
        return False  # most data: told apart without hashing a byte
    return all(
        hashlib.sha256(np.ascontiguousarray(a).data).hexdigest() == MNIST_ARRAY_SHA256[k]
        for k, a in arrays.items()
    )

"""The bundled MNIST: shapes, the published counts and MD5s, the cache, damage detection."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from nnscratch.datasets import mnist as mnist_module
from nnscratch.datasets.mnist import MNIST_SHA256, load_mnist
from nnscratch.errors import DataError

DATA = Path(mnist_module.__file__).parent / "data"
# From the MNIST README (/work/shared/datasets/mnist/README.md), typed in by hand.
LABEL_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
PREFIX = {"train": "train", "test": "t10k"}


@pytest.mark.parametrize(("split", "n"), [("train", 60_000), ("test", 10_000)])
def test_shapes_dtypes_and_label_counts(split, n):
    images, labels = load_mnist(split)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == LABEL_COUNTS[split]
    assert images.max() == 255 and images.min() == 0


@pytest.mark.parametrize("split", ["train", "test"])
def test_decoded_bytes_match_the_published_md5(split):
    images, labels = load_mnist(split)
    for kind, array, header_len in (("images-idx3", images, 16), ("labels-idx1", labels, 8)):
        name = f"{PREFIX[split]}-{kind}-ubyte"
        raw = gzip.decompress((DATA / f"{name}.gz").read_bytes())  # independent of our reader
        assert hashlib.md5(raw).hexdigest() == MD5[name]
        assert array.tobytes() == raw[header_len:]
        assert raw[:header_len] == bytes([0, 0, 8, array.ndim]) + b"".join(
            d.to_bytes(4, "big") for d in array.shape
        )


def test_sha256_constants_match_the_bundled_readme_and_files():
    readme = (DATA / "README.md").read_text()
    listed = dict(re.findall(r"\| (\S+\.gz)\s*\| ([0-9a-f]{64}) \|", readme))
    assert listed == MNIST_SHA256
    for name, digest in MNIST_SHA256.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest


def test_cached_arrays_are_shared_and_read_only():
    images, labels = load_mnist("test")
    again_images, again_labels = load_mnist("test")
    assert again_images is images and again_labels is labels
    for array in (images, labels):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
    assert load_mnist("test")[1][0] == 7  # the first test digit is a 7, still


def test_bad_split():
    with pytest.raises(DataError, match=r"split 'validation', expected one of 'train', 'test'"):
        load_mnist("validation")


def _copy_test_split(folder: Path) -> None:
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(DATA / name, folder / name)


def test_intact_copy_loads_from_another_folder(tmp_path):
    _copy_test_split(tmp_path)
    images, labels = mnist_module._load_verified(tmp_path, "test")
    assert np.array_equal(images, load_mnist("test")[0])
    assert np.array_equal(labels, load_mnist("test")[1])


@pytest.mark.parametrize("name", ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
def test_a_flipped_byte_is_caught_before_decoding(tmp_path, name):
    _copy_test_split(tmp_path)
    damaged = bytearray((tmp_path / name).read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    (tmp_path / name).write_bytes(bytes(damaged))
    with pytest.raises(DataError) as caught:
        mnist_module._load_verified(tmp_path, "test")
    message = str(caught.value)
    assert name in message and "SHA-256" in message and "reinstall" in message
    assert MNIST_SHA256[name] in message
    assert hashlib.sha256(bytes(damaged)).hexdigest() in message


def test_missing_bundled_file(tmp_path):
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz cannot be read .*reinstall"):
        mnist_module._load_verified(tmp_path, "test")

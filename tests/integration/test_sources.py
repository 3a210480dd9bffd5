"""load_source: bundled MNIST, IDX folders, CSV files, and the errors for each."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mini_mnist import write_mnist_folder
from nnscratch.datasets import (
    DigitDataset,
    load_mnist,
    load_source,
    write_digits_csv,
    write_idx,
)
from nnscratch.datasets.mnist import _DATA_DIR
from nnscratch.errors import DataError

NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def _make_folder(folder: Path, *, gz: bool, test: bool, seed: int = 0) -> list[Path]:
    """Write a small IDX dataset (12 train, 5 test images of 8x8); return its files."""
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    arrays = [
        rng.integers(0, 256, (12, 8, 8), dtype=np.uint8),
        rng.integers(0, 10, 12, dtype=np.uint8),
        rng.integers(0, 256, (5, 8, 8), dtype=np.uint8),
        rng.integers(0, 10, 5, dtype=np.uint8),
    ]
    paths = []
    for name, array in list(zip(NAMES, arrays, strict=True))[: 4 if test else 2]:
        paths.append(folder / (name + (".gz" if gz else "")))
        write_idx(paths[-1], array)
    return paths


def test_bundled_mnist():
    ds = load_source("mnist")
    assert isinstance(ds, DigitDataset)
    assert (ds.name, ds.source) == ("mnist", "bundled MNIST")
    assert ds.train_images.shape == (60_000, 28, 28) and ds.test_images.shape == (10_000, 28, 28)
    assert ds.train_images is load_mnist("train")[0]  # the cache, not a copy
    assert len(ds.sha256) == 64 and ds.sha256 == load_source().sha256  # default spec is "mnist"
    assert "train_images" not in repr(ds) and "mnist" in repr(ds)  # no array dump in repr


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("test", [False, True])
def test_idx_folder(tmp_path, gz, test):
    folder = tmp_path / "fashion"
    files = _make_folder(folder, gz=gz, test=test)
    ds = load_source(str(folder))
    assert ds.name == "fashion" and ds.source == str(folder.resolve())
    assert ds.train_images.shape == (12, 8, 8) and ds.train_labels.shape == (12,)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.uint8
    assert not ds.train_images.flags.writeable and not ds.train_labels.flags.writeable
    if test:
        assert ds.test_images.shape == (5, 8, 8) and ds.test_labels.shape == (5,)
    else:
        assert ds.test_images is None and ds.test_labels is None
    expected = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    assert ds.sha256 == expected


def test_identity_changes_with_content(tmp_path):
    _make_folder(tmp_path / "a", gz=False, test=True, seed=1)
    _make_folder(tmp_path / "b", gz=False, test=True, seed=1)
    _make_folder(tmp_path / "c", gz=False, test=True, seed=2)
    a, b, c = (load_source(str(tmp_path / x)).sha256 for x in "abc")
    assert a == b != c


def test_a_copy_of_mnist_in_a_folder_is_the_bundled_mnist(tmp_path):
    """By content: plain or gzip files, MNIST's own identity; one label changed is other data."""
    _, y = load_mnist("train")
    bundled = load_source("mnist").sha256
    plain = write_mnist_folder(tmp_path / "plain", 60000, 10000)
    assert load_source(plain).sha256 == bundled
    assert load_source(plain).source == str(plain.resolve())  # still named as it was given
    changed = write_mnist_folder(tmp_path / "changed", 60000, 10000)
    y_changed = y.copy()
    y_changed[123] = (y_changed[123] + 1) % 10
    write_idx(changed / "train-labels-idx1-ubyte", y_changed)
    assert load_source(changed).sha256 != bundled
    part = write_mnist_folder(tmp_path / "part", 59999, 10000)
    assert load_source(part).sha256 != bundled
    gz = tmp_path / "gz"  # the bundled files themselves, copied out of the package
    gz.mkdir()
    for name in NAMES:
        (gz / f"{name}.gz").write_bytes((_DATA_DIR / f"{name}.gz").read_bytes())
    assert load_source(gz).sha256 == bundled


def test_idx_folder_missing_training_files(tmp_path):
    _make_folder(tmp_path, gz=True, test=False)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError) as caught:
        load_source(str(tmp_path))
    expected = f"{tmp_path}: no training data: looked for train-labels-idx1-ubyte[.gz]"
    assert str(caught.value) == expected


def test_empty_folder_lists_both_training_files(tmp_path):
    with pytest.raises(
        DataError,
        match=r"looked for train-images-idx3-ubyte\[\.gz\], "
        r"train-labels-idx1-ubyte\[\.gz\]",
    ):
        load_source(str(tmp_path))


def test_half_a_test_set(tmp_path):
    _make_folder(tmp_path, gz=False, test=True)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match=r"found t10k-labels-idx1-ubyte but not t10k-images-idx3"):
        load_source(str(tmp_path))


def test_label_out_of_range_in_idx_folder(tmp_path):
    _make_folder(tmp_path, gz=True, test=True)
    labels = np.array([1, 2, 3, 12, 4], dtype=np.uint8)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError) as caught:
        load_source(str(tmp_path))
    message = str(caught.value)
    assert "t10k-labels-idx1-ubyte.gz" in message
    assert "label at index 3 (0-based) is 12, expected 0-9" in message


@pytest.mark.parametrize(
    ("name", "array", "needle"),
    [
        (
            "train-labels-idx1-ubyte",
            np.zeros(11, np.uint8),
            r"holds 12 images but .*train-labels-idx1-ubyte holds 11 labels",
        ),
        (
            "train-images-idx3-ubyte",
            np.zeros((12, 64), np.uint8),
            r"holds uint8 of shape \(12, 64\), expected uint8 images of shape \(N, height, width\)",
        ),
        ("train-images-idx3-ubyte", np.zeros((12, 8, 8), np.float32), r"holds float32"),
        ("train-labels-idx1-ubyte", np.zeros(12, np.int32), r"holds int32 of shape \(12,\)"),
        (
            "t10k-images-idx3-ubyte",
            np.zeros((5, 9, 8), np.uint8),
            r"images are 9x8, expected 8x8 like the training images",
        ),
    ],
    ids=["count", "flat", "float", "int-labels", "size"],
)
def test_idx_folder_checks(tmp_path, name, array, needle):
    _make_folder(tmp_path, gz=False, test=True)
    write_idx(tmp_path / name, array)
    with pytest.raises(DataError, match=needle):
        load_source(str(tmp_path))


def test_empty_training_set(tmp_path):
    _make_folder(tmp_path, gz=False, test=False)
    write_idx(tmp_path / NAMES[0], np.zeros((0, 8, 8), np.uint8))
    write_idx(tmp_path / NAMES[1], np.zeros(0, np.uint8))
    with pytest.raises(DataError, match=r"holds 0 images, expected at least one to train on"):
        load_source(str(tmp_path))


def test_plain_file_wins_over_gz(tmp_path):
    _make_folder(tmp_path, gz=False, test=False, seed=1)
    _make_folder(tmp_path, gz=True, test=False, seed=2)
    plain = load_source(str(tmp_path))
    for name in NAMES[:2]:
        (tmp_path / (name + ".gz")).unlink()
    assert plain.sha256 == load_source(str(tmp_path)).sha256


def test_csv_file(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 6, dtype=np.uint8)
    path = tmp_path / "train.csv"
    write_digits_csv(path, images, labels)
    ds = load_source(str(path))
    assert (ds.name, ds.source) == ("train.csv", str(path.resolve()))
    assert np.array_equal(ds.train_images, images) and np.array_equal(ds.train_labels, labels)
    assert ds.test_images is None and ds.test_labels is None
    assert ds.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not ds.train_images.flags.writeable


def test_csv_without_labels_cannot_be_trained_on(tmp_path):
    path = tmp_path / "test.csv"
    write_digits_csv(path, np.zeros((2, 784), np.uint8))
    with pytest.raises(
        DataError, match=r"test\.csv has no label column .* cannot be trained or evaluated on"
    ):
        load_source(str(path))


def test_malformed_csv_error_passes_through(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1," + ",".join(["0"] * 783) + ",256\n")
    with pytest.raises(DataError, match=r"bad\.csv, line 1, column 785: value 256 is outside"):
        load_source(str(path))


def test_a_lone_idx_file_is_not_a_csv(tmp_path):
    files = _make_folder(tmp_path, gz=True, test=False)
    with pytest.raises(DataError, match=r"looks like a single IDX file; pass the folder"):
        load_source(str(files[0]))


def test_missing_path(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(DataError) as caught:
        load_source(str(missing))
    assert str(caught.value) == (
        f"no such file or folder: {missing} "
        "(expected 'mnist', a folder of IDX files, or a CSV file)"
    )


def test_datasets_package_imports_nothing_of_networks():
    code = (
        "import sys, nnscratch.datasets as d; d.load_source; "
        "import json; print(json.dumps([m for m in sys.modules if m.startswith('nnscratch')]))"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(src)},
    )
    loaded = set(json.loads(result.stdout))
    assert loaded == {
        "nnscratch",
        "nnscratch.errors",
        "nnscratch.fileio",
        "nnscratch.budget",  # what a file may make a reader allocate
        "nnscratch.datasets",
        "nnscratch.datasets.idx",
        "nnscratch.datasets.csv",
        "nnscratch.datasets.mnist",
        "nnscratch.datasets.splits",
        "nnscratch.datasets.sources",
    }

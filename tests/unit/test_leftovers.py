"""Nothing a killed or cut-short write leaves behind stays (issue 25, defect 13, the parts
outside sweep): the temporary file of a model save killed midway is removed by the next write
of that file, and a digits export cut short by a full disk leaves the old pair whole."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from nnscratch.datasets import digitset, load_source
from nnscratch.datasets.digitset import DigitSet
from nnscratch.datasets.mnist import load_mnist
from nnscratch.errors import DataError
from nnscratch.fileio import atomic_write
from nnscratch.model import build_model


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_a_killed_saves_temporary_file_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "m.npz"
    killed = tmp_path / f".m.npz.{dead_pid()}-0123456789ab.tmp"
    killed.write_bytes(b"half a model")
    alive = tmp_path / f".m.npz.{os.getppid()}-0123456789ab.tmp"  # a live writer's: kept
    alive.write_bytes(b"being written")
    other = tmp_path / f".other.npz.{dead_pid()}-0123456789ab.tmp"  # another file's: kept
    other.write_bytes(b"")
    build_model("classic").save(path)
    assert not killed.exists() and alive.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.npz", alive.name, other.name])


def test_a_write_leaves_no_temporary_file_when_it_fails(tmp_path):
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "x.bin") as handle:
        handle.write(b"partial")
        raise RuntimeError("cut short")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def digits(tmp_path):
    images, labels = load_mnist("test")
    digits = DigitSet(tmp_path / "set")
    for image, label in zip(images[:30], labels[:30], strict=True):
        digits.add(image, int(label))
    return digits


def test_an_export_cut_short_by_a_full_disk_leaves_the_old_pair_whole(
    digits, tmp_path, monkeypatch
):
    folder = tmp_path / "export"
    digits.export_idx(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for number in [d.number for d in digits.digits()][:5]:  # a changed set, same counts
        digits.remove(number)
    images, labels = load_mnist("train")
    for image, label in zip(images[:5], labels[:5], strict=True):
        digits.add(image, int(label))
    written = []
    real_write_idx = digitset.write_idx

    def full_disk_on_labels(path, array, **options):
        if "labels" in os.fspath(path):
            raise DataError(f"cannot write {path}: No space left on device")
        written.append(path)
        real_write_idx(path, array, **options)

    monkeypatch.setattr(digitset, "write_idx", full_disk_on_labels)
    with pytest.raises(DataError, match="No space left on device"):
        digits.export_idx(folder)
    assert written  # the new images were written, somewhere
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    dataset = load_source(folder)
    assert len(dataset.train_labels) == len(dataset.train_images)
    np.testing.assert_array_equal(dataset.train_images, load_source(folder).train_images)

"""Your own digits: a set kept as one PNG per digit, added to and taken from, exported as the IDX
files and the Kaggle CSV that `nnscratch train --data` reads, imported back; a damaged export is
refused with the readers' usual errors, and a write cut short loses at most the digit written."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nnscratch import fileio
from nnscratch.cli import main
from nnscratch.datasets import digitset, load_mnist, load_source
from nnscratch.datasets.csv import write_digits_csv
from nnscratch.datasets.digitset import DigitSet
from nnscratch.errors import DataError
from nnscratch.model import Sequential

COUNT = 60  # six of each label: 12 held out by an IDX export, one of each and two more


@pytest.fixture(scope="module")
def mnist_digits():
    images, labels = load_mnist("test")
    order = np.argsort(labels[:400], kind="stable")
    chosen = np.concatenate([order[labels[order] == label][: COUNT // 10] for label in range(10)])
    chosen.sort()
    return images[chosen], labels[chosen]


@pytest.fixture
def filled(tmp_path, mnist_digits):
    digits = DigitSet(tmp_path / "digits")
    digits.add_many(*mnist_digits)
    return digits


def test_digits_are_added_numbered_in_order_and_kept_in_files(tmp_path, mnist_digits):
    images, labels = mnist_digits
    digits = DigitSet(tmp_path / "set")
    assert digits.digits() == []
    first = digits.add(images[0], labels[0])
    second = digits.add(images[1].astype(np.int64), int(labels[1]))  # any integer dtype
    assert (first.number, second.number) == (1, 2)
    assert first.path.name == f"digit-000001-label-{labels[0]}.png"
    again = DigitSet(tmp_path / "set")  # a new server finds them
    assert [(d.number, d.label) for d in again.digits()] == [(1, labels[0]), (2, labels[1])]
    got, got_labels = again.arrays()
    np.testing.assert_array_equal(got, images[:2])
    np.testing.assert_array_equal(got_labels, labels[:2])


def test_a_digit_is_removed_and_numbers_are_never_given_twice(filled):
    removed = filled.remove(3)
    assert not removed.path.exists()
    assert 3 not in [d.number for d in filled.digits()]
    assert filled.add(np.zeros((28, 28), np.uint8), 4).number == COUNT + 1
    filled.remove(COUNT + 1)
    assert filled.add(np.zeros((28, 28), np.uint8), 4).number == COUNT + 1  # the newest went
    with pytest.raises(DataError, match=r"the set has no digit #3"):
        filled.remove(3)


@pytest.mark.parametrize(
    "image, label, message",
    [
        (np.zeros((27, 28), np.uint8), 1, r"a digit is a 28x28 image, got shape \(27, 28\)"),
        (np.full((28, 28), 256), 1, "a digit's pixels are whole numbers 0-255"),
        (np.zeros((28, 28), np.float32), 1, "a digit's pixels are whole numbers 0-255"),
        (np.zeros((28, 28), np.uint8), 10, "a digit's labels are whole numbers 0-9"),
    ],
)
def test_a_wrong_digit_is_refused(tmp_path, image, label, message):
    digits = DigitSet(tmp_path / "set")
    with pytest.raises(DataError, match=message):
        digits.add(image, label)
    assert digits.digits() == []


def test_a_write_cut_short_loses_only_the_digit_being_written(filled, monkeypatch):
    before = filled.digits()
    calls = []
    real_fsync = os.fsync

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 3:  # the disk fills while the third digit is written
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", failing_fsync)
    with pytest.raises(DataError, match="No space left on device"):
        filled.add_many(np.full((4, 28, 28), 200, np.uint8), np.arange(4))
    after = DigitSet(filled.folder)
    assert [d.number for d in after.digits()] == [d.number for d in before] + [COUNT + 1, COUNT + 2]
    after.arrays()  # every file left is whole
    assert (
        sorted(p.name for p in filled.folder.iterdir() if not digitset.NAME.fullmatch(p.name)) == []
    )  # no temporary file either


def test_the_set_is_exported_as_idx_files_with_one_in_five_held_out(filled, tmp_path):
    counts = filled.export_idx(tmp_path / "export")
    assert counts == {"train": COUNT - 12, "test": 12}
    dataset = load_source(tmp_path / "export")
    images, labels = filled.arrays()
    held = set(digitset.held_out(filled.digits()))
    is_test = np.array([d.number in held for d in filled.digits()])
    np.testing.assert_array_equal(dataset.train_images, images[~is_test])
    np.testing.assert_array_equal(dataset.train_labels, labels[~is_test])
    np.testing.assert_array_equal(dataset.test_images, images[is_test])
    # Each label's 5th, then the latest of labels 0 and 1 to make one in five of the set.
    assert sorted(dataset.test_labels.tolist()) == [0, 0, 1, 1, *range(2, 10)]


def test_a_small_set_exports_no_test_split_and_drops_an_old_one(tmp_path, mnist_digits):
    digits = DigitSet(tmp_path / "set")
    digits.add_many(*(part[:30] for part in mnist_digits))
    digits.export_idx(tmp_path / "export")
    for digit in digits.digits()[4:]:
        digits.remove(digit.number)
    assert digits.export_idx(tmp_path / "export") == {"train": 4, "test": 0}
    assert load_source(tmp_path / "export").test_images is None


def test_the_set_is_exported_as_a_kaggle_csv(filled, tmp_path):
    assert filled.export_csv(tmp_path / "digits.csv") == COUNT
    text = (tmp_path / "digits.csv").read_text()
    assert text.startswith("label,pixel0,pixel1,")
    dataset = load_source(tmp_path / "digits.csv")
    np.testing.assert_array_equal(dataset.train_images, filled.arrays()[0])
    np.testing.assert_array_equal(dataset.train_labels, filled.arrays()[1])


@pytest.mark.parametrize("kind", ["idx", "csv"])
def test_an_export_imports_back_digit_for_digit(filled, tmp_path, kind):
    path = tmp_path / ("export" if kind == "idx" else "digits.csv")
    filled.export_idx(path) if kind == "idx" else filled.export_csv(path)
    again = DigitSet(tmp_path / "again")
    assert len(again.import_from(path)) == COUNT

    def pairs(digits):
        return sorted(
            (int(label), image.tobytes()) for image, label in zip(*digits.arrays(), strict=True)
        )

    assert pairs(again) == pairs(filled)


@pytest.mark.parametrize("kind", ["idx", "csv"])
def test_the_cli_trains_on_an_export(filled, tmp_path, kind, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / ("export" if kind == "idx" else "digits.csv")
    filled.export_idx(path) if kind == "idx" else filled.export_csv(path)
    assert (
        main(
            [
                "train",
                "--data",
                str(path),
                "--hidden",
                "16",
                "--epochs",
                "2",
                "--dev-size",
                "10",
                "--quiet",
                "--out",
                "mine.npz",
            ]
        )
        == 0
    )
    model = Sequential.load(tmp_path / "mine.npz")
    assert model.metadata["data"]["source"] == str(path.resolve() if kind == "csv" else path)
    assert model.metadata["data"]["train_size"] == (COUNT - 12 if kind == "idx" else COUNT) - 10


def damage_idx(folder):
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    return f"{path}: truncated IDX data"


def damage_csv(path):
    lines = path.read_text().splitlines()
    values = lines[3].split(",")
    values[13] = "300"
    lines[3] = ",".join(values)
    path.write_text("\n".join(lines) + "\n")
    return f"{path}, line 4, column 14 (pixel12): value 300 is outside 0-255"


@pytest.mark.parametrize("kind", ["idx", "csv"])
def test_a_damaged_export_is_refused_with_the_readers_errors(
    filled, tmp_path, kind, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / ("export" if kind == "idx" else "digits.csv")
    if kind == "idx":
        filled.export_idx(path)
        message = damage_idx(path)
    else:
        filled.export_csv(path)
        message = damage_csv(path)
    again = DigitSet(tmp_path / "again")
    with pytest.raises(DataError) as refused:
        again.import_from(path)
    assert str(refused.value).startswith(message)
    assert again.digits() == []  # nothing half-imported
    assert main(["train", "--data", str(path), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"nnscratch: error: {message}") and error.count("\n") == 1


def test_an_import_over_the_limit_adds_nothing(filled, tmp_path, monkeypatch):
    images, labels = filled.arrays()
    write_digits_csv(tmp_path / "digits.csv", 255 - images, labels)  # other digits: all new
    monkeypatch.setattr(digitset, "MAX_DIGITS", COUNT + 10)
    with pytest.raises(
        DataError, match=f"the set would hold {2 * COUNT} digits; a set takes at most {COUNT + 10}"
    ):
        filled.import_from(tmp_path / "digits.csv")
    assert len(filled.digits()) == COUNT


def test_a_damaged_digit_file_is_named_and_other_files_are_left_alone(filled):
    (filled.folder / "notes.txt").write_text("my digits")
    damaged = filled.digits()[5].path
    damaged.write_bytes(damaged.read_bytes()[:30])
    fresh = DigitSet(filled.folder)
    assert len(fresh.digits()) == COUNT
    with pytest.raises(DataError, match=f"{damaged}: damaged digit file"):
        fresh.arrays()


def test_twenty_digits_two_of_each_label_hold_four_out(tmp_path, mnist_digits):
    images, labels = mnist_digits
    two_each = np.concatenate([np.flatnonzero(labels == label)[:2] for label in range(10)])
    two_each.sort()
    digits = DigitSet(tmp_path / "set")
    digits.add_many(images[two_each], labels[two_each])
    held = digitset.held_out(digits.digits())
    by_number = {d.number: d.label for d in digits.digits()}
    assert sorted(by_number[n] for n in held) == [0, 1, 2, 3]  # each keeps one to train on
    assert digits.export_idx(tmp_path / "export") == {"train": 16, "test": 4}


def test_importing_the_set_s_own_export_adds_nothing(filled, tmp_path):
    filled.export_idx(tmp_path / "export")
    assert filled.import_new(tmp_path / "export") == (COUNT, [])
    assert len(filled.digits()) == COUNT

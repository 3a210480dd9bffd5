"""What the commands write: never over one of their inputs or over another of their outputs, only
where they can (found before any work, not after training), and, when a write fails late anyway
(a disk fills up), a message that says what was saved and where."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

import nnscratch.fileio as fileio
import nnscratch.usecases.train as runner
from cli_runs import assert_user_error, nnscratch
from mini_mnist import write_mnist_folder
from nnscratch import Sequential
from nnscratch.cli.app import main
from nnscratch.training.checkpoint import list_checkpoints

TINY = ("--hidden", "8", "--epochs", "1", "--dev-size", "100", "--quiet")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    """A small IDX folder, a model trained on it, and a picture, in one folder."""
    root = tmp_path_factory.mktemp("outputs")
    folder = write_mnist_folder(root / "mini", 600, 100)
    result = nnscratch("train", "--data", folder, *TINY, "--out", "m.npz", cwd=root)
    assert result.returncode == 0, result.stderr
    picture = Path(__file__).resolve().parents[2] / "examples" / "seven.png"
    (root / "seven.png").write_bytes(picture.read_bytes())
    return {"root": root, "folder": folder, "model": root / "m.npz"}


def contents(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --- an output is never one of the inputs, nor another output -------------------------------

OVERWRITES = {
    "predict-over-the-model": (
        ["predict", "m.npz", "seven.png", "--output", "m.npz"],
        ["--output m.npz", "the model file MODEL"],
    ),
    "predict-over-an-input": (
        ["predict", "m.npz", "seven.png", "-o", "./seven.png"],
        ["--output", "seven.png", "INPUTS"],
    ),
    "predict-over-a-link-to-the-model": (
        ["predict", "link.npz", "seven.png", "-o", "m.npz"],
        ["--output m.npz", "MODEL", "link.npz"],
    ),
    "report-over-the-model": (
        ["report", "m.npz", "-o", "m.npz"],
        ["--output m.npz", "the model file MODEL"],
    ),
    "report-over-the-data": (
        ["report", "m.npz", "-o", "mini/train-labels-idx1-ubyte"],
        ["--output", "the data the model was trained on"],
    ),
    "show-over-the-data": (
        ["show", "m.npz", "0", "-o", "mini/../mini/t10k-images-idx3-ubyte", "--data", "mini"],
        ["--output", "a file of the data (--data mini)"],
    ),
    "train-model-and-report-in-one-file": (
        ["train", "--data", "mini", *TINY, "--out", "n.npz", "--report", "n.npz"],
        ["--report n.npz", "--output n.npz", "same file"],
    ),
    "train-over-a-picture": (
        ["train", "--data", "mini", *TINY, "--out", "seven.png"],
        ["--output seven.png", ".npz", "seven.npz"],
    ),
    "train-report-over-the-data": (
        [
            "train",
            "--data",
            "mini",
            *TINY,
            "--out",
            "n.npz",
            "--report",
            "mini/t10k-labels-idx1-ubyte",
        ],
        ["--report", "the training data (--data mini)"],
    ),
}


@pytest.mark.parametrize("case", list(OVERWRITES))
def test_an_output_never_overwrites_an_input_or_another_output(made, case):
    root = made["root"]
    link = root / "link.npz"
    if not link.exists():
        link.symlink_to("m.npz")
    args, names = OVERWRITES[case]
    before = contents(root)
    assert_user_error(nnscratch(*args, cwd=root), *names)
    assert contents(root) == before  # nothing written, nothing replaced


# --- unwritable places are found before any work --------------------------------------------


@pytest.fixture
def read_only_folder(tmp_path, monkeypatch) -> Path:
    """A folder that refuses new files as a read-only file system does (chmod would not stop
    root, who may run the tests); and no data may be loaded while the options are checked."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    real_open = os.open

    def refusing(path, flags, *args, **kwargs):
        if os.path.abspath(path).startswith(str(folder) + os.sep) and flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(fileio.os, "open", refusing)

    def no_data(spec):
        raise AssertionError("the data was loaded before the outputs were checked")

    monkeypatch.setattr(runner, "load_source", no_data)
    return folder


@pytest.mark.parametrize(
    "option, place",
    [
        ("--out", "m.npz"),
        ("--report", "r.html"),
        ("--checkpoint-dir", "ck"),
        ("--checkpoint-dir", "runs/ck"),  # made on the way: its nearest existing folder is tried
    ],
    ids=["out", "report", "checkpoint-dir", "checkpoint-dir-to-make"],
)
def test_an_unwritable_output_is_refused_before_the_data_is_even_loaded(
    made, read_only_folder, capsys, option, place, monkeypatch
):
    monkeypatch.chdir(read_only_folder.parent)
    args = {"--out": "ok.npz", option: str(read_only_folder / place)}
    status = main(
        [
            "train",
            "--data",
            str(made["folder"]),
            *TINY,
            *(part for pair in args.items() for part in pair),
        ]
    )
    captured = capsys.readouterr()
    assert status == 2, captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnscratch: error: ")
    assert option in lines[0] and "cannot write in the folder" in lines[0]
    assert "Read-only file system" in lines[0]
    assert (
        list(read_only_folder.iterdir()) == [] and not (read_only_folder.parent / "ok.npz").exists()
    )


# --- a write that fails late says what was kept -----------------------------------------------


def disk_full_for(monkeypatch, match, after: int = 0) -> None:
    """Files whose name contains ``match`` cannot be created once ``after`` of them were."""
    real_open = os.open
    made = []

    def full(path, flags, *args, **kwargs):
        if match in os.path.basename(path) and flags & os.O_CREAT:
            if len(made) >= after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
            made.append(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(fileio.os, "open", full)


def run_main(args, capsys) -> tuple[int, str]:
    status = main([str(a) for a in args])
    err = capsys.readouterr().err
    return status, err


def test_a_report_that_cannot_be_written_after_training_says_the_model_is_saved(
    made, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    disk_full_for(monkeypatch, ".r.html.")  # the report's temporary file: the probe passes
    status, err = run_main(
        ["train", "--data", made["folder"], *TINY, "--out", "m.npz", "--report", "r.html"], capsys
    )
    assert status == 2
    [line] = err.splitlines()
    assert line.startswith(
        "nnscratch: error: the model was saved to m.npz, but the report "
        "could not be written: cannot write r.html: No space left on device"
    )
    assert "nnscratch report m.npz --output r.html" in line
    Sequential.load(tmp_path / "m.npz")  # saved whole
    assert not (tmp_path / "r.html").exists()


def test_a_model_that_cannot_be_saved_after_training_points_at_the_last_checkpoint(
    made, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    disk_full_for(monkeypatch, ".m.npz.")
    status, err = run_main(
        ["train", "--data", made["folder"], *TINY, "--out", "m.npz", "--checkpoint-dir", "ck"],
        capsys,
    )
    assert status == 2
    [line] = err.splitlines()
    assert (
        "training ended, but the model could not be saved: cannot write m.npz: No space "
        "left on device" in line
    )
    last = Path("ck") / "ckpt-00001-000000.npz"
    assert f"the last checkpoint saved is {last}" in line
    assert "nnscratch train --resume ck --output OTHER.npz" in line
    assert not (tmp_path / "m.npz").exists()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    # The advice works: the run is complete in its checkpoint, and resuming writes the model.
    status, err = run_main(["train", "--resume", "ck", "--out", "other.npz", "--quiet"], capsys)
    assert status == 0, err
    with np.load(tmp_path / last, allow_pickle=False) as saved:
        weights = {k: saved[k] for k in saved.files if k.startswith("layers.")}
    model = Sequential.load(tmp_path / "other.npz").get_weights()
    assert weights.keys() == model.keys()
    assert all(np.array_equal(weights[k], model[k]) for k in weights)


def test_no_model_is_saved_without_a_checkpoint_and_the_message_says_so(
    made, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    disk_full_for(monkeypatch, ".m.npz.")
    status, err = run_main(["train", "--data", made["folder"], *TINY, "--out", "m.npz"], capsys)
    assert status == 2
    [line] = err.splitlines()
    assert line.endswith("No space left on device; nothing was saved")


def test_a_checkpoint_that_cannot_be_written_mid_run_says_what_is_kept(
    made, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    disk_full_for(monkeypatch, ".ckpt-", after=1)  # the first checkpoint is written, not the next
    status, err = run_main(
        [
            "train",
            "--data",
            made["folder"],
            "--hidden",
            "8",
            "--epochs",
            "3",
            "--dev-size",
            "100",
            "--quiet",
            "--out",
            "m.npz",
            "--checkpoint-dir",
            "ck",
        ],
        capsys,
    )
    assert status == 2
    [line] = err.splitlines()
    assert (
        "cannot write ck/ckpt-00002-000000.npz: No space left on device; training stopped, "
        "nothing was written to m.npz" in line
    )
    assert (
        "the last checkpoint saved is ck/ckpt-00001-000000.npz (resume with: nnscratch "
        "train --resume ck)" in line
    )
    assert [position for position, _ in list_checkpoints(tmp_path / "ck")] == [(1, 0)]
    assert not (tmp_path / "m.npz").exists()

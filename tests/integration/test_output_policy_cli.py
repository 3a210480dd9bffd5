"""The output policy and the refused options through the command (issue 25, defects 12 and
18): every command's outputs are named for their kind, an existing model is never replaced
without --overwrite, options that would be ignored are refused, and every mistake is worded
as ours ("--seed must be a whole number, got 'x'"), never Typer's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mini_mnist import write_mnist_folder
from nnscratch.model import build_model
from nnscratch.modelfile import read_model_file

TINY = ("--hidden", "8", "--epochs", "1", "--batch-size", "100", "--dev-size", "100", "--quiet")


def nnscratch(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", *[str(a) for a in args]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


ORIGINAL: dict[Path, bytes] = {}


@pytest.fixture
def model(tmp_path) -> Path:
    path = tmp_path / "classic.npz"
    build_model("classic").save(path, preset="classic")
    ORIGINAL[path] = path.read_bytes()
    return path


def unchanged(path: Path) -> bool:
    return path.read_bytes() == ORIGINAL[path]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "classic.npz", "0", "-o", "classic.npz"], "would overwrite the model file"),
        (["show", "classic.npz", "0", "-o", "other.npz"], "--output other.npz: a chart"),
        (["lr-find", "-o", "classic.npz"], "--output classic.npz: a chart"),
        (["report", "classic.npz", "-o", "classic.npz"], "would overwrite the model file"),
        (["train", "--report", "classic.npz"], "--report classic.npz: an HTML report"),
        (["train", "-o", "classic.npz"], "pass --overwrite to replace it"),
        (["train", "--out", "classic.npz"], "pass --overwrite to replace it"),
        (["train", "--preset", "classic"], "--output classic.npz is an existing model file"),
    ],
)
def test_no_command_replaces_a_model_unasked(model, args, message):
    result = nnscratch(*args, cwd=model.parent)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert unchanged(model)


def test_overwrite_replaces_the_model(model, tmp_path):
    mini = write_mnist_folder(tmp_path / "mini", 300, 50)
    result = nnscratch(
        "train", "--data", mini, *TINY, "-o", "classic.npz", "--overwrite", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert read_model_file(model)[0]["preset"] == "mlp"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", ""], "--data is empty"),
        (["lr-find", "--data", ""], "the data is named by an empty string"),
        (["train", "--checkpoint-dir", ""], "--checkpoint-dir is empty"),
        (["train", "--checkpoint-every", "2"], "--checkpoint-every 2 needs --checkpoint-dir"),
        (["train", "--cell", "gru"], "--cell gru: the mlp recipe has no recurrent layer"),
        (["train", "--seed", "x"], "--seed must be a whole number, got 'x'"),
        (["train", "--lr", "fast"], "--lr must be a number, got 'fast'"),
        (["predict", "classic.npz", "x.png", "--top", "11"], "--top must be at most 10"),
        (["gradcheck", "mlp", "--samples", "0"], "--samples must be 1 or more, got '0'"),
        (["lr-find", "--steps", "many"], "--steps must be a whole number, got 'many'"),
    ],
)
def test_options_that_would_be_ignored_or_misread_are_refused_in_our_words(model, args, message):
    result = nnscratch(*args, cwd=model.parent)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert "Invalid value" not in result.stderr and "Input should be" not in result.stderr


def test_lr_find_takes_full_batches_as_train_does(tmp_path):
    mini = write_mnist_folder(tmp_path / "mini", 200, 20)
    result = nnscratch(
        "lr-find",
        "--data",
        mini,
        "--batch-size",
        "full",
        "--steps",
        "5",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "lr-find.png").is_file()

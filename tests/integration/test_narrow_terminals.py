"""Text at the widths terminals have (issue 25, defect 19): at 80 columns no command's help
and no part of info is cut with "…"; lr-find shows its progress."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mini_mnist import write_mnist_folder
from nnscratch.model import build_model

COMMANDS = [
    "",
    "train",
    "evaluate",
    "predict",
    "info",
    "show",
    "report",
    "gradcheck",
    "lr-find",
    "sweep",
    "export",
    "serve",
]


def nnscratch(*args, cwd, columns: int = 80) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", *[str(a) for a in args if a != ""]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": str(columns), "MPLBACKEND": "Agg"},
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "nnscratch")
def test_no_help_is_cut_at_80_columns(tmp_path, command):
    result = nnscratch(command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout, result.stdout


@pytest.mark.parametrize("preset", ["cnn-bn", "lstm"])
def test_info_is_not_cut_at_80_columns(tmp_path, preset):
    build_model(preset).save(tmp_path / "m.npz", preprocessing={"image_shape": [28, 28]})
    result = nnscratch("info", "m.npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout, result.stdout
    assert "kernel_size" in result.stdout or "recurrent_init" in result.stdout


def test_lr_find_shows_its_progress(tmp_path):
    write_mnist_folder(tmp_path / "mini", 600, 10)
    result = nnscratch(
        "lr-find",
        "--data",
        "mini",
        "--steps",
        "20",
        "--batch-size",
        "30",
        cwd=tmp_path,
        columns=100,
    )
    assert result.returncode == 0, result.stderr
    assert "epoch 1/1" in result.stderr and "loss" in result.stderr, result.stderr

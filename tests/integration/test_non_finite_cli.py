"""A model file with NaN weights is refused by name by every command that uses it (issue 25,
defect 15): it used to predict "label 0, confidence nan" and evaluate with exit 0."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from nnscratch.model import build_model
from nnscratch.modelfile import read_model_file, write_model_file


@pytest.fixture(scope="module")
def nan_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nan")
    path = folder / "nan.npz"
    build_model("classic", dtype="float32").save(path)
    document, arrays = read_model_file(path)
    assert "layers.1.W" in arrays  # the first Dense, after Flatten
    arrays["layers.1.W"] = arrays["layers.1.W"].copy()
    arrays["layers.1.W"][0, 0] = math.nan
    write_model_file(path, document, arrays)
    (folder / "one.csv").write_text(",".join(["0"] * 784) + "\n")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "nan.npz", "one.csv"],
        ["predict", "nan.npz", "one.csv", "--json"],
        ["evaluate", "nan.npz"],
        ["export", "nan.npz", "nan.onnx"],
        ["report", "nan.npz"],
        ["info", "nan.npz"],
    ],
    ids=lambda args: " ".join(args[:1] + args[3:]),
)
def test_every_command_refuses_a_model_with_nan_weights_by_name(nan_model, args):
    result = subprocess.run(
        [sys.executable, "-m", "nnscratch", *args],
        cwd=nan_model.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "nan.npz: array layers.1.W holds 1 NaN or infinite value" in result.stderr
    assert "NaN" not in result.stdout and "Traceback" not in result.stderr
    assert not (nan_model.parent / "nan.onnx").exists()

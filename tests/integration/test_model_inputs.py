"""What evaluate, show, info, export and predict are given (issue 25, defect 17): a folder of
the t10k files alone is a test set; a checkpoint says it is one and how to use it; an edited
model file is refused with its name; an SVG is a picture format we do not read, not a CSV."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mini_mnist import write_mnist_folder
from nnscratch.model import build_model
from nnscratch.modelfile import read_model_file, write_model_file


def nnscratch(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", *[str(a) for a in args]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200", "MPLBACKEND": "Agg"},
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("inputs")
    build_model("classic", dtype="float32").save(root / "m.npz")
    test_only = write_mnist_folder(root / "t10k", 10, 40)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        for found in test_only.glob(f"{name}*"):
            found.unlink()
    return root


def test_evaluate_reads_a_folder_of_the_test_files_alone(folder):
    result = nnscratch("evaluate", "m.npz", "--data", "t10k", "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["data"]["split"] == "test" and report["data"]["count"] == 40


def test_show_reads_a_folder_of_the_test_files_alone(folder):
    result = nnscratch("show", "m.npz", "3", "--data", "t10k", "--no-window", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "digit-test-3.png").is_file()
    train = nnscratch("show", "m.npz", "3", "--data", "t10k", "--split", "train", cwd=folder)
    assert train.returncode == 2 and "no training data" in train.stderr


@pytest.fixture(scope="module")
def checkpoint(folder) -> Path:
    document, arrays = read_model_file(folder / "m.npz")
    write_model_file(folder / "epoch-3.npz", {**document, "kind": "checkpoint"}, arrays)
    return folder / "epoch-3.npz"


@pytest.mark.parametrize(
    "args",
    [["info", "epoch-3.npz"], ["evaluate", "epoch-3.npz"], ["export", "epoch-3.npz", "x.onnx"]],
    ids=lambda args: args[0],
)
def test_a_checkpoint_says_it_is_one(folder, checkpoint, args):
    result = nnscratch(*args, cwd=folder)
    assert result.returncode == 2, result.stdout
    assert "epoch-3.npz is a training checkpoint, not a model file" in result.stderr
    assert "nnscratch train --resume epoch-3.npz" in result.stderr
    assert "unexpected arrays" not in result.stderr


@pytest.mark.parametrize(
    ("edit", "shown"),
    [
        (lambda layers: layers[1].update(type="os.system"), "os.system"),
        (lambda layers: layers[1]["config"].update(out_features="ten"), "ten"),
        (lambda layers: layers[1].pop("config"), "config"),
    ],
    ids=["layer-type", "size-text", "no-config"],
)
def test_an_edited_model_file_is_refused_with_its_name(folder, edit, shown):
    document, arrays = read_model_file(folder / "m.npz")
    edit(document["model"]["layers"])
    write_model_file(folder / "edited.npz", document, arrays)
    for command in ("info", "evaluate"):
        result = nnscratch(command, "edited.npz", cwd=folder)
        assert result.returncode == 2, result.stdout
        assert result.stderr.startswith("nnscratch: error: edited.npz:"), result.stderr
        assert shown in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["digit.svg", "digit.txt"])
def test_an_svg_is_refused_as_a_picture_format_we_do_not_read(folder, name):
    (folder / name).write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="28" '
        'height="28"><circle cx="14" cy="14" r="9"/></svg>\n'
    )
    result = nnscratch("predict", "m.npz", name, cwd=folder)
    assert result.returncode == 2
    assert f"{name}: a picture in SVG format, which nnscratch does not read" in result.stderr
    assert "CSV" not in result.stderr

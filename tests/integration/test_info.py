"""``nnscratch info`` as a user runs it: what the file says, checked against the file itself."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import nnscratch as package
from cli_runs import assert_user_error, nnscratch
from nnscratch import Sequential
from nnscratch.datasets import load_mnist, write_idx
from nnscratch.modelfile import DOCUMENT_KEY, arrays_sha256


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("info")
    x, y = load_mnist("train")
    folder = root / "mini"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte", x[:1500])
    write_idx(folder / "train-labels-idx1-ubyte", y[:1500])
    result = nnscratch(
        "train",
        "--data",
        folder,
        "--epochs",
        2,
        "--dev-size",
        300,
        "--hidden",
        "32,16",
        "--seed",
        3,
        "--lr",
        0.003,
        "--out",
        "m.npz",
        "--quiet",
        "--json",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return {
        "root": root,
        "model": root / "m.npz",
        "folder": folder,
        "summary": json.loads(result.stdout),
    }


def info_json(path, cwd) -> dict:
    result = nnscratch("info", path, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_info_json_describes_the_file(trained):
    info = info_json(trained["model"], trained["root"])
    with np.load(trained["model"], allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files if name != DOCUMENT_KEY}
    assert info["file_sha256"] == hashlib.sha256(trained["model"].read_bytes()).hexdigest()
    assert info["arrays_sha256"] == arrays_sha256(arrays)
    assert info["format"] == "nnscratch-model" and info["format_version"] == 1
    assert info["library_version"] == package.__version__

    layers = info["architecture"]
    assert [layer["type"] for layer in layers] == [
        "Flatten",
        "Dense",
        "ReLU",
        "Dense",
        "ReLU",
        "Dense",
    ]
    assert [layer["input_shape"] for layer in layers] == [[28, 28], [784], [32], [32], [16], [16]]
    assert [layer["output_shape"] for layer in layers] == [[784], [32], [32], [16], [16], [10]]
    assert layers[1]["parameters"] == {"W": [784, 32], "b": [32]}
    for layer in layers:
        own = [a for name, a in arrays.items() if name.startswith(f"layers.{layer['index']}.")]
        assert layer["parameter_count"] == sum(a.size for a in own)
    assert (
        info["parameter_count"]
        == sum(a.size for a in arrays.values())
        == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    )

    assert info["preset"] == "mlp" and info["seed"] == 3
    assert info["hyperparameters"]["hidden"] == [32, 16]
    assert info["hyperparameters"]["lr"] == 0.003 and info["optimizer"]["lr"] == 0.003
    assert info["preprocessing"] == {"scale": 1 / 255, "image_shape": [28, 28]}
    assert info["data"]["source"] == str(trained["folder"].resolve())
    assert info["data"]["train_size"] == 1200 and info["data"]["dev_size"] == 300
    assert len(info["data"]["sha256"]) == 64
    assert info["epochs"] == 2 and info["stopped"] == "completed"
    summary = trained["summary"]
    for key in ("train_accuracy", "dev_accuracy", "dev_loss"):
        assert info["metrics"][key] == summary[key]


def test_the_document_inside_carries_the_same_description(trained):
    """A reader without nnscratch finds the layers' shapes in the JSON document itself."""
    with np.load(trained["model"], allow_pickle=False) as archive:
        document = json.loads(archive[DOCUMENT_KEY].tobytes())
    info = info_json(trained["model"], trained["root"])
    assert document["architecture"] == info["architecture"]
    assert document["library_version"] == package.__version__
    assert document["preprocessing"]["image_shape"] == [28, 28]


def test_info_tables_show_layers_checksums_recipe_and_metrics(trained):
    result = nnscratch("info", "m.npz", cwd=trained["root"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    info = info_json(trained["model"], trained["root"])
    assert info["arrays_sha256"] in out and info["file_sha256"] in out
    assert "nnscratch-model version 1" in out and f"nnscratch {package.__version__}" in out
    assert "784x32" in out and "25,120" in out  # W's shape, the first Dense's parameters
    assert "1,200 / 300" in out  # train / dev images
    assert f"{info['metrics']['dev_accuracy']:.4f}" in out
    assert "1/255" in out


@pytest.mark.parametrize("columns", [80, 100, 200])
def test_each_sha256_is_shown_whole_on_one_line(trained, columns):
    """At 80 columns through a pipe, as a user reads it: a hash broken in the middle cannot be
    compared with another copy's at a glance."""
    result = subprocess.run(
        [sys.executable, "-m", "nnscratch", "info", "m.npz"],
        cwd=trained["root"],
        env={**os.environ, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    info = info_json(trained["model"], trained["root"])
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    for digest in (info["arrays_sha256"], info["file_sha256"], info["data"]["sha256"]):
        assert any(digest in line for line in lines), (digest, result.stdout)


def test_a_file_without_the_newer_keys_is_still_described(trained, tmp_path):
    """Files written before library_version and architecture were recorded (format 1)."""
    with np.load(trained["model"], allow_pickle=False) as archive:
        payload = {name: archive[name] for name in archive.files}
    document = json.loads(payload[DOCUMENT_KEY].tobytes())
    for key in ("library_version", "architecture"):
        del document[key]
    payload[DOCUMENT_KEY] = np.frombuffer(json.dumps(document).encode(), np.uint8)
    np.savez(tmp_path / "old.npz", **payload)
    info = info_json(tmp_path / "old.npz", tmp_path)
    assert info["library_version"] is None
    assert info["architecture"] == info_json(trained["model"], trained["root"])["architecture"]
    shown = nnscratch("info", "old.npz", cwd=tmp_path).stdout
    assert re.search(r"written by\s*│\s*-\s*│", shown)


def test_info_on_a_model_saved_from_python(tmp_path):
    from nnscratch import Dense, Dropout, ReLU

    model = Sequential([Dense(784, 20), ReLU(), Dropout(0.5), Dense(20, 10)], seed=1)
    model.save(tmp_path / "py.npz")
    info = info_json(tmp_path / "py.npz", tmp_path)
    assert info["preset"] is None and info["metrics"] is None and info["data"] is None
    assert info["preprocessing"] == {"scale": None, "image_shape": None}
    assert [layer["input_shape"] for layer in info["architecture"]] == [[784], [20], [20], [20]]
    assert nnscratch("info", "py.npz", cwd=tmp_path).returncode == 0


def test_info_on_a_file_that_is_not_a_model(tmp_path):
    (tmp_path / "notes.npz").write_text("hello")
    assert_user_error(
        nnscratch("info", "notes.npz", cwd=tmp_path), "notes.npz", "not an nnscratch model file"
    )


def test_info_shows_batch_norm_buffers_and_recurrent_layers(tmp_path):
    from nnscratch import BatchNorm, Dense, Flatten, ReLU
    from nnscratch.engine.layers import LSTM, Reshape

    model = Sequential([Flatten(), Dense(784, 20), BatchNorm(20), ReLU(), Dense(20, 10)])
    model.save(tmp_path / "bn.npz", preprocessing={"image_shape": [28, 28]})
    info = info_json(tmp_path / "bn.npz", tmp_path)
    norm = info["architecture"][2]
    assert norm["parameters"] == {"gamma": [20], "beta": [20]}
    assert norm["buffers"] == {"running_mean": [20], "running_var": [20]}
    assert norm["parameter_count"] == 40  # buffers are saved, not learnt: not counted
    shown = subprocess.run(
        [sys.executable, "-m", "nnscratch", "info", "bn.npz"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "150"},
    )
    text = " ".join(shown.stdout.split())
    assert "gamma 20 beta 20 (running_mean 20 running_var 20)" in text
    assert "in parentheses: buffers (running averages), saved but not learnt" in text
    recurrent = Sequential([Reshape((28, 28)), LSTM(28, 12), Dense(12, 10)])
    recurrent.save(tmp_path / "lstm.npz", preprocessing={"image_shape": [28, 28]})
    rows = info_json(tmp_path / "lstm.npz", tmp_path)["architecture"]
    assert rows[1]["type"] == "LSTM" and rows[1]["output_shape"] == [12]
    assert rows[1]["parameters"] == {"W_ih": [48, 28], "W_hh": [48, 12], "b_ih": [48], "b_hh": [48]}
    assert "W_ih 48x28" in nnscratch("info", "lstm.npz", cwd=tmp_path).stdout

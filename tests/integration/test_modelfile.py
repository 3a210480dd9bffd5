"""The model file: what it records, and each kind of bad file with its own error, from Python and
from every command that opens one (exit status 2, one line, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nnscratch as package
from cli_runs import assert_user_error, nnscratch
from nnscratch import Dense, Flatten, ReLU, Sequential
from nnscratch.datasets import load_mnist, write_digits_csv
from nnscratch.errors import ModelFileError
from nnscratch.modelfile import DOCUMENT_KEY, FORMAT_VERSION


def small_model(inputs: int = 784) -> Sequential:
    return Sequential(
        [Flatten(), Dense(inputs, 16), ReLU(), Dense(16, 10)], input_scale=1 / 255, seed=0
    )


def payload_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def rewrite(path: Path, payload: dict, document: dict | None = None) -> None:
    if document is not None:
        payload = {**payload, DOCUMENT_KEY: np.frombuffer(json.dumps(document).encode(), np.uint8)}
    np.savez(path, **payload)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("modelfile") / "good.npz"
    small_model().save(path, preprocessing={"scale": 1 / 255, "image_shape": [28, 28]})
    return path


def make_bad(kind: str, good: Path, folder: Path) -> Path:
    data = good.read_bytes()
    path = folder / f"{kind}.npz"
    payload = payload_of(good)
    document = json.loads(payload[DOCUMENT_KEY].tobytes())
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "damaged":  # one byte of a weight flipped inside the zip archive
        offset = data.index(b"layers.1.W.npy") + 400
        path.write_bytes(data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1 :])
    elif kind == "altered":  # a weight changed and the file rebuilt with the old document
        payload["layers.1.W"] = payload["layers.1.W"] + np.float32(0.5)
        rewrite(path, payload)
    elif kind == "pickle":  # an object array: loading it would unpickle, i.e. run code
        payload["layers.1.W"] = np.array([{"run": "code"}], dtype=object)
        np.savez(path, **payload)  # savez pickles object arrays
    elif kind == "newer":
        rewrite(path, payload, {**document, "format_version": FORMAT_VERSION + 1})
    elif kind == "not-ours":
        np.savez(path, weights=np.zeros(3))
    elif kind == "wrong-input-size":
        small_model(196).save(path, preprocessing={"scale": 1 / 255, "image_shape": [14, 14]})
    return path


BAD = {
    "truncated": "truncated or damaged model file",
    "damaged": "damaged model file (the zip archive fails its own check",
    "altered": "damaged or altered model file (its arrays do not match the SHA-256",
    "pickle": "holds a pickled object array; refusing to load it",
    "newer": f"written by a newer nnscratch (format version {FORMAT_VERSION + 1}",
    "not-ours": "not an nnscratch model file (no nnscratch.json inside)",
}


@pytest.mark.parametrize("kind", list(BAD))
def test_each_bad_file_has_its_own_error(good, tmp_path, kind):
    path = make_bad(kind, good, tmp_path)
    with pytest.raises(ModelFileError) as error:
        Sequential.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert BAD[kind] in message
    others = [text for other, text in BAD.items() if other != kind]
    assert not any(text in message for text in others)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("inputs") / "test.csv"
    write_digits_csv(path, load_mnist("test")[0][:20])
    return path


@pytest.mark.parametrize("kind", [*BAD, "wrong-input-size"])
@pytest.mark.parametrize("command", ["info", "evaluate", "predict"])
def test_every_command_exits_2_on_a_bad_file_and_writes_nothing(
    good, inputs, tmp_path, kind, command
):
    path = make_bad(kind, good, tmp_path)
    if kind == "wrong-input-size" and command == "info":
        result = nnscratch("info", path, cwd=tmp_path)  # a sound file: info describes it
        assert result.returncode == 0 and "14x14" in result.stdout
        return
    args = {
        "info": [],
        "evaluate": ["--data", inputs.parent / "idx"],
        "predict": [inputs, "--output", "out.csv"],
    }[command]
    if command == "evaluate":
        _idx_folder(inputs.parent / "idx")
    result = nnscratch(command, path, *args, cwd=tmp_path)
    expected = BAD.get(kind, "takes 14x14 images (196 inputs)")
    assert_user_error(result, path.name, expected)
    assert not (tmp_path / "out.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary files


def _idx_folder(folder: Path) -> None:
    from nnscratch.datasets import write_idx

    if folder.is_dir():
        return
    folder.mkdir()
    x, y = load_mnist("test")
    write_idx(folder / "train-images-idx3-ubyte", x[:30])
    write_idx(folder / "train-labels-idx1-ubyte", y[:30])


def test_document_records_version_shapes_and_preprocessing(good):
    document = json.loads(payload_of(good)[DOCUMENT_KEY].tobytes())
    assert document["format"] == "nnscratch-model"
    assert document["format_version"] == FORMAT_VERSION
    assert document["library_version"] == package.__version__
    assert document["preprocessing"] == {"scale": 1 / 255, "image_shape": [28, 28]}
    assert [
        (layer["type"], layer["input_shape"], layer["output_shape"])
        for layer in document["architecture"]
    ] == [
        ("Flatten", [28, 28], [784]),
        ("Dense", [784], [16]),
        ("ReLU", [16], [16]),
        ("Dense", [16], [10]),
    ]
    assert document["architecture"][3]["parameters"] == {"W": [16, 10], "b": [10]}


def test_saving_a_loaded_model_keeps_its_story_and_restamps_it(good, tmp_path):
    payload = payload_of(good)
    document = json.loads(payload[DOCUMENT_KEY].tobytes())
    document.update(library_version="0.0.1", seed=42, preset="old")
    rewrite(tmp_path / "old.npz", payload, document)
    model = Sequential.load(tmp_path / "old.npz")
    model.save(tmp_path / "again.npz")
    again = json.loads(payload_of(tmp_path / "again.npz")[DOCUMENT_KEY].tobytes())
    assert again["library_version"] == package.__version__  # written by this version now
    assert again["seed"] == 42 and again["preset"] == "old"
    assert again["preprocessing"]["image_shape"] == [28, 28]
    assert again["arrays_sha256"] == document["arrays_sha256"]  # the same weights
    assert Sequential.load(tmp_path / "again.npz").predict(
        np.zeros((1, 28, 28), np.uint8)
    ).shape == (1,)


def test_an_image_shape_that_does_not_fit_the_model_is_refused_on_save(tmp_path):
    from nnscratch.errors import ConfigError

    with pytest.raises(
        ConfigError,
        match=r"image_shape \[28, 28\] has 784 pixels, the model "
        r"takes 196 inputs",
    ):
        small_model(196).save(
            tmp_path / "m.npz", preprocessing={"scale": 1 / 255, "image_shape": [28, 28]}
        )
    assert not list(tmp_path.iterdir())

"""Files and options that asked for more than they justify, or that we misread (issue 25,
defect 11's rest and defect 19's files): each ends in our error naming the file (or the
option), before anything large is allocated; and a recipe with a byte-order mark, a 16-bit
picture using little of its range and a picture with a damaged EXIF block are read right,
quietly."""

from __future__ import annotations

import json
import tracemalloc
import warnings

import numpy as np
import pytest
from PIL import Image

from nnscratch.datasets import read_digits_csv
from nnscratch.datasets.pictures import read_picture
from nnscratch.errors import ConfigError, DataError, ModelFileError
from nnscratch.model import Sequential, build_model, get_preset
from nnscratch.model.recipefile import read_recipe_file
from nnscratch.modelfile import read_model_file, write_model_file
from nnscratch.usecases.describe import describe_model_file


def peak_of(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("limits") / "m.npz"
    build_model("classic").save(path, preprocessing={"image_shape": [28, 28]})
    return read_model_file(path)


def edited(tmp_path, saved, change) -> str:
    document, arrays = saved
    document = json.loads(json.dumps(document))
    change(document)
    path = tmp_path / "edited.npz"
    write_model_file(path, document, arrays)
    return str(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["preprocessing"].update(scale="x"), "preprocessing.scale is 'x'"),
        (lambda d: d["preprocessing"].update(scale=1e300), "preprocessing.scale is 1e+300"),
        (lambda d: d["model"].update(input_scale=10**400), "model.input_scale is 1000"),
        (lambda d: d.update(preprocessing=5), "preprocessing is 5, expected a table"),
        (lambda d: d.update(metrics={"test_accuracy": "high"}), "metrics is {'test_accuracy'"),
        (lambda d: d.update(data={"train_size": -3}), "data.train_size is -3, expected a count"),
        (lambda d: d.update(recipe=[1, 2]), "recipe is [1, 2], expected a table"),
    ],
)
def test_metadata_of_the_wrong_type_is_refused_naming_the_key(tmp_path, saved, change, message):
    path = edited(tmp_path, saved, change)
    with pytest.raises(
        ModelFileError,
        match=f"edited.npz: nnscratch.json's {message}".replace("[", r"\[")
        .replace("(", r"\(")
        .replace("+", r"\+"),
    ):
        describe_model_file(path)


def test_a_huge_image_shape_is_refused_before_allocating(tmp_path, saved):
    path = edited(tmp_path, saved, lambda d: d["preprocessing"].update(image_shape=[80000] * 3))
    peak = peak_of(lambda: pytest.raises(ModelFileError, describe_model_file, path))
    assert peak < 32 * 2**20


def test_an_8_mb_string_in_a_model_document_is_refused(tmp_path, saved):
    path = edited(tmp_path, saved, lambda d: d.update(environment={"note": "x" * 8_000_000}))
    with pytest.raises(ModelFileError, match="holds a text of 8,000,000 characters"):
        Sequential.load(path)


@pytest.mark.parametrize("hidden", [(100_000_000,), (5000, 100_000)])
def test_a_network_too_large_is_refused_saying_its_size_before_allocating(hidden):
    recipe = get_preset("mlp").with_overrides({"hidden": hidden})
    caught = []
    peak = peak_of(lambda: caught.append(pytest.raises(ConfigError, build_model, recipe)))
    assert "GiB of float32 weights, and about" in str(caught[0].value)
    assert peak < 16 * 2**20


@pytest.mark.parametrize(
    "text",
    [
        "hidden = " + "[" * 3000 + "]" * 3000,
        "x = " + "{a = " * 3000 + "1" + "}" * 3000,
        "hidden = [" + "[" * 80 + "8" + "]" * 80 + "]",
    ],
    ids=["deep-array", "deep-inline-table", "80-levels"],
)
def test_a_deep_recipe_file_is_refused_by_name(tmp_path, text):
    path = tmp_path / "deep.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=r"--recipe .*deep.toml: the recipe file nests deeper"):
        read_recipe_file(path)


def test_dotted_keys_are_refused_as_unknown_keys(tmp_path):
    path = tmp_path / "dotted.toml"
    path.write_text(".".join(["a"] * 3000) + " = 1\n")
    # Python 3.11's tomllib reads the key (a table 3,000 deep); tomli, on 3.10, refuses it.
    with pytest.raises(ConfigError, match="unknown key a|nested deeper than a recipe file"):
        read_recipe_file(path)


def test_a_recipe_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeffhidden = [32]\nepochs = 2\n".encode())
    recipe = read_recipe_file(path)
    assert recipe.hidden == (32,) and recipe.epochs == 2


def test_a_csv_of_blank_lines_is_refused_without_allocating_for_them(tmp_path):
    path = tmp_path / "blank.csv"
    row = ",".join(["0"] * 785)
    path.write_text(row + "\n" + "\n" * 2_000_000 + row + "\n")
    caught = []
    peak = peak_of(lambda: caught.append(pytest.raises(DataError, read_digits_csv, path)))
    assert "line 2: empty line" in str(caught[0].value)
    assert peak < 64 * 2**20  # the file's lines; the table of 2 M rows would be 3 GB


def digit(ink: float, paper: float, dtype) -> np.ndarray:
    picture = np.full((28, 28), paper, dtype)
    picture[5:23, 12:16] = ink
    return picture


def test_a_float_picture_with_a_nan_pixel_is_refused_by_name(tmp_path):
    picture = digit(0.0, 1.0, np.float32)
    picture[3, 3] = np.nan
    path = tmp_path / "nan.tiff"
    Image.fromarray(picture, mode="F").save(path)
    with pytest.raises(DataError, match=r"nan.tiff: holds NaN or infinite pixel values"):
        read_picture(path)


def test_a_16_bit_picture_using_little_of_its_range_is_read_as_the_8_bit_one(tmp_path):
    Image.fromarray(digit(0, 255, np.uint8)).save(tmp_path / "eight.png")
    Image.fromarray(digit(0, 900, np.uint16)).save(tmp_path / "sixteen.png")
    assert Image.open(tmp_path / "sixteen.png").mode.startswith("I")
    eight, sixteen = read_picture(tmp_path / "eight.png"), read_picture(tmp_path / "sixteen.png")
    assert sixteen.max() > 200
    assert np.abs(eight.astype(int) - sixteen).max() <= 2


def test_pillows_warnings_do_not_reach_the_user(tmp_path):
    path = tmp_path / "exif.png"
    # An EXIF block whose directory claims five entries and holds one: Pillow warns of it.
    exif = b"MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\x00\x00\x00\x09"
    Image.fromarray(digit(0, 255, np.uint8)).save(path, exif=exif)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        field = read_picture(path)
    assert field.max() == 255
    assert [str(w.message) for w in caught] == []

"""NaN everywhere (issue 25, defect 15): a gradient check fails on NaN gradients, a model file
with NaN or infinite weights is refused by name, the library's predict refuses NaN input and
arrays that are not real numbers, batch sizes below 1 are ours to refuse, and the command
line's JSON never holds a bare NaN."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nnscratch.cli.options import print_json
from nnscratch.engine.gradcheck import relative_error
from nnscratch.errors import ConfigError, DataError, ModelFileError
from nnscratch.model import Sequential, build_model
from nnscratch.modelfile import read_model_file, write_model_file


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_gradient_with_nan_or_inf_fails_the_check(bad):
    analytic = np.array([1.0, bad, 2.0])
    numeric = np.array([1.0, 1.5, 2.0])
    assert relative_error(analytic, numeric) == math.inf
    assert relative_error(numeric, analytic) == math.inf
    assert relative_error(numeric, numeric) == 0.0


@pytest.fixture(scope="module")
def model() -> Sequential:
    return build_model("classic", dtype="float32")


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_model_file_with_non_finite_weights_is_refused_by_name(model, tmp_path, bad):
    path = tmp_path / "m.npz"
    model.save(path)
    document, arrays = read_model_file(path)
    name = sorted(k for k in arrays if k.endswith("W"))[0]
    arrays[name] = arrays[name].copy()
    arrays[name].flat[[3, 7]] = bad
    write_model_file(path, document, arrays)
    with pytest.raises(ModelFileError, match=f"{path}: array {name} holds 2 NaN or infinite"):
        read_model_file(path)
    with pytest.raises(ModelFileError, match=name):
        Sequential.load(path)


def test_predict_refuses_nan_input(model):
    images = np.zeros((4, 28, 28), np.float32)
    images[2, 5, 5] = np.nan
    with pytest.raises(DataError, match=r"x holds NaN or infinite values \(first in example 2\)"):
        model.predict(images)
    with pytest.raises(DataError, match="x holds NaN"):
        model.predict_proba(images)


@pytest.mark.parametrize(
    "images",
    [
        np.zeros((2, 784), np.complex128),
        np.zeros((2, 784), object),
        np.full((2, 784), "1"),
    ],
    ids=["complex", "object", "string"],
)
def test_arrays_that_are_not_real_numbers_are_refused(model, images):
    with pytest.raises(DataError, match=f"x must hold real numbers.*{images.dtype}"):
        model.predict(images)


@pytest.mark.parametrize("batch_size", [0, -5, 2.5])
def test_a_batch_size_below_one_is_refused(model, batch_size):
    images = np.zeros((512, 28, 28), np.uint8)
    with pytest.raises(ConfigError, match="batch_size must be a positive whole number"):
        model.predict(images, batch_size=batch_size)
    with pytest.raises(ConfigError, match="batch_size must be a positive whole number"):
        model.evaluate(images, np.zeros(512, np.uint8), batch_size=batch_size)


def test_json_output_has_no_bare_nan(capsys):
    print_json({"loss": math.nan, "rows": [1.0, math.inf, {"f1": -math.inf}], "n": 3})
    line = capsys.readouterr().out
    assert "NaN" not in line and "Infinity" not in line
    assert json.loads(line) == {"loss": None, "rows": [1.0, None, {"f1": None}], "n": 3}

"""One output policy for every command (issue 25, defect 12): an output's name fits its kind,
and an existing model file is replaced only when the user asks."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch.errors import ConfigError
from nnscratch.fileio import check_outputs, is_model_file
from nnscratch.modelfile import write_model_file


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "trained.npz"
    write_model_file(path, {"preset": "mlp"}, {"layers.0.W": np.zeros((2, 2), np.float32)})
    return path


@pytest.mark.parametrize(
    ("name", "example", "kind"),
    [
        ("classic.npz", "digit-test-0.png", "a chart, written as PNG,"),
        ("cnn.npz", "lr-find.png", "a chart, written as PNG,"),
        ("m.png", "model.npz", "a model file"),
        ("m.npz", "report.html", "an HTML report"),
        ("m.npz", "submission.csv", "a CSV file"),
        ("m.bin", "model.onnx", "an ONNX file"),
    ],
)
def test_an_output_named_for_another_kind_is_refused(tmp_path, name, example, kind):
    with pytest.raises(ConfigError, match=f"{name}: {kind} has a name ending in"):
        check_outputs([("--output", tmp_path / name, example)])


@pytest.mark.parametrize("name", ["r.html", "r.HTM", "c.PNG", "m.Npz", "s.csv", "x.onnx"])
def test_names_of_their_kind_pass_in_any_case(tmp_path, name):
    example = {".htm": "report.html"}.get(name[-4:].lower(), "x" + name[name.index(".") :].lower())
    check_outputs([("--output", tmp_path / name, example)])


def test_an_existing_model_is_replaced_only_when_asked(model_file):
    assert is_model_file(model_file)
    with pytest.raises(ConfigError, match="existing model file.*pass --overwrite to replace it"):
        check_outputs([("--output", model_file, "model.npz")])
    check_outputs([("--output", model_file, "model.npz")], replace_models=True)


def test_a_model_under_another_name_is_not_replaced_by_a_chart(model_file, tmp_path):
    disguised = tmp_path / "chart.png"
    disguised.write_bytes(model_file.read_bytes())
    with pytest.raises(ConfigError, match="existing model file, which nnscratch replaces only"):
        check_outputs([("--output", disguised, "lr-find.png")])


def test_other_existing_files_of_the_kind_are_replaced(tmp_path):
    chart = tmp_path / "lr-find.png"
    chart.write_bytes(b"\x89PNG old")
    check_outputs([("--output", chart, "lr-find.png")])
    not_ours = tmp_path / "m.npz"
    np.savez(not_ours, a=np.zeros(2))  # a zip, but no model document: not a model file
    assert not is_model_file(not_ours)

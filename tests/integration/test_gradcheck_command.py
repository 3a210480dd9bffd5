"""``nnscratch gradcheck``: every layer of every preset passes; a layer with a deliberately
broken backward fails, in the use case and in the command (exit status 1, the layer named)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nnscratch import Sequential
from nnscratch.cli import main
from nnscratch.engine.layers import LSTM, BatchNorm, Dense, Flatten, ReLU
from nnscratch.engine.layers.lstm import LSTM as LSTMClass
from nnscratch.errors import ConfigError
from nnscratch.model import PRESETS
from nnscratch.usecases.gradcheck import TOLERANCE, check_network, gradient_check


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_layer_of_every_preset_passes(preset):
    report = gradient_check(preset)
    assert report.passed, [(r.index, r.array, r.error) for r in report.failures]
    arrays = {(row.layer, row.array) for row in report.rows}
    assert ("Dense", "W") in arrays and ("SoftmaxCrossEntropy", "outputs") in arrays
    assert max(row.error for row in report.rows) < TOLERANCE / 10  # with room to spare


class HalfDense(Dense):
    """A Dense layer whose backward forgets a factor of 2 in dW: a typical slip."""

    def backward(self, grad_y, input_grad=True):
        dx = super().backward(grad_y, input_grad)
        self.grads["W"] *= 0.5
        return dx


def test_a_broken_backward_fails_and_the_table_names_it():
    model = Sequential(
        [Flatten(), Dense(784, 16), BatchNorm(16), ReLU(), HalfDense(16, 10)], input_scale=1 / 255
    )
    report = check_network(model, (28, 28))
    assert not report.passed
    assert [(row.index, row.array) for row in report.failures] == [(4, "W")]
    assert report.failures[0].error == pytest.approx(1 / 3, rel=1e-3)  # ||g/2 - g|| / 1.5||g||


def test_the_command_prints_a_table_and_passes(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "nnscratch", "gradcheck", "lstm"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "gradient check of lstm (float64, central differences; pass below 1e-06)" in run.stdout
    for array in ("W_ih", "W_hh", "b_ih", "b_hh", "outputs"):
        assert array in run.stdout
    assert "FAIL" not in run.stdout and run.stdout.count(" ok ") == 11


def test_the_command_fails_on_a_deliberately_broken_backward(monkeypatch, capsys):
    real_backward = LSTMClass.backward

    def broken(self, grad_y, input_grad=True):
        dx = real_backward(self, grad_y, input_grad)
        self.grads["W_hh"][:] = 0  # forgets the recurrent weights' gradient
        return dx

    monkeypatch.setattr(LSTMClass, "backward", broken)
    status = main(["gradcheck", "lstm", "--json"])
    captured = capsys.readouterr()
    assert status == 1
    report = json.loads(captured.out)
    assert [(row["index"], row["array"]) for row in report["rows"] if not row["passed"]] == [
        (1, "W_hh")
    ]
    assert captured.err.strip() == (
        "nnscratch: gradcheck failed: 1 of 11 gradients are off by "
        "more than 1e-06 (worst: layer 1, W_hh, 1.00e+00)"
    )


def test_model_files_and_mistakes(tmp_path, capsys):
    model = Sequential([LSTM(28, 6), Dense(6, 10)], input_scale=1 / 255)
    model.save(tmp_path / "m.npz", preprocessing={"image_shape": [28, 28]})
    assert gradient_check(tmp_path / "m.npz").passed
    with pytest.raises(ConfigError, match="'nope' is neither a preset"):
        gradient_check("nope")
    assert main(["gradcheck", "nope"]) == 2
    assert capsys.readouterr().err.startswith(
        "nnscratch: error: MODEL_OR_PRESET 'nope' is neither a preset (classic, cnn"
    )


def test_the_check_leaves_the_model_as_it_was():
    model = Sequential(
        [Flatten(), Dense(784, 8), BatchNorm(8), ReLU(), Dense(8, 10)], input_scale=1 / 255, seed=2
    )
    before = {k: v.copy() for k, v in model.get_weights().items()}
    check_network(model, (28, 28))
    for name, value in model.get_weights().items():
        np.testing.assert_array_equal(value, before[name])  # running averages included

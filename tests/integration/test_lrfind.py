"""``nnscratch lr-find``: the learning-rate range test sweeps geometrically, records each
batch's loss, stops when the loss takes off, suggests a tenth of the best rate, and draws it."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mini_mnist import write_mnist_folder
from nnscratch.datasets import load_mnist
from nnscratch.errors import ConfigError
from nnscratch.model import PRESETS
from nnscratch.usecases.lrfind import find_learning_rate


@pytest.fixture(scope="module")
def digits():
    x, y = load_mnist("train")
    return x[:3000], y[:3000]


def test_the_sweep_is_geometric_and_the_suggestion_a_tenth_of_the_best(digits):
    recipe = PRESETS["mlp"].with_overrides(hidden=(32,))
    sweep = find_learning_rate(recipe, *digits, start=1e-5, stop=10.0, steps=60)
    ratios = np.diff(np.log(sweep.lrs))
    np.testing.assert_allclose(ratios, math.log(10 / 1e-5) / 59, rtol=1e-9)
    assert sweep.lrs[0] == pytest.approx(1e-5)
    assert len(sweep.losses) == len(sweep.smoothed) == len(sweep.lrs) == 60
    best = sweep.lrs[int(np.argmin(sweep.smoothed))]
    assert sweep.minimum == best and sweep.suggestion == pytest.approx(best / 10)
    # Somewhere sensible for Adam on this network: the loss falls from 1e-4 on.
    assert 1e-3 < sweep.minimum < 1.0
    assert min(sweep.smoothed) < 0.75 * sweep.smoothed[0]


def test_the_sweep_stops_when_the_loss_takes_off(digits):
    # Plain SGD at rates up to 1,000 blows up: the sweep ends before its last batch, once the
    # smoothed loss passes four times its minimum, or the loss is no longer a number.
    recipe = PRESETS["mlp"].with_overrides(hidden=(16,), optimizer="sgd")
    sweep = find_learning_rate(recipe, *digits, start=1e-3, stop=1e3, steps=60)
    assert sweep.recipe.optimizer == "sgd" and sweep.as_json()["optimizer"] == "sgd"
    assert 5 < len(sweep.lrs) < 60
    assert all(math.isfinite(loss) for loss in sweep.losses)
    assert PRESETS["mlp"].optimizer == "adam"  # the preset itself is untouched


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            dict(start=1.0, stop=0.1),
            "--stop must be larger than --start, got --start 1 and --stop 0.1",
        ),
        (dict(start=0.0), "--start must be a positive number, got 0.0"),
        (dict(steps=1), "--steps must be a whole number >= 2, got 1"),
    ],
)
def test_mistakes_are_named_by_their_options(digits, options, message):
    with pytest.raises(ConfigError, match=message):
        find_learning_rate("mlp", *digits, **options)


def test_the_command_draws_the_chart_and_prints_the_suggestion(tmp_path):
    data = write_mnist_folder(tmp_path / "mini", 1500, 10)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnscratch",
            "lr-find",
            "--data",
            str(data),
            "--steps",
            "40",
            "--start",
            "1e-5",
            "--stop",
            "3",
            "--output",
            "sweep.png",
            "--json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["suggestion"] == pytest.approx(result["minimum"] / 10)
    assert f"suggested learning rate: {result['suggestion']:.2g}" in run.stderr
    assert "wrote sweep.png" in run.stderr
    with Image.open(tmp_path / "sweep.png") as chart:
        assert chart.format == "PNG" and chart.size[0] > 400
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnscratch",
            "lr-find",
            "--data",
            str(data),
            "--output",
            str(data / "train-images-idx3-ubyte"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "would overwrite a file of the data" in refused.stderr

"""What users of Keras, PyTorch and scikit-learn expect to see of a model: a repr that shows
its layers, summary() as a table (text, and HTML in a notebook), fit(verbose=...) progress."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnscratch
from nnscratch import Conv2D, Dense, Flatten, ReLU, Sequential
from nnscratch.errors import ConfigError
from nnscratch.model import build_model, get_preset


@pytest.mark.parametrize("preset", ["mlp", "cnn", "classic"])
def test_repr_shows_the_layers_as_the_call_that_makes_the_model(preset):
    model = build_model(get_preset(preset))
    text = repr(model)
    for layer in model.layers:
        assert f"\n    {layer!r},\n" in text
    namespace = {name: getattr(nnscratch, name) for name in nnscratch.__all__}
    rebuilt = eval(text, namespace)  # the repr is the constructor call
    assert {**rebuilt.config(), "seed": 0} == {**model.config(), "seed": 0}


def test_summary_is_a_table_of_layers_shapes_and_parameters():
    model = Sequential([Flatten(), Dense(12, 5), ReLU(), Dense(5, 3)], input_scale=0.5)
    table = model.summary()
    assert isinstance(table, str) and repr(table) == str(table)  # a REPL shows the table
    lines = str(table).splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == ["#", "layer", "output shape", "parameters"]
    assert len(lines) == 1 + len(model.layers) + 1
    expected = [(12,), (5,), (5,), (3,)]
    counts = [0, 12 * 5 + 5, 0, 5 * 3 + 3]
    for line, layer, shape, count in zip(lines[1:-1], model.layers, expected, counts, strict=True):
        assert repr(layer) in line and str(shape) in line
        assert line.rstrip().endswith(f"{count:,}")
    assert lines[-1] == f"total: {sum(counts):,} parameters"


def test_summary_renders_as_an_html_table_in_a_notebook():
    model = Sequential([Dense(4, 3), ReLU(), Dense(3, 2)])
    html = model.summary()._repr_html_()
    assert html.startswith("<table>") and html.endswith("</table>")
    assert html.count("<tr>") == 1 + len(model.layers) + 1  # header, layers, total
    assert "init=&#x27;he&#x27;" in html  # cells are escaped, not raw markup
    assert "total: 23 parameters" in html


def test_summary_says_shapes_are_unknown_when_the_input_is():
    model = Sequential([Conv2D(1, 2, 3), Flatten()])  # takes images of any size
    assert model.input_size is None
    rows = str(model.summary()).splitlines()[1:-1]
    assert all(re.search(r"\s\?\s", row) for row in rows), rows


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(120, 6)).astype(np.uint8), np.arange(120) % 3


def small_model():
    return Sequential([Dense(6, 4), ReLU(), Dense(4, 3)], input_scale=1 / 255, seed=1)


def test_fit_is_silent_by_default(digits, capsys):
    small_model().fit(*digits, epochs=2, batch_size=20)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_a_line_per_epoch_with_its_figures(digits, capsys):
    history = small_model().fit(*digits, epochs=3, batch_size=20, validation_split=20, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "\r" not in "".join(lines)
    for epoch, line in enumerate(lines):
        assert line.startswith(f"epoch {epoch + 1}/3: ")
        assert f"loss {history.train_loss[epoch]:.4f}" in line
        assert f"dev accuracy {history.dev_accuracy[epoch]:.4f}" in line


def test_verbose_1_draws_a_bar_through_each_epoch_then_its_line(digits, capsys):
    small_model().fit(*digits, epochs=2, batch_size=20, verbose=True)
    out = capsys.readouterr().out
    epochs = out.split("\n")[:-1]  # not splitlines: it splits at the bar's returns too
    assert len(epochs) == 2
    for number, text in enumerate(epochs, start=1):
        drawn = text.split("\r")[1:]  # every redraw starts with a carriage return
        assert drawn[0].startswith(f"epoch {number}/2 [") and " 1/6 loss " in drawn[0]
        assert "] 6/6 loss " in drawn[-2]  # the full bar, then the epoch's figures over it
        assert drawn[-1].startswith(f"epoch {number}/2: loss ")
        assert len(drawn[-1]) >= len(drawn[-2])  # spaces cover the longer bar line


@pytest.mark.parametrize("verbose", [3, -1, "yes", 1.0])
def test_a_wrong_verbose_is_refused_before_training(digits, verbose):
    with pytest.raises(ConfigError, match="verbose="):
        small_model().fit(*digits, epochs=1, verbose=verbose)

"""The maths with your numbers: one unit's sum written out with the image's own numbers adds up
to what the layer computed, the largest terms come first, the activation and the softmax are
the model's, the shapes are the tutorial's and ours, and layers have readers' names."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import explain
from nnscratch.datasets import load_mnist
from nnscratch.errors import ConfigError
from small_nets import classic, conv_net


@pytest.fixture(scope="module")
def digit():
    return load_mnist("test")[0][0]


def conv_model():
    return conv_net()


def forward_to(model, digit, index):
    x = model.prepare(digit[None])
    for layer in model.layers[: index + 1]:
        x = layer.forward(x)
    return x[0].astype(np.float64)


def test_a_hidden_units_sum_adds_up_to_its_z_and_its_relu(digit):
    model = classic()
    maths = explain.unit_maths(model, digit, 1, 3, top=6)
    z = forward_to(model, digit, 1)[3]
    assert maths.z == pytest.approx(z, rel=1e-5, abs=1e-5)
    assert sum(t.product for t in maths.terms) + maths.rest + maths.bias == pytest.approx(maths.z)
    assert maths.value == pytest.approx(max(z, 0.0), abs=1e-5)
    assert maths.activation == "ReLU" and maths.title == "Dense 784->10, ReLU"
    assert len(maths.terms) == 6 and maths.rest_count == 784 - 6
    sizes = [abs(t.product) for t in maths.terms]
    assert sizes == sorted(sizes, reverse=True)
    W, ink = model.layers[1].params["W"], digit / 255.0
    for term in maths.terms:
        row, col = term.where
        assert term.index == row * 28 + col
        assert term.weight == pytest.approx(W[term.index, 3])
        assert term.input == pytest.approx(ink[row, col])
    others = np.delete(np.abs(W[:, 3] * ink.ravel()), [t.index for t in maths.terms])
    assert others.max() <= min(sizes) + 1e-12  # no term left out is larger than one shown


def test_at_the_output_the_softmax_of_the_actual_logits(digit):
    model = classic()
    maths = explain.unit_maths(model, digit, 3, 7)
    np.testing.assert_allclose(maths.probabilities, model.predict_proba(digit[None])[0], rtol=1e-5)
    np.testing.assert_allclose(maths.logits, model.outputs(digit[None])[0], rtol=1e-6)
    assert maths.activation == "softmax" and maths.value == pytest.approx(maths.probabilities[7])
    assert maths.z == pytest.approx(maths.logits[7], rel=1e-5, abs=1e-5)
    assert maths.title == "Dense 10->10, softmax" and maths.number == 2
    assert [t.where for t in maths.terms] == [(t.index,) for t in maths.terms]


def test_the_shapes_are_the_tutorials_with_examples_as_columns_and_ours_as_rows(digit):
    first = explain.unit_maths(classic(), digit, 1, 0)
    assert first.tutorial[0].equation == "Z1 = W1·X + b1"
    assert first.tutorial[0].shapes == {
        "W1": (10, 784),
        "X": (784, "m"),
        "b1": (10, 1),
        "Z1": (10, "m"),
    }
    assert first.ours[0].shapes == {"x": ("m", 784), "W1": (784, 10), "b1": (10,), "z1": ("m", 10)}
    assert first.tutorial[1].equation == "A1 = ReLU(Z1)"
    second = explain.unit_maths(classic(), digit, 3, 0)
    assert second.tutorial[0].shapes["A1"] == (10, "m")
    assert second.tutorial[1].equation == "A2 = softmax(Z2)"


def test_a_feature_maps_sum_at_a_position_is_its_kernel_over_its_receptive_field(digit):
    model = conv_model()
    maths = explain.unit_maths(model, digit, 4, 2, position=(3, 5), top=64)
    z = forward_to(model, digit, 4)[2, 3, 5]
    assert maths.z == pytest.approx(z, rel=1e-5, abs=1e-5)
    assert maths.receptive_field == (2, 4, 4, 6)  # 3x3 window, padding 1: rows 2-4, cols 4-6
    assert maths.rest_count == 0 and len(maths.terms) == 3 * 3 * 3  # every kernel term
    assert maths.title == "Conv 3x3, 3->4 maps (stride 1, padding 1), ReLU"
    assert maths.tutorial[0].shapes["A1"] == (3, 12, 12, "m")
    assert maths.ours[0].shapes["z2"] == ("m", 4, 12, 12)
    chosen = explain.unit_maths(model, digit, 1, 0)  # no position: where z is largest
    assert chosen.z == pytest.approx(forward_to(model, digit, 1)[0].max(), rel=1e-5)
    assert chosen.value == pytest.approx(max(chosen.z, 0), abs=1e-5)


def test_layers_are_named_by_kind_and_size():
    model = conv_model()
    titles = [explain.layer_title(model, i) for i in explain.weighted_layers(model)]
    assert titles == [
        "Conv 5x5, 1->3 maps, ReLU",
        "Conv 3x3, 3->4 maps (stride 1, padding 1), ReLU",
        "Dense 144->12, ReLU",
        "Dense 12->10, softmax",
    ]
    assert explain.layer_title(model, 3) == "MaxPool 2x2"


@pytest.mark.parametrize(
    "layer, unit, options, words",
    [
        (9, 0, {}, "layer 9 does not exist"),
        (
            2,
            0,
            {},
            "layer 2 (ReLU) is not a Dense or Conv2D layer, whose units this view "
            "writes out; these are: 1, 3",
        ),
        (1, 0, {"position": (0, 0)}, "a position is for a feature map; Dense 784->10, ReLU"),
        (1, 10, {}, "unit 10 does not exist (Dense 784->10, ReLU has 10)"),
        (1, 0, {"top": 0}, "top must be 1-64"),
    ],
)
def test_a_unit_that_does_not_exist_is_refused_by_name(digit, layer, unit, options, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        explain.unit_maths(classic(), digit, layer, unit, **options)


def test_a_position_off_the_feature_map_is_refused(digit):
    with pytest.raises(ConfigError, match=r"position \(24, 0\) is outside the 24x24"):
        explain.unit_maths(conv_model(), digit, 1, 0, position=(24, 0))

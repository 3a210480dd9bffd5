"""The network at a glance: each layer with weights named in a reader's terms, its values the
model's own, the units shown the most active of a wide layer, and the edges the strongest
contributions w * a into them, from pixels, units drawn or feature maps."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import explain
from nnscratch.datasets import load_mnist
from nnscratch.engine.layers import Dense, Flatten, ReLU
from nnscratch.errors import ConfigError
from nnscratch.model import Sequential
from small_nets import conv_net


@pytest.fixture(scope="module")
def digit():
    return load_mnist("test")[0][0]


def dense_model():
    return Sequential(
        [Flatten(), Dense(784, 40), ReLU(), Dense(40, 6), ReLU(), Dense(6, 10)],
        input_scale=1 / 255,
        seed=3,
    )


def conv_model():
    return conv_net(two_convs=False, hidden=8)


def inputs_of(model, digit, index):
    x = model.prepare(digit[None])
    for layer in model.layers[:index]:
        x = layer.forward(x)
    return x[0].astype(np.float64).reshape(-1)


def test_a_dense_network_names_its_layers_and_shows_its_most_active_units(digit):
    model = dense_model()
    layers = explain.glance(model, digit, shown=12, per_unit=3)
    assert [layer.title for layer in layers] == [
        "Dense 784->40, ReLU",
        "Dense 40->6, ReLU",
        "Dense 6->10, softmax",
    ]
    assert [layer.number for layer in layers] == [1, 2, 3]
    first, second, output = layers
    assert first.units == 40 and len(first.shown) == 12 and first.shown == sorted(first.shown)
    hidden = np.maximum(inputs_of(model, digit, 3), 0)
    np.testing.assert_allclose(first.values, hidden, rtol=1e-6)
    assert min(first.values[first.shown]) >= max(np.delete(first.values, first.shown))
    assert second.shown == list(range(6)) and output.shown == list(range(10))
    np.testing.assert_allclose(output.values.sum(), 1.0, rtol=1e-6)
    assert output.values.argmax() == model.predict(digit[None])[0]


def test_edges_are_the_strongest_contributions_into_each_unit_shown(digit):
    model = dense_model()
    first, second, _ = explain.glance(model, digit, shown=12, per_unit=3)
    pixels = inputs_of(model, digit, 1)
    assert first.source == "pixel"
    for unit in first.shown:
        into = [e for e in first.edges if e.target == unit]
        terms = pixels * model.layers[1].params["W"][:, unit]
        strongest = np.sort(np.abs(terms))[::-1][:3]
        np.testing.assert_allclose(sorted(abs(e.value) for e in into)[::-1], strongest, rtol=1e-6)
        for edge in into:
            assert edge.value == pytest.approx(terms[edge.source], rel=1e-6)
    # between hidden layers, edges only come from the units drawn
    assert second.source == "unit" and second.edges
    assert all(edge.source in first.shown for edge in second.edges)


def test_a_convolutional_network_shows_its_maps_and_edges_from_whole_maps(digit):
    model = conv_model()
    conv, dense, output = explain.glance(model, digit)
    assert conv.title == "Conv 5x5, 1->3 maps, ReLU" and conv.kind == "conv"
    assert conv.values.shape == (3, 24, 24) and conv.edges == []
    assert dense.source == "map" and {e.source for e in dense.edges} <= {0, 1, 2}
    flat = inputs_of(model, digit, 5)
    unit = dense.edges[0].target
    shares = (flat * model.layers[5].params["W"][:, unit]).reshape(3, -1).sum(axis=1)
    assert dense.edges[0].value == pytest.approx(shares[dense.edges[0].source], rel=1e-6)
    assert output.title == "Dense 8->10, softmax"


def test_the_chosen_unit_stays_shown_whatever_its_value(digit):
    model = dense_model()
    first = explain.glance(model, digit, shown=12)[0]
    quiet = int(np.argmin(first.values))
    assert quiet not in first.shown
    kept = explain.glance(model, digit, shown=12, keep=(first.index, quiet))[0]
    assert quiet in kept.shown and len(kept.shown) == 12 and kept.shown == sorted(kept.shown)


def test_asking_for_no_units_or_a_unit_that_is_not_there_is_an_error(digit):
    with pytest.raises(ConfigError, match="at least 1"):
        explain.glance(dense_model(), digit, shown=0)
    with pytest.raises(ConfigError, match="unit 40 does not exist"):
        explain.glance(dense_model(), digit, keep=(1, 40))
    with pytest.raises(ConfigError, match="layer 2 has no units"):
        explain.glance(dense_model(), digit, keep=(2, 0))

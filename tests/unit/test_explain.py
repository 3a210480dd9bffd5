"""explain: the views of one input are the model's own computation (checked against finite
differences and plain forward passes), and replicas let threads share a model's parameters."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import explain
from nnscratch.datasets import load_mnist
from nnscratch.engine.layers import Conv2D, Dense, Flatten, ReLU, Tanh
from nnscratch.engine.losses import log_softmax
from nnscratch.errors import ConfigError
from nnscratch.model import Sequential
from small_nets import conv_net


def dense_model(dtype="float32"):
    return Sequential(
        [Flatten(), Dense(784, 24), ReLU(), Dense(24, 16), Tanh(), Dense(16, 10)],
        input_scale=1 / 255,
        seed=1,
        dtype=dtype,
    )


def conv_model(dtype="float32"):
    return conv_net(dtype=dtype)


@pytest.fixture(scope="module")
def digit():
    return load_mnist("test")[0][0]


@pytest.mark.parametrize("make", [dense_model, conv_model])
def test_saliency_is_the_gradient_of_the_log_probability_per_unit_of_ink(make, digit):
    model = make("float64")
    # Faint noise on the paper: where every pixel is 0, a ReLU sits exactly on its kink and a
    # max-pooling window holds ties, and finite differences average two one-sided slopes.
    image = digit + np.random.default_rng(1).uniform(0, 20, digit.shape)
    gradient, target, probabilities = explain.saliency(model, image, target=3)
    assert target == 3
    np.testing.assert_allclose(probabilities, model.predict_proba(image[None])[0], rtol=1e-12)

    def log_p(ink):
        return log_softmax(model.outputs(ink[None] * 255.0))[0, 3]

    rng = np.random.default_rng(0)
    ink, h = image / 255.0, 1e-5
    for r, c in list(zip(*np.nonzero(image), strict=True))[:6] + [tuple(rng.integers(0, 28, 2))]:
        up, down = ink.copy(), ink.copy()
        up[r, c] += h
        down[r, c] -= h
        numeric = (log_p(up) - log_p(down)) / (2 * h)
        assert gradient[r, c] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_saliency_defaults_to_the_predicted_class_and_refuses_one_that_does_not_exist(digit):
    model = dense_model()
    _, target, probabilities = explain.saliency(model, digit)
    assert target == probabilities.argmax()
    with pytest.raises(ConfigError, match="class 10 does not exist"):
        explain.saliency(model, digit, target=10)


@pytest.mark.parametrize("make", [dense_model, conv_model])
def test_inside_shows_each_hidden_layer_after_its_activation_and_the_evidence_adds_up(make, digit):
    model = make()
    inside = explain.look_inside(model, digit)
    x = model.prepare(digit[None])
    outputs = []
    for layer in model.layers:
        x = layer.forward(x)
        outputs.append(x[0])
    hidden = [i for i, layer in enumerate(model.layers[:-1]) if isinstance(layer, (Dense, Conv2D))]
    assert [layer.index for layer in inside.layers] == hidden
    for layer in inside.layers:
        np.testing.assert_allclose(layer.values, outputs[layer.index + 1], rtol=1e-6)
    np.testing.assert_allclose(inside.logits, outputs[-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        inside.evidence_for + inside.evidence_against + inside.bias,
        inside.logits,
        rtol=1e-5,
        atol=1e-5,
    )
    assert (inside.evidence_for >= 0).all() and (inside.evidence_against <= 0).all()
    assert inside.probabilities.sum() == pytest.approx(1.0, abs=1e-6)


def test_a_dense_unit_shows_its_weights_as_an_image_and_weights_times_input_sum_to_its_z(digit):
    model = dense_model()
    view = explain.unit_view(model, digit, 1, 5)
    assert view.weights.shape == view.inputs.shape == view.products.shape == (28, 28)
    np.testing.assert_array_equal(view.weights, model.layers[1].params["W"][:, 5].reshape(28, 28))
    z = (
        model.prepare(digit[None]).reshape(1, -1) @ model.layers[1].params["W"]
        + model.layers[1].params["b"]
    )
    assert float(view.preactivation) == pytest.approx(z[0, 5], rel=1e-5)
    deeper = explain.unit_view(model, digit, 3, 2)
    assert deeper.weights.shape == (24,)


def test_a_feature_map_shows_its_kernels_and_each_input_maps_share(digit):
    model = conv_model()
    view = explain.unit_view(model, digit, 4, 1)  # the second convolution, padded
    assert view.weights.shape == (3, 3, 3) and view.products.shape == (3, 12, 12)
    x = model.prepare(digit[None])
    for layer in model.layers[:4]:
        x = layer.forward(x)
    z = model.layers[4].forward(x)[0, 1]  # before its ReLU
    np.testing.assert_allclose(view.preactivation, z, rtol=1e-4, atol=1e-5)
    behind = explain.unit_view(model, digit, 8, 0)  # the Dense behind the convolutions
    assert behind.weights.shape == (4, 6, 6)


def test_unit_view_refuses_layers_and_units_that_do_not_exist(digit):
    model = dense_model()
    with pytest.raises(ConfigError, match="layer 2 is a ReLU"):
        explain.unit_view(model, digit, 2, 0)
    with pytest.raises(ConfigError, match="unit 24 does not exist"):
        explain.unit_view(model, digit, 1, 24)
    with pytest.raises(ConfigError, match="layer 9 does not exist"):
        explain.unit_view(model, digit, 9, 0)


def test_occlusion_is_the_fall_of_the_probability_when_a_square_is_blanked(digit):
    model = conv_model()
    drop, target = explain.occlusion(model, digit, patch=5)
    base = model.predict_proba(digit[None])[0, target]
    r, c = np.argwhere(digit > 0)[0]
    blanked = digit.copy()
    blanked[max(r - 2, 0) : r + 3, max(c - 2, 0) : c + 3] = 0
    assert drop[r, c] == pytest.approx(
        base - model.predict_proba(blanked[None])[0, target], abs=1e-6
    )
    # Far from any ink a blank square changes nothing.
    far = np.pad(digit > 0, 2)
    quiet = ~np.lib.stride_tricks.sliding_window_view(far, (5, 5)).any(axis=(2, 3))
    assert (drop[quiet] == 0).all() and quiet.any()


def test_every_probe_at_its_neutral_value_leaves_the_answer_unchanged(digit):
    model = dense_model()
    base = model.predict_proba(digit[None])[0]
    for kind in explain.PROBES:
        values, images = explain.probe_images(digit, kind)
        probabilities = explain.probe(model, images)
        assert probabilities.shape == (len(values), 10)
        neutral = values.index(0)
        np.testing.assert_allclose(probabilities[neutral], base, rtol=1e-4, atol=1e-6)
    with pytest.raises(ConfigError, match="unknown probe 'zoom'"):
        explain.probe_values("zoom")


def test_a_replica_shares_the_parameters_but_not_the_caches(digit):
    model = conv_model()
    twin = model.replica()
    for mine, theirs in zip(twin.layers, model.layers, strict=True):
        assert mine is not theirs
        for key in theirs.params:
            assert mine.params[key] is theirs.params[key]  # shared, not copied
            assert mine.grads[key] is not theirs.grads[key]
    other = load_mnist("test")[0][1]
    # forward keeps what backward needs (a prediction keeps nothing): the twin has its own
    model.forward(model.prepare(digit[None]))
    cached = model.layers[2]._a.copy()
    twin.forward(twin.prepare(other[None]))
    np.testing.assert_array_equal(model.layers[2]._a, cached)  # the twin's run left it alone
    np.testing.assert_array_equal(twin.predict_proba(digit[None]), model.predict_proba(digit[None]))
    assert explain.network_kind(twin) == "conv" and explain.network_kind(dense_model()) == "dense"

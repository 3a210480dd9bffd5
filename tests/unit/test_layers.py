"""Layers: the activations' derivatives by hand, dropout statistics, Dense by hand and its
errors, whole networks' gradients, initializers' distributions. What every layer must do
(gradients, configs, dtypes, files, ONNX) is checked by tests/test_layer_harness.py.

Tolerances of the statistical tests come from the sample size: a mean of n draws with standard
deviation s is within 6 s / sqrt(n) of its expectation except with probability ~2e-9, and every
generator is seeded, so none of these tests is flaky.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnscratch.engine.gradcheck import check_layer, numerical_gradient, relative_error
from nnscratch.engine.initializers import INITIALIZERS, get_initializer
from nnscratch.engine.layers import (
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Tanh,
    get_activation,
)
from nnscratch.errors import ConfigError
from nnscratch.model.sequential import Sequential

TOL = 1e-6  # float64 central differences give ~1e-9 on these sizes; a wrong rule gives > 1e-2


def away_from_zero(rng, shape, low=0.1, high=2.0):
    """Random float64 values with |v| in [low, high]: no ReLU kink within eps of any of them."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def dense64(in_features, out_features, init="he", bias_init="zeros", seed=0):
    layer = Dense(in_features, out_features, init=init, bias_init=bias_init)
    layer.initialize(np.random.default_rng(seed), np.float64)
    return layer


# --- gradient checks ----------------------------------------------------------------------------


def test_activation_derivatives_by_hand():
    # the derivative rules themselves, at points where they are known in closed form
    x = np.array([[-2.0, -0.5, 0.5, 3.0]])
    ones = np.ones_like(x)
    relu = ReLU()
    relu.forward(x)
    assert relu.backward(ones.copy()).tolist() == [[0.0, 0.0, 1.0, 1.0]]
    leaky = LeakyReLU(alpha=0.25)
    assert leaky.forward(x).tolist() == [[-0.5, -0.125, 0.5, 3.0]]
    assert leaky.backward(ones.copy()).tolist() == [[0.25, 0.25, 1.0, 1.0]]
    sig = Sigmoid()
    a = sig.forward(x)
    expected = [1 / (1 + math.exp(-v)) for v in x[0]]
    np.testing.assert_allclose(a[0], expected, rtol=1e-14)
    np.testing.assert_allclose(
        sig.backward(ones.copy())[0], [s * (1 - s) for s in expected], rtol=1e-13
    )
    tanh = Tanh()
    tanh.forward(x)
    np.testing.assert_allclose(
        tanh.backward(ones.copy())[0], [1 - math.tanh(v) ** 2 for v in x[0]], rtol=1e-13
    )


def test_sigmoid_does_not_overflow():
    a = Sigmoid().forward(np.array([[-1000.0, 1000.0]]))
    assert a.tolist() == [[0.0, 1.0]]


def test_dropout_backward_rule():
    # dx = dy * mask / (1 - rate), with the mask read off the forward output
    rate = 0.25
    layer = Dropout(rate)
    x = away_from_zero(np.random.default_rng(6), (50, 40))
    out = layer.forward(x, training=True, rng=np.random.default_rng(5))
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-15)
    dy = np.random.default_rng(7).standard_normal(x.shape)
    dx = layer.backward(dy.copy())
    np.testing.assert_allclose(dx, np.where(kept, dy / (1 - rate), 0.0), rtol=1e-15)


def _model_gradients(model, x, y):
    """(analytic, numeric) gradients of the model's mean loss for every parameter."""
    out = model.forward(x, training=True)
    model.loss.forward(out, y)
    model.backward(model.loss.backward())
    params, grads, _ = model.trainable()
    analytic = [g.copy() for g in grads]

    def loss():
        return model.loss.forward(model.forward(x), y)

    numeric = [numerical_gradient(loss, p) for p in params]
    return analytic, numeric


@pytest.mark.parametrize("activation", [Tanh, Sigmoid, ReLU, LeakyReLU])
def test_whole_sequential_gradients(activation):
    layers = [
        Flatten(),
        Dense(6, 5, bias_init="tutorial"),
        activation(),
        Dense(5, 4, init="glorot", bias_init="tutorial"),
        activation(),
        Dense(4, 3),
    ]
    model = Sequential(layers, dtype="float64", seed=8)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 2, 3))
    y = np.array([0, 2, 1, 2, 0])
    analytic, numeric = _model_gradients(model, x, y)
    assert len(analytic) == 6  # W and b of three Dense layers
    for a, n in zip(analytic, numeric, strict=True):
        assert np.any(a != 0)
        assert relative_error(a, n) < TOL


class DoubledWeightGradient(Dense):
    """A deliberately wrong Dense: its dW is twice the truth."""

    def backward(self, grad_y, input_grad=True):
        grad_x = super().backward(grad_y, input_grad)
        self.grads["W"] *= 2
        return grad_x


def test_gradient_check_catches_a_wrong_layer():
    rng = np.random.default_rng(10)
    layer = DoubledWeightGradient(4, 3)
    layer.initialize(np.random.default_rng(0), np.float64)
    errors = check_layer(layer, rng.standard_normal((5, 4)), rng)
    # |2g - g| / (|2g| + |g|) = 1/3 on every entry
    assert errors["W"] == pytest.approx(1 / 3, rel=1e-4)
    assert errors["x"] < TOL and errors["b"] < TOL  # the check points at the wrong gradient


# --- dropout ------------------------------------------------------------------------------------


def test_dropout_is_the_identity_at_inference():
    layer = Dropout(0.5)
    layer.initialize(np.random.default_rng(0), np.float32)
    x = np.random.default_rng(1).standard_normal((8, 10)).astype(np.float32)
    assert np.array_equal(layer.forward(x), x)
    assert np.array_equal(layer.forward(x, training=False), x)
    grad = np.ones_like(x)
    assert np.array_equal(layer.backward(grad.copy()), grad)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_keeps_the_expected_share_and_the_mean(rate):
    n = 200_000
    keep = 1 - rate
    layer = Dropout(rate)
    out = layer.forward(
        np.ones((400, 500), dtype=np.float32), training=True, rng=np.random.default_rng(12)
    )
    kept_share = np.count_nonzero(out) / n
    # binomial: the share kept has standard deviation sqrt(keep (1 - keep) / n)
    share_std = math.sqrt(keep * (1 - keep) / n)
    assert abs(kept_share - keep) < 6 * share_std
    # survivors are scaled by 1/keep, so the mean is 1 up to the same binomial noise / keep
    values = np.unique(out)
    assert len(values) == 2 and values[0] == 0.0
    assert values[1] == pytest.approx(1 / keep, rel=1e-6)
    assert abs(out.mean(dtype=np.float64) - 1.0) < 6 * share_std / keep


def test_dropout_same_seed_same_mask_and_new_mask_each_call():
    x = np.ones((30, 30))
    masks = []
    for _ in range(2):
        layer, rng = Dropout(0.5), np.random.default_rng(42)
        masks.append(
            (layer.forward(x, training=True, rng=rng), layer.forward(x, training=True, rng=rng))
        )
    assert np.array_equal(masks[0][0], masks[1][0])
    assert np.array_equal(masks[0][1], masks[1][1])
    assert not np.array_equal(masks[0][0], masks[0][1])  # a new mask on every batch


def test_dropout_without_a_generator_and_bad_rates():
    with pytest.raises(ConfigError, match="random generator"):
        Dropout(0.5).forward(np.ones((2, 2)), training=True)
    for rate in (-0.1, 1.0, 1.5):
        with pytest.raises(ConfigError, match="rate"):
            Dropout(rate)


# --- Dense: shapes, errors, dtypes --------------------------------------------------------------


def test_dense_forward_by_hand():
    layer = dense64(2, 3)
    layer.params["W"][...] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    layer.params["b"][...] = [0.5, -0.5, 1.0]
    z = layer.forward(np.array([[1.0, 1.0], [2.0, 0.0]]))
    assert z.tolist() == [[5.5, 6.5, 10.0], [2.5, 3.5, 7.0]]
    layer.backward(np.array([[1.0, 0.0, 2.0], [3.0, 1.0, 0.0]]))
    # dW = x^T dz, db = column sums of dz
    assert layer.grads["W"].tolist() == [[7.0, 2.0, 2.0], [1.0, 0.0, 2.0]]
    assert layer.grads["b"].tolist() == [4.0, 1.0, 2.0]


@pytest.mark.parametrize("shape", [(4, 6), (4,), (4, 5, 1), (4, 1, 5)])
def test_dense_wrong_input_shape_names_the_expected_one(shape):
    layer = dense64(5, 3)
    with pytest.raises(ConfigError) as excinfo:
        layer.forward(np.zeros(shape))
    assert "(N, 5)" in str(excinfo.value)
    assert str(shape) in str(excinfo.value)


@pytest.mark.parametrize("sizes", [(0, 3), (3, 0), (-1, 2)])
def test_dense_rejects_non_positive_sizes(sizes):
    with pytest.raises(ConfigError, match="positive"):
        Dense(*sizes)


def test_unknown_initializer_and_activation():
    with pytest.raises(ConfigError, match="unknown initializer 'nope'"):
        Dense(2, 2, init="nope")
    with pytest.raises(ConfigError, match="unknown activation 'nope'"):
        get_activation("nope")


# --- initializers -------------------------------------------------------------------------------

FAN_IN, FAN_OUT = 300, 400  # 120,000 draws per test


def draw(name):
    return get_initializer(name)(
        (FAN_IN, FAN_OUT), FAN_IN, FAN_OUT, np.random.default_rng(3), np.float64
    )


def test_he_normal_std():
    w = draw("he")
    n, sigma = w.size, math.sqrt(2 / FAN_IN)
    assert abs(w.mean()) < 6 * sigma / math.sqrt(n)
    # the sample std of a normal has standard deviation sigma / sqrt(2 n)
    assert abs(w.std() - sigma) < 6 * sigma / math.sqrt(2 * n)


def test_glorot_normal_std():
    w = draw("glorot_normal")
    sigma = math.sqrt(2 / (FAN_IN + FAN_OUT))
    assert abs(w.std() - sigma) < 6 * sigma / math.sqrt(2 * w.size)


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("glorot", math.sqrt(6 / (FAN_IN + FAN_OUT))),
        ("he_uniform", math.sqrt(6 / FAN_IN)),
        ("tutorial", 0.5),
    ],
)
def test_uniform_initializers_bounds_and_moments(name, limit):
    w = draw(name)
    n = w.size
    assert np.all(w >= -limit) and np.all(w < limit)
    # the extremes come close to the bounds: P(all |w| < limit (1 - 1e-3)) = (1 - 1e-3)^n ~ e^-120
    assert w.max() > limit * (1 - 1e-3) and w.min() < -limit * (1 - 1e-3)
    std = limit / math.sqrt(3)  # U(-l, l)
    assert abs(w.mean()) < 6 * std / math.sqrt(n)
    # var of U(-l, l) is l^2/3; the sample variance's std is sqrt((mu4 - s^4) / n),
    # with mu4 = l^4 / 5 for the uniform law
    var_std = math.sqrt((limit**4 / 5 - std**4) / n)
    assert abs(w.var() - std**2) < 6 * var_std


def test_initializers_respect_dtype_and_seed():
    for name, init in INITIALIZERS.items():
        a = init((3, 4), 3, 4, np.random.default_rng(9), np.float32)
        b = init((3, 4), 3, 4, np.random.default_rng(9), np.float32)
        assert a.dtype == np.float32 and a.shape == (3, 4), name
        assert np.array_equal(a, b), name
    assert not np.any(get_initializer("zeros")((2, 2), 2, 2, None, np.float64))

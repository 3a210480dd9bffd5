"""BatchNorm and LayerNorm: gradients against finite differences (float64) in training and in
evaluation, values against the definitions written out, the running averages (PyTorch's
momentum convention), and their round trip through model files, checkpoints and a resume."""

from __future__ import annotations

import math
from copy import deepcopy

import numpy as np
import pytest

from nnscratch import Adam, Sequential
from nnscratch.datasets import load_mnist
from nnscratch.engine.gradcheck import check_layer
from nnscratch.engine.layers import (
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    LayerNorm,
    MaxPool2D,
    ReLU,
    Reshape,
)
from nnscratch.errors import ConfigError
from nnscratch.training.checkpoint import Checkpointer, load_latest, read_checkpoint
from stop_at import StopAt

TOL = 1e-6  # a correct float64 gradient gives ~1e-9 here; a wrong rule gives > 1e-2


def batch_norm64(features, seed=0, **options):
    """A float64 BatchNorm with scales and shifts away from 1 and 0, and running averages
    away from their starting values, so that no term of a rule can hide behind them."""
    layer = BatchNorm(features, **options)
    layer.initialize(np.random.default_rng(seed), np.float64)
    rng = np.random.default_rng(seed + 1)
    layer.params["gamma"][:] = rng.uniform(0.5, 2.0, features)
    layer.params["beta"][:] = rng.standard_normal(features)
    layer.buffers["running_mean"][:] = rng.standard_normal(features)
    layer.buffers["running_var"][:] = rng.uniform(0.5, 3.0, features)
    return layer


def by_definition(x, gamma, beta, eps, axes):
    """y = γ (x - μ) / sqrt(σ² + eps) + β with the batch's own mean and biased variance."""
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    shape = [1] * x.ndim
    shape[1] = -1
    return gamma.reshape(shape) * (x - mean) / np.sqrt(var + eps) + beta.reshape(shape)


# --- BatchNorm -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 4), (1, 4, 3, 5), (3, 4, 2, 2), (5, 4, 1, 1)])
@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
def test_batch_norm_gradients(shape, training):
    rng = np.random.default_rng(3)
    layer = batch_norm64(shape[1])
    errors = check_layer(layer, rng.standard_normal(shape) * 2 + 1, rng, training=training)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize(
    ("memory", "order"),
    [((4, 2, 3, 5), (1, 0, 2, 3)), ((4, 3, 5, 2), (3, 0, 1, 2))],
    ids=["channels-batch", "batch-last"],
)
def test_batch_norm_keeps_a_convolutions_memory_layout(memory, order):
    # A convolution hands on an (N, C, H, W) view of channels-first memory; BatchNorm works on
    # it without a copy, and hands on its output in the same layout.
    rng = np.random.default_rng(4)
    x = rng.standard_normal(memory).transpose(order)  # shape (2, 4, 3, 5)
    assert x.shape == (2, 4, 3, 5) and not x.flags.c_contiguous
    layer = batch_norm64(4)
    y = layer.forward(x, training=True)
    assert y.strides == np.empty(memory).transpose(order).strides
    expected = by_definition(
        np.ascontiguousarray(x), layer.params["gamma"], layer.params["beta"], layer.eps, (0, 2, 3)
    )
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    errors = check_layer(layer, x, rng, training=True)
    assert max(errors.values()) < TOL, errors


def test_pooling_moves_before_a_relu_but_never_across_a_batch_norm():
    # Sequential runs ReLU -> MaxPool2D as MaxPool2D -> ReLU (they commute). BatchNorm does not
    # commute with a max-pool: its batch statistics change with the pooling, and a negative
    # scale turns a maximum into a minimum. Conv -> BN -> ReLU -> pool and Conv -> ReLU -> BN
    # -> pool must both compute, forward, backward and predicting, as written, with negative
    # scales in the second BatchNorm: outputs and running averages to the bit (float64), and
    # gradients to rounding, since training runs a BatchNorm and the max-pool after it as one
    # step (normpool.NormPool) that sums in another order.
    layers = [
        Reshape((1, 8, 8)),
        Conv2D(1, 3, 3, padding="same"),
        BatchNorm(3),
        ReLU(),
        MaxPool2D(2),
        Conv2D(3, 4, 3, padding="same"),
        ReLU(),
        BatchNorm(4),
        MaxPool2D(2),
        Flatten(),
        Dense(16, 5),
    ]
    model = Sequential(layers, dtype="float64", seed=4)
    assert model._order == [0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10]
    second = layers[7]
    second.params["gamma"][:] = [-1.5, 0.7, -0.4, 2.0]
    second.buffers["running_mean"][:] = [0.3, -0.2, 0.1, 0.5]
    x = np.random.default_rng(11).standard_normal((6, 64))
    grad = np.random.default_rng(12).standard_normal((6, 5))
    written = deepcopy(model)
    out = model.forward(x, training=True)
    model.backward(grad.copy())
    a = x
    for layer in written.layers:
        a = layer.forward(a, training=True)
    np.testing.assert_array_equal(out, a)
    g = grad.copy()
    for layer in reversed(written.layers[1:]):
        g = layer.backward(g)
    assert sorted(model._fused) == [2, 7]  # each BatchNorm runs with the pool after it
    for mine, theirs in zip(model.layers, written.layers, strict=True):
        for key in mine.grads:
            # (a bias before a BatchNorm has a gradient of exactly 0 but for rounding: atol)
            np.testing.assert_allclose(mine.grads[key], theirs.grads[key], rtol=1e-9, atol=1e-12)
        for key in mine.buffers:
            np.testing.assert_array_equal(mine.buffers[key], theirs.buffers[key])
    a = x
    for layer in written.layers:
        a = layer.forward(a)
    np.testing.assert_array_equal(model.outputs(x), a)


@pytest.mark.parametrize("shape", [(7, 3), (2, 3, 4, 5)])
def test_batch_norm_in_training_normalises_by_the_batch(shape):
    rng = np.random.default_rng(5)
    layer = batch_norm64(3, eps=1e-3)
    x = rng.standard_normal(shape) * 3 - 2
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    y = layer.forward(x, training=True)
    expected = by_definition(x, layer.params["gamma"], layer.params["beta"], 1e-3, axes)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_batch_norm_running_averages_follow_pytorchs_momentum_convention():
    rng = np.random.default_rng(6)
    layer = batch_norm64(3, momentum=0.25)
    mean, var = layer.buffers["running_mean"].copy(), layer.buffers["running_var"].copy()
    for _ in range(3):
        x = rng.standard_normal((2, 3, 4, 5)) * 2 + 1
        layer.forward(x, training=True)
        m = 2 * 4 * 5
        batch_mean = x.mean(axis=(0, 2, 3))
        batch_var = x.var(axis=(0, 2, 3)) * m / (m - 1)  # unbiased, as PyTorch keeps it
        mean = 0.75 * mean + 0.25 * batch_mean
        var = 0.75 * var + 0.25 * batch_var
        np.testing.assert_allclose(layer.buffers["running_mean"], mean, rtol=1e-12)
        np.testing.assert_allclose(layer.buffers["running_var"], var, rtol=1e-12)


def test_batch_norm_in_evaluation_uses_the_running_averages_only():
    rng = np.random.default_rng(7)
    layer = batch_norm64(3)
    mean, var = layer.buffers["running_mean"].copy(), layer.buffers["running_var"].copy()
    x = rng.standard_normal((5, 3)) * 4
    y = layer.forward(x)  # evaluation: no update, no batch statistics
    expected = layer.params["gamma"] * (x - mean) / np.sqrt(var + layer.eps) + layer.params["beta"]
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_array_equal(layer.buffers["running_mean"], mean)
    np.testing.assert_array_equal(layer.buffers["running_var"], var)
    # Each example's output is its own: the same whatever else is in the batch.
    np.testing.assert_allclose(layer.forward(x[2:3]), y[2:3], rtol=1e-12)
    # In training the batch's statistics are used instead: the outputs differ.
    assert not np.allclose(layer.forward(x, training=True), y)


def test_batch_norm_buffers_are_no_parameters():
    model = Sequential([Flatten(), Dense(4, 3), BatchNorm(3), ReLU(), Dense(3, 2)])
    params, grads, decay = model.trainable()
    assert [p.shape for p in params] == [(4, 3), (3,), (3,), (3,), (3, 2), (2,)]
    assert decay == [True, False, False, False, True, False]  # γ and β are not decayed
    names = set(model.get_weights())
    assert {"layers.2.running_mean", "layers.2.running_var"} <= names
    assert model.parameter_count() == 12 + 3 + 6 + 6 + 2


def test_batch_norm_refuses_the_wrong_shape_and_settings():
    layer = BatchNorm(3)
    layer.initialize(np.random.default_rng(0), np.float32)
    with pytest.raises(ConfigError, match=r"BatchNorm\(3\) expects \(N, 3\) or \(N, 3, H, W\)"):
        layer.forward(np.zeros((2, 4), np.float32))
    with pytest.raises(ConfigError, match="momentum must be in"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ConfigError, match="features must be a positive whole number"):
        BatchNorm(0)


# --- LayerNorm -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "normalised"), [((4, 6), 6), ((2, 3, 5), 5), ((3, 2, 4), (2, 4)), ((1, 7), 7)]
)
def test_layer_norm_gradients(shape, normalised):
    rng = np.random.default_rng(8)
    layer = LayerNorm(normalised)
    layer.initialize(rng, np.float64)
    layer.params["gamma"][...] = rng.uniform(0.5, 2.0, layer.params["gamma"].shape)
    layer.params["beta"][...] = rng.standard_normal(layer.params["beta"].shape)
    errors = check_layer(layer, rng.standard_normal(shape) * 2 + 1, rng)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < TOL, errors


def test_layer_norm_normalises_each_example_by_its_own_values():
    rng = np.random.default_rng(9)
    layer = LayerNorm((2, 3), eps=1e-3)
    layer.initialize(rng, np.float64)
    layer.params["gamma"][...] = rng.standard_normal((2, 3))
    x = rng.standard_normal((4, 2, 3)) * 5
    flat = x.reshape(4, 6)
    xhat = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-3)
    expected = xhat.reshape(4, 2, 3) * layer.params["gamma"] + layer.params["beta"]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-12)
    np.testing.assert_allclose(layer.forward(x[1:2]), expected[1:2], rtol=1e-12)


def test_layer_norm_refuses_inputs_of_another_shape():
    layer = LayerNorm(5)
    layer.initialize(np.random.default_rng(0), np.float32)
    with pytest.raises(ConfigError, match=r"LayerNorm\(5,\) expects inputs \(N, ..., 5\)"):
        layer.forward(np.zeros((2, 4), np.float32))


# --- in a model: files, checkpoints, resume ----------------------------------------------------


def conv_bn_network(seed=0):
    return Sequential(
        [
            Reshape((1, 28, 28)),
            Conv2D(1, 4, 5),
            BatchNorm(4),
            ReLU(),
            MaxPool2D(4),
            Flatten(),
            Dense(144, 16),
            BatchNorm(16),
            ReLU(),
            LayerNorm(16),
            Dense(16, 10),
        ],
        input_scale=1 / 255,
        seed=seed,
    )


@pytest.fixture(scope="module")
def digits():
    x, y = load_mnist("train")
    return x[:600], y[:600]


def fit(model, digits, **options):
    return model.fit(
        *digits,
        epochs=options.pop("epochs", 3),
        batch_size=64,
        optimizer=Adam(lr=3e-3),
        validation_split=100,
        **options,
    )


def test_the_running_averages_round_trip_through_a_model_file(digits, tmp_path):
    model = conv_bn_network()
    fit(model, digits, epochs=1)
    running = model.layers[2].buffers["running_mean"]
    assert np.abs(running).max() > 0  # training moved them: the round trip proves something
    model.save(tmp_path / "m.npz")
    loaded = Sequential.load(tmp_path / "m.npz")
    for name, value in model.get_weights().items():
        assert loaded.get_weights()[name].tobytes() == value.tobytes(), name
    x = digits[0][:50]
    assert loaded.predict_proba(x).tobytes() == model.predict_proba(x).tobytes()


def test_the_running_averages_round_trip_through_a_checkpoint(digits, tmp_path):
    model = conv_bn_network()
    fit(model, digits, epochs=2, callbacks=[Checkpointer(tmp_path)])
    state = read_checkpoint(load_latest(tmp_path).path).state
    for layer in (2, 7):
        for buffer in ("running_mean", "running_var"):
            name = f"layers.{layer}.{buffer}"
            assert state.weights[name].tobytes() == model.get_weights()[name].tobytes()


@pytest.mark.parametrize("at", [3, 8, 13])  # 8 steps per epoch: mid-epoch, at its end, later
def test_a_network_with_batch_norm_resumes_bit_identical(digits, tmp_path, at):
    reference = conv_bn_network()
    expected = fit(reference, digits)
    fit(conv_bn_network(), digits, callbacks=[StopAt(at), Checkpointer(tmp_path, every=None)])
    resumed = conv_bn_network()
    history = fit(resumed, digits, resume=load_latest(tmp_path).state)
    for name, value in reference.get_weights().items():
        assert resumed.get_weights()[name].tobytes() == value.tobytes(), name
    assert history.dev_loss == expected.dev_loss
    assert not any(math.isnan(v) for v in history.dev_loss)


def test_a_resumed_cnn_bn_run_is_bit_identical(tmp_path):
    # The preset itself (batch normalisation everywhere, augmented images), on fewer images
    # and epochs: stopped mid-epoch, resumed from its checkpoint, it ends as a run never
    # stopped, running averages included.
    from nnscratch.model import PRESETS
    from nnscratch.usecases.train import train_recipe

    recipe = PRESETS["cnn-bn"].with_overrides(epochs=2, dev_size=100, batch_size=128)
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    data = (x[:740], y[:740], x_test[:100], y_test[:100])  # 5 steps per epoch
    reference = train_recipe(recipe, *data)
    train_recipe(recipe, *data, callbacks=[StopAt(7), Checkpointer(tmp_path, every=None)])
    checkpoint = load_latest(tmp_path)
    assert (checkpoint.epoch, checkpoint.step) == (1, 2)  # mid-epoch: a real resume
    resumed = train_recipe(recipe, *data, resume=checkpoint.state)
    weights = reference.model.get_weights()
    assert any(name.endswith("running_var") for name in weights)
    for name, value in weights.items():
        assert resumed.model.get_weights()[name].tobytes() == value.tobytes(), name
    assert resumed.metrics == {
        **reference.metrics,
        "train_seconds": resumed.metrics["train_seconds"],
    }


@pytest.mark.parametrize(
    ("shape", "pool_size", "memory"),
    [
        ((5, 4, 7, 7), 2, (1, 2, 3, 0)),  # batch last, as Conv2D hands on; a row left over
        ((3, 3, 9, 8), 3, (0, 1, 2, 3)),  # plain NCHW: BatchNorm reads it through a copy
    ],
)
def test_norm_pool_step_computes_what_its_two_layers_compute(shape, pool_size, memory):
    # NormPool (a BatchNorm and the max-pool after it, as one training step) against the two
    # layers run one after the other: outputs and running averages to the bit, gradients to
    # rounding, with negative scales, ties within windows, and an incoming
    # gradient laid out unlike the output (as from a Flatten).
    from nnscratch.engine.layers.normpool import NormPool

    rng = np.random.default_rng(3)
    x = np.round(rng.standard_normal(shape) * 2, 1)  # rounded: equal values within windows
    x = np.ascontiguousarray(x.transpose(memory)).transpose(np.argsort(memory))
    pairs = []
    for _ in range(2):
        norm, pool = BatchNorm(shape[1]), MaxPool2D(pool_size)
        norm.initialize(np.random.default_rng(0), np.dtype(np.float64))
        norm.params["gamma"][:] = np.linspace(-1.5, 2.0, shape[1])
        norm.params["beta"][:] = np.linspace(0.5, -0.5, shape[1])
        pairs.append((norm, pool))
    (norm, pool), (their_norm, their_pool) = pairs
    step = NormPool(norm, pool)
    y = step.forward(x)
    expected = their_pool.forward(their_norm.forward(x, training=True), training=True)
    np.testing.assert_array_equal(y, expected)
    grad = np.ascontiguousarray(rng.standard_normal(y.shape))  # NCHW, unlike y
    dx = step.backward(grad.copy())
    their_dx = their_norm.backward(their_pool.backward(grad.copy()))
    assert dx is not None and dx.shape == x.shape
    np.testing.assert_allclose(dx, their_dx, rtol=1e-9, atol=1e-12)
    for key in ("gamma", "beta"):
        np.testing.assert_allclose(norm.grads[key], their_norm.grads[key], rtol=1e-9, atol=1e-12)
    for key in norm.buffers:
        np.testing.assert_array_equal(norm.buffers[key], their_norm.buffers[key])
    assert step.backward(grad.copy(), input_grad=False) is None

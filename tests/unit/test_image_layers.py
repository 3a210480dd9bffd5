"""Average pooling, global average pooling and convolutions padded "same": values against plain
loops, gradients against finite differences (float64), configs that round-trip; and every layer
that takes images on the batch-last arrays a convolution hands on."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import Sequential
from nnscratch.engine.gradcheck import check_layer, numerical_gradient, relative_error
from nnscratch.engine.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool2D,
    LayerNorm,
    Reshape,
)
from nnscratch.errors import ConfigError

TOL = 1e-6


def avg_pool_by_loops(x, k):
    n, c, height, width = x.shape
    y = np.zeros((n, c, height // k, width // k))
    for i in range(height // k):
        for j in range(width // k):
            y[:, :, i, j] = x[:, :, i * k : (i + 1) * k, j * k : (j + 1) * k].mean(axis=(2, 3))
    return y


@pytest.mark.parametrize(
    ("k", "shape"), [(2, (2, 3, 6, 4)), (3, (1, 2, 7, 8)), (1, (2, 1, 3, 3)), (2, (1, 1, 5, 5))]
)
def test_avg_pool_values_and_gradients(k, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    layer = AvgPool2D(k)
    np.testing.assert_allclose(layer.forward(x), avg_pool_by_loops(x, k), rtol=1e-12)
    errors = check_layer(layer, x, rng)
    assert errors["x"] < TOL, errors


def test_avg_pool_gives_rows_left_over_no_gradient():
    x = np.ones((1, 1, 5, 5))
    layer = AvgPool2D(2)
    layer.forward(x)
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(dx[0, 0, :4, :4], 0.25)
    assert not dx[0, 0, 4].any() and not dx[0, 0, :, 4].any()


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 1, 1, 1), (3, 2, 7, 2)])
def test_global_avg_pool_values_and_gradients(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    layer = GlobalAvgPool2D()
    expected = np.array(
        [[x[n, c].sum() / (shape[2] * shape[3]) for c in range(shape[1])] for n in range(shape[0])]
    )
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    assert check_layer(layer, x, rng)["x"] < TOL


@pytest.mark.parametrize(
    ("k", "shape"), [(3, (2, 2, 6, 5)), (5, (1, 3, 7, 7)), (1, (2, 2, 3, 4)), (7, (1, 1, 4, 4))]
)
def test_same_padding_keeps_the_size_and_its_gradients(k, shape):
    rng = np.random.default_rng(2)
    layer = Conv2D(shape[1], 3, k, padding="same")
    layer.initialize(rng, np.float64)
    layer.params["b"][:] = rng.standard_normal(3)
    x = rng.standard_normal(shape)
    y = layer.forward(x)
    assert y.shape == (shape[0], 3, *shape[2:])
    # The same numbers as the explicit padding (k - 1) / 2.
    explicit = Conv2D(shape[1], 3, k, padding=(k - 1) // 2)
    explicit.params, explicit.grads = layer.params, layer.grads
    np.testing.assert_array_equal(y, explicit.forward(x))
    errors = check_layer(layer, x, rng)
    assert max(errors.values()) < TOL, errors


def test_same_padding_is_kept_as_a_word_in_the_model_file(tmp_path):
    model = Sequential(
        [Reshape((1, 6, 6)), Conv2D(1, 2, 3, padding="same"), Flatten(), Dense(72, 3)]
    )
    assert model.layers[1].config()["padding"] == "same"
    assert repr(model.layers[1]).startswith(
        "Conv2D(in_channels=1, out_channels=2, kernel_size=3, stride=1, padding='same'"
    )
    model.save(tmp_path / "m.npz")
    loaded = Sequential.load(tmp_path / "m.npz")
    assert loaded.layers[1].config() == model.layers[1].config()
    x = np.random.default_rng(3).integers(0, 255, (4, 36))
    assert loaded.outputs(x).tobytes() == model.outputs(x).tobytes()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            dict(kernel_size=4, padding="same"),
            "padding 'same' needs stride 1 and an odd kernel_size, got stride 1, kernel_size 4",
        ),
        (dict(kernel_size=3, stride=2, padding="same"), "needs stride 1"),
        (
            dict(kernel_size=3, padding="full"),
            "padding must be a whole number >= 0 or 'same', got 'full'",
        ),
    ],
)
def test_same_padding_refuses_what_it_cannot_keep(options, message):
    with pytest.raises(ConfigError, match=message):
        Conv2D(1, 2, **options)


# --- the batch-last layout -------------------------------------------------------------------


def batch_last(a):
    """a (N, C, H, W) as the view a convolution hands on: memory in (C, H, W, N) order."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def is_batch_last(a):
    return a.transpose(1, 2, 3, 0).flags.c_contiguous and not a.flags.c_contiguous


def image_layer64(name, channels=3):
    """A float64 layer of each kind that takes (N, C, 6, 4) images, with scales and shifts
    away from 1 and 0 and running averages away from their starting values."""
    layer = {
        "BatchNorm": lambda: BatchNorm(channels),
        "LayerNorm": lambda: LayerNorm((channels, 6, 4)),
        "AvgPool2D": lambda: AvgPool2D(2),
        "GlobalAvgPool2D": GlobalAvgPool2D,
    }[name]()
    rng = np.random.default_rng(7)
    layer.initialize(rng, np.float64)
    for arrays in (layer.params, layer.buffers):
        for key, value in arrays.items():
            value[...] = (
                rng.uniform(0.5, 2.0, value.shape) * rng.choice([-1, 1], value.shape)
                if key != "running_var"
                else rng.uniform(0.5, 2.0, value.shape)
            )
    return layer


@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("name", ["BatchNorm", "LayerNorm", "AvgPool2D", "GlobalAvgPool2D"])
def test_image_layers_take_the_batch_last_layout_and_hand_it_on(name, training):
    # What a convolution hands on, and what comes back down to it: the same numbers as for
    # C-ordered arrays, outputs and input gradients in the batch-last layout (no transposing
    # copy for the layer below), and float64 gradients that pass the finite-difference check
    # with the direction R laid out batch-last too.
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 3, 6, 4)) * 2 + 1
    plain, layer = image_layer64(name), image_layer64(name)
    y_plain = plain.forward(x, training=training)
    r = rng.standard_normal(y_plain.shape)
    dx_plain = plain.backward(r.copy())
    xb = batch_last(x)
    y = layer.forward(xb, training=training)
    rb = batch_last(r) if r.ndim == 4 else r
    dx = layer.backward(rb.copy(order="K"))
    np.testing.assert_allclose(y, y_plain, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, dx_plain, rtol=1e-12, atol=1e-12)
    if y.ndim == 4:
        assert is_batch_last(y), y.strides
    assert is_batch_last(dx), dx.strides
    for key in layer.grads:
        np.testing.assert_allclose(layer.grads[key], plain.grads[key], rtol=1e-12, atol=1e-12)

    def loss():
        return float(np.sum(layer.forward(xb, training=training) * rb))

    layer.forward(xb, training=training)
    analytic = {
        "x": layer.backward(rb.copy(order="K")),
        **{k: g.copy() for k, g in layer.grads.items()},
    }
    arrays = {"x": xb, **layer.params}
    errors = {
        k: relative_error(analytic[k], numerical_gradient(loss, a)) for k, a in arrays.items()
    }
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("name", ["BatchNorm", "LayerNorm", "AvgPool2D", "GlobalAvgPool2D"])
def test_image_layers_predict_in_the_batch_last_layout_as_in_evaluation(name):
    # infer(), the prediction path, on a convolution's output: forward's evaluation numbers
    # (BatchNorm's running averages, not the batch's), the layout kept, the buffers untouched.
    layer = image_layer64(name)
    xb = batch_last(np.random.default_rng(9).standard_normal((5, 3, 6, 4)))
    buffers = {k: v.copy() for k, v in layer.buffers.items()}
    y = layer.infer(xb)
    np.testing.assert_array_equal(y, layer.forward(xb, training=False))
    if y.ndim == 4:
        assert is_batch_last(y)
    for key, value in buffers.items():
        np.testing.assert_array_equal(layer.buffers[key], value)

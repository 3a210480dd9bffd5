"""Average pooling, global average pooling and convolutions padded "same": values against plain
loops, gradients against finite differences (float64), configs that round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import Sequential
from nnscratch.engine.gradcheck import check_layer
from nnscratch.engine.layers import (LAYER_TYPES, AvgPool2D, Conv2D, Dense, Flatten,
                                     GlobalAvgPool2D, Reshape)
from nnscratch.errors import ConfigError

TOL = 1e-6


def avg_pool_by_loops(x, k):
    n, c, height, width = x.shape
    y = np.zeros((n, c, height // k, width // k))
    for i in range(height // k):
        for j in range(width // k):
            y[:, :, i, j] = x[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k].mean(axis=(2, 3))
    return y


@pytest.mark.parametrize(("k", "shape"), [(2, (2, 3, 6, 4)), (3, (1, 2, 7, 8)),
                                          (1, (2, 1, 3, 3)), (2, (1, 1, 5, 5))])
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
    expected = np.array([[x[n, c].sum() / (shape[2] * shape[3]) for c in range(shape[1])]
                         for n in range(shape[0])])
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    assert check_layer(layer, x, rng)["x"] < TOL


@pytest.mark.parametrize(("k", "shape"), [(3, (2, 2, 6, 5)), (5, (1, 3, 7, 7)),
                                          (1, (2, 2, 3, 4)), (7, (1, 1, 4, 4))])
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
    model = Sequential([Reshape((1, 6, 6)), Conv2D(1, 2, 3, padding="same"), Flatten(),
                        Dense(72, 3)])
    assert model.layers[1].config()["padding"] == "same"
    assert repr(model.layers[1]).startswith("Conv2D(in_channels=1, out_channels=2, "
                                            "kernel_size=3, stride=1, padding='same'")
    model.save(tmp_path / "m.npz")
    loaded = Sequential.load(tmp_path / "m.npz")
    assert loaded.layers[1].config() == model.layers[1].config()
    x = np.random.default_rng(3).integers(0, 255, (4, 36))
    assert loaded.outputs(x).tobytes() == model.outputs(x).tobytes()


@pytest.mark.parametrize(("options", "message"), [
    (dict(kernel_size=4, padding="same"), "padding 'same' needs stride 1 and an odd "
                                          "kernel_size, got stride 1, kernel_size 4"),
    (dict(kernel_size=3, stride=2, padding="same"), "needs stride 1"),
    (dict(kernel_size=3, padding="full"), "padding must be a whole number >= 0 or 'same', "
                                          "got 'full'"),
])
def test_same_padding_refuses_what_it_cannot_keep(options, message):
    with pytest.raises(ConfigError, match=message):
        Conv2D(1, 2, **options)


def test_new_layers_are_registered_for_model_files():
    for name in ("BatchNorm", "LayerNorm", "AvgPool2D", "GlobalAvgPool2D", "LSTM", "GRU"):
        assert LAYER_TYPES[name].__name__ == name
    pooled = Sequential([Reshape((2, 4, 4)), AvgPool2D(2), GlobalAvgPool2D(), Dense(2, 3)])
    assert [type(layer) for layer in Sequential.from_config(pooled.config()).layers] == \
        [type(layer) for layer in pooled.layers]

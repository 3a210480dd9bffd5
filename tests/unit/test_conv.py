"""Convolution, pooling and reshaping: values against plain loops, gradients against finite
differences (float64), and convolutional models built, trained a little, saved and loaded."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import Sequential
from nnscratch.datasets import load_mnist
from nnscratch.engine.gradcheck import check_layer
from nnscratch.engine.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Reshape, scratch
from nnscratch.engine.layers.pooling import pool_before_relu
from nnscratch.errors import ConfigError, DataError, ModelFileError
from nnscratch.model.presets import PRESETS, build_model
from nnscratch.modelfile import read_model_file, write_model_file

TOL = 1e-6  # as in test_layers.py: a correct float64 gradient gives ~1e-9


def conv_by_loops(x, W, b, stride, padding):
    """The definition, one output value at a time: an independent reference."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, height, width = x.shape
    c_out, _, k, _ = W.shape
    h_out, w_out = (height - k) // stride + 1, (width - k) // stride + 1
    y = np.zeros((n, c_out, h_out, w_out))
    for e in range(n):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = x[e, :, i * stride : i * stride + k, j * stride : j * stride + k]
                    y[e, o, i, j] = b[o] + np.sum(W[o] * window)
    return y


def max_pool_by_loops(x, k):
    n, c, height, width = x.shape
    y = np.zeros((n, c, height // k, width // k))
    for i in range(height // k):
        for j in range(width // k):
            y[:, :, i, j] = x[:, :, i * k : (i + 1) * k, j * k : (j + 1) * k].max(axis=(2, 3))
    return y


def conv64(*args, seed=0, **kwargs):
    layer = Conv2D(*args, **kwargs)
    rng = np.random.default_rng(seed)
    layer.initialize(rng, np.float64)
    layer.params["b"][:] = rng.standard_normal(layer.params["b"].shape)  # non-zero biases
    return layer


CONV_CASES = [  # (in, out, kernel, stride, padding, input shape)
    (1, 2, 3, 1, 0, (2, 1, 6, 6)),
    (2, 3, 3, 1, 1, (2, 2, 7, 6)),
    (3, 2, 3, 2, 0, (1, 3, 7, 8)),
    (1, 2, 2, 2, 1, (3, 1, 5, 5)),
    (2, 4, 5, 1, 2, (2, 2, 5, 5)),
    (2, 2, 1, 1, 0, (2, 2, 3, 4)),
]


@pytest.mark.parametrize(("c_in", "c_out", "k", "stride", "padding", "shape"), CONV_CASES)
def test_conv_values_equal_the_definition(c_in, c_out, k, stride, padding, shape):
    layer = conv64(c_in, c_out, k, stride=stride, padding=padding)
    x = np.random.default_rng(1).standard_normal(shape)
    y = layer.forward(x)
    expected = conv_by_loops(x, layer.params["W"], layer.params["b"], stride, padding)
    assert y.shape == expected.shape == (shape[0], c_out, *layer.output_size(*shape[2:]))
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("c_in", "c_out", "k", "stride", "padding", "shape"), CONV_CASES)
def test_conv_gradients(c_in, c_out, k, stride, padding, shape):
    rng = np.random.default_rng(2)
    layer = conv64(c_in, c_out, k, stride=stride, padding=padding)
    errors = check_layer(layer, rng.standard_normal(shape), rng)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < TOL, errors


def test_conv_takes_any_memory_layout():
    # Layers hand each other transposed views; a non-contiguous input must give the same numbers.
    layer = conv64(3, 4, 3, padding=1)
    x = np.random.default_rng(3).standard_normal((5, 3, 6, 6))
    strided = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(layer.forward(x), layer.forward(strided))


def test_conv_predicts_large_batches_in_chunks(monkeypatch):
    # Without training a batch is computed a few images at a time, so its columns stay small;
    # the values are the definition's, and backward (a gradient check) still works after it.
    layer = conv64(2, 3, 3, stride=1, padding=0)
    one_image = layer._column_bytes(4, 4, np.float64)
    monkeypatch.setattr(scratch, "CHUNK_BYTES", 2 * one_image)
    x = np.random.default_rng(6).standard_normal((5, 2, 6, 6))
    expected = conv_by_loops(x, layer.params["W"], layer.params["b"], 1, 0)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)
    assert layer._scratch.get("cols", (0,), np.float64).base.nbytes == 2 * one_image
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-12, atol=1e-12)
    errors = check_layer(layer, x, np.random.default_rng(7))
    assert max(errors.values()) < TOL, errors


def test_a_long_weight_gradient_sums_slices_and_keeps_the_gradient(monkeypatch):
    # The weight gradient's long reduction goes as a sum of products over slices of it when
    # each slice stays small: the gradient is the finite differences' and the loops' either way.
    from nnscratch.engine.layers import conv

    monkeypatch.setattr(conv, "SMALL_PRODUCT", 2 * 10 * 12)  # 12 positions a slice at 10 x 2
    monkeypatch.setattr(conv, "SHORTEST_SLICE", 1)
    layer = conv64(1, 2, 3, stride=1, padding=0)  # cols 10 rows, dz 2 rows, M = 2·4·4 = 32
    calls = []
    real = np.matmul

    def counted(a, b, *args, **kwargs):
        calls.append(a.shape)
        return real(a, b, *args, **kwargs)

    x = np.random.default_rng(8).standard_normal((2, 1, 6, 6))
    errors = check_layer(layer, x, np.random.default_rng(9))
    assert max(errors.values()) < TOL, errors
    layer.forward(x, training=True)
    grad_y = np.random.default_rng(10).standard_normal((2, 2, 4, 4))
    monkeypatch.setattr(conv.np, "matmul", counted)
    layer.backward(grad_y, input_grad=False)
    assert calls == [(10, 12), (10, 12), (10, 8)]  # three slices of the 32 positions
    monkeypatch.setattr(conv.np, "matmul", real)
    sliced = layer.grads["W"].copy()
    monkeypatch.setattr(conv, "SMALL_PRODUCT", 10**9)  # one product
    layer.backward(grad_y, input_grad=False)
    np.testing.assert_allclose(sliced, layer.grads["W"], rtol=1e-12)
    # dW[o, 0, u, v] = Σ dy[n, o, i, j] x[n, 0, i + u, j + v]: the definition, by loops
    by_loops = np.zeros((2, 3, 3))
    for u in range(3):
        for v in range(3):
            window = x[:, 0, u : u + 4, v : v + 4]
            by_loops[:, u, v] = np.einsum("noij,nij->o", grad_y, window)
    np.testing.assert_allclose(sliced[:, 0], by_loops, rtol=1e-10)


def test_conv_results_are_not_overwritten_by_the_next_batch():
    # The layer keeps its columns and padded images between batches; what it returns must
    # still be the caller's own.
    rng = np.random.default_rng(8)
    layer = conv64(2, 3, 3, padding=1)
    first, second = rng.standard_normal((2, 4, 2, 5, 5))
    y = layer.forward(first, training=True)
    dx = layer.backward(np.ones_like(y))
    y_kept, dx_kept, dW_kept = y.copy(), dx.copy(), layer.grads["W"].copy()
    layer.backward(2 * np.ones_like(layer.forward(second, training=True)))
    np.testing.assert_array_equal(y, y_kept)
    np.testing.assert_array_equal(dx, dx_kept)
    assert not np.array_equal(layer.grads["W"], dW_kept)


@pytest.mark.parametrize(
    ("k", "shape"), [(2, (2, 3, 4, 6)), (2, (2, 2, 5, 7)), (3, (1, 2, 7, 6)), (1, (2, 2, 3, 3))]
)
def test_max_pool_values_and_gradients(k, shape):
    rng = np.random.default_rng(4)
    layer = MaxPool2D(k)
    x = rng.standard_normal(shape)
    np.testing.assert_array_equal(layer.forward(x), max_pool_by_loops(x, k))
    assert check_layer(layer, x, rng)["x"] < TOL


@pytest.mark.parametrize("training", [False, True])
def test_max_pool_sends_each_gradient_to_one_input(training):
    # Training records each window's winner in forward; a prediction leaves backward to find it.
    x = np.zeros((1, 1, 5, 5))  # every window a tie; the last row and column are left over
    x[0, 0, 1, 1] = 1.0
    layer = MaxPool2D(2)
    layer.forward(x, training=training)
    grad = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
    dx = layer.backward(grad)
    assert dx.shape == x.shape
    assert dx[0, 0, 1, 1] == 10.0  # the maximum of the first window
    assert dx[0, 0, 0, 2] == 20.0 and dx[0, 0, 2, 0] == 30.0 and dx[0, 0, 2, 2] == 40.0  # ties
    assert np.count_nonzero(dx) == 4 and dx.sum() == grad.sum()
    assert not dx[0, 0, 4].any() and not dx[0, 0, :, 4].any()  # what no window covers


def test_max_pool_finds_winners_past_offset_255():
    # A window of 17x17 has 289 offsets: more than one byte can number.
    x = np.zeros((1, 1, 17, 17))
    x[0, 0, 16, 15] = 1.0  # offset 16·17 + 15 = 287
    layer = MaxPool2D(17)
    layer.forward(x, training=True)
    dx = layer.backward(np.array([[[[5.0]]]]))
    assert dx[0, 0, 16, 15] == 5.0 and np.count_nonzero(dx) == 1


def test_max_pool_takes_any_memory_layout():
    # A convolution hands on images laid out batch-last; a Flatten hands back C-ordered
    # gradients. Any mix must give the numbers of plain C-ordered arrays.
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 6, 4))
    grad = rng.standard_normal((3, 2, 3, 2))
    batch_last = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    grad_batch_last = np.ascontiguousarray(grad.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    plain = MaxPool2D(2)
    y = plain.forward(x, training=True)
    dx = plain.backward(grad.copy())
    for x_in, grad_in in [(batch_last, grad), (batch_last, grad_batch_last), (x, grad_batch_last)]:
        layer = MaxPool2D(2)
        np.testing.assert_array_equal(layer.forward(x_in, training=True), y)
        np.testing.assert_array_equal(layer.backward(grad_in.copy()), dx)


def test_pooling_runs_before_the_relu_it_follows():
    relu, pool, other = ReLU(), MaxPool2D(2), ReLU()
    assert pool_before_relu([Flatten(), relu, pool, other, pool, pool]) == [0, 2, 1, 4, 3, 5]
    assert pool_before_relu([pool, relu, Dense(2, 2), relu]) == [0, 1, 2, 3]


def test_a_cnn_computes_as_its_layers_in_their_written_order():
    # Sequential runs each ReLU -> MaxPool2D pair as MaxPool2D -> ReLU: the same outputs and
    # the same gradients, to the bit, as the layers run one by one as written (float64, with
    # ties: flat windows of zeros, whose ReLUs are all 0).
    layers = [
        Reshape((1, 12, 12)),
        Conv2D(1, 3, 3, padding=1),
        ReLU(),
        MaxPool2D(2),
        Conv2D(3, 4, 3),
        ReLU(),
        MaxPool2D(2),
        Flatten(),
        Dense(16, 5),
    ]
    model = Sequential(layers, dtype="float64", seed=3)
    x = np.random.default_rng(9).standard_normal((6, 144))
    x[:, :40] = 0.0
    grad = np.random.default_rng(10).standard_normal((6, 5))
    out = model.forward(x, training=True)
    model.backward(grad.copy())
    got = {f"{i}.{k}": g.copy() for i, layer in enumerate(layers) for k, g in layer.grads.items()}
    a = x
    for layer in layers:
        a = layer.forward(a, training=True)
    np.testing.assert_array_equal(out, a)
    g = grad.copy()
    for i in range(len(layers) - 1, 0, -1):
        g = layers[i].backward(g)
    for i, layer in enumerate(layers):
        for key, value in layer.grads.items():
            np.testing.assert_array_equal(got[f"{i}.{key}"], value)


def test_reshape_round_trip_and_errors():
    layer = Reshape((1, 4, 3))
    x = np.arange(24.0).reshape(2, 12)
    y = layer.forward(x)
    assert y.shape == (2, 1, 4, 3) and np.shares_memory(x, y)
    assert layer.backward(y).shape == (2, 12)
    assert layer.input_features == 12
    with pytest.raises(ConfigError, match="takes 12 values"):
        layer.forward(np.zeros((2, 13)))
    with pytest.raises(ConfigError):
        Reshape((0, 3))


@pytest.mark.parametrize(
    "bad", [dict(kernel_size=0), dict(stride=0), dict(padding=-1), dict(in_channels=0)]
)
def test_conv_refuses_bad_sizes(bad):
    args = dict(in_channels=1, out_channels=2, kernel_size=3) | bad
    with pytest.raises(ConfigError):
        Conv2D(**args)


def test_conv_refuses_inputs_that_do_not_fit():
    layer = conv64(2, 3, 5)
    with pytest.raises(ConfigError, match=r"\(N, 2, H, W\)"):
        layer.forward(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ConfigError, match="does not fit"):
        layer.forward(np.zeros((1, 2, 4, 8)))


def small_cnn(seed=0) -> Sequential:
    return Sequential(
        [
            Reshape((1, 28, 28)),
            Conv2D(1, 4, 5),
            ReLU(),
            MaxPool2D(2),
            Conv2D(4, 8, 3, padding=1),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(8 * 6 * 6, 10),
        ],
        input_scale=1 / 255,
        seed=seed,
    )


def test_a_small_cnn_learns_digits_and_round_trips(tmp_path):
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    model = small_cnn()
    assert model.input_size == 784
    before = model.evaluate(x_test[:1000], y_test[:1000])["accuracy"]
    model.fit(x[:4000], y[:4000], epochs=2, batch_size=64, optimizer="adam", lr=3e-3)
    after = model.evaluate(x_test[:1000], y_test[:1000])["accuracy"]
    assert before < 0.3 and after > 0.85, (before, after)

    model.save(tmp_path / "cnn.npz")
    loaded = Sequential.load(tmp_path / "cnn.npz")
    np.testing.assert_array_equal(
        loaded.predict_proba(x_test[:200]), model.predict_proba(x_test[:200])
    )
    with pytest.raises(DataError, match="784 inputs"):
        loaded.predict(np.zeros((2, 27, 27), dtype=np.uint8))


def test_loading_refuses_kernels_of_the_wrong_shape(tmp_path):
    small_cnn().save(tmp_path / "cnn.npz")
    document, arrays = read_model_file(tmp_path / "cnn.npz")
    arrays["layers.4.W"] = np.zeros((8, 4, 5, 5), dtype=np.float32)  # the layer is 3x3
    write_model_file(
        tmp_path / "bad.npz",
        {
            k: v
            for k, v in document.items()
            if k not in ("format", "format_version", "arrays_sha256")
        },
        arrays,
    )
    with pytest.raises(ModelFileError, match="layer 4"):
        Sequential.load(tmp_path / "bad.npz")


def test_a_model_that_starts_with_a_convolution_saves_with_or_without_an_image_shape(tmp_path):
    model = Sequential([Conv2D(1, 2, 3), ReLU(), Flatten(), Dense(2 * 4 * 4, 10)])
    assert model.input_size is None
    model.save(tmp_path / "a.npz")
    model.save(tmp_path / "b.npz", preprocessing={"image_shape": [1, 6, 6]})
    assert Sequential.load(tmp_path / "a.npz").metadata["architecture"] == []
    shapes = [
        row["output_shape"] for row in Sequential.load(tmp_path / "b.npz").metadata["architecture"]
    ]
    assert shapes == [[2, 4, 4], [2, 4, 4], [32], [10]]


def test_cnn_preset_network():
    model = build_model(PRESETS["cnn"])
    kinds = [layer.name for layer in model.layers]
    assert kinds[:4] == ["Reshape", "Conv2D", "ReLU", "MaxPool2D"]
    assert kinds.count("Conv2D") == len(PRESETS["cnn"].conv)
    logits = model.outputs(np.zeros((3, 28, 28), dtype=np.uint8))
    assert logits.shape == (3, 10)
    with pytest.raises(ConfigError, match="too small"):
        build_model(PRESETS["cnn"], image_shape=(8, 8))

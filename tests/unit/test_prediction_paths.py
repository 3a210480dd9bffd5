"""Prediction: one batch, many batches and one image at a time all give what the weights say."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import Dense, Flatten, ReLU, Sequential
from nnscratch.datasets import load_mnist


@pytest.fixture(scope="module")
def model_and_images():
    model = Sequential(
        [Flatten(), Dense(784, 64), ReLU(), Dense(64, 32), ReLU(), Dense(32, 10)],
        input_scale=1 / 255,
        seed=3,
    )
    return model, load_mnist("test")[0][:300]


def reference_logits(model, images):
    """The network written out by hand in float64 from the model's weights."""
    a = images.reshape(len(images), -1) / 255.0
    dense = [layer for layer in model.layers if "W" in layer.params]
    for i, layer in enumerate(dense):
        a = a @ layer.params["W"].astype(np.float64) + layer.params["b"]
        if i < len(dense) - 1:
            a = np.maximum(a, 0)
    return a


def test_logits_match_the_hand_written_network_in_one_batch_and_in_many(model_and_images):
    model, images = model_and_images
    expected = reference_logits(model, images)
    one_batch = model.outputs(images)
    many = model.outputs(images, batch_size=7)  # 43 batches, the last one of 6 images
    # float32 against float64: logits here are below 2 and off by under 1e-6 (any batching, any
    # OpenBLAS kernel); without the scale or an activation they are off by 1 or more.
    np.testing.assert_allclose(one_batch, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(one_batch.shape, many.shape)
    np.testing.assert_allclose(many, expected, rtol=1e-4, atol=1e-4)


def test_one_image_at_a_time_gives_the_batch_predictions(model_and_images):
    model, images = model_and_images
    batch = model.predict(images)
    singles = np.array([model.predict(images[i : i + 1])[0] for i in range(len(images))])
    # Labels exactly, though the logits differ by ulps: the weights come from the seed alone,
    # and no image here has its two largest logits within 7e-4 of each other.
    np.testing.assert_array_equal(singles, batch)
    assert len(set(batch.tolist())) > 1  # a network that always says one digit proves nothing
    np.testing.assert_array_equal(batch, reference_logits(model, images).argmax(axis=1))


def test_probabilities_of_one_image_sum_to_one_and_empty_input_gives_nothing(model_and_images):
    model, images = model_and_images
    p = model.predict_proba(images[:1])
    assert p.shape == (1, 10)
    # Summed in float64: each float32 p is e / S with S rounded by at most 9 additions, so the
    # exact sum is within 10 roundings (6e-7) of 1; a float32 sum could add 9 more.
    np.testing.assert_allclose(p.sum(axis=1, dtype=np.float64), 1.0, rtol=1e-6)
    assert model.predict(images[:0]).shape == (0,)


def test_the_prediction_path_computes_forward_and_keeps_nothing():
    # outputs() runs each layer's infer(): forward's numbers, without a cache a backward pass
    # would read (so a prediction leaves a model's training state as it was).
    from nnscratch.engine.layers import Conv2D, Dropout, MaxPool2D, Reshape, Tanh

    model = Sequential(
        [
            Reshape((1, 8, 8)),
            Conv2D(1, 3, 3),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(27, 16),
            Tanh(),
            Dropout(0.5),
            Dense(16, 4),
        ],
        seed=1,
    )
    x = np.random.default_rng(2).random((5, 64), dtype=np.float32)
    expected = model.forward(x)
    dense = model.layers[5]
    dense.forward(np.ones((2, 27), np.float32))
    kept = dense._x
    np.testing.assert_array_equal(model.outputs(x), expected)
    # in batches of 2 the BLAS may take other kernels: the same numbers to float32 rounding
    np.testing.assert_allclose(model.outputs(x, batch_size=2), expected, rtol=1e-5, atol=1e-6)
    assert model.evaluate(x, np.arange(5) % 4)["loss"] > 0
    assert dense._x is kept


def test_the_prediction_path_names_a_layer_that_does_not_fit():
    from nnscratch.errors import ConfigError

    model = Sequential([Dense(4, 3), ReLU(), Dense(5, 2)])  # 3 outputs into 5 inputs
    with pytest.raises(ConfigError, match=r"Dense\(5, 2\) expects input of shape \(N, 5\)"):
        model.outputs(np.ones((2, 4), np.float32))


def _engine_networks():
    """An image network and a recurrent one holding every layer of the engine issue, as a
    convolution hands them its batch-last arrays."""
    from nnscratch.engine.layers import (
        GRU,
        LSTM,
        AvgPool2D,
        BatchNorm,
        Conv2D,
        GlobalAvgPool2D,
        LayerNorm,
        MaxPool2D,
        Reshape,
    )

    image = [
        Reshape((1, 8, 8)),
        Conv2D(1, 4, 3, padding="same"),
        BatchNorm(4),
        ReLU(),
        MaxPool2D(2),
        LayerNorm((4, 4, 4)),
        Conv2D(4, 6, 3, padding="same"),
        AvgPool2D(2),
        BatchNorm(6),
        GlobalAvgPool2D(),
        Dense(6, 8),
        BatchNorm(8),
        LayerNorm(8),
        Dense(8, 3),
    ]
    recurrent = [
        Reshape((4, 16)),
        LSTM(16, 5, return_sequences=True),
        LayerNorm(5),
        GRU(5, 4),
        Dense(4, 3),
    ]
    return {"image": image, "recurrent": recurrent}


@pytest.mark.parametrize("kind", ["image", "recurrent"])
def test_the_new_layers_predict_in_evaluation_mode_and_keep_nothing(kind):
    # outputs() runs infer(): evaluation mode (BatchNorm's running averages, which it leaves
    # as they are), forward's numbers to the bit, and not one attribute of a layer replaced
    # (a prediction must not disturb a backward pass to come, nor keep a batch alive).
    from copy import deepcopy

    model = Sequential(_engine_networks()[kind], seed=5)
    rng = np.random.default_rng(6)
    x = rng.random((7, 64), dtype=np.float32)
    for batch in (x, rng.random((3, 64), dtype=np.float32)):
        model.forward(batch, training=True)  # batch statistics into the running averages
    if kind == "image":  # with the batch's statistics the numbers would differ
        batch_statistics = deepcopy(model).forward(x, training=True)
        assert np.abs(batch_statistics - model.forward(x)).max() > 1e-2
    expected = model.forward(x)
    new = [
        layer
        for layer in model.layers
        if type(layer).__name__
        in ("BatchNorm", "LayerNorm", "AvgPool2D", "GlobalAvgPool2D", "LSTM", "GRU")
    ]
    kept = [dict(vars(layer)) for layer in new]
    buffers = [{k: v.copy() for k, v in layer.buffers.items()} for layer in new]
    np.testing.assert_array_equal(model.outputs(x), expected)
    for layer, attributes, saved in zip(new, kept, buffers, strict=True):
        assert vars(layer).keys() == attributes.keys(), layer
        for key, value in attributes.items():
            assert vars(layer)[key] is value, (layer, key)
        for key, value in saved.items():
            np.testing.assert_array_equal(layer.buffers[key], value)

"""Prediction: one batch, many batches and one image at a time all give what the weights say."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import Dense, Flatten, ReLU, Sequential
from nnscratch.datasets import load_mnist


@pytest.fixture(scope="module")
def model_and_images():
    model = Sequential([Flatten(), Dense(784, 64), ReLU(), Dense(64, 32), ReLU(), Dense(32, 10)],
                       input_scale=1 / 255, seed=3)
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
    singles = np.array([model.predict(images[i:i + 1])[0] for i in range(len(images))])
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

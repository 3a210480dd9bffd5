"""Full-batch gradient descent computed chunk by chunk is still full-batch gradient descent.

Large batches are differentiated in chunks (nnscratch.training.gradients.CHUNK examples) whose
gradients are summed with weights n_c / N; every step must match the one-pass gradient up to
float64 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch.training.gradients as training
from nnscratch import SGD, Dense, Flatten, ReLU, Sequential
from nnscratch.datasets import load_mnist


def train(chunk: int, monkeypatch, *, epochs: int = 3, optimizer=None):
    monkeypatch.setattr(training, "CHUNK", chunk)
    x, y = load_mnist("train")
    x, y = x[:150], y[:150]
    model = Sequential(
        [Flatten(), Dense(784, 12), ReLU(), Dense(12, 10)],
        input_scale=1 / 255,
        seed=5,
        dtype="float64",
    )
    history = model.fit(x, y, epochs=epochs, batch_size=None, optimizer=optimizer or SGD(lr=0.5))
    return model, history


@pytest.mark.parametrize("chunk", [16, 50, 149])  # 10 chunks with a last one of 6; 3 equal; 2
def test_chunked_full_batch_steps_equal_one_pass_steps(chunk, monkeypatch):
    whole, whole_history = train(10**9, monkeypatch)
    chunked, chunked_history = train(chunk, monkeypatch)
    for name, w in whole.get_weights().items():
        np.testing.assert_allclose(chunked.get_weights()[name], w, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(chunked_history.train_loss, whole_history.train_loss, rtol=1e-12)
    assert chunked_history.train_accuracy == whole_history.train_accuracy
    # The steps did move the weights: equal because both learnt the same, not because neither did.
    untrained = Sequential(
        [Flatten(), Dense(784, 12), ReLU(), Dense(12, 10)],
        input_scale=1 / 255,
        seed=5,
        dtype="float64",
    ).get_weights()
    assert not np.allclose(whole.get_weights()["layers.1.W"], untrained["layers.1.W"])


def test_chunked_gradients_feed_a_stateful_optimizer_the_same(monkeypatch):
    # Adam keeps moments of the gradient: a chunked gradient that was off by a factor or left
    # over from the previous step would show in them.
    from nnscratch import Adam

    whole, _ = train(10**9, monkeypatch, epochs=4, optimizer=Adam(lr=0.01))
    chunked, _ = train(32, monkeypatch, epochs=4, optimizer=Adam(lr=0.01))
    for name, w in whole.get_weights().items():
        np.testing.assert_allclose(chunked.get_weights()[name], w, rtol=1e-9, atol=1e-11)

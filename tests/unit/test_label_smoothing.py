"""Label smoothing: training steps follow the smoothed cross-entropy, the dev set is measured
with the plain one, and a recipe, the estimator and a resumed run all train with it."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import SGD, Dense, Flatten, Sequential
from nnscratch.datasets import load_mnist
from nnscratch.engine.losses import SoftmaxCrossEntropy
from nnscratch.errors import ConfigError
from nnscratch.model.presets import PRESETS
from nnscratch.model.recipe import Recipe
from nnscratch.sklearn import NNClassifier
from nnscratch.training import Callback
from nnscratch.usecases.train import train_recipe

SMOOTHING = 0.2


@pytest.fixture(scope="module")
def digits():
    x, y = load_mnist("train")
    return x[:300], y[:300]


def network(loss="softmax_cross_entropy"):
    return Sequential(
        [Flatten(), Dense(784, 10)], input_scale=1 / 255, seed=3, dtype="float64", loss=loss
    )


def test_a_step_follows_the_smoothed_loss_and_the_dev_set_the_plain_one(digits):
    x, y = digits
    model, by_hand = network(), network()
    history = model.fit(
        x[:200],
        y[:200],
        epochs=1,
        batch_size=None,
        optimizer=SGD(lr=0.5),
        validation_data=(x[200:], y[200:]),
        label_smoothing=SMOOTHING,
    )
    smoothed = SoftmaxCrossEntropy(label_smoothing=SMOOTHING)
    start_loss = smoothed.forward(by_hand.forward(by_hand.prepare(x[:200])), y[:200])
    by_hand.backward(smoothed.backward())
    params, grads, _ = by_hand.trainable()
    for p, g in zip(params, grads, strict=True):
        p -= 0.5 * g
    for name, value in by_hand.get_weights().items():
        np.testing.assert_allclose(model.get_weights()[name], value, rtol=1e-12, atol=1e-14)
    assert history.train_loss[0] == pytest.approx(start_loss, rel=1e-12)
    assert history.dev_loss[0] == pytest.approx(model.evaluate(x[200:], y[200:])["loss"])
    plain = network()
    plain.fit(x[:200], y[:200], epochs=1, batch_size=None, optimizer=SGD(lr=0.5))
    assert not np.allclose(plain.get_weights()["layers.1.W"], model.get_weights()["layers.1.W"])


def test_label_smoothing_needs_softmax_cross_entropy(digits):
    with pytest.raises(ConfigError, match="softmax cross-entropy; this model's loss is mean_sq"):
        network("mean_squared_error").fit(*digits, epochs=1, label_smoothing=0.1)


class LossSeen(Callback):
    def on_train_begin(self, trainer):
        self.smoothing = trainer.loss.label_smoothing


def test_a_recipe_trains_with_its_smoothing_and_keeps_it_in_its_file(digits):
    recipe = PRESETS["mlp"].with_overrides(
        hidden=(16,), epochs=1, dev_size=0, batch_size=100, label_smoothing=SMOOTHING
    )
    assert "labels smoothed by 0.2" in recipe.description()
    assert Recipe.from_json(recipe.to_json()) == recipe
    seen = LossSeen()
    train_recipe(recipe, *digits, callbacks=[seen])
    assert seen.smoothing == SMOOTHING
    with pytest.raises(ConfigError, match=r"label_smoothing must be in \[0, 1\), got 1.0"):
        recipe.with_overrides(label_smoothing=1.0)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_the_estimator_trains_with_its_recipes_smoothing(digits, method):
    x, y = digits[0].reshape(len(digits[0]), -1), digits[1]
    recipe = PRESETS["mlp"].with_overrides(hidden=(16,), epochs=1, dev_size=0, batch_size=100)
    weights = []
    for smoothing in (0.0, SMOOTHING):
        estimator = NNClassifier(
            recipe=recipe.with_overrides(label_smoothing=smoothing), random_state=0
        )
        getattr(estimator, method)(x, y, **({"classes": np.arange(10)} if method != "fit" else {}))
        weights.append(estimator.model_.get_weights())
    changed = [
        name for name in weights[0] if not np.array_equal(weights[0][name], weights[1][name])
    ]
    assert changed

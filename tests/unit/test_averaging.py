"""Weight averaging: the network as training ends is the bias-corrected exponential moving
average of every step's weights and buffers, and a resumed run ends with the same one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnscratch import Adam, BatchNorm, Dense, Flatten, ReLU, Sequential
from nnscratch.datasets import load_mnist
from nnscratch.errors import ConfigError
from nnscratch.model.presets import PRESETS
from nnscratch.training import Callback, EarlyStopping
from nnscratch.training.averaging import WeightAveraging
from nnscratch.training.checkpoint import Checkpointer, load_latest
from nnscratch.usecases.train import train_recipe
from stop_at import StopAt

N, EPOCHS, BATCH = 600, 3, 100
STEPS = math.ceil(N / BATCH)


@pytest.fixture(scope="module")
def digits():
    x, y = load_mnist("train")
    return x[:N], y[:N]


def network():
    """With BatchNorm: its running statistics are buffers, averaged with the weights."""
    return Sequential(
        [Flatten(), Dense(784, 16), BatchNorm(16), ReLU(), Dense(16, 10)],
        input_scale=1 / 255,
        seed=5,
    )


def train(digits, *callbacks, resume=None, decay=0.8):
    model = network()
    averaging = WeightAveraging(decay)
    model.fit(
        *digits,
        epochs=EPOCHS,
        batch_size=BATCH,
        optimizer=Adam(lr=1e-2),
        callbacks=[averaging, *callbacks],
        resume=resume,
    )
    return model, averaging


class EveryStep(Callback):
    """Keeps every step's weights (as the averaging sees them)."""

    def __init__(self):
        self.weights = []

    def on_batch_end(self, trainer, step, loss):
        self.weights.append(trainer.model.get_weights())


def test_the_network_ends_as_the_weighted_mean_of_every_steps_weights(digits):
    decay, steps = 0.8, EveryStep()
    model, averaging = train(digits, steps, decay=decay)
    t = len(steps.weights)
    assert t == averaging.steps == EPOCHS * STEPS
    shares = [(1 - decay) * decay ** (t - i) / (1 - decay**t) for i in range(1, t + 1)]
    assert math.isclose(sum(shares), 1.0)
    final, last = model.get_weights(), steps.weights[-1]
    assert "layers.2.running_mean" in final  # BatchNorm's buffers are averaged too
    for name in final:
        weights = [w[name].astype(np.float64) for w in steps.weights]
        expected = sum(share * w for share, w in zip(shares, weights, strict=True))
        np.testing.assert_allclose(final[name], expected, rtol=1e-5, atol=1e-6, err_msg=name)
        assert final[name].dtype == last[name].dtype
    assert any(not np.allclose(final[name], last[name]) for name in final)  # not the last step


@pytest.mark.parametrize("at", [1, STEPS, STEPS + 2])
def test_a_resumed_run_ends_with_the_same_average(digits, tmp_path, at):
    reference, _ = train(digits)
    stopped, averaging = train(digits, StopAt(at), Checkpointer(tmp_path, every=None))
    assert averaging.steps == at
    resumed, _ = train(digits, resume=load_latest(tmp_path).state)
    expected = reference.get_weights()
    for name, value in resumed.get_weights().items():
        assert value.tobytes() == expected[name].tobytes(), name


@pytest.mark.parametrize("decay", [0, 1, 1.5, -0.1, math.nan, "0.9"])
def test_a_decay_outside_zero_to_one_is_refused(decay):
    with pytest.raises(ConfigError, match="weight averaging decay must be"):
        WeightAveraging(decay)


def test_a_saved_average_that_does_not_fit_is_refused(digits, tmp_path):
    train(digits, StopAt(STEPS + 1), Checkpointer(tmp_path, every=None))
    state = load_latest(tmp_path).state
    document, arrays = state.callbacks["WeightAveraging"], state.callback_arrays["WeightAveraging"]
    assert document == {"steps": STEPS + 1} and arrays
    trainer = type("Run", (), {"model": network()})()
    averaging = WeightAveraging(0.8)
    for bad in ({"steps": -1}, {"steps": 0}, {}, {"steps": 1.5}):
        with pytest.raises(ConfigError, match="weight averaging state is not valid"):
            averaging.load_state(trainer, bad, arrays)
    wrong = dict(arrays, **{"layers.1.W": np.zeros((3, 3))})
    with pytest.raises(ConfigError, match="the saved weight average does not fit the model"):
        averaging.load_state(trainer, document, wrong)


def test_a_recipe_with_ema_trains_with_the_averaging(digits):
    # nnscratch train, the estimator and Sequential.fit all reach WeightAveraging this way.
    recipe = PRESETS["mlp"].with_overrides(hidden=(16,), epochs=1, dev_size=0, batch_size=100)
    averaged = train_recipe(recipe.with_overrides(ema=0.9), *digits).model.get_weights()
    by_hand = train_recipe(recipe, *digits, callbacks=[WeightAveraging(0.9)]).model.get_weights()
    plain = train_recipe(recipe, *digits).model.get_weights()
    for name, value in averaged.items():
        assert value.tobytes() == by_hand[name].tobytes(), name
    assert any(not np.array_equal(averaged[name], plain[name]) for name in plain)


def test_fit_refuses_early_stopping_with_an_average(digits):
    model = network()
    before = model.get_weights()
    with pytest.raises(ConfigError, match="early_stopping keeps one epoch's weights and ema"):
        model.fit(*digits, epochs=1, validation_split=100, early_stopping=2, ema=0.99)
    assert all(np.array_equal(before[k], v) for k, v in model.get_weights().items())


def test_hand_given_early_stopping_that_restores_is_refused(digits):
    # Its on_train_end would run after the averaging's and put one epoch's weights back.
    model = network()
    restoring = EarlyStopping(patience=1)
    with pytest.raises(ConfigError, match="would replace the weight average"):
        model.fit(*digits, epochs=1, validation_split=100, callbacks=[restoring], ema=0.9)
    keeping = EarlyStopping(patience=1, restore_best=False)
    with_stopper, alone = network(), network()
    with_stopper.fit(*digits, epochs=2, validation_split=100, callbacks=[keeping], ema=0.9)
    alone.fit(*digits, epochs=2, validation_split=100, ema=0.9)
    for name, value in alone.get_weights().items():
        assert value.tobytes() == with_stopper.get_weights()[name].tobytes(), name

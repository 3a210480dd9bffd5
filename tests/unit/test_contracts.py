"""The model contracts of the tiers below the model: what training and the ONNX exporter need of
a network, as Protocols, and Sequential satisfying both.

Statically: mypy checks this file (pyproject.toml's [tool.mypy] ``files`` lists it), so a
Sequential that no longer fits :class:`TrainableModel` or :class:`ExportableModel` (a method
renamed, a signature changed) fails ``mypy`` at the calls below. At run time: every member a
Protocol names exists on a Sequential, and the loop trains a model that has nothing but the
contract's members exactly as it trains the Sequential behind it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnscratch import SGD, Dense, Flatten, ReLU, Sequential
from nnscratch.engine.losses import Loss
from nnscratch.onnx.contract import ExportableModel
from nnscratch.training import History, fit
from nnscratch.training.contract import TrainableModel
from nnscratch.training.loop import Trainer


def takes_trainable(model: TrainableModel) -> None:
    """Statically checked only: mypy refuses a call with a model that lacks the contract."""


def takes_exportable(model: ExportableModel) -> None:
    """Statically checked only: mypy refuses a call with a model that lacks the contract."""


def small_model(seed: int = 0) -> Sequential:
    return Sequential([Flatten(), Dense(16, 8), ReLU(), Dense(8, 3)], seed=seed)


def members(protocol: type) -> list[str]:
    return sorted(name for name in vars(protocol) if not name.startswith("_"))


@pytest.mark.parametrize("protocol", [TrainableModel, ExportableModel])
def test_a_sequential_has_every_member_of_the_contract(protocol: type) -> None:
    model = small_model()
    names = members(protocol)
    assert names  # the Protocol names its members
    assert [name for name in names if not hasattr(model, name)] == []
    # Statically: mypy checks that a Sequential is both (a failure is an arg-type error here).
    takes_trainable(model)
    takes_exportable(model)


def test_a_trainer_keeps_the_type_of_its_model() -> None:
    model = small_model()
    trainer: Trainer[Sequential] = Trainer(
        model,
        SGD(lr=0.1),
        epochs=1,
        batch_size=None,
        x=np.zeros((4, 4, 4), np.float32),
        y=np.zeros(4, np.int64),
        x_dev=None,
        y_dev=None,
        shuffle=False,
        rng=np.random.default_rng(0),
        callbacks=[],
    )
    kept: Sequential = trainer.model  # mypy: still a Sequential, not only a TrainableModel
    assert kept is model


class OnlyTheContract:
    """A model with nothing but TrainableModel's members, each handed to a Sequential."""

    def __init__(self, inner: Sequential) -> None:
        self._inner = inner

    @property
    def loss(self) -> Loss:
        return self._inner.loss

    def forward(
        self, x: np.ndarray, /, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        return self._inner.forward(x, training=training, rng=rng)

    def backward(self, grad: np.ndarray, /) -> None:
        self._inner.backward(grad)

    def trainable(self) -> tuple[list[np.ndarray], list[np.ndarray], list[bool]]:
        return self._inner.trainable()

    def evaluate(self, x: np.ndarray, y: np.ndarray, /) -> dict[str, float]:
        return self._inner.evaluate(x, y)

    def get_weights(self) -> dict[str, np.ndarray]:
        return self._inner.get_weights()

    def set_weights(self, weights: dict[str, np.ndarray], /) -> None:
        self._inner.set_weights(weights)

    def config(self) -> dict[str, Any]:
        return self._inner.config()


def train(model: TrainableModel, x: np.ndarray, y: np.ndarray) -> History:
    return fit(
        model,
        x,
        y,
        SGD(lr=0.1),
        epochs=3,
        batch_size=5,
        x_dev=x[:6],
        y_dev=y[:6],
        rng=np.random.default_rng(1),
    )


def test_the_loop_needs_nothing_beyond_the_contract() -> None:
    data = np.random.default_rng(0)
    x = data.normal(size=(30, 4, 4)).astype(np.float32)
    y = data.integers(0, 3, size=30)
    direct, behind = small_model(), small_model()
    history = train(direct, x, y)
    wrapped_history = train(OnlyTheContract(behind), x, y)
    assert wrapped_history.train_loss == history.train_loss
    assert wrapped_history.dev_loss == history.dev_loss
    weights, wrapped_weights = direct.get_weights(), behind.get_weights()
    assert all(np.array_equal(weights[k], wrapped_weights[k]) for k in weights)
    assert history.train_loss[-1] != history.train_loss[0]  # the runs did train

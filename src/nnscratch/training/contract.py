"""What the training package needs of a model: :class:`TrainableModel`, a structural type.

Training sits below :mod:`nnscratch.model`, so it cannot name ``Sequential``; it names what it
calls instead. Any object with these members can be trained by :func:`~nnscratch.training.fit`
(``Sequential`` has them; tests/test_contracts.py has mypy check that it does).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ..engine.losses import Loss


class TrainableModel(Protocol):
    """A network the loop trains, early stopping restores and a checkpoint describes.

    Shapes: inputs ``x`` (N, ...) as the first layer expects them, outputs (N, C), labels
    ``y`` (N,) int (or (N, K) targets). Weights are named arrays, as a model file names them.
    """

    @property
    def loss(self) -> Loss:
        """The loss of :meth:`forward`'s outputs: ``forward(outputs, y)`` then ``backward()``."""
        ...

    def forward(
        self, x: np.ndarray, /, training: bool = ..., rng: np.random.Generator | None = ...
    ) -> np.ndarray:
        """Outputs (N, C) of prepared inputs (N, ...); random layers draw from ``rng``."""
        ...

    def backward(self, grad: np.ndarray, /) -> None:
        """Fill the gradients of :meth:`trainable` from ``dL/doutputs`` (N, C)."""
        ...

    def trainable(self) -> tuple[list[np.ndarray], list[np.ndarray], list[bool]]:
        """Parameters, their gradients (same shapes) and whether weight decay applies to each,
        in a fixed order: what ``Optimizer.step`` takes."""
        ...

    def evaluate(self, x: np.ndarray, y: np.ndarray, /) -> dict[str, float]:
        """``{"loss": ..., "accuracy": ...}`` on raw inputs (N, ...) and labels (N,)."""
        ...

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, by name."""
        ...

    def set_weights(self, weights: dict[str, np.ndarray], /) -> None:
        """Copy ``weights`` (as :meth:`get_weights` names them) into the model, in place."""
        ...

    def config(self) -> dict[str, Any]:
        """A JSON-able description of the network, which a checkpoint stores."""
        ...

"""Inverted dropout: scale at training time so inference is the identity."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from .base import Example, Layer


class Dropout(Layer):
    """During training, zero each input with probability ``rate`` and scale the survivors by
    ``1 / (1 - rate)``, so the expected activation is unchanged; at inference, pass through.

    The mask is drawn from ``rng``, the generator ``forward`` is given in training (the model
    passes its own, which also shuffles the examples), so a seeded run is repeatable.
    Shapes: any; the output has the input's shape.
    """

    examples = (Example({"rate": 0.4}, (9,)),)

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        self.rate = checks.real("Dropout rate", rate, low=0, high=1, high_open=True)
        self._mask: np.ndarray | None = None

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Any shape -> the same shape: x itself unless training, else x times a new mask."""
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        if rng is None:
            raise ConfigError(
                "Dropout draws its mask from a random generator: in training, "
                "pass forward(x, training=True, rng=...)"
            )
        keep = 1.0 - self.rate
        mask = rng.random(x.shape, dtype=np.float32) < keep
        self._mask = mask.astype(x.dtype) * x.dtype.type(1.0 / keep)
        y: np.ndarray = x * self._mask
        return y

    def infer(self, x: np.ndarray) -> np.ndarray:
        """The identity: any shape, x itself."""
        return x

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dL/dy -> dL/dx, the input's shape: dy times the last mask (``grad_y`` overwritten)."""
        if self._mask is None:
            return grad_y
        np.multiply(grad_y, self._mask, out=grad_y)
        return grad_y

    def config(self) -> dict[str, Any]:
        """The constructor's argument, rate."""
        return {"rate": self.rate}

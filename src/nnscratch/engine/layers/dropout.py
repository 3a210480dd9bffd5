"""Inverted dropout: scale at training time so inference is the identity."""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from .base import Layer


class Dropout(Layer):
    """During training, zero each input with probability ``rate`` and scale the survivors by
    ``1 / (1 - rate)``, so the expected activation is unchanged; at inference, pass through.

    The mask comes from the generator given to :meth:`initialize` (the model's), so a seeded
    run is repeatable. Shapes: any; the output has the input's shape.
    """

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ConfigError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng: np.random.Generator | None = None
        self._mask: np.ndarray | None = None

    def initialize(self, rng, dtype):
        self.rng = rng

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        if self.rng is None:
            raise ConfigError("Dropout has no random generator: add it to a model first")
        keep = 1.0 - self.rate
        mask = self.rng.random(x.shape, dtype=np.float32) < keep
        self._mask = mask.astype(x.dtype) * x.dtype.type(1.0 / keep)
        return x * self._mask

    def backward(self, grad_y, input_grad=True):
        if self._mask is None:
            return grad_y
        return np.multiply(grad_y, self._mask, out=grad_y)

    def config(self):
        return {"rate": self.rate}

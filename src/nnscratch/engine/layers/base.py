"""The layer protocol every layer follows.

``forward(x, training=False) -> y`` caches what ``backward`` needs; ``backward(grad_y) -> grad_x``
fills ``layer.grads`` (same keys and shapes as ``layer.params``) and returns the gradient of the
loss with respect to the layer's input. ``config()`` returns the JSON-able constructor arguments,
so ``type(layer)(**layer.config())`` rebuilds the layer.

Two contracts keep the hot path free of copies:

* ``backward`` may overwrite ``grad_y`` and return it as ``grad_x``: a gradient is consumed by the
  layer that receives it. Pass a copy if you still need yours.
* ``backward(grad_y, input_grad=False)`` skips ``grad_x`` (and returns ``None``): the first layer
  of a network never needs it, and for a Dense layer it is a whole matrix product saved.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Layer:
    """Base class: a layer without parameters that passes shapes through."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw the parameters (layers with parameters override this)."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The constructor's arguments, JSON-able."""
        return {}

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{self.name}({args})"

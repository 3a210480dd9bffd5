"""The layer protocol every layer follows.

``forward(x, training=False, rng=None) -> y`` caches what ``backward`` needs; a layer that
draws random numbers in training (dropout) draws them from ``rng``, the generator the model
passes down, and never keeps one of its own. ``backward(grad_y) -> grad_x`` fills
``layer.grads`` (same keys and shapes as ``layer.params``) and returns the gradient of the loss
with respect to the layer's input. ``config()`` returns the JSON-able constructor arguments,
so ``type(layer)(**layer.config())`` rebuilds the layer, and ``array_shapes()`` says which
arrays it holds once initialized, so a loaded model's arrays can be checked against them.

``params`` are learnt (an optimizer updates them); ``buffers`` are arrays a layer keeps that no
gradient updates (running averages) but that belong to the model all the same: both are saved
in model files and checkpoints.

Two contracts keep the hot path free of copies:

* ``backward`` may overwrite ``grad_y`` and return it as ``grad_x``: a gradient is consumed by the
  layer that receives it. Pass a copy if you still need yours.
* ``backward(grad_y, input_grad=False)`` skips ``grad_x`` (and returns ``None``): the first layer
  of a network never needs it, and for a Dense layer it is a whole matrix product saved.

``infer(x)`` is the prediction path: ``forward(x)`` without training, without checks and without
keeping anything for backward, on an ``x`` the model has already checked and converted to its
dtype. A layer that has nothing to skip need not define it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Layer:
    """Base class: a layer without parameters that passes shapes through."""

    # Values per example the layer requires (a Dense layer's in_features), or None when it
    # takes any number; and whether its output has as many values per example as its input
    # (then what a later layer requires, the network requires: see Sequential.input_size).
    input_features: int | None = None
    keeps_size = True
    # Values per example it outputs when fixed (a Dense layer's out_features), else None.
    output_features: int | None = None
    # Which of the arrays array_shapes() names are buffers rather than parameters.
    buffer_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw the parameters (layers with parameters override this)."""

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter and buffer :meth:`initialize` makes, by name."""
        return {}

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        """The output for a prediction, from an ``x`` the model has checked (see above)."""
        return self.forward(x)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments, JSON-able."""
        return {}

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{self.name}({args})"

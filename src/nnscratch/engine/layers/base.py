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

**What a layer says of itself.** Code that builds, resumes, explains or draws networks reads
these class attributes and methods, so that no table elsewhere is keyed by a layer's name
(the idea of Keras's ``build`` and ``compute_output_shape``):

* ``takes``: the kind of example it needs, ``ROWS``, ``IMAGES`` or ``SEQUENCES`` (None: any);
* ``options_from_shape(shape)``: the constructor options it reads off the shape that reaches
  it (a Dense layer's ``in_features``);
* ``output_shape(input_shape)``: one example's shape after it, the input's checked;
* ``is_activation``, ``gate_names`` (a recurrent layer's gates, in its weights' row blocks),
  ``size_options`` (the options that size one of its arrays);
* ``examples``: small configurations that the layer test harness checks
  (tests/test_layer_harness.py): gradients, config, shapes, model files, ONNX.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np

T = TypeVar("T")


class InputKind(NamedTuple):
    """A kind of example a layer takes: its number of axes, and its name in messages."""

    axes: int
    words: str


ROWS = InputKind(1, "rows (features)")
IMAGES = InputKind(3, "images (channels, height, width)")
SEQUENCES = InputKind(2, "sequences (steps, features)")


class Example(NamedTuple):
    """A small configuration of a layer (its constructor's options) and the shape of one
    example it takes, for the layer test harness."""

    options: dict[str, Any]
    input_shape: tuple[int, ...]


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
    # What one example must be (see the module's docstring); None: any shape.
    takes: ClassVar[InputKind | None] = None
    is_activation: ClassVar[bool] = False
    gate_names: ClassVar[tuple[str, ...]] = ()
    size_options: ClassVar[tuple[str, ...]] = ()
    examples: ClassVar[tuple[Example, ...]] = ()

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw the parameters (layers with parameters override this)."""

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter and buffer :meth:`initialize` makes, by name."""
        return {}

    @classmethod
    def options_from_shape(cls, shape: tuple[int, ...]) -> dict[str, Any]:
        """The constructor options read off ``shape``, one example's shape before the layer."""
        return {}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """One example's shape after the layer, from its shape before; ConfigError when the
        layer does not take it. By default the shape is kept."""
        return tuple(input_shape)

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """The output for inputs x (N, ...), keeping what backward needs; in training, random
        layers draw from ``rng``."""
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Fill ``grads`` from dL/dy (the output's shape) and return dL/dx (the input's
        shape), or None when not ``input_grad``."""
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        """The output for a prediction, from an ``x`` the model has checked (see above)."""
        return self.forward(x)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments, JSON-able."""
        return {}

    @property
    def name(self) -> str:
        """The layer's type, its class's name."""
        return type(self).__name__

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{self.name}({args})"


def from_forward(value: T | None, layer: Layer) -> T:
    """``value``, kept by ``layer``'s last forward pass for backward; a clear error when there
    was none (backward called first)."""
    if value is None:
        raise RuntimeError(f"{layer.name}.backward needs a forward pass first")
    return value

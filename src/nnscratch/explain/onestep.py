"""One step of learning on one image: the forward pass layer by layer (Z1, A1, Z2, A2...), the
loss, every backward quantity (dZ2 = A2 - Y, dW2, db2, dA1, dZ1, dW1, db1... and a convolution's
counterparts), the update W <- W - alpha dW, and the probabilities before and after.

The numbers are the engine's own: a copy of the model runs :meth:`Sequential.forward`, its
loss and :meth:`Sequential.backward`, with each layer's ``forward`` and ``backward`` tapped to
record what passes through them. The model given is never changed.

The quantities come in the order the engine ran the layers. A convolutional network pools
before its ReLU (:func:`~nnscratch.engine.layers.pooling.pool_before_relu`: a quarter of the
values to rectify, and the same result, as max-pooling and ReLU commute), so there A1 is
ReLU(MaxPool(Z1)), equal to MaxPool(ReLU(Z1)); the titles of the two layers say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..model import Sequential
from .maths import layer_title, weighted_layers

MAX_LEARNING_RATE = 100.0


@dataclass(frozen=True)
class Quantity:
    """One array of the step: ``name`` in the tutorial's notation ("Z1", "dW2"), the
    ``layer`` (index) and its ``title``, ``values`` float64 in our layout (examples as rows:
    an activation (1, n) or (1, C, H, W), a Dense W (in, out)), and ``tutorial_shape``, the
    shape the tutorial writes (examples as columns: (n, 1), a Dense W (out, in))."""

    name: str
    layer: int
    title: str
    values: np.ndarray
    tutorial_shape: tuple[int, ...]


@dataclass(frozen=True)
class OneStep:
    """What :func:`one_step` finds. ``forward``: each layer's output in the order the engine
    ran them, then the softmax; ``backward``: dL/d(output) of each layer it reached, then
    each weighted layer's dW and db, output side first; ``updated``: each weighted layer's
    W and b after ``W - learning_rate * dW``. ``loss`` and ``loss_after`` the cross-entropy
    of ``label`` before and after; ``before`` and ``after`` the probabilities (C,)."""

    label: int
    learning_rate: float
    loss: float
    loss_after: float
    before: np.ndarray
    after: np.ndarray
    forward: list[Quantity]
    backward: list[Quantity]
    updated: list[Quantity]


def quantity_names(model: Sequential) -> dict[int, str]:
    """The tutorial's name of each layer's output: Z<n> for the n-th layer with weights, A<n>
    for the activation right after it, X for what only reshapes the input before the first,
    else the layer's type and the number of the weighted layer before it ("MaxPool2D1",
    "Flatten2", "LSTM0")."""
    numbers = {index: n for n, index in enumerate(weighted_layers(model), start=1)}
    names, number, learnt = {}, 0, False
    for index, layer in enumerate(model.layers):
        learnt = learnt or bool(layer.params)
        if index in numbers:
            number = numbers[index]
            names[index] = f"Z{number}"
        elif not learnt:  # only reshaping the input: still X
            names[index] = "X"
        elif layer.is_activation and index - 1 in numbers:
            names[index] = f"A{number}"
        else:
            names[index] = f"{layer.name}{number}"
    return names


def one_step(model: Sequential, image: np.ndarray, label: int, learning_rate: float) -> OneStep:
    """One gradient-descent step of a copy of ``model`` on ``image`` (H, W, raw pixels) with
    the true ``label``: see :class:`OneStep`. The forward pass runs as a prediction does
    (dropout off, batch normalisation on its running averages), so the numbers do not depend
    on a random draw; every parameter moves by ``-learning_rate`` times its gradient (plain
    gradient descent, the tutorial's update, whatever optimizer trained the model).

    Raises ConfigError for a label outside the classes, a learning rate not in
    (0, MAX_LEARNING_RATE], or a model whose loss is not softmax cross-entropy."""
    if model.loss.name != "softmax_cross_entropy":
        raise ConfigError(f"one step is shown for softmax cross-entropy, not {model.loss.name}")
    classes = model.output_size
    if not 0 <= int(label) < classes:
        raise ConfigError(f"label {label} does not exist (the model has {classes} classes)")
    if not 0 < learning_rate <= MAX_LEARNING_RATE:
        raise ConfigError(
            f"learning rate must be in (0, {MAX_LEARNING_RATE:g}], got {learning_rate}"
        )
    copy = model.converted(model.dtype)  # a deep copy: arrays of its own
    copy.freeze(0)  # every layer learns in this step, whatever the model's training froze
    names = quantity_names(copy)
    seen: list[tuple[int, np.ndarray]] = []
    grads_in: list[tuple[int, np.ndarray]] = []
    _tap(copy, seen, grads_in)
    x = copy.prepare(np.asarray(image)[None])
    logits = copy.forward(x, training=False)
    y = np.array([int(label)])
    loss = copy.loss.forward(logits, y)
    copy.backward(copy.loss.backward())
    before = copy.loss.probabilities(logits)[0].astype(np.float64)
    last, n_last = weighted_layers(copy)[-1], len(weighted_layers(copy))

    ran = [i for i, _ in seen]
    swapped = {i for i in ran if i + 1 in ran and ran.index(i + 1) < ran.index(i)}
    swapped |= {i + 1 for i in swapped}

    def quantity(name: str, index: int, values: np.ndarray) -> Quantity:
        values = np.array(values, dtype=np.float64)
        title = layer_title(copy, index)
        if index in swapped:
            title += " (the engine pools before the ReLU: the same result, a quarter of the work)"
        return Quantity(name, index, title, values, _tutorial_shape(values))

    forward = [quantity(names[i], i, out) for i, out in seen]
    forward.append(quantity(f"A{n_last}", last, before[None]))
    backward = [quantity("d" + names[i], i, grad) for i, grad in grads_in]
    numbers = {index: n for n, index in enumerate(weighted_layers(copy), start=1)}
    for index, n in reversed(numbers.items()):
        backward += [quantity(f"d{key}{n}", index, copy.layers[index].grads[key]) for key in "Wb"]
    rate = copy.dtype.type(learning_rate)
    for layer in copy.layers:  # every parameter, a batch normalisation's too
        for key, value in layer.params.items():
            value -= rate * layer.grads[key]
    updated = [
        quantity(f"{key}{n}", index, copy.layers[index].params[key])
        for index, n in numbers.items()
        for key in "Wb"
    ]
    _untap(copy)
    after_logits = copy.outputs(np.asarray(image)[None])
    return OneStep(
        label=int(label),
        learning_rate=float(learning_rate),
        loss=float(loss),
        loss_after=float(copy.loss.forward(after_logits, y)),
        before=before,
        after=copy.loss.probabilities(after_logits)[0].astype(np.float64),
        forward=forward,
        backward=backward,
        updated=updated,
    )


def _tutorial_shape(values: np.ndarray) -> tuple[int, ...]:
    """The shape the tutorial writes: examples as the last axis, a Dense W as (out, in), a
    bias as a column (out, 1)."""
    if values.ndim == 1:
        return (len(values), 1)
    if values.ndim == 2 and values.shape[0] == 1:  # one example's row
        return (values.shape[1], 1)
    if values.ndim == 2:  # a Dense W
        return (values.shape[1], values.shape[0])
    if values.ndim == 4 and values.shape[0] == 1:  # one example's maps (1, C, H, W)
        return (*values.shape[1:], 1)
    return values.shape  # a convolution's kernels (C_out, C_in, k, k)


def _tap(
    model: Sequential,
    seen: list[tuple[int, np.ndarray]],
    grads_in: list[tuple[int, np.ndarray]],
) -> None:
    """Make each layer of ``model`` record its output and the gradient it receives, around
    the engine's own methods (instance attributes over the class's)."""
    for index, layer in enumerate(model.layers):
        forward, backward = layer.forward, layer.backward

        def tapped_forward(
            x: np.ndarray, training: bool = False, rng: Any = None, *, _f=forward, _i=index
        ) -> np.ndarray:
            out = _f(x, training=training, rng=rng)
            seen.append((_i, out.copy()))
            return out

        def tapped_backward(
            grad: np.ndarray, input_grad: bool = True, *, _b=backward, _i=index
        ) -> np.ndarray | None:
            grads_in.append((_i, grad.copy()))  # copied: a layer may overwrite what it gets
            return _b(grad, input_grad=input_grad)

        setattr(layer, "forward", tapped_forward)  # noqa: B010 (an instance's own method)
        setattr(layer, "backward", tapped_backward)  # noqa: B010


def _untap(model: Sequential) -> None:
    for layer in model.layers:
        for name in ("forward", "backward"):
            layer.__dict__.pop(name, None)

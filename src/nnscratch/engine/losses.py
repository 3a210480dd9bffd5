"""Losses. Each takes the network's raw outputs (logits) and the targets.

``forward(outputs, targets) -> float`` returns the mean loss over the batch and caches what
``backward() -> grad_outputs`` needs. The gradient is already divided by the batch size N, so a
Dense layer's ``dW = xᵀ dz`` is the gradient of the *mean* loss whatever N is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import checks
from ..errors import ConfigError, DataError
from .layers.activations import sigmoid, sigmoid_pair


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Log p = z - max(z) - log Σ exp(z - max(z)), row by row; stable for any finite z.

    Shapes: (N, C) -> (N, C), same dtype.
    """
    shifted: np.ndarray = z - z.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(z: np.ndarray) -> np.ndarray:
    """P = exp(z - max z) / Σ exp(z - max z), row by row. Shapes: (N, C) -> (N, C)."""
    p: np.ndarray = z - z.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=1, keepdims=True)
    return p


class Loss:
    """Base class; ``probabilities`` turns outputs into what ``predict_proba`` returns."""

    name = "loss"

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """The mean loss over the batch; caches what ``backward`` needs.

        Args:
            outputs: the network's raw outputs (logits), (N, C) or (N, K).
            targets: (N,) integer labels or outputs-shaped targets, per loss.
        """
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """DL/d(outputs) of the last ``forward``, shaped like its outputs, already / N."""
        raise NotImplementedError

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """What ``predict_proba`` returns for these outputs; the outputs themselves here."""
        return outputs

    def config(self) -> dict[str, Any]:
        """JSON-able ``{"name": ...}``; ``get_loss`` rebuilds the loss from the name."""
        return {"name": self.name}


class SoftmaxCrossEntropy(Loss):
    """Softmax and cross-entropy fused, on logits and integer labels.

    Shapes: logits ``z`` (N, C), labels ``y`` (N,) integers in [0, C).

    * loss = mean_n [ log Σ_c exp(z[n, c]) - z[n, y[n]] ]   (log-sum-exp, max subtracted)
    * dL/dz = (p - onehot(y)) / N, with p = softmax(z); the one-hot width is C, the number of
      logits, never the largest label that happens to be in the batch.

    With ``label_smoothing`` ε the target is (1 - ε)·onehot(y) + ε/C rather than onehot(y)
    (as PyTorch's ``CrossEntropyLoss(label_smoothing=ε)``):

    * loss = mean_n [ log Σ_c exp(z[n, c]) - (1 - ε)·z[n, y[n]] - ε·mean_c z[n, c] ]
    * dL/dz = (p - (1 - ε)·onehot(y) - ε/C) / N

    Labels outside [0, C) raise DataError (NumPy's indexing would score -1 as class C - 1).
    ``backward`` may be called more than once after a ``forward``: it returns a new array and
    leaves the cached p as it was.
    """

    name = "softmax_cross_entropy"
    _p: np.ndarray  # softmax(z) of the last forward, (N, C)
    _y: np.ndarray  # its labels, (N,)
    _rows: np.ndarray  # arange(N)
    # A class default as well: a subclass whose __init__ does not call this one still works.
    label_smoothing: float = 0.0

    def __init__(self, label_smoothing: float = 0.0) -> None:
        self.label_smoothing = checks.real(
            "label_smoothing", label_smoothing, low=0, high=1, high_open=True
        )

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """Mean cross-entropy of logits (N, C) against integer labels (N,)."""
        z = outputs
        n, classes = z.shape
        y = _check_labels(np.asarray(targets), n, classes)
        # --8<-- [start:softmax] (shown in docs/tutorial.md)
        z_max = z.max(axis=1, keepdims=True)
        p = z - z_max
        np.exp(p, out=p)
        sums = p.sum(axis=1, keepdims=True)
        p /= sums
        # --8<-- [end:softmax]
        rows = np.arange(n)
        # -log p[y] = log Σ exp(z - max) - (z[y] - max), without taking log of a tiny p.
        z_true = z[rows, y] - z_max[:, 0]
        losses = np.log(sums[:, 0], dtype=np.float64) - z_true
        if self.label_smoothing:  # the smoothed target's other share: -ε·mean_c log p[c]
            z_mean = z.mean(axis=1, dtype=np.float64) - z_max[:, 0]
            losses += self.label_smoothing * (z_true - z_mean)
        self._p, self._y, self._rows = p, y, rows
        return float(losses.mean())

    def backward(self) -> np.ndarray:
        """(softmax(z) - target) / N, shape (N, C); the target is onehot(y), smoothed."""
        n, classes = self._p.shape
        # (N, C), what the gradient needs anyway; p stays for another call
        dz: np.ndarray = self._p.copy()
        if self.label_smoothing:
            dz -= dz.dtype.type(self.label_smoothing / classes)
            dz[self._rows, self._y] -= dz.dtype.type(1 - self.label_smoothing)
            dz *= dz.dtype.type(1.0 / n)
            return dz
        # --8<-- [start:softmax-ce-backward] (shown in docs/tutorial.md)
        dz[self._rows, self._y] -= 1
        dz *= dz.dtype.type(1.0 / n)
        # --8<-- [end:softmax-ce-backward]
        return dz

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Softmax of the logits, row by row: (N, C) -> (N, C)."""
        return softmax(outputs)


class BinaryCrossEntropy(Loss):
    """Sigmoid and binary cross-entropy fused, on logits and 0/1 (or soft) targets.

    Shapes: logits ``z`` and targets ``t`` alike, e.g. (N, K); the mean is over all N·K entries.

    * loss = mean [ max(z, 0) - z t + log(1 + exp(-|z|)) ]   (never overflows)
    * dL/dz = (σ(z) - t) / (N·K), computed as ((1 - t)·σ(z) - t·σ(-z)) / (N·K): for t = 1 and
      a large z, σ(z) - 1 would be a difference of nearly equal numbers, and σ(-z) is not
      (see :func:`~nnscratch.engine.layers.activations.sigmoid_pair`).
    """

    name = "binary_cross_entropy"
    _z: np.ndarray  # the last forward's logits
    _t: np.ndarray  # and targets, same shape

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """Mean binary cross-entropy of logits against targets in [0, 1], same shape."""
        z = outputs
        t = np.asarray(targets, dtype=z.dtype).reshape(z.shape)
        losses = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        self._z, self._t = z, t
        return float(losses.mean(dtype=np.float64))

    def backward(self) -> np.ndarray:
        """(σ(z) - t) / (N·K), shaped like the logits."""
        t = self._t
        a, one_minus_a = sigmoid_pair(self._z)
        a *= 1 - t
        one_minus_a *= t
        a -= one_minus_a
        a /= a.dtype.type(self._z.size)
        return a

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """σ of each logit, same shape."""
        return sigmoid(outputs)


class MeanSquaredError(Loss):
    """loss = mean over all entries of (y - t)²; dL/dy = 2 (y - t) / (N·K).

    Shapes: outputs ``y`` and targets ``t`` alike, e.g. (N, K).
    """

    name = "mean_squared_error"
    _diff: np.ndarray  # y - t of the last forward

    def forward(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """Mean of (y - t)² over all entries; targets are reshaped to the outputs' shape."""
        t = np.asarray(targets, dtype=outputs.dtype).reshape(outputs.shape)
        self._diff = outputs - t
        return float(np.mean(np.square(self._diff, dtype=np.float64)))

    def backward(self) -> np.ndarray:
        """2 (y - t) / (N·K), shaped like the outputs."""
        grad: np.ndarray = self._diff * self._diff.dtype.type(2.0 / self._diff.size)
        return grad


def _check_labels(y: np.ndarray, n: int, classes: int) -> np.ndarray:
    """``y`` if it holds ``n`` integer labels in [0, classes), else DataError saying why."""
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise DataError(
            f"softmax cross-entropy takes {n} integer labels, one per row of "
            f"logits (shape ({n},)); got shape {y.shape}, dtype {y.dtype}"
        )
    # Seen as unsigned, a negative label is huge: one reduction over N labels, no array,
    # finds both kinds of mistake (about a microsecond per batch).
    unsigned = y if y.dtype.kind == "u" else y.view(f"u{y.itemsize}")
    if n and unsigned.max() >= classes:
        index = int(np.flatnonzero((y < 0) | (y >= classes))[0])
        raise DataError(
            f"label {y[index]} at index {index} is outside 0-{classes - 1} "
            f"({classes} classes, one per logit)"
        )
    return y


LOSSES = {cls.name: cls for cls in (SoftmaxCrossEntropy, BinaryCrossEntropy, MeanSquaredError)}


def get_loss(name: str) -> Loss:
    """A new loss by name: softmax_cross_entropy, binary_cross_entropy or mean_squared_error."""
    try:
        return LOSSES[name]()
    except KeyError:
        valid = ", ".join(LOSSES)
        raise ConfigError(f"unknown loss {name!r}; choose one of: {valid}") from None

"""Sequential: a network that is a list of layers applied in order, with a loss at the end."""

from __future__ import annotations

import os
from collections.abc import Sequence
from copy import deepcopy
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .. import checks
from ..engine.layers import LAYER_TYPES, Layer
from ..engine.layers.normpool import NormPool, norm_pool_steps
from ..engine.layers.pooling import pool_before_relu
from ..engine.losses import LOSSES, Loss, get_loss
from ..errors import ConfigError, ModelFileError
from .architecture import Summary, architecture, model_repr, parameter_count, summary
from .datachecks import check_input, check_network_size, check_training_data
from .fitting import fit_model
from .recipe import Recipe
from .storage import load_model, save_model
from .weights import copy_weights, named_arrays

PREDICT_BATCH = 2048  # big enough for the BLAS to run at full speed, small enough for cache


class Sequential:
    """A feed-forward network: ``outputs = layers[-1](...layers[0](prepare(x)))``.

    Args:
        layers: the layers, in order (see :mod:`nnscratch.engine.layers`).
        loss: a :class:`~nnscratch.engine.losses.Loss` or its name; it takes the last layer's raw
            outputs (logits for ``softmax_cross_entropy``, the default).
        input_scale: inputs are multiplied by this when converted to floats (``1/255`` turns
            MNIST's 0-255 pixels into 0-1); ``None`` leaves them as they are.
        seed: seeds the model's generator ``rng``, which draws the initial weights; ``fit``
            passes the same generator to the training loop, which draws the order of the
            examples and, through ``forward(..., rng=)``, the dropout masks.
        dtype: ``float32`` (default, fast) or ``float64`` (for gradient checks).

    Shapes: inputs (N, ...) as the first layer expects, e.g. (N, 28, 28) behind a Flatten or
    (N, 784) into a Dense; labels (N,) integers.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        *,
        loss: str | Loss = "softmax_cross_entropy",
        input_scale: float | None = None,
        seed: int = 0,
        dtype: DTypeLike = "float32",
        _initialize: bool = True,
    ) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ConfigError("a Sequential model needs at least one layer")
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise ConfigError(f"{layer!r} is not a layer")
        self.loss = get_loss(loss) if isinstance(loss, str) else loss
        self.dtype: np.dtype[Any] = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ConfigError(f"dtype must be float32 or float64, got {self.dtype}")
        self.input_scale = None if input_scale is None else float(input_scale)
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.metadata: dict[str, Any] = {}
        check_network_size(self.layers, self.dtype)  # before its arrays exist (load's too)
        if _initialize:
            for layer in self.layers:
                layer.initialize(self.rng, self.dtype)
        self.freeze(0)
        self._plan()

    def freeze(self, count: int) -> None:
        """Keep the first ``count`` layers with parameters (counted from the input side) as
        they are: training leaves their arrays byte-identical (the optimizer never sees them,
        they run as in inference, and backward stops above them). ``freeze(0)`` thaws all."""
        holders = [i for i, layer in enumerate(self.layers) if layer.array_shapes()]
        try:
            count = checks.whole("freeze", count, high=max(len(holders) - 1, 0))
        except ConfigError as error:
            raise ConfigError(
                f"{error} (the network has {len(holders)} layers with "
                f"parameters, and one at least must learn)"
            ) from None
        self.frozen, self._frozen_layers = count, frozenset(holders[:count])
        # Backward stops at the first layer that learns: nothing below it needs a gradient.
        self._first_trainable = holders[count] if holders else len(self.layers)

    def _plan(self) -> None:
        """The order the layers run in (see :func:`pool_before_relu`), for these layers."""
        self._planned = list(self.layers)
        self._order = pool_before_relu(self.layers)
        # In training, a BatchNorm directly before a MaxPool2D runs with it as one step
        self._fused = norm_pool_steps(self.layers, self._order)
        self._ran: list[tuple[int, NormPool | None]] = []

    # --- computing -------------------------------------------------------------------------

    def prepare(self, x: np.ndarray) -> np.ndarray:
        """Convert raw inputs to the model's dtype and scale. Shapes: unchanged."""
        x = np.asarray(x)
        if x.dtype == self.dtype and self.input_scale is None:
            return x
        if self.input_scale is None:
            return x.astype(self.dtype)
        scaled: np.ndarray = np.multiply(x, self.dtype.type(self.input_scale), dtype=self.dtype)
        return scaled

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Outputs (N, C) of the last layer for prepared inputs ``x``. In training, random
        layers (dropout) draw from ``rng``, by default the model's own generator."""
        if training and rng is None:
            rng = self.rng
        if self._planned != self.layers:
            self._plan()
        layers, frozen, order = self.layers, self._frozen_layers, self._order
        ran: list[tuple[int, NormPool | None]] = []
        position = 0
        while position < len(order):
            i = order[position]
            trains = training and i not in frozen
            fused = self._fused.get(i) if trains else None
            if fused is not None:
                x = fused.forward(x)
                position += 2
            else:
                x = layers[i].forward(x, training=trains, rng=rng)
                position += 1
            ran.append((i, fused))
        self._ran = ran
        return x

    def backward(self, grad: np.ndarray) -> None:
        """Propagate ``dL/doutputs`` (N, C) down, filling every layer's ``grads``: the
        layers of the last forward pass, in its order reversed."""
        first = self._first_trainable
        for i, fused in reversed(self._ran):  # a swapped pair never straddles the first trainable
            if i < first:
                break
            step = self.layers[i] if fused is None else fused
            grad_below = step.backward(grad, input_grad=i > first)
            if grad_below is None:  # the first layer that learns: nothing below needs one
                break
            grad = grad_below

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Outputs (N, C) for prepared inputs ``x`` already checked, as :meth:`forward`
        without training: the layers' prediction path (``Layer.infer``), which checks nothing
        twice and keeps nothing for a backward pass."""
        if self._planned != self.layers:
            self._plan()
        layers = self.layers
        for i in self._order:
            x = layers[i].infer(x)
        return x

    def outputs(self, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """Raw outputs (logits) for raw inputs, in batches. Shapes: (N, ...) -> (N, C)."""
        x = np.asarray(x)
        checks.whole("batch_size", batch_size, low=1)
        check_input(self, x)  # once per call; the layers' prediction path checks no more
        if 0 < len(x) <= batch_size:  # one batch (one image, say): no list, no concatenation
            return self.infer(self.prepare(x))
        parts = [
            self.infer(self.prepare(x[i : i + batch_size])) for i in range(0, len(x), batch_size)
        ]
        if not parts:
            return np.zeros((0, self.output_size), dtype=self.dtype)
        return np.concatenate(parts)

    def predict_proba(self, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """Class probabilities (N, C), each row summing to 1 for softmax cross-entropy."""
        return self.loss.probabilities(self.outputs(x, batch_size))

    def predict(self, x: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """Predicted labels (N,) int64: the largest output of each row."""
        labels: np.ndarray = self.outputs(x, batch_size).argmax(axis=1)
        return labels

    def evaluate(
        self, x: np.ndarray, y: np.ndarray, batch_size: int = PREDICT_BATCH
    ) -> dict[str, float]:
        """Mean loss and accuracy on (x, y): ``{"loss": ..., "accuracy": ...}``."""
        checks.whole("batch_size", batch_size, low=1)
        x, y = check_training_data(self, x, y)  # input size and labels, as fit checks them
        total_loss, correct = 0.0, 0
        for i in range(0, len(x), batch_size):
            out = self.infer(self.prepare(x[i : i + batch_size]))
            yb = y[i : i + batch_size]
            total_loss += self.loss.forward(out, yb) * len(yb)
            correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
        n = max(len(x), 1)
        return {"loss": total_loss / n, "accuracy": correct / n}

    # --- training --------------------------------------------------------------------------

    # Written in fitting.py (the options' glue to the training loop); a method all the same.
    fit = fit_model

    def converted(self, dtype: DTypeLike) -> Sequential:
        """A copy of the model (layers, weights and buffers) in ``dtype``: float64 for a
        gradient check of a float32 model."""
        copy = deepcopy(self)  # not through config(): a layer of one's own has no entry there
        copy.dtype = np.dtype(dtype)
        for layer in copy.layers:
            for arrays in (layer.params, layer.grads, layer.buffers):
                for key, value in arrays.items():
                    arrays[key] = value.astype(copy.dtype)
        return copy

    def reseed(self, seed: int) -> None:
        """Restart the model's generator from ``seed``."""
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)

    def replica(self) -> Sequential:
        """A model computing with this one's parameter and buffer arrays (shared, not copied)
        through layers of its own, whose caches and gradients are its own too.

        Layers keep what ``forward`` saw for ``backward``, so two threads must not run one
        model at once; each may run a replica of it (a web server keeps one per thread).
        Training either one changes both: treat a replica as read-only.
        """
        layers = [type(layer)(**layer.config()) for layer in self.layers]
        for mine, theirs in zip(layers, self.layers, strict=False):
            mine.params, mine.buffers = dict(theirs.params), dict(theirs.buffers)
            mine.grads = {key: np.zeros_like(value) for key, value in theirs.params.items()}
        twin = Sequential(
            layers,
            loss=self.loss.name,
            input_scale=self.input_scale,
            seed=self.seed,
            dtype=self.dtype,
            _initialize=False,
        )
        twin.metadata = self.metadata
        return twin

    def trainable(self) -> tuple[list[np.ndarray], list[np.ndarray], list[bool]]:
        """Parameters, their gradients, and whether weight decay applies (weights yes,
        biases no), in a fixed order: what an optimizer's ``step`` takes. Buffers (running
        averages) are not among them: no gradient moves them; nor are frozen layers'."""
        params, grads, decay = [], [], []
        for i, layer in enumerate(self.layers):
            for key in layer.params if i not in self._frozen_layers else ():
                params.append(layer.params[key])
                grads.append(layer.grads[key])
                decay.append(layer.params[key].ndim > 1)
        return params, grads, decay

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of all parameters and buffers, named ``layers.<index>.<name>``: what a model
        file, a checkpoint and early stopping's best epoch keep."""
        return {name: value.copy() for name, value in named_arrays(self).items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy ``weights`` (as from :meth:`get_weights`) into the parameters and buffers, in
        place. Raises ModelFileError naming a missing, unexpected or wrongly shaped array."""
        copy_weights(self, weights)

    # --- describing and saving -------------------------------------------------------------

    @property
    def output_size(self) -> int:
        """Outputs per example (10 classes for MNIST): those of the last layer that fixes them
        (a Dense layer); 0 when none does."""
        fixed = [
            layer.output_features for layer in self.layers if layer.output_features is not None
        ]
        return fixed[-1] if fixed else 0

    @property
    def input_size(self) -> int | None:
        """Values per example the network takes (784 for MNIST), from its first layer that fixes
        it (a Dense or a Reshape) behind layers that keep the size; None when a layer that
        takes any size comes first (a convolution takes images of any size)."""
        for layer in self.layers:
            if layer.input_features is not None:
                return layer.input_features
            if not layer.keeps_size:
                return None
        return None

    @property
    def recipe(self) -> Recipe | None:
        """The :class:`~nnscratch.model.Recipe` the model file records, or None: none recorded
        (a model saved from Python), or an incomplete one."""
        try:
            return Recipe.from_json(self.metadata.get("recipe"))
        except ConfigError:
            return None

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """The shape of one image the model was trained on, ``(28, 28)`` for MNIST, as its file
        records it (``preprocessing.image_shape``); None when the file does not say."""
        shape = (self.metadata.get("preprocessing") or {}).get("image_shape")
        if (
            isinstance(shape, list)
            and shape
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)
        ):
            return tuple(shape)
        return None

    def parameter_count(self) -> int:
        """Learnt numbers in all the layers (buffers such as running averages not counted)."""
        return parameter_count(self)

    def config(self) -> dict[str, Any]:
        """JSON-able description from which :meth:`from_config` rebuilds the model."""
        return {
            "layers": [{"type": layer.name, "config": layer.config()} for layer in self.layers],
            "loss": self.loss.name,
            "dtype": self.dtype.name,
            "input_scale": self.input_scale,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], *, initialize: bool = True) -> Sequential:
        """The model :meth:`config` describes, its weights drawn anew (``initialize``) or left
        for a model file to fill; ModelFileError if the description is not one it can build."""
        try:
            layers = [LAYER_TYPES[spec["type"]](**spec["config"]) for spec in config["layers"]]
            loss = config["loss"]
            if loss not in LOSSES:
                raise KeyError(loss)
            return cls(
                layers,
                loss=loss,
                input_scale=config.get("input_scale"),
                seed=config.get("seed", 0),
                dtype=config.get("dtype", "float32"),
                _initialize=initialize,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(
                f"model description is not one nnscratch can build: {type(error).__name__}: {error}"
            ) from None

    def architecture(self, input_shape: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Each layer's type, per-example input and output shapes, and parameter shapes
        (see :func:`.architecture.architecture`); ``input_shape`` defaults to
        ``(input_size,)``."""
        return architecture(self, input_shape)

    def save(self, path: str | os.PathLike[str], **metadata: Any) -> None:
        """Write the model to one ``.npz`` file (atomically), with ``metadata`` (JSON-able:
        preset, metrics, history...) in its document. Never pickled. See
        :func:`.storage.save_model` for what the document always holds."""
        save_model(self, path, **metadata)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Sequential:
        """Read a model written by :meth:`save`; its document is in ``model.metadata``."""
        return load_model(cls, path)

    def to_onnx(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        input_shape: Sequence[int] | None = None,
        opset: int | None = None,
        input_type: str = "float32",
    ) -> Any:  # an onnx.ModelProto; onnx ships no type information
        """The network as an ONNX model (``onnx.ModelProto``), written to ``path`` if given:
        raw inputs (N, *input_shape) float32 (or ``input_type="uint8"``) in, ``logits`` and
        ``probabilities`` (N, C) out, the input scaling inside the graph, in ``opset`` (None:
        the exporter's default). See :func:`nnscratch.onnx.to_onnx`; needs the onnx package
        (``pip install "nnscratch[onnx]"``)."""
        from ..onnx import OPSET, to_onnx  # the exporter is a tier below: it reads models

        return to_onnx(
            self,
            path,
            input_shape=None if input_shape is None else tuple(input_shape),
            opset=OPSET if opset is None else opset,
            input_type=input_type,
        )

    def summary(self) -> Summary:
        """A table of the layers, their output shapes and parameter counts, then the total:
        a str, shown as an HTML table in a notebook (see :class:`.architecture.Summary`)."""
        return summary(self)

    def __repr__(self) -> str:
        return model_repr(self)

"""Sequential: a network that is a list of layers applied in order, with a loss at the end."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from copy import deepcopy
from typing import Any

import numpy as np

from .. import checks
from ..datasets.splits import hold_out
from ..engine.layers import LAYER_TYPES, Layer
from ..engine.layers.pooling import pool_before_relu
from ..engine.losses import LOSSES, Loss, get_loss
from ..engine.optimizers import Optimizer, get_optimizer
from ..errors import ConfigError, DataError, ModelFileError
from ..training import Callback, EarlyStopping, History, TrainingState, fit
from ..training.loop import Augment
from .storage import load_model, save_model

PREDICT_BATCH = 2048  # big enough for the BLAS to run at full speed, small enough for cache


class Sequential:
    """A feed-forward network: ``outputs = layers[-1](...layers[0](prepare(x)))``.

    Args:
        layers: the layers, in order (see :mod:`nnscratch.layers`).
        loss: a :class:`~nnscratch.losses.Loss` or its name; it takes the last layer's raw
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
        dtype: str | np.dtype = "float32",
        _initialize: bool = True,
    ) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ConfigError("a Sequential model needs at least one layer")
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise ConfigError(f"{layer!r} is not a layer")
        self.loss = get_loss(loss) if isinstance(loss, str) else loss
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ConfigError(f"dtype must be float32 or float64, got {self.dtype}")
        self.input_scale = None if input_scale is None else float(input_scale)
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.metadata: dict[str, Any] = {}
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

    # --- computing -------------------------------------------------------------------------

    def prepare(self, x: np.ndarray) -> np.ndarray:
        """Convert raw inputs to the model's dtype and scale. Shapes: unchanged."""
        x = np.asarray(x)
        if x.dtype == self.dtype and self.input_scale is None:
            return x
        if self.input_scale is None:
            return x.astype(self.dtype)
        return np.multiply(x, self.dtype.type(self.input_scale), dtype=self.dtype)

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Outputs (N, C) of the last layer for prepared inputs ``x``. In training, random
        layers (dropout) draw from ``rng``, by default the model's own generator."""
        if training and rng is None:
            rng = self.rng
        if self._planned != self.layers:
            self._plan()
        layers, frozen = self.layers, self._frozen_layers
        for i in self._order:
            x = layers[i].forward(x, training=training and i not in frozen, rng=rng)
        return x

    def backward(self, grad: np.ndarray) -> None:
        """Propagate ``dL/doutputs`` (N, C) down, filling every layer's ``grads``: the
        layers of the last forward pass, in its order reversed."""
        first = self._first_trainable
        for i in reversed(self._order):  # a swapped pair never straddles the first trainable
            if i < first:
                break
            grad = self.layers[i].backward(grad, input_grad=i > first)

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
        self._check_input(x)  # once per call; the layers' prediction path checks no more
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
        return self.outputs(x, batch_size).argmax(axis=1)

    def evaluate(
        self, x: np.ndarray, y: np.ndarray, batch_size: int = PREDICT_BATCH
    ) -> dict[str, float]:
        """Mean loss and accuracy on (x, y): ``{"loss": ..., "accuracy": ...}``."""
        x, y = self._check_training_data(x, y)  # input size and labels, as fit checks them
        total_loss, correct = 0.0, 0
        for i in range(0, len(x), batch_size):
            out = self.infer(self.prepare(x[i : i + batch_size]))
            yb = y[i : i + batch_size]
            total_loss += self.loss.forward(out, yb) * len(yb)
            correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
        n = max(len(x), 1)
        return {"loss": total_loss / n, "accuracy": correct / n}

    # --- training --------------------------------------------------------------------------

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        epochs: int = 10,
        batch_size: int | None = 128,
        optimizer: str | Optimizer = "adam",
        lr: float | None = None,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        validation_split: float | int = 0.0,
        stratify: bool = False,
        shuffle: bool = True,
        seed: int | None = None,
        early_stopping: int | None = None,
        callbacks: Sequence[Callback] = (),
        resume: TrainingState | None = None,
        augment: Augment | None = None,
    ) -> History:
        """Train the model in place; returns the :class:`~nnscratch.training.History`.

        Args:
            x: inputs (N, ...), raw (converted and scaled once, here, not every epoch).
            y: labels (N,), integers in [0, C).
            epochs: passes over the training set (full-batch: gradient-descent steps).
            batch_size: examples per step; ``None`` for full-batch gradient descent.
            optimizer: an :class:`~nnscratch.optimizers.Optimizer` or a name
                (``sgd``, ``momentum``, ``nesterov``, ``adam``, ``adamw``); ``lr`` sets the
                learning rate of a named one.
            validation_data: a dev set ``(x_dev, y_dev)``, evaluated after every epoch.
            validation_split: or hold out this fraction (or count) of ``x`` as the dev set,
                chosen at random with the model's generator; ``stratify`` keeps class shares
                (see :func:`nnscratch.datasets.splits.hold_out`, which the presets use too).
            seed: re-seed the model's generator first (shuffling order, dropout masks).
            early_stopping: stop after this many epochs without a better dev loss and keep
                the best epoch's weights.
            callbacks: :class:`~nnscratch.training.Callback` objects.
            resume: carry on from a saved :class:`~nnscratch.training.TrainingState` (see
                :mod:`nnscratch.checkpoint`); everything else must be as in the saved run for
                the result to be bit-identical to a run that was never stopped.
            augment: moves each training batch before its step, ``augment(xb, rng)`` with
                the model's generator (e.g. :func:`nnscratch.datasets.augment.get_augmentation`
                ``("elastic")``); ``xb`` is the prepared batch, (B, H, W) for images.
        """
        if seed is not None:
            self.reseed(seed)
        x, y = self._check_training_data(x, y)
        x_dev = y_dev = None
        if validation_data is not None:
            x_dev, y_dev = self._check_training_data(*validation_data)
        elif validation_split:
            x, y, x_dev, y_dev = hold_out(x, y, validation_split, rng=self.rng, stratify=stratify)
        if isinstance(optimizer, str):
            optimizer = get_optimizer(optimizer, **({} if lr is None else {"lr": lr}))
        callbacks = list(callbacks)
        if early_stopping:
            callbacks.append(EarlyStopping(patience=early_stopping))
        return fit(
            self,
            self.prepare(x),
            y,
            optimizer,
            epochs=epochs,
            batch_size=batch_size,
            x_dev=x_dev,
            y_dev=y_dev,
            shuffle=shuffle,
            rng=self.rng,
            callbacks=callbacks,
            resume=resume,
            augment=augment,
        )

    def converted(self, dtype: str | np.dtype) -> Sequential:
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

    def _arrays(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer of the layers, named ``layers.<index>.<name>``."""
        return {
            f"layers.{i}.{key}": value
            for i, layer in enumerate(self.layers)
            for key, value in {**layer.params, **layer.buffers}.items()
        }

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of all parameters and buffers, named ``layers.<index>.<name>``: what a model
        file, a checkpoint and early stopping's best epoch keep."""
        return {name: value.copy() for name, value in self._arrays().items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy ``weights`` (as from :meth:`get_weights`) into the parameters and buffers, in
        place. Raises ModelFileError naming a missing, unexpected or wrongly shaped array."""
        expected = self._arrays()
        if set(weights) != set(expected):
            missing = sorted(set(expected) - set(weights))
            extra = sorted(set(weights) - set(expected))
            raise ModelFileError(
                f"weights do not fit the layers (missing {missing}, unexpected {extra})"
            )
        for name, target in expected.items():
            if weights[name].shape != target.shape:
                raise ModelFileError(
                    f"weights {name} have shape {weights[name].shape}, "
                    f"the layer needs {target.shape}"
                )
            np.copyto(target, weights[name], casting="same_kind")

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
    def recipe(self):
        """The :class:`~nnscratch.model.Recipe` the model file records, or None: none recorded
        (a model saved from Python), or an incomplete one."""
        from .recipe import Recipe  # the recipe builds Sequentials: imported when asked for

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
        return sum(p.size for layer in self.layers for p in layer.params.values())

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
        """Each layer's type, per-example input and output shapes, and parameter shapes.

        ``input_shape``: one example's shape, e.g. ``(28, 28)``; default ``(input_size,)``.
        Shapes are found by passing one zero example through the layers (inference mode),
        so they hold for any layer type. Returns JSON-able dicts: ``{"index", "type",
        "config", "input_shape", "output_shape", "parameters": {name: shape}, "buffers":
        {name: shape} (running averages: saved, not learnt), "parameter_count"}``; empty when
        neither ``input_shape`` nor ``input_size`` is known (an image layer first takes images
        of any size).
        """
        if not input_shape and self.input_size is None:
            return []
        shape = tuple(input_shape) if input_shape else (self.input_size,)
        x = np.zeros((1, *shape), dtype=self.dtype)
        rows = []
        for i, layer in enumerate(self.layers):
            y = layer.forward(x, training=False)
            rows.append(
                {
                    "index": i,
                    "type": layer.name,
                    "config": layer.config(),
                    "input_shape": list(x.shape[1:]),
                    "output_shape": list(y.shape[1:]),
                    "parameters": {k: list(v.shape) for k, v in layer.params.items()},
                    "buffers": {k: list(v.shape) for k, v in layer.buffers.items()},
                    "parameter_count": int(sum(v.size for v in layer.params.values())),
                }
            )
            x = y
        return rows

    def save(self, path: str | os.PathLike, **metadata: Any) -> None:
        """Write the model to one ``.npz`` file (atomically), with ``metadata`` (JSON-able:
        preset, metrics, history...) in its document. Never pickled. See
        :func:`.storage.save_model` for what the document always holds."""
        save_model(self, path, **metadata)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Sequential:
        """Read a model written by :meth:`save`; its document is in ``model.metadata``."""
        return load_model(cls, path)

    def to_onnx(
        self, path: str | os.PathLike | None = None, *, input_shape: Sequence[int] | None = None
    ):
        """The network as an ONNX model (``onnx.ModelProto``), written to ``path`` if given:
        raw inputs (N, *input_shape) float32 in, ``logits`` and ``probabilities`` (N, C) out,
        the input scaling inside the graph. See :func:`nnscratch.onnx.to_onnx`; needs the
        onnx package (``pip install "nnscratch[onnx]"``)."""
        from ..onnx import to_onnx  # the exporter is a tier below: it knows models by reading

        return to_onnx(self, path, input_shape=input_shape)

    def summary(self) -> str:
        """One line per layer with its parameter count."""
        lines = [
            f"{i:>2}  {layer!r}  ({sum(p.size for p in layer.params.values()):,} params)"
            for i, layer in enumerate(self.layers)
        ]
        return "\n".join(lines + [f"total: {self.parameter_count():,} parameters"])

    # --- checks ----------------------------------------------------------------------------

    def _check_input(self, x: np.ndarray) -> None:
        # math.prod, not np.prod: this runs for every prediction, even of one image, and
        # np.prod first builds an array from the shape tuple.
        features = math.prod(x.shape[1:]) if x.ndim > 1 else None
        if self.input_size is not None and features != self.input_size:
            raise DataError(
                f"the model takes {self.input_size} inputs per example "
                f"(e.g. 28x28 pixels), the data has shape {x.shape}"
            )

    def _check_training_data(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x), np.asarray(y)
        if len(x) != len(y):
            raise DataError(f"{len(x)} inputs but {len(y)} labels")
        self._check_input(x)
        if y.ndim == 1 and self.loss.name == "softmax_cross_entropy":
            if not np.issubdtype(y.dtype, np.integer):
                bad = 0
                if np.issubdtype(y.dtype, np.floating):
                    fractional = np.flatnonzero(y != np.round(y))
                    bad = int(fractional[0]) if len(fractional) else 0
                where = f" (label {y[bad]} at index {bad})" if len(y) else ""
                raise DataError(f"labels must be integers, got {y.dtype}{where}")
            classes = self.output_size
            if len(y) and (y.min() < 0 or y.max() >= classes):
                bad = int(np.flatnonzero((y < 0) | (y >= classes))[0])
                raise DataError(f"label {y[bad]} at index {bad} is outside 0-{classes - 1}")
            y = y.astype(np.intp, copy=False)
        return x, y

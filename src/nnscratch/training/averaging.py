"""Weight averaging: the network as training ends is a moving average of its weights over the
last steps, not the last step's weights alone.

Near the end of training every step still moves the weights a little around a good region;
their average sits nearer its centre, which generalises a little better (Polyak averaging;
an exponential moving average as used by many image classifiers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import checks
from ..checks import is_count
from ..errors import ConfigError
from .callbacks import Callback, EarlyStopping, fits

if TYPE_CHECKING:
    from .loop import AnyTrainer


class WeightAveraging(Callback):
    """Keep an exponential moving average of every weight and buffer, updated after each step
    with ``decay``; at the end of training the model takes the average.

    After ``t`` steps the average gives step ``i``'s weights the share
    ``(1 - decay) * decay**(t - i) / (1 - decay**t)``: a proper weighted mean from the first
    step on (the bias of starting from zero is divided out, as Adam does for its moments).
    With ``decay`` 0.9998 the last 5,000 steps carry 63 % of it. BatchNorm's running
    statistics are averaged with the weights they belong to.

    The average is part of a checkpoint, so a resumed run ends with the same weights. Runs
    stopped by an error (divergence) keep their last good weights, not the average.
    """

    order = 50  # after the others' epoch ends, before a checkpoint's (100) saves them

    def __init__(self, decay: float) -> None:
        self.decay = checks.real(
            "weight averaging decay", decay, low=0, high=1, low_open=True, high_open=True
        )
        self.steps = 0
        self.average: dict[str, np.ndarray] = {}

    def on_train_begin(self, trainer: AnyTrainer) -> None:
        """Start from nothing (a resumed run then loads its saved average); ConfigError if an
        EarlyStopping would put one epoch's weights back over the average."""
        if any(isinstance(c, EarlyStopping) and c.restore_best for c in trainer.callbacks):
            raise ConfigError(
                "EarlyStopping with restore_best would replace the weight average by one "
                "epoch's weights: give one of them (or restore_best=False)"
            )
        self.steps, self.average = 0, {}

    def on_batch_end(self, trainer: AnyTrainer, step: int, loss: float) -> None:
        """Move the average a share ``1 - decay`` of the way to the new weights."""
        weights = trainer.model.get_weights()
        if not self.average:
            self.average = {name: np.zeros(w.shape, np.float64) for name, w in weights.items()}
        # best's figures (docs/presets.md) were measured with exactly this arithmetic, which
        # leaves weights that never change (a frozen layer's) within a float32 rounding.
        for name, value in weights.items():
            mean = self.average[name]
            mean *= self.decay
            mean += (1 - self.decay) * value
        self.steps += 1

    def averaged_weights(self, like: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The average (bias-corrected), in the dtypes of ``like`` (the model's weights)."""
        correction = 1 - self.decay**self.steps
        return {name: (self.average[name] / correction).astype(like[name].dtype) for name in like}

    def on_train_end(self, trainer: AnyTrainer) -> None:
        """Give the model the average (nothing to do before the first step)."""
        if self.steps:
            trainer.model.set_weights(self.averaged_weights(trainer.model.get_weights()))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The steps averaged and the running (uncorrected) average."""
        return {"steps": self.steps}, dict(self.average)

    def load_state(
        self, trainer: AnyTrainer, document: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> None:
        """Take back :meth:`state`; ConfigError if it is malformed or does not fit the model."""
        steps: Any = document.get("steps")  # a JSON value from a file, checked here
        if not is_count(steps) or bool(steps) != bool(arrays):
            raise ConfigError(f"weight averaging state is not valid: {document!r}")
        if arrays and not fits(arrays, trainer.model.get_weights()):
            raise ConfigError("the saved weight average does not fit the model")
        self.steps = steps
        self.average = {name: np.array(value, np.float64) for name, value in arrays.items()}

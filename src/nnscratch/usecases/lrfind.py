"""The learning-rate range test (Smith, 2017, "Cyclical learning rates for training neural
networks", section 3.3): what ``nnscratch lr-find`` measures.

The recipe's network and optimizer train from their initial weights for a short run in which
the learning rate grows geometrically from ``start`` to ``stop``, one value per batch. The loss
of each batch is recorded and smoothed (an exponential moving average, bias-corrected); the run
stops early once the smoothed loss exceeds four times its lowest value, or when the loss is no
longer a number. Where the smoothed loss is lowest, the rate is
already about as large as training tolerates; the suggested rate is a tenth of it, where the
loss still falls steeply and training is stable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import checks
from ..engine.optimizers import get_optimizer
from ..errors import ConfigError, TrainingDiverged
from ..model import Recipe, build_model, get_preset
from ..model.presets import build_augmentation
from ..training import Callback

# Weight of the past in the moving average of the loss: about the last ten batches count, a
# tenth of the default sweep (fastai's 0.98 lags by fifty, half of such a sweep).
SMOOTHING = 0.9
STOP_FACTOR = 4.0  # stop once the smoothed loss exceeds this many times its minimum


@dataclass
class RangeTest:
    """The learning rates tried (one per batch, in order), each batch's loss, the smoothed
    loss, the rate where the smoothed loss was lowest, and the suggested rate."""

    recipe: Recipe
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    minimum: float
    suggestion: float
    # How the sweep ended: "completed" (every rate tried), "took off" (the smoothed loss passed
    # STOP_FACTOR times its minimum) or "interrupted" (Ctrl-C, or a signal).
    stopped: str = "completed"

    @property
    def supported(self) -> bool:
        """Whether the curve supports the suggestion: the sweep ran to its end or to the loss
        taking off, or, interrupted, its smoothed loss had already risen to twice its lowest
        (past the minimum, so the minimum is one)."""
        return self.stopped != "interrupted" or self.smoothed[-1] > 2 * min(self.smoothed)

    def as_json(self) -> dict[str, Any]:
        """The sweep as ``nnscratch lr-find --json`` prints it: rates (steps,), losses."""
        return {
            "preset": self.recipe.name,
            "optimizer": self.recipe.optimizer,
            "lrs": self.lrs,
            "losses": self.losses,
            "smoothed": self.smoothed,
            "minimum": self.minimum,
            "suggestion": self.suggestion if self.supported else None,
            "stopped": self.stopped,
        }


class _Sweep(Callback):
    """Sets each batch's learning rate, records its loss, and stops the run when it blows up."""

    def __init__(self, rates: np.ndarray) -> None:
        self.rates = rates
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self._average = 0.0
        self.ended: str | None = None  # "completed" or "took off" once the sweep stops itself

    def on_train_begin(self, trainer) -> None:
        trainer.optimizer.lr = float(self.rates[0])

    def on_batch_end(self, trainer, step: int, loss: float) -> None:
        k = len(self.losses)
        self.losses.append(loss)
        self._average = SMOOTHING * self._average + (1 - SMOOTHING) * loss
        self.smoothed.append(self._average / (1 - SMOOTHING ** (k + 1)))
        if k + 1 == len(self.rates) or self.smoothed[-1] > STOP_FACTOR * min(self.smoothed):
            self.ended = "completed" if k + 1 == len(self.rates) else "took off"
            trainer.stop_requested = "lr-find"
        else:
            trainer.optimizer.lr = float(self.rates[k + 1])


def find_learning_rate(
    recipe: Recipe | str,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    start: float = 1e-6,
    stop: float = 1.0,
    steps: int = 100,
    callbacks: Sequence[Callback] = (),
) -> RangeTest:
    """Run the range test of ``recipe`` (or a preset's name) on (images, labels): ``steps``
    batches at rates from ``start`` to ``stop``, geometrically spaced. Shapes: images
    (N, H, W) raw pixels, labels (N,), all of them trained on (the sweep needs no dev set).
    ``callbacks`` see the run too (a progress bar).
    """
    recipe = get_preset(recipe) if isinstance(recipe, str) else recipe
    start = checks.real("--start", start, low=0, low_open=True)
    stop = checks.real("--stop", stop, low=0, low_open=True)
    steps = checks.whole("--steps", steps, low=2)
    if stop <= start:
        raise ConfigError(
            f"--stop must be larger than --start, got --start {start:g} and --stop {stop:g}"
        )
    x, y = images, labels  # no dev set: the sweep measures the training loss only
    model = build_model(recipe, image_shape=images.shape[1:])
    # The recipe's optimizer without its schedule: the sweep sets every step's rate itself.
    optimizer = get_optimizer(recipe.optimizer, lr=start, weight_decay=recipe.weight_decay)
    rates = np.geomspace(start, stop, steps)
    sweep = _Sweep(rates)
    batch = recipe.fit_batch_size
    per_epoch = recipe.steps_per_epoch(len(x))
    interrupted = False
    try:
        with np.errstate(all="ignore"):
            history = model.fit(
                x,
                y,
                epochs=math.ceil(steps / per_epoch),
                batch_size=batch,
                optimizer=optimizer,
                callbacks=[sweep, *callbacks],
                shuffle=not recipe.full_batch,
                augment=build_augmentation(recipe),
            )
        # The loop takes Ctrl-C as the end of the run; the sweep says whether it ended itself.
        interrupted = history.stopped == "interrupted" and sweep.ended is None
    except TrainingDiverged:
        sweep.ended = "took off"  # the point of the sweep: the rates it reached are recorded
    losses = [loss for loss in sweep.losses if math.isfinite(loss)]
    smoothed = sweep.smoothed[: len(losses)]
    if len(smoothed) < 2:
        raise ConfigError(
            f"the loss was not a number from the first batches on (at --start "
            f"{start:g}); try a smaller --start"
        )
    best = int(np.argmin(smoothed))
    minimum = float(rates[best])
    return RangeTest(
        recipe,
        [float(r) for r in rates[: len(losses)]],
        losses,
        smoothed,
        minimum,
        max(minimum / 10, start),
        "interrupted" if interrupted else sweep.ended or "completed",
    )

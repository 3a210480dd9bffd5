"""Callbacks: hooks into the training loop, and early stopping.

A callback sees the :class:`~nnscratch.training.loop.Trainer` it serves as ``trainer``: read
``trainer.model``, ``trainer.history``, ``trainer.epochs``, ``trainer.steps_per_epoch``; set
``trainer.stop_training``. ``logs`` is an epoch's figures: ``train_loss``, ``train_accuracy``,
``dev_loss``, ``dev_accuracy`` (nan without a dev set), ``lr`` and ``seconds``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import checks
from ..checks import is_count, is_real
from ..errors import ConfigError

if TYPE_CHECKING:
    from .loop import Trainer


class Callback:
    """Hooks into the loop; every hook does nothing unless overridden.

    A callback with state that a resumed run needs (early stopping's best score) returns it
    from :meth:`state` and takes it back in :meth:`load_state`, called after
    ``on_train_begin``. Callbacks run in ascending ``order`` (then as given), ``on_train_end``
    in reverse: a checkpoint (order 100) sees what the others did at the end of an epoch, and
    the run as it was before they wind it up (early stopping putting back its best weights).
    """

    order = 0

    def on_train_begin(self, trainer: Trainer) -> None: ...
    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None: ...
    def on_batch_end(self, trainer: Trainer, step: int, loss: float) -> None: ...
    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None: ...
    def on_train_end(self, trainer: Trainer) -> None: ...
    def on_train_error(self, trainer: Trainer) -> None:
        """Training ends with an exception (divergence, a bug): on_train_end is not called."""

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        """JSON-able figures and named arrays to save, or None if there is nothing to save."""
        return None

    def load_state(
        self, trainer: Trainer, document: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> None:
        """Take back what :meth:`state` returned; check it (it may come from a file) and
        raise ConfigError if it does not fit ``trainer``."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, and
    (by default) put back the weights of the best epoch.

    ``monitor`` is ``dev_loss`` (lower is better) or ``dev_accuracy`` (higher is better).
    """

    def __init__(
        self,
        patience: int = 5,
        monitor: str = "dev_loss",
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        self.monitor = checks.choice(
            "early stopping monitor", monitor, ("dev_loss", "dev_accuracy")
        )
        self.patience = checks.whole("early stopping patience", patience, low=1)
        self.min_delta = checks.real("early stopping min_delta", min_delta, low=0)
        self.restore_best = restore_best
        self._sign = -1.0 if monitor == "dev_loss" else 1.0

    def on_train_begin(self, trainer):
        if trainer.x_dev is None:
            raise ConfigError("early stopping needs a dev set: pass validation data or a split")
        self.best, self.best_epoch, self.best_weights, self.waited = -math.inf, None, None, 0

    def on_epoch_end(self, trainer, epoch, logs):
        score = self._sign * logs[self.monitor]
        if score > self.best + self.min_delta:
            self.best, self.best_epoch, self.waited = score, epoch, 0
            if self.restore_best:
                self.best_weights = trainer.model.get_weights()
        else:
            self.waited += 1
            if self.waited >= self.patience:
                trainer.stop_training = True
                trainer.history.stopped = "early_stopping"

    def on_train_end(self, trainer):
        trainer.history.best_epoch = self.best_epoch
        if self.restore_best and self.best_weights is not None:
            trainer.model.set_weights(self.best_weights)

    def state(self):
        document = {
            "best": None if self.best == -math.inf else self.best,
            "best_epoch": self.best_epoch,
            "waited": self.waited,
        }
        return document, dict(self.best_weights or {})

    def load_state(self, trainer, document, arrays):
        best, best_epoch, waited = (document.get(k) for k in ("best", "best_epoch", "waited"))
        if (
            not (best is None or is_real(best))
            or not is_count(waited)
            or not (best_epoch is None or is_count(best_epoch))
        ):
            raise ConfigError(f"early stopping state is not valid: {document!r}")
        weights = trainer.model.get_weights()
        if arrays and (
            set(arrays) != set(weights) or any(arrays[k].shape != weights[k].shape for k in weights)
        ):
            raise ConfigError("the saved best weights of early stopping do not fit the model")
        self.best = -math.inf if best is None else float(best)
        self.best_epoch, self.waited = best_epoch, waited
        self.best_weights = dict(arrays) if arrays else None

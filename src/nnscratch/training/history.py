"""History: a run's figures, epoch by epoch (iteration by iteration for full-batch runs)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FIGURES = ("train_loss", "train_accuracy", "dev_loss", "dev_accuracy", "lr", "seconds")


@dataclass
class History:
    """Per-epoch figures of a run (per iteration for full-batch runs, where an epoch is one
    step). ``dev_*`` entries are ``nan`` when there is no dev set. ``seconds`` is the training
    time since the start, dev evaluation excluded."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    dev_loss: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped: str = "completed"  # completed | early_stopping | interrupted | diverged
    best_epoch: int | None = None
    # The training time of the whole run, an epoch cut short by a stop included (``seconds``
    # ends at the last whole epoch); set when the run ends, not kept in files.
    total_seconds: float | None = None

    def append(self, **logs: float) -> None:
        """Add one epoch: ``epoch`` and every figure of :data:`FIGURES`."""
        for key, value in logs.items():
            getattr(self, key).append(value)

    def copy(self) -> History:
        """A copy that the run's further epochs do not change."""
        return History(
            epoch=self.epoch.copy(),
            train_loss=self.train_loss.copy(),
            train_accuracy=self.train_accuracy.copy(),
            dev_loss=self.dev_loss.copy(),
            dev_accuracy=self.dev_accuracy.copy(),
            lr=self.lr.copy(),
            seconds=self.seconds.copy(),
            stopped=self.stopped,
            best_epoch=self.best_epoch,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: nan becomes None."""

        def clean(values: list[float]) -> list[float | None]:
            return [None if isinstance(v, float) and math.isnan(v) else v for v in values]

        return {
            "epoch": self.epoch,
            "train_loss": clean(self.train_loss),
            "train_accuracy": clean(self.train_accuracy),
            "dev_loss": clean(self.dev_loss),
            "dev_accuracy": clean(self.dev_accuracy),
            "lr": self.lr,
            "seconds": self.seconds,
            "stopped": self.stopped,
            "best_epoch": self.best_epoch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The inverse of :meth:`as_dict` (None becomes nan); unchecked: a training state
        read from a file checks its history first (:mod:`nnscratch.training.state`)."""

        def unclean(values: list[float | None]) -> list[float]:
            return [math.nan if v is None else v for v in values]

        return cls(
            epoch=data["epoch"],
            train_loss=unclean(data["train_loss"]),
            train_accuracy=unclean(data["train_accuracy"]),
            dev_loss=unclean(data["dev_loss"]),
            dev_accuracy=unclean(data["dev_accuracy"]),
            lr=data["lr"],
            seconds=data["seconds"],
            stopped=data.get("stopped", "completed"),
            best_epoch=data.get("best_epoch"),
        )

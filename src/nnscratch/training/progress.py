"""Progress as plain text, for ``Sequential.fit(verbose=...)`` in Python and notebooks.

Keras's levels: 0 says nothing, 1 draws a bar through each epoch (redrawn in place with a
carriage return, which terminals and notebooks both honour) and ends it with the epoch's
figures, 2 prints only that line per epoch. Plain ``print`` to ``sys.stdout``, looked up when
printing so a notebook's captured output gets it; the command line draws its own with Rich.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, TextIO

from ..errors import ConfigError
from .callbacks import Callback

if TYPE_CHECKING:
    from .loop import AnyTrainer

BAR_WIDTH = 30


def verbosity(verbose: int | bool) -> int:
    """``verbose`` as a level 0, 1 or 2 (True is 1); ConfigError for anything else."""
    if isinstance(verbose, bool):
        return int(verbose)
    if isinstance(verbose, int) and verbose in (0, 1, 2):
        return verbose
    raise ConfigError(
        f"verbose={verbose!r}: use 0 (silent), 1 (a bar per epoch) or 2 (a line per epoch)"
    )


class ProgressLog(Callback):
    """Print each epoch's figures as one line (level 2), after a bar drawn through the
    epoch's steps (level 1), to ``stream`` (default: the current ``sys.stdout``)."""

    def __init__(self, level: int = 1, stream: TextIO | None = None) -> None:
        self.level = verbosity(level)
        self.stream = stream
        self._drawn = -1  # bar cells drawn in this epoch; -1: no bar on the line
        self._bar_length = 0  # characters of the bar's line, overwritten by the epoch's

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(text)
        stream.flush()

    def on_epoch_begin(self, trainer: AnyTrainer, epoch: int) -> None:
        """Start the epoch's bar afresh."""
        self._drawn = -1

    def on_batch_end(self, trainer: AnyTrainer, step: int, loss: float) -> None:
        """Redraw the bar when it grows a cell (not at every step: a notebook keeps up)."""
        if self.level != 1 or trainer.steps_per_epoch < 2:
            return
        cells = BAR_WIDTH * step // trainer.steps_per_epoch
        if cells == self._drawn:
            return
        self._drawn = cells
        bar = "=" * cells + "." * (BAR_WIDTH - cells)
        width = len(str(trainer.steps_per_epoch))
        line = (
            f"{self._epoch(trainer, trainer.epoch + 1)} [{bar}] "
            f"{step:>{width}}/{trainer.steps_per_epoch} loss {loss:.4f}"
        )
        self._bar_length = len(line)
        self._write(f"\r{line}")

    def on_epoch_end(self, trainer: AnyTrainer, epoch: int, logs: dict[str, float]) -> None:
        """End the epoch with its line: losses, accuracies, learning rate, seconds."""
        if self.level == 0:
            return
        figures = [
            f"loss {logs['train_loss']:.4f}",
            f"accuracy {logs['train_accuracy']:.4f}",
        ]
        if not math.isnan(logs["dev_loss"]):
            figures += [
                f"dev loss {logs['dev_loss']:.4f}",
                f"dev accuracy {logs['dev_accuracy']:.4f}",
            ]
        figures += [f"lr {logs['lr']:.3g}", f"{logs['seconds']:.1f} s"]
        line = f"{self._epoch(trainer, epoch)}: {', '.join(figures)}"
        if self._drawn >= 0:  # over the bar: spaces clear what is longer (no escape codes)
            line = "\r" + line.ljust(self._bar_length)
        self._write(line + "\n")
        self._drawn = -1

    @staticmethod
    def _epoch(trainer: AnyTrainer, epoch: int) -> str:
        width = len(str(trainer.epochs))
        return f"{trainer.unit} {epoch:>{width}}/{trainer.epochs}"

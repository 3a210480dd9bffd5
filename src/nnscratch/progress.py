"""Training progress on a terminal: a Rich progress bar, and the tutorial's accuracy lines."""

from __future__ import annotations

import math

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from .training import Callback


class RichProgress(Callback):
    """One bar over the whole run, advanced every batch, showing the epoch (or iteration),
    the running loss and accuracy, the last dev accuracy and the time left.

    ``log_every`` prints the classic tutorial's line every N epochs (iterations for
    full-batch runs) above the bar: ``Iteration  10: accuracy 0.4512``.
    """

    def __init__(self, console: Console, *, log_every: int | None = None) -> None:
        self.console, self.log_every = console, log_every

    def on_train_begin(self, run):
        self.full_batch = run.steps_per_epoch == 1
        self.unit = "iteration" if self.full_batch else "epoch"
        self.progress = Progress(
            TextColumn("[bold]{task.fields[where]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}  acc {task.fields[acc]}  dev {task.fields[dev]}"),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=self.console, transient=False)
        # A resumed run starts where it stopped: run.epoch epochs and run.step steps done.
        self.task = self.progress.add_task(
            "train", total=run.epochs * run.steps_per_epoch,
            completed=run.epoch * run.steps_per_epoch + run.step,
            where=f"{self.unit} {min(run.epoch + 1, run.epochs)}/{run.epochs}",
            loss="-", acc="-", dev="-")
        self.progress.start()

    def on_epoch_begin(self, run, epoch):
        self.progress.update(self.task, where=f"{self.unit} {epoch}/{run.epochs}")

    def on_batch_end(self, run, step, loss):
        self.progress.update(self.task, advance=1, loss=f"{loss:.4f}")

    def on_epoch_end(self, run, epoch, figures):
        dev = figures["dev_accuracy"]
        self.progress.update(self.task, acc=f"{figures['train_accuracy']:.4f}",
                             dev="-" if math.isnan(dev) else f"{dev:.4f}")
        if self.log_every and epoch % self.log_every == 0:
            label = "Iteration" if self.full_batch else "Epoch"
            self.progress.console.print(
                f"{label} {epoch:>4}: accuracy {figures['train_accuracy']:.4f}"
                + ("" if math.isnan(dev) else f"  (dev {dev:.4f})"))

    def on_train_end(self, run):
        self.stop()

    def stop(self) -> None:
        """End the bar and show the cursor again; safe before it starts and when called twice."""
        if getattr(self, "progress", None) is not None:
            self.progress.stop()

"""Training progress on a terminal: a Rich progress bar, and the tutorial's accuracy lines."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.status import Status
from rich.text import Text

from ..training.callbacks import Callback

# Cells left free at the end of the line: a terminal echoes Ctrl-C there as "^C", and on a full
# line that echo would wrap, so the bar's next redraw would land a line lower and leave its
# last state printed twice.
SPARE_CELLS = 2
MIN_BAR, MAX_BAR = 10, 40


class RichProgress(Callback):
    """One bar over the whole run, advanced every batch, showing the epoch (or iteration),
    the steps done, the running loss and accuracy, the last dev accuracy, the time taken and
    the time left.

    The line always fits its console: on a narrow one whole fields make way (the step count,
    then the time taken, then the time left), none is ever cut. ``log_every`` prints the
    classic tutorial's line every N epochs (iterations for full-batch runs) above the bar:
    ``Iteration  10: accuracy 0.4512``.

    Off a terminal (output to a file or a pipe, a job on a server) the bar is not redrawn, so
    a long run would say nothing until it ends: there each epoch's figures are printed as a
    line instead, ``epoch 3/20  loss 0.0123  acc 0.9912  dev 0.9950  0:02:41  left 0:15:12``
    (for full-batch runs every tenth of the iterations), unless ``log_every`` prints lines;
    its loss is the epoch's mean (the bar's is the last batch's, which jumps from batch to
    batch), and the bar's own last state, which would repeat the last line, is not printed.

    ``then``: what the command does once training ends (measuring the network on its data
    takes half a minute for the largest), said by a spinner on a terminal until :meth:`stop`.
    """

    def __init__(
        self, console: Console, *, log_every: int | None = None, then: str | None = None
    ) -> None:
        self.console, self.log_every, self.then = console, log_every, then
        self.status: Status | None = None

    def on_train_begin(self, trainer):
        self.unit = trainer.unit
        self.full_batch = self.unit == "iteration"
        total = trainer.epochs * trainer.steps_per_epoch
        self.epoch_lines = not self.console.is_terminal and not self.log_every
        self.progress = FittingProgress(
            where=TextColumn("[bold]{task.fields[where]}"),
            # Full-batch: one step per iteration, so the count would repeat "where".
            count=None if self.full_batch else MofNCompleteColumn(),
            scores=TextColumn(
                "loss {task.fields[loss]}  acc {task.fields[acc]}  dev {task.fields[dev]}"
            ),
            # How wide each field gets, so the layout holds still as the scores arrive (a
            # loss of 100 or more is wider: the layout is then made again, cutting nothing).
            widest={
                "where": f"{self.unit} {trainer.epochs}/{trainer.epochs}",
                "scores": "loss 0.0000  acc 0.0000  dev 0.0000",
            },
            console=self.console,
        )
        self.printed_steps = -1  # the steps done when the last epoch line was printed
        # A resumed trainer starts where it stopped: trainer.epoch epochs and trainer.step steps
        # done.
        self.task = self.progress.add_task(
            "train",
            total=total,
            completed=trainer.epoch * trainer.steps_per_epoch + trainer.step,
            where=f"{self.unit} {min(trainer.epoch + 1, trainer.epochs)}/{trainer.epochs}",
            loss="-",
            acc="-",
            dev="-",
        )
        self.progress.start()

    def on_epoch_begin(self, trainer, epoch):
        self.progress.update(self.task, where=f"{self.unit} {epoch}/{trainer.epochs}")

    def on_batch_end(self, trainer, step, loss):
        self.progress.update(self.task, advance=1, loss=loss_text(loss))

    def on_epoch_end(self, trainer, epoch, logs):
        dev = logs["dev_accuracy"]
        self.progress.update(
            self.task,
            acc=f"{logs['train_accuracy']:.4f}",
            dev="-" if math.isnan(dev) else f"{dev:.4f}",
        )
        console = self.progress.console
        if self.log_every:
            if epoch % self.log_every == 0:
                label = "Iteration" if self.full_batch else "Epoch"
                console.print(
                    f"{label} {epoch:>4}: accuracy {logs['train_accuracy']:.4f}"
                    + ("" if math.isnan(dev) else f"  (dev {dev:.4f})")
                )
        elif self.epoch_lines and self._line_due(epoch, trainer.epochs):
            task = self.progress.tasks[0]
            fields = task.fields
            left = "-:--:--" if task.time_remaining is None else clock(task.time_remaining)
            self.printed_steps = int(task.completed)
            console.print(
                f"{self.unit} {epoch}/{trainer.epochs}  loss {loss_text(logs['train_loss'])}  "
                f"acc {fields['acc']}  dev {fields['dev']}  {clock(task.elapsed or 0)}  "
                f"left {left}",
                highlight=False,
            )

    def _line_due(self, epoch: int, epochs: int) -> bool:
        """Whether an epoch's line is printed off a terminal: every epoch of mini-batch runs;
        every tenth of a full-batch run's iterations (500 lines would bury the result)."""
        every = max(1, epochs // 10) if self.full_batch else 1
        return epoch % every == 0 or epoch == epochs

    def on_train_end(self, trainer):
        self.stop()
        if self.then and self.console.is_terminal:
            self.status = self.console.status(self.then)
            self.status.start()

    def stop(self) -> None:
        """End the bar (and the spinner after it) and show the cursor again; safe before it
        starts and when called twice."""
        if self.status is not None:
            self.status.stop()
            self.status = None
        if getattr(self, "progress", None) is not None:
            # Off a terminal the bar is printed once, as it stops: after an epoch line, a
            # repeat of it; after a run cut short (lr-find, a stop mid-epoch), where it got to.
            if self.epoch_lines and self.printed_steps == self.progress.tasks[0].completed:
                self.progress.live.transient = True
            self.progress.stop()


def clock(seconds: float) -> str:
    """Seconds as ``H:MM:SS``, as the bar shows the time taken and the time left."""
    return str(timedelta(seconds=int(seconds)))


def loss_text(loss: float) -> str:
    """A running loss in at most 8 characters: ``0.1234``, ``12.3456``, ``1.80e+17``."""
    return f"{loss:.4f}" if abs(loss) < 100 else f"{loss:.2e}"


class TimeLeftColumn(TimeRemainingColumn):
    """``left 0:01:23``: the time remaining, said as such."""

    def render(self, task: Task) -> Text:
        return Text("left ") + super().render(task)


class FittingProgress(Progress):
    """A one-line Progress that never outgrows its console, nor fills it to the last cell
    (see SPARE_CELLS): fields that do not fit are left out, whole, rather than cut.

    The line is ``where``, a bar, then ``count``, ``scores``, the time taken and the time
    left; on a narrow console ``count`` goes first, then the time taken and the time left,
    and the bar shrinks down to MIN_BAR cells; then the bar goes, and last ``scores``.
    ``widest`` gives, per field name, a text as wide as that field will get.
    """

    def __init__(
        self,
        *,
        where: ProgressColumn,
        count: ProgressColumn | None,
        scores: ProgressColumn,
        widest: dict[str, str],
        console: Console,
    ) -> None:
        self.bar = BarColumn(bar_width=MAX_BAR)
        self.fields = {
            "where": where,
            "count": count,
            "scores": scores,
            "elapsed": TimeElapsedColumn(),
            "left": TimeLeftColumn(),
        }
        self.widest = {"elapsed": "0:00:00", "left": "left 0:00:00", **widest}
        shown = [where, self.bar, *(c for c in list(self.fields.values())[1:] if c is not None)]
        super().__init__(*shown, console=console, transient=False)

    def get_renderables(self) -> Iterable[RenderableType]:
        if hasattr(self, "live"):  # Progress.__init__ renders once before it has a console
            self.columns = tuple(self._fitting_columns(self.console.width - SPARE_CELLS))
        yield self.make_tasks_table(self.tasks)

    def _fitting_columns(self, room: int) -> list[ProgressColumn]:
        """The richest line that fits in ``room`` cells, its bar as long as the room allows."""
        order = ["where", "count", "scores", "elapsed", "left"]
        for dropped in (
            (),
            ("count",),
            ("count", "elapsed"),
            ("count", "elapsed", "left"),
            ("count", "elapsed", "left", "scores"),
        ):
            names = [n for n in order if n not in dropped and self.fields[n] is not None]
            # One space between columns, the bar being one of them.
            text = sum(self._width(name) for name in names) + len(names)
            columns = [column for n in names if (column := self.fields[n]) is not None]
            if text + MIN_BAR <= room or len(names) == 1:
                self.bar.bar_width = max(1, min(MAX_BAR, room - text))
                return [columns[0], self.bar, *columns[1:]]
            if names == ["where", "scores"] and text - 1 <= room:
                return columns  # the figures say more than a bar: it goes first (50 columns)
        raise AssertionError("unreachable: the last layout always fits")

    def _width(self, name: str) -> int:
        column = self.fields[name]
        if column is None:  # not shown
            return 0
        widths = [
            Measurement.get(self.console, self.console.options, column(task)).maximum
            for task in self.tasks
        ]
        return max([Text(self.widest.get(name, "")).cell_len, *widths])

"""A callback the resume tests share: stop a run as Ctrl-C would, after a chosen batch."""

from __future__ import annotations

from nnscratch.training import Callback


class StopAt(Callback):
    """Request a stop (as GracefulStop's handler does) after the ``at``-th batch of the run."""

    def __init__(self, at: int) -> None:
        self.at, self.seen = at, 0

    def on_batch_end(self, run, step, loss):
        self.seen += 1
        if self.seen == self.at:
            run.stop_requested = "test"

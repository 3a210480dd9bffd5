"""Signals: Ctrl-C (SIGINT) and SIGTERM turned into a clean stop at a batch boundary, and the
exit status a stopped command reports."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from .callbacks import Callback

if TYPE_CHECKING:
    from .loop import AnyTrainer

# 128 + the signal's number, as shells report a process a signal ended.
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130


def exit_status(signal_number: int | None) -> int:
    """The exit status of a command a signal stopped: 128 + its number (130 for SIGINT, 143
    for SIGTERM); 130 when the stop came as a bare KeyboardInterrupt."""
    return 128 + signal_number if signal_number else EXIT_INTERRUPTED


class GracefulStop(Callback):
    """Turn SIGINT and SIGTERM (by default) into a stop at the next batch boundary.

    The handler only raises a flag; the loop checks it between two steps, so parameters,
    optimizer state and generator are never caught half-updated, and a checkpoint taken then
    resumes exactly. A second signal of the same kind raises KeyboardInterrupt at once (for a
    user who really wants out). ``signal_name`` tells which signal stopped the run, if any.
    Handlers can only be installed from the main thread; elsewhere this does nothing.
    """

    def __init__(self, signals: tuple[str, ...] = ("SIGINT", "SIGTERM")) -> None:
        self.signals = signals
        self.signal_name: str | None = None
        self.signal_number: int | None = None
        self._previous: dict[int, Any] = {}

    def on_train_begin(self, trainer: AnyTrainer) -> None:
        """Install the handlers (from the main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(number: int, frame: FrameType | None) -> None:
            if trainer.stop_requested is not None:
                raise KeyboardInterrupt
            self.signal_number, self.signal_name = number, signal.Signals(number).name
            trainer.stop_requested = self.signal_name

        for name in self.signals:
            number = getattr(signal, name)
            self._previous[number] = signal.signal(number, handler)

    def on_train_end(self, trainer: AnyTrainer) -> None:
        """Put back the handlers that were there before."""
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous = {}

    on_train_error = on_train_end  # a diverged run must not leave Ctrl-C swallowed

    @property
    def exit_status(self) -> int:
        """What the command should exit with once the stop is handled (see :func:`exit_status`)."""
        return exit_status(self.signal_number)

"""The command as a user runs it: the time ``nnscratch --help`` takes (import cost), and the peak
memory (maximum resident set size) of ``nnscratch train`` with the default preset."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .interleave import stats


def command() -> list[str]:
    """The console script next to this Python, as ``pip install`` puts it."""
    script = Path(sys.executable).parent / "nnscratch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nnscratch"]


def run_measured(args: list[str]) -> tuple[float, int, int]:
    """Run a command to its end; (wall seconds, peak RSS in bytes, exit status)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not all children's
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss * 1024, child.returncode  # KiB on Linux


def help_seconds(repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        seconds, _, status = run_measured(command() + ["--help"])
        if status != 0:
            raise RuntimeError(f"nnscratch --help exited with status {status}")
        times.append(seconds)
    return stats(times)


def train_peak_memory(extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "mlp.npz"
        seconds, peak, status = run_measured(command() + ["train", "--quiet", "--out", str(out)]
                                             + extra)
    if status != 0:
        raise RuntimeError(f"nnscratch train exited with status {status}")
    return {"peak_rss_bytes": peak, "wall_seconds": seconds, "args": extra}

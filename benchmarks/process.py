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


# Runs the CLI's entry point and records the process's own peak RSS (VmHWM, in kB). A child's
# ru_maxrss is no use here: Linux carries the forking parent's high-water mark across exec,
# so a child of this (large) benchmark process would report the parent's size.
PEAK_LAUNCHER = """
import sys
from nnscratch.cli import main
status = main(sys.argv[2:])
with open("/proc/self/status") as f:
    peak = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
with open(sys.argv[1], "w") as f:
    f.write(peak)
sys.exit(status)
"""


def train_peak_memory(extra: list[str]) -> dict:
    """Peak memory of ``nnscratch train --quiet`` (plus ``extra`` options), Linux only."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file, out = Path(folder) / "peak", Path(folder) / "mlp.npz"
        seconds, _, status = run_measured(
            [
                sys.executable,
                "-c",
                PEAK_LAUNCHER,
                str(peak_file),
                "train",
                "--quiet",
                "--out",
                str(out),
            ]
            + extra
        )
        if status != 0:
            raise RuntimeError(f"nnscratch train exited with status {status}")
        peak = int(peak_file.read_text()) * 1024
    return {"peak_rss_bytes": peak, "wall_seconds": seconds, "args": extra}

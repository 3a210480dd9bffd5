"""Where a run happened: library versions and the machine, recorded in model files and reports.

A bottom-level utility like :mod:`nnscratch.fileio`: standard library and NumPy only.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform

import numpy as np

from . import __version__


def environment() -> dict[str, str | int | None]:
    """JSON-able facts about this process: nnscratch, Python, NumPy and matplotlib versions
    (matplotlib's None when it is not installed), NumPy's BLAS, the operating system, the CPU
    model and the number of CPUs."""
    return {
        "nnscratch": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "matplotlib": _installed_version("matplotlib"),
        "blas": _blas(),
        "os": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
    }


def _installed_version(package: str) -> str | None:
    """The installed version of ``package``, read from its metadata: training draws nothing,
    so it does not pay for importing matplotlib just to ask."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _blas() -> str | None:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy, or a build that does not say: the report says "unknown"
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None

"""What the numbers were measured on: CPU, cores, BLAS libraries and their thread counts."""

from __future__ import annotations

import os
import platform


def describe() -> dict:
    import numpy as np

    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
    }
    try:
        import torch

        info["torch"] = {
            "version": torch.__version__,
            "threads": torch.get_num_threads(),
            "blas": "MKL" if torch.backends.mkl.is_available() else "other",
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        }
    except ImportError:
        pass
    try:
        import sklearn

        info["sklearn"] = sklearn.__version__
    except ImportError:
        pass
    info["load_average"] = os.getloadavg()
    return info


def one_line(info: dict | None = None) -> str:
    """The CPU, its cores and each BLAS with its kernels and threads, on one line (for the
    scripts that print a table of their own)."""
    info = describe() if info is None else info
    blas = ", ".join(
        f"{b.get('internal_api')} {b.get('architecture')} ({b.get('num_threads')} threads)"
        for b in info["blas"]
    )
    return f"{info['cpu']}, {info['cores']} cores; {blas}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas() -> list[dict]:
    """NumPy's BLAS (and any other loaded BLAS/OpenMP pool) with its thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "install threadpoolctl (it comes with scikit-learn) to see the BLAS"}]
    return [
        {
            k: pool.get(k)
            for k in ("internal_api", "version", "architecture", "num_threads", "filepath")
        }
        for pool in threadpool_info()
    ]

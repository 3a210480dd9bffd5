"""The optional contenders: PyTorch and scikit-learn, imported only if installed."""

from __future__ import annotations

import importlib
import sys

INSTALL = {
    "torch": "pip install torch==2.13.0   (the CPU build; or: pip install -e '.[bench]')",
    "sklearn": "pip install scikit-learn   (or: pip install -e '.[bench]')",
}


def optional(module: str):
    """The module, or None after saying on stderr how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        print(
            f"benchmarks: {module} is not installed, its columns are skipped; "
            f"install it with: {INSTALL[module]}",
            file=sys.stderr,
        )
        return None

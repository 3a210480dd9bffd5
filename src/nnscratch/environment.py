"""What this installation and machine have: library versions and the machine, recorded in
model files and reports, and the optional extras, with one way to ask for them.

``pip install nnscratch`` brings the core: NumPy, Pillow, Typer and Rich, enough to train,
evaluate and predict. The faces and bridges need more (``pip install "nnscratch[web]"``...);
code that needs one calls :func:`require` (or :func:`optional_import`) first, so a missing
package ends in one :class:`~nnscratch.errors.MissingExtra` line that names the extra and the
pip command instead of a ModuleNotFoundError from deep inside. :data:`NEEDED` is the one place
that knows which extra brings which package.

A bottom-level utility like :mod:`nnscratch.fileio`: standard library and NumPy only.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import platform
from types import ModuleType

import numpy as np

from . import __version__
from .errors import MissingExtra


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


# extra -> the (distribution, module) pairs its code imports, in the order they are checked.
# The extras' other packages (onnxruntime, pandas, ...) are for checking and notebooks only.
NEEDED: dict[str, tuple[tuple[str, str], ...]] = {
    "web": (("fastapi", "fastapi"), ("uvicorn", "uvicorn"), ("python-multipart", "multipart")),
    "plots": (("matplotlib", "matplotlib"),),
    "sklearn": (("scikit-learn", "sklearn"),),
    "onnx": (("onnx", "onnx"),),
    "dask": (("distributed", "distributed"),),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``: ``pip install "nnscratch[web]"``."""
    return f'pip install "nnscratch[{extra}]"'


def missing(extra: str, purpose: str, distribution: str) -> MissingExtra:
    """The error for ``purpose`` (what the user asked for) lacking ``distribution``."""
    return MissingExtra(
        f"{purpose} needs the {extra!r} extra ({distribution} is not installed): "
        f"{install_hint(extra)}",
        name=distribution,
    )


def require(extra: str, purpose: str) -> None:
    """Check, without importing them, that the packages ``extra`` brings are installed;
    raise :class:`MissingExtra` naming the first one missing. ``purpose`` says what needs
    them (``"nnscratch serve"``, ``"--report"``) and starts the message."""
    if extra not in NEEDED:
        raise ValueError(f"no extra called {extra!r} (known: {', '.join(NEEDED)})")
    for distribution, module in NEEDED[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent that cannot import, or a stub module
            found = False
        if not found:
            raise missing(extra, purpose, distribution)


def optional_import(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` of ``extra``, or raise :class:`MissingExtra` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and error.name.partition(".")[0] != module.partition(".")[0]:
            raise  # the package is there but lacks one of its own dependencies: a real bug
        distribution = dict((m, d) for d, m in NEEDED.get(extra, ())).get(module, module)
        raise missing(extra, purpose, distribution) from None

"""The optional parts of nnscratch and how to ask for them: the one place that knows which
extra brings which package.

``pip install nnscratch`` brings the core: NumPy, Pillow, Typer and Rich, enough to train,
evaluate and predict. The faces and bridges need more (``pip install "nnscratch[web]"``...);
code that needs one calls :func:`require` (or :func:`optional_import`) first, so a missing
package ends in one :class:`MissingExtra` line that names the extra and the pip command
instead of a ModuleNotFoundError from deep inside.

A bottom-level module: standard library only.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import NNScratchError

# extra -> the (distribution, module) pairs its code imports, in the order they are checked.
# The extras' other packages (onnxruntime, pandas, ...) are for checking and notebooks only.
NEEDED: dict[str, tuple[tuple[str, str], ...]] = {
    "web": (("fastapi", "fastapi"), ("uvicorn", "uvicorn"), ("python-multipart", "multipart")),
    "plots": (("matplotlib", "matplotlib"),),
    "sklearn": (("scikit-learn", "sklearn"),),
    "onnx": (("onnx", "onnx"),),
    "dask": (("distributed", "distributed"),),
}


class MissingExtra(NNScratchError, ImportError):
    """A package of an optional extra is not installed; the message names the extra and the
    pip command that installs it (an ImportError too, so ``except ImportError`` still works)."""


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

"""nnscratch: neural networks from scratch in NumPy, with MNIST bundled.

    >>> from nnscratch import Sequential, Dense, ReLU, Flatten
    >>> from nnscratch.datasets import load_mnist

Names are imported on first use, so ``nnscratch --help`` does not pay for NumPy. The layer
classes are those of :data:`nnscratch.engine.layers.LAYERS`, found there when first asked for.
``__version__`` is the installed distribution's (pyproject.toml's ``version``, the one place
it is written), read from its metadata when first asked for.
"""

from __future__ import annotations

import importlib

# What __version__ says when nnscratch runs from a source tree that was never installed.
_UNKNOWN_VERSION = "0+unknown"

_EXPORTS = {
    "Sequential": "model.sequential",
    **dict.fromkeys(
        ["SoftmaxCrossEntropy", "BinaryCrossEntropy", "MeanSquaredError"], "engine.losses"
    ),
    **dict.fromkeys(["SGD", "Adam", "AdamW"], "engine.optimizers"),
    **dict.fromkeys(
        ["Constant", "StepDecay", "ExponentialDecay", "WarmupCosine"], "engine.schedules"
    ),
    **dict.fromkeys(
        [
            "EarlyStopping",
            "WeightAveraging",
            "Callback",
            "History",
            "GracefulStop",
            "Checkpointer",
            "load_latest",
            "TrainingState",
        ],
        "training",
    ),
    **dict.fromkeys(
        [
            "NNScratchError",
            "DataError",
            "ModelFileError",
            "ConfigError",
            "TrainingDiverged",
            "CheckpointError",
        ],
        "errors",
    ),
    **dict.fromkeys(["load_mnist", "load_source"], "datasets"),
    **dict.fromkeys(["Recipe", "build_model", "PRESETS"], "model.presets"),
}

_LAYERS_MODULE = "engine.layers"


def _layer_names() -> list[str]:
    """The layer classes' names (and Layer's): importing them imports NumPy."""
    layers = importlib.import_module(f".{_LAYERS_MODULE}", __name__)
    return ["Layer", *layers.LAYER_TYPES]


def _installed_version() -> str:
    """The version in the installed distribution's metadata (from pyproject.toml)."""
    import importlib.metadata

    try:
        return importlib.metadata.version(__name__)
    except importlib.metadata.PackageNotFoundError:
        return _UNKNOWN_VERSION


def __getattr__(name: str):
    value: object
    if name == "__version__":
        value = _installed_version()
    elif name == "__all__":  # for star imports: the lazy names, the layers' found now
        value = sorted([*_EXPORTS, *_layer_names()]) + ["__version__"]
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif not name.startswith("_") and name in _layer_names():
        value = getattr(importlib.import_module(f".{_LAYERS_MODULE}", __name__), name)
    else:
        raise AttributeError(f"module 'nnscratch' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __getattr__("__all__")

"""nnscratch: neural networks from scratch in NumPy, with MNIST bundled.

    >>> from nnscratch import Sequential, Dense, ReLU, Flatten
    >>> from nnscratch.datasets import load_mnist

Names are imported on first use, so ``nnscratch --help`` does not pay for NumPy.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Sequential": "model",
    "Dense": "layers", "ReLU": "layers", "LeakyReLU": "layers", "Sigmoid": "layers",
    "Tanh": "layers", "Dropout": "layers", "Flatten": "layers", "Layer": "layers",
    "Reshape": "layers", "Conv2D": "layers", "MaxPool2D": "layers",
    "SoftmaxCrossEntropy": "losses", "BinaryCrossEntropy": "losses",
    "MeanSquaredError": "losses",
    "SGD": "optimizers", "Adam": "optimizers", "AdamW": "optimizers",
    "Constant": "schedules", "StepDecay": "schedules", "ExponentialDecay": "schedules",
    "WarmupCosine": "schedules",
    "EarlyStopping": "training", "Callback": "training", "History": "training",
    "GracefulStop": "training", "Checkpointer": "checkpoint", "load_latest": "checkpoint",
    "NNScratchError": "errors", "DataError": "errors", "ModelFileError": "errors",
    "ConfigError": "errors", "TrainingDiverged": "errors", "CheckpointError": "errors",
    "load_mnist": "datasets", "load_source": "datasets",
    "build_model": "presets", "PRESETS": "presets",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnscratch' has no attribute {name!r}")


def __dir__():
    return __all__

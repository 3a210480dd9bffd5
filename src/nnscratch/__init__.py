"""nnscratch: neural networks from scratch in NumPy, with MNIST bundled.

    >>> from nnscratch import Sequential, Dense, ReLU, Flatten
    >>> from nnscratch.datasets import load_mnist

Names are imported on first use, so ``nnscratch --help`` does not pay for NumPy.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Sequential": "model.sequential",
    "Dense": "engine.layers", "ReLU": "engine.layers", "LeakyReLU": "engine.layers", "Sigmoid": "engine.layers",
    "Tanh": "engine.layers", "Dropout": "engine.layers", "Flatten": "engine.layers", "Layer": "engine.layers",
    "Reshape": "engine.layers", "Conv2D": "engine.layers", "MaxPool2D": "engine.layers",
    "SoftmaxCrossEntropy": "engine.losses", "BinaryCrossEntropy": "engine.losses",
    "MeanSquaredError": "engine.losses",
    "SGD": "engine.optimizers", "Adam": "engine.optimizers", "AdamW": "engine.optimizers",
    "Constant": "engine.schedules", "StepDecay": "engine.schedules", "ExponentialDecay": "engine.schedules",
    "WarmupCosine": "engine.schedules",
    "EarlyStopping": "training.loop", "Callback": "training.loop", "History": "training.loop",
    "GracefulStop": "training.loop", "Checkpointer": "training.checkpoint", "load_latest": "training.checkpoint",
    "NNScratchError": "errors", "DataError": "errors", "ModelFileError": "errors",
    "ConfigError": "errors", "TrainingDiverged": "errors", "CheckpointError": "errors",
    "load_mnist": "datasets", "load_source": "datasets",
    "build_model": "model.presets", "PRESETS": "model.presets",
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

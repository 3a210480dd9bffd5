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
    **dict.fromkeys(
        [
            "Dense",
            "ReLU",
            "LeakyReLU",
            "Sigmoid",
            "Tanh",
            "Dropout",
            "Flatten",
            "Layer",
            "Reshape",
            "Conv2D",
            "MaxPool2D",
            "AvgPool2D",
            "GlobalAvgPool2D",
            "BatchNorm",
            "LayerNorm",
            "LSTM",
            "GRU",
        ],
        "engine.layers",
    ),
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

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnscratch' has no attribute {name!r}")


def __dir__():
    return __all__

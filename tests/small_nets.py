"""Small untrained networks that the explain tests take apart: a convolutional one with one or
two convolution blocks, and the tutorial's classic 784-10-10."""

from __future__ import annotations

from nnscratch import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Reshape, Sequential
from nnscratch.model import build_model, get_preset


def classic() -> Sequential:
    """The classic preset's 784-10-10 network, untrained."""
    return build_model(get_preset("classic"))


def conv_net(*, two_convs: bool = True, hidden: int = 12, dtype: str = "float32") -> Sequential:
    """Conv 5x5 (3 maps), ReLU, pool; with ``two_convs`` a conv 3x3 (4 maps), ReLU, pool; then
    Dense to ``hidden`` units, ReLU, Dense to 10. Input (N, 28, 28) pixels 0-255."""
    layers = [Reshape((1, 28, 28)), Conv2D(1, 3, 5), ReLU(), MaxPool2D(2)]
    if two_convs:
        layers += [Conv2D(3, 4, 3, padding=1), ReLU(), MaxPool2D(2)]
    flat = 4 * 6 * 6 if two_convs else 3 * 12 * 12
    layers += [Flatten(), Dense(flat, hidden), ReLU(), Dense(hidden, 10)]
    return Sequential(layers, input_scale=1 / 255, seed=2, dtype=dtype)

"""The bundled MNIST as every contender gets it: float32 rows scaled to [0, 1], int64 labels.

Preparing the data is not timed: each workload times training or predicting only.
"""

from __future__ import annotations

import numpy as np

from nnscratch.datasets import load_mnist


def mnist_rows(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 784) float32 pixels in [0, 1] and (N,) int64 labels of ``train`` or ``test``."""
    images, labels = load_mnist(split)
    x = np.multiply(images.reshape(len(images), -1), np.float32(1 / 255), dtype=np.float32)
    return x, labels.astype(np.int64)

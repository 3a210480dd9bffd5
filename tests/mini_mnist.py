"""Small real-MNIST datasets on disk, for tests that hand a folder to the command line."""

from __future__ import annotations

from pathlib import Path

from nnscratch.datasets import load_mnist, write_idx


def write_mnist_folder(folder: Path, train: int, test: int) -> Path:
    """Write the first ``train`` training and ``test`` test images of the bundled MNIST, with
    their labels, into ``folder`` (created) as IDX files named as MNIST's. Returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    write_idx(folder / "train-images-idx3-ubyte", x[:train])
    write_idx(folder / "train-labels-idx1-ubyte", y[:train])
    write_idx(folder / "t10k-images-idx3-ubyte", x_test[:test])
    write_idx(folder / "t10k-labels-idx1-ubyte", y_test[:test])
    return folder

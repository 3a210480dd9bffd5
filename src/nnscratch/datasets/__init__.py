"""Digit datasets: IDX and CSV readers and writers, bundled MNIST, dev splits, source loading.

Knows nothing of networks: depends only on numpy, the standard library and nnscratch.errors.
"""

from nnscratch.datasets.csv import read_digits_csv, write_digits_csv
from nnscratch.datasets.idx import read_idx, write_idx
from nnscratch.datasets.mnist import load_mnist
from nnscratch.datasets.sources import DigitDataset, load_source
from nnscratch.datasets.splits import hold_out, train_dev_split

__all__ = [
    "DigitDataset",
    "hold_out",
    "load_mnist",
    "load_source",
    "read_digits_csv",
    "read_idx",
    "train_dev_split",
    "write_digits_csv",
    "write_idx",
]

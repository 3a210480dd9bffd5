"""Train/dev splits: sizes, partition, determinism, stratification, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnscratch.datasets.splits import train_dev_split
from nnscratch.errors import ConfigError, DataError


def _check_partition(train: np.ndarray, dev: np.ndarray, n: int) -> None:
    assert train.dtype == np.int64 and dev.dtype == np.int64
    assert np.all(np.diff(train) > 0) and np.all(np.diff(dev) > 0)  # sorted, no repeats
    assert np.intersect1d(train, dev).size == 0
    assert np.array_equal(np.union1d(train, dev), np.arange(n))


@pytest.mark.parametrize(
    ("n", "dev_size", "expected"),
    [
        (1000, 100, 100),
        (1000, 0.1, 100),
        (10, 0.25, 3),
        (10, 0.24, 2),
        (10, 0.04, 0),
        (10, 0, 0),
        (10, 9, 9),
        (7, np.int32(2), 2),
        (7, np.float32(0.5), 4),
    ],
)
@pytest.mark.parametrize("stratify", [False, True])
def test_sizes_and_partition(n, dev_size, expected, stratify):
    labels = np.arange(n) % 3
    train, dev = train_dev_split(labels, dev_size, rng=np.random.default_rng(0), stratify=stratify)
    assert len(dev) == expected and len(train) == n - expected
    _check_partition(train, dev, n)


@pytest.mark.parametrize("stratify", [False, True])
def test_same_seed_same_split_other_seed_other_split(stratify):
    labels = np.arange(1000) % 10
    split = lambda seed: train_dev_split(  # noqa: E731
        labels, 200, rng=np.random.default_rng(seed), stratify=stratify
    )[1]
    assert np.array_equal(split(1), split(1))
    assert not np.array_equal(split(1), split(2))


@settings(max_examples=200, deadline=None)
@given(
    labels=hnp.arrays(np.int64, st.integers(2, 300), elements=st.integers(0, 9)),
    data=st.data(),
)
def test_stratified_counts_within_one_of_ideal(labels, data):
    n = len(labels)
    dev_size = data.draw(st.integers(0, n - 1), label="dev_size")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    train, dev = train_dev_split(labels, dev_size, rng=rng, stratify=True)
    _check_partition(train, dev, n)
    assert len(dev) == dev_size
    classes, counts = np.unique(labels, return_counts=True)
    dev_counts = np.array([(labels[dev] == c).sum() for c in classes])
    ideal = counts * dev_size / n
    assert np.all(np.abs(dev_counts - ideal) < 1)


def test_stratified_keeps_mnist_like_proportions_exactly():
    labels = np.repeat(np.arange(10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    _, dev = train_dev_split(labels, 6000, rng=np.random.default_rng(3), stratify=True)
    # 10% of each class: ideal counts are 592.3, 674.2, ... so floors or ceilings only
    got = np.bincount(labels[dev], minlength=10)
    assert got.sum() == 6000
    assert np.all(np.abs(got - np.bincount(labels) / 10) < 1)


def test_plain_split_is_not_stratified_by_accident():
    labels = np.repeat([0, 1], [900, 100])
    counts = [
        np.bincount(
            labels[train_dev_split(labels, 100, rng=np.random.default_rng(s))[1]], minlength=2
        )[1]
        for s in range(20)
    ]
    assert len(set(counts)) > 1  # a random split's class counts vary with the seed


@pytest.mark.parametrize(
    ("dev_size", "needle"),
    [
        (-1, r"dev_size=-1 is negative"),
        (10, r"dev_size=10 asks for 10 of 10 examples, leaving none"),
        (11, r"asks for 11 of 10"),
        (0.0, r"dev_size=0.0 is not a fraction strictly between 0 and 1"),
        (1.0, r"not a fraction"),
        (1.5, r"not a fraction"),
        (-0.2, r"not a fraction"),
        (float("nan"), r"not a fraction"),
        (0.99, r"asks for 10 of 10"),
        (True, r"dev_size=True is not valid"),
        ("10", r"dev_size='10' is not valid"),
        (None, r"dev_size=None is not valid"),
    ],
)
def test_bad_dev_sizes(dev_size, needle):
    with pytest.raises(ConfigError, match=needle):
        train_dev_split(np.zeros(10), dev_size, rng=np.random.default_rng(0))


def test_bad_labels_and_rng():
    with pytest.raises(DataError, match=r"labels have shape \(2, 5\), expected a 1-D array"):
        train_dev_split(np.zeros((2, 5)), 1, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        train_dev_split(np.zeros(10), 1, rng=np.random.RandomState(0))

"""classic: the tutorial's 784-10-10 network, full-batch gradient descent, alpha 0.1, 500
iterations on 59,000 images (1,000 held out as the dev set, as the classic preset does).

nnscratch (the classic preset's network and optimizer, float32, rows) against the tutorial's
algorithm in float64 with examples as columns (tutorial_classic.py). Both start from the same
initial weights, so their dev accuracies differ only by rounding. One unit of work is a block
of iterations; the contenders take turns block by block.
"""

from __future__ import annotations

import time

import numpy as np

from . import tutorial_classic
from .interleave import interleave, stats

DEV_SIZE, ALPHA = 1000, 0.1


def split(images, labels):
    """The classic preset's seeded split: (x, y) train and (x, y) dev, raw images."""
    from nnscratch.datasets import train_dev_split

    train_idx, dev_idx = train_dev_split(labels, DEV_SIZE, rng=np.random.default_rng(0))
    return (images[train_idx], labels[train_idx]), (images[dev_idx], labels[dev_idx])


class NNScratchClassic:
    name = "nnscratch"

    def __init__(self, images, labels):
        from nnscratch.model.presets import build_model, build_optimizer, get_preset
        from nnscratch.training.loop import fit

        preset = get_preset("classic")
        self.model = build_model(preset)
        self.optimizer = build_optimizer(preset, len(labels))
        self.x = self.model.prepare(images)  # float32 (N, 28, 28), once, as fit does
        self.y = labels.astype(np.intp)
        self._fit = fit

    def iterations(self, k: int) -> float:
        start = time.perf_counter()
        self._fit(
            self.model,
            self.x,
            self.y,
            self.optimizer,
            epochs=k,
            batch_size=None,
            rng=self.model.rng,
        )
        return time.perf_counter() - start

    def predict(self, images):
        return self.model.predict(images)


class TutorialClassic:
    name = "tutorial float64"

    def __init__(self, images, labels, start_from: NNScratchClassic):
        # As the tutorial: data.T / 255., one example per column, float64.
        self.X = images.reshape(len(images), -1).T / 255.0
        self.Y = labels.astype(np.intp)
        layers = [layer for layer in start_from.model.layers if layer.params]
        self.params = []
        for layer in layers:  # the same initial weights, transposed to the column form
            self.params += [
                layer.params["W"].T.astype(np.float64),
                layer.params["b"].astype(np.float64).reshape(-1, 1),
            ]

    def iterations(self, k: int) -> float:
        start = time.perf_counter()
        self.params = tutorial_classic.gradient_descent(self.params, self.X, self.Y, ALPHA, k)
        return time.perf_counter() - start

    def predict(self, images):
        return tutorial_classic.predict(self.params, images.reshape(len(images), -1).T / 255.0)


def run(images, labels, *, iterations: int, block: int, repeats: int) -> dict:
    """``repeats`` whole trainings per contender, interleaved block by block; per contender the
    training seconds (median over the runs, with the range of the blocks' pace: the fastest
    and the slowest block times the number of blocks) and the dev accuracy reached."""
    (x, y), (x_dev, y_dev) = split(images, labels)
    rounds = iterations // block
    totals: dict[str, list[float]] = {}
    blocks: dict[str, list[float]] = {}
    accuracy: dict[str, float] = {}
    for _ in range(repeats):
        ours = NNScratchClassic(x, y)
        players = [ours, TutorialClassic(x, y, start_from=ours)]
        seconds = interleave(
            {p.name: (lambda p=p: p.iterations(block)) for p in players}, rounds=rounds
        )
        for p in players:
            totals.setdefault(p.name, []).append(sum(seconds[p.name]))
            blocks.setdefault(p.name, []).extend(seconds[p.name])
            accuracy[p.name] = float(np.mean(p.predict(x_dev) == y_dev))
    results = {}
    for name, values in totals.items():
        pace = stats([b * rounds for b in blocks[name]])
        results[name] = {
            "train_seconds": {**stats(values), "min": pace["min"], "max": pace["max"]},
            "train_seconds_all": values,
            "block_seconds": blocks[name],
            "dev_accuracy": accuracy[name],
            "iterations": iterations,
        }
    return results

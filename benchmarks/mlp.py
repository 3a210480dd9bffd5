"""mlp: 784-512-512-10 ReLU, softmax cross-entropy, Adam lr 1e-3, batch 128, float32, all 60,000
training images; nnscratch against PyTorch (CPU) and scikit-learn's MLPClassifier.

One unit of work is one epoch; the contenders take turns epoch by epoch. Test accuracy is
measured after every epoch, outside the timed part.
"""

from __future__ import annotations

import time

import numpy as np

from .interleave import interleave, stats
from .peers import optional
from .trainers import NNScratchTrainer, TorchTrainer, epoch_units

HIDDEN, LR, BATCH, TARGET = (512, 512), 1e-3, 128, 0.98


class NNScratchMLP(NNScratchTrainer):
    def __init__(self, x, y, seed=0):
        from nnscratch import Dense, ReLU, Sequential

        layers, width = [], x.shape[1]
        for units in HIDDEN:
            layers += [Dense(width, units), ReLU()]
            width = units
        super().__init__(
            Sequential(layers + [Dense(width, 10)], seed=seed), x, y, lr=LR, batch=BATCH
        )


class TorchMLP(TorchTrainer):
    def __init__(self, x, y, seed=0):
        import torch

        torch.manual_seed(seed)  # the initial weights
        layers, width = [], x.shape[1]
        for units in HIDDEN:
            layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
            width = units
        net = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
        super().__init__(net, x, y, lr=LR, batch=BATCH, seed=seed)


class SklearnMLP:
    name = "scikit-learn"

    def __init__(self, x, y, seed=0):
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier(
            hidden_layer_sizes=HIDDEN,
            activation="relu",
            solver="adam",
            alpha=0.0,
            batch_size=BATCH,
            learning_rate_init=LR,
            shuffle=True,
            random_state=seed,
        )
        self.x, self.y = x, y

    def epoch(self) -> float:
        start = time.perf_counter()
        # partial_fit is one shuffled pass over the data that keeps Adam's moments.
        self.model.partial_fit(self.x, self.y, classes=np.arange(10))
        return time.perf_counter() - start

    def accuracy(self, x, y) -> float:
        return float(np.mean(self.model.predict(x) == y))


def contenders(x, y) -> list:
    found = [NNScratchMLP(x, y)]
    if optional("torch"):
        found.append(TorchMLP(x, y))
    if optional("sklearn"):
        found.append(SklearnMLP(x, y))
    return found


def run(x, y, x_test, y_test, *, epochs: int, extra=()) -> dict:
    """Train every contender ``epochs`` epochs, interleaved; per contender: seconds per epoch,
    seconds of training until the test accuracy first reaches 98.0 %, and the final accuracy.
    ``extra`` players (the GEMM floor) take their turns too; only their seconds are kept."""
    units, accuracies = epoch_units(contenders(x, y), x_test, y_test)
    units.update({p.name: p.epoch for p in extra})
    seconds = interleave(units, rounds=epochs)
    results = {}
    for name, times in seconds.items():
        if name not in accuracies:
            results[name] = {"epoch_seconds": stats(times), "epoch_seconds_all": times}
            continue
        elapsed, to_target = np.cumsum(times), None
        reached = [i for i, acc in enumerate(accuracies[name]) if acc >= TARGET]
        if reached:
            to_target = float(elapsed[reached[0]])
        results[name] = {
            "epoch_seconds": stats(times),
            "epoch_seconds_all": times,
            "seconds_to_98": to_target,
            "epoch_reaching_98": reached[0] + 1 if reached else None,
            "test_accuracy": accuracies[name][-1],
            "test_accuracy_all": accuracies[name],
        }
    return results

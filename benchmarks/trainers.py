"""What the epoch workloads' contenders share: nnscratch's (a model trained with ``fit``, one
epoch a call) and PyTorch's (an epoch of Adam steps over shuffled batches, timed as
nnscratch's epochs are, and predictions in evaluation mode); and their epochs as units of an
interleaved run, with the test accuracy measured after each, outside the timed part."""

from __future__ import annotations

import time

import numpy as np


class NNScratchTrainer:
    """``model`` (a Sequential) trained with Adam at ``lr`` on ``x``, ``y`` in batches of
    ``batch``, one epoch per :meth:`epoch`."""

    name = "nnscratch"

    def __init__(self, model, x, y, *, lr: float, batch: int) -> None:
        from nnscratch import Adam

        self.model, self.optimizer = model, Adam(lr=lr)
        self.x, self.y, self.batch = x, y, batch

    def epoch(self) -> float:
        """Seconds for one epoch of ``fit``."""
        start = time.perf_counter()
        self.model.fit(self.x, self.y, epochs=1, batch_size=self.batch, optimizer=self.optimizer)
        return time.perf_counter() - start

    def accuracy(self, x, y) -> float:
        return float(np.mean(self.model.predict(x) == y))


def epoch_units(players, x_test, y_test) -> tuple[dict, dict[str, list[float]]]:
    """For :func:`benchmarks.interleave.interleave`: each player's epoch as a unit that
    returns its seconds, then measures the test accuracy (untimed) into the second dict."""
    accuracies: dict[str, list[float]] = {p.name: [] for p in players}

    def unit(player):
        def one_epoch() -> float:
            seconds = player.epoch()
            accuracies[player.name].append(player.accuracy(x_test, y_test))
            return seconds

        return one_epoch

    return {p.name: unit(p) for p in players}, accuracies


class TorchTrainer:
    """``net`` (a ``torch.nn.Module``) trained with Adam at ``lr`` on ``x`` (N, ...) float32
    and ``y`` (N,) int64, in batches of ``batch`` drawn in an order seeded with ``seed``."""

    name = "pytorch"

    def __init__(self, net, x, y, *, lr: float, batch: int, seed: int = 0):
        import torch

        self.torch, self.net, self.batch = torch, net.train(), batch
        self.optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self) -> float:
        """Seconds for one pass over the data, a step per batch."""
        torch, net, optimizer = self.torch, self.net, self.optimizer
        start = time.perf_counter()
        order = torch.randperm(len(self.x), generator=self.generator)
        for i in range(0, len(order), self.batch):
            idx = order[i : i + self.batch]
            loss = torch.nn.functional.cross_entropy(net(self.x[idx]), self.y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    def outputs(self, x) -> np.ndarray:
        """The logits (N, C) in evaluation mode (a BatchNorm's running averages, no dropout),
        as ours predict."""
        self.net.eval()
        with self.torch.inference_mode():
            logits = self.net(self.torch.from_numpy(x)).numpy()
        self.net.train()
        return logits

    def accuracy(self, x, y) -> float:
        return float(np.mean(self.outputs(x).argmax(axis=1) == y))

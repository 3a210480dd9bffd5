"""What the PyTorch contenders share: an epoch of Adam steps over shuffled batches, timed as
nnscratch's epochs are, and predictions in evaluation mode."""

from __future__ import annotations

import time

import numpy as np


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
            idx = order[i:i + self.batch]
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

"""floor: the matrix products of one mlp training step alone, back to back.

The eight GEMMs nnscratch's 784-512-512-10 network needs for a batch of 128: three forward
(``x W``), three weight gradients (``xᵀ dz``) and two input gradients (``dz Wᵀ``; the first
layer needs none), into preallocated outputs. An epoch of 469 such steps can be no faster than
this with this BLAS; the mlp workload runs it as one more contender so the ratio holds.
"""

from __future__ import annotations

import time
from itertools import pairwise

import numpy as np

SIZES, BATCH = (784, 512, 512, 10), 128


class GemmFloor:
    name = "floor (GEMMs only)"

    def __init__(self, steps: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        f32 = np.float32
        self.steps = steps
        self.a = [rng.random((BATCH, n), dtype=f32) for n in SIZES]  # layer inputs/outputs
        self.W = [rng.random((i, o), dtype=f32) for i, o in pairwise(SIZES)]
        self.dW = [np.empty_like(w) for w in self.W]
        self.dx = [np.empty((BATCH, n), dtype=f32) for n in SIZES]

    def epoch(self) -> float:
        a, W, dW, dx = self.a, self.W, self.dW, self.dx
        layers = range(len(W))
        start = time.perf_counter()
        for _ in range(self.steps):
            for i in layers:  # forward: z = x W
                np.matmul(a[i], W[i], out=a[i + 1])
            for i in reversed(layers):  # backward: dW = xᵀ dz, dx = dz Wᵀ
                np.matmul(a[i].T, a[i + 1], out=dW[i])
                if i:
                    np.matmul(a[i + 1], W[i].T, out=dx[i])
        return time.perf_counter() - start


class TorchGemmFloor(GemmFloor):
    """The same eight products through PyTorch's BLAS (MKL here): how much of PyTorch's lead,
    if any, is its matrix-product library rather than its framework."""

    name = "floor, PyTorch's GEMMs"

    def __init__(self, steps: int, seed: int = 0):
        import torch

        super().__init__(steps, seed)
        self.torch = torch
        for group in (self.a, self.W, self.dW, self.dx):
            group[:] = [torch.from_numpy(array) for array in group]

    def epoch(self) -> float:
        mm, a, W, dW, dx = self.torch.mm, self.a, self.W, self.dW, self.dx
        layers = range(len(W))
        start = time.perf_counter()
        for _ in range(self.steps):
            for i in layers:
                mm(a[i], W[i], out=a[i + 1])
            for i in reversed(layers):
                mm(a[i].T, a[i + 1], out=dW[i])
                if i:
                    mm(a[i + 1], W[i].T, out=dx[i])
        return time.perf_counter() - start

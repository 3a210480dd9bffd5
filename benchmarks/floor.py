"""floor: the matrix products of one mlp training step alone, back to back.

The eight GEMMs nnscratch's 784-512-512-10 network needs for a batch of 128: three forward
(``x W``), three weight gradients (``xᵀ dz``) and two input gradients (``dz Wᵀ``; the first
layer needs none), into preallocated outputs. An epoch of 469 such steps can be no faster than
this with this BLAS; the mlp workload runs it as one more contender so the ratio holds.
"""

from __future__ import annotations

import time

import numpy as np

SIZES, BATCH = (784, 512, 512, 10), 128


class GemmFloor:
    name = "floor (GEMMs only)"

    def __init__(self, steps: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        f32 = np.float32
        self.steps = steps
        self.a = [rng.random((BATCH, n), dtype=f32) for n in SIZES]   # layer inputs/outputs
        self.W = [rng.random((i, o), dtype=f32) for i, o in zip(SIZES, SIZES[1:])]
        self.dW = [np.empty_like(w) for w in self.W]
        self.dx = [np.empty((BATCH, n), dtype=f32) for n in SIZES]

    def epoch(self) -> float:
        a, W, dW, dx = self.a, self.W, self.dW, self.dx
        layers = range(len(W))
        start = time.perf_counter()
        for _ in range(self.steps):
            for i in layers:                       # forward: z = x W
                np.matmul(a[i], W[i], out=a[i + 1])
            for i in reversed(layers):             # backward: dW = xᵀ dz, dx = dz Wᵀ
                np.matmul(a[i].T, a[i + 1], out=dW[i])
                if i:
                    np.matmul(a[i + 1], W[i].T, out=dx[i])
        return time.perf_counter() - start

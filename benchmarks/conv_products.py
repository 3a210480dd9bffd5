"""conv_products: a convolution's weight-gradient product in its two orientations.

``python -m benchmarks.conv_products`` times, for the convolutions of the fast and cnn-bn
presets' networks (batch 128), the product that gives ``[dWmat | db]`` from the output gradient
``dz`` (C_out, M) and the columns (C_in·k·k + 1, M), M = H_out·W_out·128, as ``dz colsᵀ`` and as
``(cols dzᵀ)ᵀ``, interleaved, and prints the medians: the reason Conv2D.backward takes the
second. A table to read, not a timed test.
"""

from __future__ import annotations

import time

import numpy as np

from .machine import one_line

# (C_in, C_out, H_out): the fast preset's two convolutions, then cnn-bn's; 5x5 kernels
SHAPES = ((1, 8, 24), (8, 16, 8), (1, 32, 24), (32, 64, 8))
BATCH, KERNEL, ROUNDS = 128, 5, 40


def main() -> int:
    print(one_line())
    print(f"{'C_in->C_out':12} {'M':>6} {'dz colsT ms':>12} {'cols dzT ms':>12} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for c_in, c_out, h_out in SHAPES:
        m = h_out * h_out * BATCH
        dz = rng.standard_normal((c_out, m), dtype=np.float32)
        cols = rng.standard_normal((c_in * KERNEL**2 + 1, m), dtype=np.float32)
        out, out_t = (
            np.empty((c_out, len(cols)), np.float32),
            np.empty((len(cols), c_out), np.float32),
        )
        times: dict[str, list[float]] = {"direct": [], "transposed": []}
        for _ in range(ROUNDS):
            start = time.perf_counter()
            np.matmul(dz, cols.T, out=out)
            times["direct"].append(time.perf_counter() - start)
            start = time.perf_counter()
            np.matmul(cols, dz.T, out=out_t)
            times["transposed"].append(time.perf_counter() - start)
        direct, transposed = (1e3 * float(np.median(times[k])) for k in ("direct", "transposed"))
        name = f"{c_in}->{c_out}"
        print(f"{name:12} {m:6} {direct:12.2f} {transposed:12.2f} {direct / transposed:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

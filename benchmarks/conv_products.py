"""conv_products: a convolution's weight-gradient product in its two orientations, and in slices.

``python -m benchmarks.conv_products`` times, for the convolutions of the fast, cnn, cnn-bn and
best presets' networks (at their presets' batch sizes), the product that gives ``[dWmat | db]``
from the output gradient ``dz`` (C_out, M) and the columns (C_in·k·k + 1, M), with M =
H_out·W_out·batch: as ``dz colsᵀ``, as ``(cols dzᵀ)ᵀ``, and as the latter summed over slices of
M (``conv.long_product``, one product where the shapes give no slices), interleaved, and prints
the medians: the reason Conv2D.backward takes the second orientation, in slices where they pay.
A table to read, not a timed test.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np

from nnscratch.engine.layers.conv import long_product
from nnscratch.engine.layers.scratch import Scratch

from .machine import one_line

# (C_in, C_out, kernel, H_out, batch): the fast preset's two convolutions, cnn's first, cnn-bn's
# first with a batch of 64 (as the preset trains) and of 128 (as the cnn-bn workload does) and
# its second, best's first
SHAPES = (
    (1, 8, 5, 24, 128),
    (8, 16, 5, 8, 128),
    (1, 16, 5, 24, 128),
    (1, 32, 5, 24, 64),
    (1, 32, 5, 24, 128),
    (32, 64, 5, 8, 64),
    (1, 32, 3, 26, 64),
)
ROUNDS = 40


def main() -> int:
    print(one_line())
    print(
        f"{'C_in->C_out':12} {'k':>2} {'batch':>5} {'M':>6} {'dz colsT ms':>12} "
        f"{'cols dzT ms':>12} {'in slices ms':>13}"
    )
    rng = np.random.default_rng(0)
    scratch = Scratch()
    for c_in, c_out, kernel, h_out, batch in SHAPES:
        m = h_out * h_out * batch
        dz = rng.standard_normal((c_out, m), dtype=np.float32)
        cols = rng.standard_normal((c_in * kernel**2 + 1, m), dtype=np.float32)
        out, out_t, out_s = (
            np.empty((c_out, len(cols)), np.float32),
            np.empty((len(cols), c_out), np.float32),
            np.empty((len(cols), c_out), np.float32),
        )
        runs = {
            "direct": partial(np.matmul, dz, cols.T, out=out),
            "transposed": partial(np.matmul, cols, dz.T, out=out_t),
            "slices": partial(long_product, cols, dz.T, out_s, scratch),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(ROUNDS):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        direct, transposed, slices = (1e3 * float(np.median(t)) for t in times.values())
        name = f"{c_in}->{c_out}"
        print(
            f"{name:12} {kernel:2} {batch:5} {m:6} {direct:12.2f} {transposed:12.2f} {slices:13.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

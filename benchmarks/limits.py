"""limits: the floating-point work of an epoch of each preset's network, and the time it would
take at this machine's peak float32 product rate.

``python -m benchmarks.limits`` counts the multiply-adds of the matrix products of one
training step per image (forward, weight gradients, input gradients; the first layer with
weights needs no input gradient), measures the peak rate as the median of large square float32
products on every core the BLAS uses, and prints, per preset, the GFLOP of an epoch of 60,000
images and the seconds they take at that rate: the physical limit to read beside the suite's
epoch times. Elementwise work (activations, pooling, normalisation, the optimizer) is not
counted; it is a small share of the arithmetic and most of what stands between a NumPy epoch
and this limit.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from nnscratch.engine.layers import GRU, LSTM, Conv2D, Dense, Layer
from nnscratch.model.presets import PRESETS, build_model

from .machine import one_line

EPOCH_IMAGES = 60_000
PEAK_SIZE, PEAK_ROUNDS = 2048, 12


def forward_flops(layer: Layer, input_shape: tuple[int, ...]) -> int:
    """Floating-point operations (2 per multiply-add) of ``layer``'s products for one example
    of ``input_shape`` (without the batch axis); 0 for a layer without products."""
    if isinstance(layer, Conv2D):
        _, h_out, w_out = layer.output_shape(input_shape)
        taps = layer.in_channels * layer.kernel_size**2
        return 2 * layer.out_channels * taps * h_out * w_out
    if isinstance(layer, Dense):
        return 2 * layer.in_features * layer.out_features
    if isinstance(layer, LSTM | GRU):
        steps = input_shape[0]
        gates = 4 if isinstance(layer, LSTM) else 3
        hidden = layer.hidden_size
        return 2 * steps * gates * hidden * (layer.input_size + hidden)
    return 0


def training_flops(layers: Sequence[Layer], input_shape: tuple[int, ...]) -> int:
    """Operations of one training step's products per example: three times each layer's
    forward products (forward, weight gradient, input gradient), twice for the first layer
    with products (no input gradient)."""
    total, first = 0, True
    shape = input_shape
    for layer in layers:
        flops = forward_flops(layer, shape)
        if flops:
            total += (2 if first else 3) * flops
            first = False
        shape = layer.output_shape(shape)
    return total


def peak_rate(size: int = PEAK_SIZE, rounds: int = PEAK_ROUNDS) -> float:
    """FLOP/s of the median of ``rounds`` float32 products of two (size, size) matrices."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    out = np.empty_like(a)
    times = []
    for _ in range(rounds + 2):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    return 2 * size**3 / float(np.median(times[2:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=[p for p in PRESETS if p != "classic"])
    args = parser.parse_args(argv)
    rate = peak_rate()
    print(one_line())
    print(f"peak float32 product rate: {rate / 1e9:.0f} GFLOP/s ({PEAK_SIZE}x{PEAK_SIZE})")
    print(f"{'preset':8} {'MFLOP/image':>12} {'GFLOP/epoch':>12} {'s/epoch at peak':>16}")
    for name in args.presets:
        model = build_model(name)
        per_image = training_flops(model.layers, (28, 28))
        epoch = per_image * EPOCH_IMAGES
        print(f"{name:8} {per_image / 1e6:12.2f} {epoch / 1e9:12.1f} {epoch / rate:16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

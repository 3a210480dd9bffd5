"""conv_layers: each convolution of the presets, forward and backward, against PyTorch's.

``python -m benchmarks.conv_layers`` finds every Conv2D of the fast, cnn, cnn-bn and best
presets' networks with the shape of its input at the preset's batch size, and times it in
training: nnscratch's ``Conv2D.forward`` and ``backward`` (input gradient included, except for
a first layer) against ``torch.nn.functional.conv2d`` forward and backward on the same shapes,
in turns of blocks, medians of ROUNDS. Beside them, the GFLOP/s the three products reach in each
(forward, weight gradient, input gradient), and the machine's peak float32 product rate
(benchmarks.limits): how far each library's convolution is from the arithmetic's limit. A table
to read, not a timed test; it needs PyTorch (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from nnscratch.engine.layers import Conv2D
from nnscratch.model.presets import build_model, get_preset

from .limits import forward_flops, peak_rate
from .machine import one_line

PRESETS = ("fast", "cnn", "cnn-bn", "best")
ROUNDS = 40
BLOCKS, WARMUP, PAUSE = 4, 2, 0.3  # turns each, untimed calls a turn, seconds between


@dataclass(frozen=True)
class ConvCase:
    """One convolution of a preset's network: its layer and its input (N, C_in, H, W)."""

    preset: str
    layer: Conv2D
    input_shape: tuple[int, int, int, int]
    first: bool  # the network's first layer with weights: no input gradient

    @property
    def label(self) -> str:
        c_in, size, k = self.input_shape[1], self.input_shape[2], self.layer.kernel_size
        return f"{self.preset} {c_in}->{self.layer.out_channels} {k}x{k} on {size}x{size}"

    def training_flops(self) -> int:
        """Operations of the case's products in one training step of the batch."""
        per_image = forward_flops(self.layer, self.input_shape[1:])
        return (2 if self.first else 3) * per_image * self.input_shape[0]


def cases(presets: tuple[str, ...] = PRESETS) -> Iterator[ConvCase]:
    """Every Conv2D of each preset's network, with its input's shape at the preset's batch."""
    for preset in presets:
        recipe = get_preset(preset)
        model = build_model(recipe)
        shape: tuple[int, ...] = (28, 28)
        first = True
        for layer in model.layers:
            if isinstance(layer, Conv2D):
                yield ConvCase(preset, layer, (int(recipe.batch_size), *shape), first)
            first = first and not layer.params
            shape = layer.output_shape(shape)


def _clock(run: Callable[[], object], times: list[float]) -> None:
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)


def time_case(case: ConvCase, rounds: int = ROUNDS) -> dict[str, float]:
    """Milliseconds (medians) of nnscratch's and PyTorch's forward, and forward with backward."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    layer, (n, c_in, h, w) = case.layer, case.input_shape
    # batch-last in memory, as the layer before hands it on
    x = rng.standard_normal((c_in, h, w, n), dtype=np.float32).transpose(3, 0, 1, 2)
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape[1:] + y.shape[:1], dtype=np.float32).transpose(3, 0, 1, 2)
    xt = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_(not case.first)
    wt = torch.from_numpy(layer.params["W"].copy()).requires_grad_()
    bt = torch.from_numpy(layer.params["b"].copy()).requires_grad_()
    dyt = torch.from_numpy(np.ascontiguousarray(dy))

    def torch_forward() -> None:
        with torch.no_grad():
            F.conv2d(xt, wt, bt, stride=layer.stride, padding=layer.padding)

    def torch_both() -> None:
        F.conv2d(xt, wt, bt, stride=layer.stride, padding=layer.padding).backward(dyt)

    def ours_both() -> None:
        layer.forward(x, training=True)
        layer.backward(dy, input_grad=not case.first)

    runs = {
        "ours_forward": lambda: layer.forward(x, training=True),
        "ours_both": ours_both,
        "torch_forward": torch_forward,
        "torch_both": torch_both,
    }
    # Each in blocks of its own, turn about, with a pause between: one library's BLAS or
    # OpenMP threads keep spinning for up to a tenth of a second after their last call, and
    # would slow the other's next calls if the two alternated call by call.
    times: dict[str, list[float]] = {name: [] for name in runs}
    block = max(1, rounds // BLOCKS)
    for _ in range(BLOCKS):
        for name, run in runs.items():
            time.sleep(PAUSE)
            for _ in range(WARMUP):
                run()
            for _ in range(block):
                _clock(run, times[name])
    return {name: 1e3 * float(np.median(spent)) for name, spent in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("conv_layers needs PyTorch: pip install -e '.[bench]'")
        return 1
    print(one_line(), f"| torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"peak float32 product rate (NumPy's BLAS, 2048x2048): {peak_rate() / 1e9:.0f} GFLOP/s")
    print(
        f"{'convolution (batch)':34} {'ours fwd':>9} {'fwd+bwd':>8} {'GFLOP/s':>8} "
        f"{'torch fwd':>10} {'fwd+bwd':>8} {'GFLOP/s':>8} {'ratio':>6}"
    )
    for case in cases(tuple(args.presets)):
        ms = time_case(case, args.rounds)
        flops = case.training_flops()
        ours, theirs = ms["ours_both"], ms["torch_both"]
        print(
            f"{case.label + f' ({case.input_shape[0]})':34} {ms['ours_forward']:9.2f} "
            f"{ours:8.2f} {flops / ours / 1e6:8.0f} {ms['torch_forward']:10.2f} {theirs:8.2f} "
            f"{flops / theirs / 1e6:8.0f} {ours / theirs:6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

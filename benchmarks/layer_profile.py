"""layer_profile: where one training step of a preset's network goes, layer by layer.

``python -m benchmarks.layer_profile fast cnn-bn --steps 60`` runs that many training steps of
each preset's network on MNIST batches of the preset's size, in the steps ``Sequential`` runs
(a ReLU after its max-pool, a BatchNorm and that max-pool as one), with a clock around each
step's forward and backward,
and prints the median milliseconds of each (the first five steps left out: they allocate the
layers' scratch). Not a timed test: a table to read beside a profile of the same step in
PyTorch, on a quiet machine, with the CPU and BLAS it prints.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nnscratch.datasets import load_mnist
from nnscratch.model.presets import build_model, get_preset

from .machine import one_line

WARMUP = 5


def profile(preset: str, steps: int, seed: int = 0) -> list[tuple[str, float, float]]:
    """(layer, forward ms, backward ms) medians over ``steps`` training steps of ``preset``,
    a BatchNorm and the max-pool it runs with in training (NormPool) as one row."""
    recipe = get_preset(preset)
    model = build_model(recipe)
    x, _ = load_mnist("train")
    rng = np.random.default_rng(seed)
    batch = int(recipe.batch_size)
    model.forward(model.prepare(x[:batch]), training=True)  # plans the steps it runs
    plan = [(i, fused) for i, fused in model._ran]
    names = [
        f"{i} {type(model.layers[i]).__name__}"
        if fused is None
        else f"{i} {type(model.layers[i]).__name__}+MaxPool2D"
        for i, fused in plan
    ]
    forward: list[list[float]] = [[] for _ in plan]
    backward: list[list[float]] = [[] for _ in plan]
    first = model._first_trainable
    for _ in range(steps):
        h = model.prepare(x[rng.integers(0, len(x), batch)])
        for row, (i, fused) in enumerate(plan):
            start = time.perf_counter()
            if fused is None:
                h = model.layers[i].forward(h, training=True, rng=rng)
            else:
                h = fused.forward(h)
            forward[row].append(time.perf_counter() - start)
        grad: np.ndarray | None = rng.standard_normal(h.shape).astype(h.dtype) / batch
        for row in reversed(range(len(plan))):
            i, fused = plan[row]
            if i < first or grad is None:
                break
            start = time.perf_counter()
            grad = (model.layers[i] if fused is None else fused).backward(
                grad, input_grad=i > first
            )
            backward[row].append(time.perf_counter() - start)
    return [
        (
            names[row],
            1e3 * float(np.median(forward[row][WARMUP:])),
            1e3 * float(np.median(backward[row][WARMUP:])) if backward[row] else 0.0,
        )
        for row in range(len(plan))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=["fast", "cnn-bn"])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args(argv)
    print(one_line())
    for preset in args.presets:
        rows = profile(preset, args.steps)
        total = sum(f + b for _, f, b in rows)
        print(f"\n{preset}: one training step, median of {args.steps - WARMUP} (ms)")
        print(f"{'step':26} {'forward':>8} {'backward':>9} {'share':>6}")
        for name, f, b in rows:
            print(f"{name:26} {f:8.2f} {b:9.2f} {100 * (f + b) / total:5.0f}%")
        print(f"{'total':26} {sum(f for _, f, _ in rows):8.2f} {sum(b for *_, b in rows):9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

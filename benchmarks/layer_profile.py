"""layer_profile: where one training step of a preset's network goes, layer by layer.

``python -m benchmarks.layer_profile fast cnn-bn --steps 60`` runs that many training steps of
each preset's network on MNIST batches of the preset's size, in the order ``Sequential`` runs
the layers (a ReLU after its max-pool), with a clock around each layer's forward and backward,
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

from .machine import describe

WARMUP = 5


def profile(preset: str, steps: int, seed: int = 0) -> list[tuple[str, float, float]]:
    """(layer, forward ms, backward ms) medians over ``steps`` training steps of ``preset``."""
    recipe = get_preset(preset)
    model = build_model(recipe)
    x, _ = load_mnist("train")
    rng = np.random.default_rng(seed)
    batch = int(recipe.batch_size)
    names = [f"{i} {type(layer).__name__}" for i, layer in enumerate(model.layers)]
    forward: dict[int, list[float]] = {i: [] for i in range(len(names))}
    backward: dict[int, list[float]] = {i: [] for i in range(len(names))}
    model.forward(model.prepare(x[:batch]), training=True)  # plans the order the layers run in
    order, first = model._order, model._first_trainable
    for _ in range(steps):
        h = model.prepare(x[rng.integers(0, len(x), batch)])
        for i in order:
            start = time.perf_counter()
            h = model.layers[i].forward(h, training=True, rng=rng)
            forward[i].append(time.perf_counter() - start)
        grad: np.ndarray | None = rng.standard_normal(h.shape).astype(h.dtype) / batch
        for i in reversed(order):
            if i < first or grad is None:
                break
            start = time.perf_counter()
            grad = model.layers[i].backward(grad, input_grad=i > first)
            backward[i].append(time.perf_counter() - start)
    return [
        (
            names[i],
            1e3 * float(np.median(forward[i][WARMUP:])),
            1e3 * float(np.median(backward[i][WARMUP:])) if backward[i] else 0.0,
        )
        for i in range(len(names))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=["fast", "cnn-bn"])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args(argv)
    machine = describe()
    blas = ", ".join(f"{b.get('internal_api')} {b.get('architecture')}" for b in machine["blas"])
    print(f"{machine['cpu']}, {machine['cores']} cores; {blas}")
    for preset in args.presets:
        rows = profile(preset, args.steps)
        total = sum(f + b for _, f, b in rows)
        print(f"\n{preset}: one training step, median of {args.steps - WARMUP} (ms)")
        print(f"{'layer':16} {'forward':>8} {'backward':>9} {'share':>6}")
        for name, f, b in rows:
            print(f"{name:16} {f:8.2f} {b:9.2f} {100 * (f + b) / total:5.0f}%")
        print(f"{'total':16} {sum(f for _, f, _ in rows):8.2f} {sum(b for *_, b in rows):9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

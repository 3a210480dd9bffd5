"""What augmentation costs a training epoch: ``python -m benchmarks.augment_overhead``.

Two runs of the same preset (``cnn-bn`` by default) train side by side on the bundled MNIST, one
with its augmentation and one with ``augment = "none"``, taking turns a block of training steps
each (A B, B A, ...: see :mod:`benchmarks.interleave`), so a machine that slows down for a while
slows both alike. The ratio of the median block times is what augmentation adds to an epoch's
training steps (an epoch is those steps plus one dev evaluation, which augmentation does not
touch, so the epoch's ratio is a little lower still).

It also times the moves of one batch alone, ours against a per-image Pillow rendering of the
same affine moves (``Image.transform`` with bilinear resampling), to show why the moves are
NumPy over the whole batch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.interleave import interleave, stats  # noqa: E402


def training_block(preset: str, augment: str | None, steps: int, seed: int):
    """A function that trains ``steps`` more batches of the preset each call and returns the
    seconds they took (the batch gathering, the moves, forward, backward and the update)."""
    from nnscratch.datasets import load_mnist
    from nnscratch.datasets.augment import get_augmentation
    from nnscratch.model import build_model, build_optimizer, get_preset

    recipe = get_preset(preset).with_overrides(seed=seed)
    if augment is not None:
        recipe = recipe.with_overrides(augment=augment)
    x, y = load_mnist("train")
    model = build_model(recipe)
    x = model.prepare(x)
    y = y.astype(np.intp)
    optimizer = build_optimizer(recipe, len(x))
    moves = get_augmentation(recipe.augment)
    rng = np.random.default_rng(seed)
    params, grads, decay = model.trainable()
    batch = recipe.batch_size

    def block() -> float:
        start = time.perf_counter()
        for _ in range(steps):
            idx = rng.integers(0, len(x), batch)
            xb, yb = x[idx], y[idx]
            if moves is not None:
                xb = moves(xb, rng)
            out = model.forward(xb, training=True, rng=rng)
            model.loss.forward(out, yb)
            model.backward(model.loss.backward())
            optimizer.step(params, grads, decay)
        return time.perf_counter() - start

    return block


def batch_moves(kind: str, batch: int, rounds: int) -> dict[str, dict]:
    """Seconds to move one batch: ours (NumPy, whole batch) and Pillow's (image by image)."""
    from PIL import Image

    from nnscratch.datasets import load_mnist
    from nnscratch.datasets.augment import get_augmentation

    images = load_mnist("train")[0][:batch]
    floats = images.astype(np.float32) / 255
    moves = get_augmentation(kind)
    rng = np.random.default_rng(0)

    def ours() -> float:
        start = time.perf_counter()
        moves(floats, rng)
        return time.perf_counter() - start

    def pillow() -> float:
        start = time.perf_counter()
        for image in images:
            angle, scale = rng.uniform(-0.17, 0.17), rng.uniform(0.9, 1.1)
            dr, dc = rng.integers(-2, 3, 2)
            cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
            c = 13.5
            # Output (x, y) reads input (a x + b y + e, c x + d y + f): the inverse move.
            coefficients = (
                cos,
                -sin,
                c - cos * (c + dc) + sin * (c + dr),
                sin,
                cos,
                c - sin * (c + dc) - cos * (c + dr),
            )
            picture = Image.fromarray(image).transform(
                (28, 28), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR
            )
            np.asarray(picture, dtype=np.float32)
        return time.perf_counter() - start

    seconds = interleave(
        {"ours (NumPy, whole batch)": ours, "Pillow (image by image, affine only)": pillow}, rounds
    )
    return {name: stats(values) for name, values in seconds.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.augment_overhead", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--preset", default="cnn-bn")
    parser.add_argument(
        "--augment", default=None, help="kind to measure (default: the preset's own)"
    )
    parser.add_argument("--steps", type=int, default=40, help="training steps per block")
    parser.add_argument("--rounds", type=int, default=7, help="blocks for each contender")
    args = parser.parse_args(argv)

    from nnscratch.model import get_preset

    kind = args.augment or get_preset(args.preset).augment
    units = {
        f"augment={kind}": training_block(args.preset, kind, args.steps, 0),
        "augment=none": training_block(args.preset, "none", args.steps, 0),
    }
    for unit in units.values():  # warm up: first calls allocate
        unit()
    seconds = interleave(units, args.rounds)
    with_moves, without = (statistics.median(seconds[name]) for name in units)
    print(
        f"{args.preset}: blocks of {args.steps} training steps, {args.rounds} rounds each, "
        f"taking turns"
    )
    for name, values in seconds.items():
        s = stats(values)
        print(f"  {name:16s} median {s['median']:.3f} s  (min {s['min']:.3f}, max {s['max']:.3f})")
    print(f"  ratio (augmented / plain): {with_moves / without:.3f}")
    print(f"moving one batch of {get_preset(args.preset).batch_size} images ({kind}):")
    for name, s in batch_moves(kind, get_preset(args.preset).batch_size, 15).items():
        print(f"  {name:38s} median {s['median'] * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

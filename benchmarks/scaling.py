"""scaling: how the cost of an epoch grows with the work, for nnscratch and PyTorch.

* **batch**: the mlp workload's network (784-512-512-10, Adam lr 1e-3) at batch sizes 16 to
  1,024: where Python's cost per batch dominates (small batches) and where the matrix products
  do (large ones);
* **width**: the same network with two hidden layers of 128 to 4,096 units, batch 128: from a
  network the per-batch costs dominate to one the products do;
* **classic**: the classic preset (784-10-10, full-batch gradient descent, SGD lr 0.1) on
  10,000 to 60,000 training images and on the 60,000 tiled four times (240,000): seconds per
  iteration, and the working memory of an iteration (the peak resident memory above what the
  data already took), measured in a fresh process per point; nnscratch differentiates batches
  over 16,384 examples chunk by chunk (:data:`nnscratch.training.gradients.CHUNK`), PyTorch in one
  piece, and "nnscratch, one chunk" is nnscratch with chunking turned off.

Each point is measured on part of an epoch (a number of steps large enough to time, the same
for both contenders) and scaled to seconds per 60,000-image epoch; the contenders take turns
point by point, as in the other workloads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .interleave import interleave, stats
from .peers import optional
from .trainers import NNScratchTrainer, TorchTrainer

BATCHES = (16, 32, 64, 128, 256, 512, 1024)
WIDTHS = (128, 256, 512, 1024, 2048, 4096)
SIZES = (10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 240_000)
EPOCH = 60_000  # images per epoch the times are scaled to
LR, DEFAULT_HIDDEN, DEFAULT_BATCH = 1e-3, 512, 128
ONE_CHUNK = "nnscratch, one chunk"


def examples_for(hidden: int, batch: int, flops: float) -> int:
    """Examples per measurement: about ``flops`` floating-point operations of training, in whole
    batches, at least 8 of them and at most an epoch."""
    per_example = 6 * (784 * hidden + hidden * hidden + hidden * 10)
    steps = int(np.clip(flops / (per_example * batch), 8, EPOCH // batch))
    return steps * batch


class NNScratchMLP(NNScratchTrainer):
    def __init__(self, x, y, hidden: int, batch: int):
        from nnscratch import Dense, ReLU, Sequential

        model = Sequential(
            [Dense(784, hidden), ReLU(), Dense(hidden, hidden), ReLU(), Dense(hidden, 10)], seed=0
        )
        super().__init__(model, x, y, lr=LR, batch=batch)

    def seconds(self) -> float:
        return self.epoch()


class TorchMLP(TorchTrainer):
    def __init__(self, x, y, hidden: int, batch: int):
        import torch

        torch.manual_seed(0)
        nn = torch.nn
        net = nn.Sequential(
            nn.Linear(784, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 10),
        )
        super().__init__(net, x, y, lr=LR, batch=batch)

    def seconds(self) -> float:
        return self.epoch()


def mlp_point(x, y, hidden: int, batch: int, *, rounds: int, flops: float) -> dict:
    """Seconds per epoch of each contender for one (hidden, batch), interleaved."""
    n = examples_for(hidden, batch, flops)
    xs, ys = x[:n], y[:n]
    players = [NNScratchMLP(xs, ys, hidden, batch)]
    if optional("torch"):
        players.append(TorchMLP(xs, ys, hidden, batch))
    for player in players:  # a first pass warms up each library and sizes its buffers
        player.seconds()
    seconds = interleave({p.name: p.seconds for p in players}, rounds=rounds)
    return {
        "hidden": hidden,
        "batch": batch,
        "examples": n,
        **{name: stats([s * EPOCH / n for s in times]) for name, times in seconds.items()},
    }


# --- the classic preset, full batch -------------------------------------------------------------


def tiled(x: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``size`` examples of (x, y) repeated as often as needed."""
    repeats = -(-size // len(x))
    return np.concatenate([x] * repeats)[:size], np.concatenate([y] * repeats)[:size]


class NNScratchClassic:
    name = "nnscratch"

    def __init__(self, x, y):
        from nnscratch.model.presets import build_model, build_optimizer, get_preset
        from nnscratch.training.loop import fit

        preset = get_preset("classic")
        self.model = build_model(preset)
        self.model.input_scale = None  # x is already floats in [0, 1]
        self.optimizer = build_optimizer(preset, len(y))
        self.x, self.y, self._fit = x, y.astype(np.intp), fit

    def seconds(self, iterations: int = 1) -> float:
        start = time.perf_counter()
        self._fit(
            self.model,
            self.x,
            self.y,
            self.optimizer,
            epochs=iterations,
            batch_size=None,
            rng=self.model.rng,
        )
        return (time.perf_counter() - start) / iterations


class TorchClassic:
    name = "pytorch"

    def __init__(self, x, y):
        import torch

        self.torch = torch
        torch.manual_seed(0)
        nn = torch.nn
        self.net = nn.Sequential(nn.Linear(784, 10), nn.ReLU(), nn.Linear(10, 10))
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=0.1)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def seconds(self, iterations: int = 1) -> float:
        start = time.perf_counter()
        for _ in range(iterations):
            loss = self.torch.nn.functional.cross_entropy(self.net(self.x), self.y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return (time.perf_counter() - start) / iterations


CLASSIC_PLAYERS = {
    "nnscratch": NNScratchClassic,
    "pytorch": TorchClassic,
    ONE_CHUNK: NNScratchClassic,
}


def classic_point(x, y, size: int, *, rounds: int) -> dict:
    """Seconds per iteration of each contender on ``size`` examples, interleaved."""
    xs, ys = tiled(x, y, size)
    players = [NNScratchClassic(xs, ys)]
    if optional("torch"):
        players.append(TorchClassic(xs, ys))
    for player in players:
        player.seconds()
    seconds = interleave({p.name: p.seconds for p in players}, rounds=rounds)
    return {"size": size, **{name: stats(times) for name, times in seconds.items()}}


def working_memory(contender: str, size: int) -> int | None:
    """Bytes of resident memory one full-batch iteration of ``contender`` takes above what the
    process held before it (with the data loaded), in a fresh process; None off Linux."""
    if not Path("/proc/self/clear_refs").exists():
        return None
    code = f"from benchmarks.scaling import _measure_memory; _measure_memory({contender!r}, {size})"
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["bytes"]


def _measure_memory(contender: str, size: int) -> None:
    """In a fresh process: load and tile the data, build the contender, take one iteration on
    256 images and the product of 16,384 images with a (784, 10) matrix (so that what a
    library allocates once, at its first call, such as its BLAS's buffers, 12 MB for
    OpenBLAS, is not counted), reset the peak resident memory, take one iteration, print the
    peak's rise as JSON."""
    from .data import mnist_rows

    x, y = tiled(*mnist_rows("train"), size)
    if contender == ONE_CHUNK:
        from nnscratch.training import gradients

        gradients.CHUNK = size  # one chunk: the whole batch differentiated at once
    player = CLASSIC_PLAYERS[contender](x, y)
    CLASSIC_PLAYERS[contender](x[:256], y[:256]).seconds()
    rows, thin = x[:16384], np.ones((784, 10), dtype=np.float32)
    rows @ thin
    if contender == "pytorch":
        import torch

        torch.from_numpy(rows) @ torch.from_numpy(thin)
    before = _resident("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM, the peak, to the current resident size
    player.seconds()
    print(json.dumps({"bytes": _resident("VmHWM") - before}))


def _resident(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))


def run(x, y, *, quick: bool) -> dict:
    """Every sweep; ``quick`` takes three points of each, few steps, one round."""
    rounds, flops = (1, 2e9) if quick else (3, 4e10)

    def pick(values):
        return (values[0], values[len(values) // 2], values[-1]) if quick else values

    batch = [mlp_point(x, y, DEFAULT_HIDDEN, b, rounds=rounds, flops=flops) for b in pick(BATCHES)]
    width = [mlp_point(x, y, h, DEFAULT_BATCH, rounds=rounds, flops=flops) for h in pick(WIDTHS)]
    classic = []
    for size in pick(SIZES):
        point = classic_point(x, y, size, rounds=rounds)
        contenders = ["nnscratch", ONE_CHUNK] + (["pytorch"] if "pytorch" in point else [])
        point["working_memory"] = {name: working_memory(name, size) for name in contenders}
        classic.append(point)
    from nnscratch.training.gradients import CHUNK

    return {"batch": batch, "width": width, "classic": classic, "chunk": CHUNK}

"""fast: time to 99.0 % test accuracy of the fast preset's recipe (two convolution blocks of 8
and 16 filters with BatchNorm, a 256-unit layer with BatchNorm, Adam at 1e-2 with 2 % warm-up and
cosine decay, batch 128, 2 epochs on the 59,000 training images the preset keeps), trained by
nnscratch as ``nnscratch train --preset fast`` trains it and by the same recipe written in
PyTorch, both from the same initial weights and through the same batches in the same order,
taking turns seed by seed. With its own order each, which of the two first reached the goal
turned on the draw: the runs' checks to 99 % differed by a check or two either way from seed to
seed, where the steps took the same time.

The test accuracy is measured CHECKS_PER_EPOCH times an epoch, with the clock stopped; a run's
time to the goal is its training time at the first check that reaches it (so it is known to an
eighth of an epoch). Training time is the time spent in training steps, as ``nnscratch train
--json`` reports it.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .interleave import stats

GOAL = 0.99
CHECKS_PER_EPOCH = 8
PRESET = "fast"


class Stopwatch:
    """Seconds counted only while running."""

    def __init__(self) -> None:
        self.seconds, self._since = 0.0, None

    def start(self) -> None:
        self._since = time.perf_counter()

    def stop(self) -> None:
        if self._since is not None:
            self.seconds += time.perf_counter() - self._since
            self._since = None


def checkpoints_every(steps_per_epoch: int) -> int:
    """Steps between two accuracy checks: CHECKS_PER_EPOCH an epoch, at least one step."""
    return max(1, steps_per_epoch // CHECKS_PER_EPOCH)


def time_to_goal(checks: list[tuple[float, float]], goal: float = GOAL) -> float | None:
    """The training seconds of the first (seconds, accuracy) check at ``goal`` or above; None
    if no check reached it."""
    return next((seconds for seconds, accuracy in checks if accuracy >= goal), None)


def _recipe(seed: int, epochs: int | None):
    from nnscratch.model import get_preset

    recipe = replace(get_preset(PRESET), seed=seed)
    return recipe if epochs is None else replace(recipe, epochs=epochs)


def batch_orders(model, examples: int, epochs: int) -> list[np.ndarray]:
    """The example order of each epoch that ``model.fit`` draws for a freshly built ``model``
    (its generator just past the initial weights) on ``examples`` examples, when nothing else
    draws from it in between (no dropout, no augmentation: as in the fast preset)."""
    return [model.rng.permutation(examples) for _ in range(epochs)]


def nnscratch_run(recipe, train_images, train_labels, test_images, test_labels) -> dict:
    """``recipe`` trained as ``nnscratch train`` does (train_recipe), its test accuracy checked
    along the way by a callback that stops the clock while it measures. Images (N, 28, 28)
    uint8, labels (N,)."""
    from nnscratch.training import Callback
    from nnscratch.usecases.train import train_recipe

    clock, checks = Stopwatch(), []

    class Checks(Callback):
        def on_epoch_begin(self, trainer, epoch):
            self.every = checkpoints_every(trainer.steps_per_epoch)
            clock.start()

        def on_batch_end(self, trainer, step, loss):
            if step % self.every and step != trainer.steps_per_epoch:
                return
            clock.stop()
            accuracy = float(np.mean(trainer.model.predict(test_images) == test_labels))
            checks.append((clock.seconds, accuracy))
            clock.start()

        def on_epoch_end(self, trainer, epoch, logs):
            clock.stop()

    # The loop's own train_seconds would count the checks: the stopwatch leaves them out.
    train_recipe(recipe, train_images, train_labels, callbacks=[Checks()])
    return _result(clock.seconds, checks)


def torch_run(recipe, train_images, train_labels, test_images, test_labels) -> dict:
    """The same recipe in PyTorch: the same network (benchmarks.cnn.torch_twin) from the same
    initial weights, on the same 59,000 images in the same batches as nnscratch's run
    (batch_orders), Adam with the same warm-up and cosine factor per step."""
    import torch

    from nnscratch.engine.schedules import WarmupCosine
    from nnscratch.model import build_model
    from nnscratch.usecases.train import split_dev

    from .cnn import torch_twin

    x, y, _, _ = split_dev(recipe, train_images, train_labels)
    model = build_model(recipe)
    net = torch_twin(model).train()
    orders = [torch.from_numpy(order) for order in batch_orders(model, len(x), recipe.epochs)]
    as_rows = lambda images: torch.from_numpy(  # noqa: E731
        images.reshape(len(images), -1).astype(np.float32) / 255
    )
    xt, yt = as_rows(x), torch.from_numpy(y.astype(np.int64))
    x_test = as_rows(test_images)
    steps = -(-len(xt) // recipe.batch_size)
    total = recipe.epochs * steps
    factor = WarmupCosine(total_steps=total, warmup_steps=min(total - 1, total // 50))
    optimizer = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    loss_of = torch.nn.CrossEntropyLoss()
    clock, checks, every = Stopwatch(), [], checkpoints_every(steps)
    for order in orders:
        clock.start()
        for step in range(steps):
            rows = order[step * recipe.batch_size : (step + 1) * recipe.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_of(net(xt[rows]), yt[rows]).backward()
            optimizer.step()
            schedule.step()
            if (step + 1) % every == 0 or step + 1 == steps:
                clock.stop()
                net.eval()
                with torch.no_grad():
                    predicted = torch.cat([net(part).argmax(1) for part in x_test.split(1000)])
                net.train()
                checks.append((clock.seconds, float(np.mean(predicted.numpy() == test_labels))))
                clock.start()
        clock.stop()
    return _result(clock.seconds, checks)


def _result(train_seconds: float, checks: list[tuple[float, float]]) -> dict:
    return {
        "train_seconds": train_seconds,
        "seconds_to_goal": time_to_goal(checks),
        "test_accuracy": checks[-1][1] if checks else None,
        "checks": checks,
    }


def run(
    train_images,
    train_labels,
    test_images,
    test_labels,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    epochs: int | None = None,
) -> dict:
    """nnscratch and PyTorch take turns, one seed a round (the order rotating), on images
    (N, 28, 28) uint8 and labels (N,). Per contender: the medians of training seconds and of
    seconds to GOAL (over the runs that reached it), how many did, the final accuracies."""
    from .peers import optional

    contenders = {"nnscratch": nnscratch_run}
    if optional("torch"):
        contenders["pytorch"] = torch_run
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    names = list(contenders)
    for r, seed in enumerate(seeds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            recipe = _recipe(seed, epochs)
            runs[name].append(
                contenders[name](recipe, train_images, train_labels, test_images, test_labels)
            )
    results = {}
    for name, done in runs.items():
        reached = [d["seconds_to_goal"] for d in done if d["seconds_to_goal"] is not None]
        results[name] = {
            "train_seconds": stats([d["train_seconds"] for d in done]),
            "seconds_to_goal": stats(reached) if reached else None,
            "reached": f"{len(reached)} of {len(done)}",
            "test_accuracy": stats([d["test_accuracy"] for d in done]),
            "runs": done,
        }
    return results

"""What a training run in the server tells the page: :class:`Publisher`, the callback that
publishes its progress as it trains (and stops it when the page asks), and the events' shapes:
figures from the run's history, the first layer's weights as images, the dev set's current
mistakes, the watched drawing's probabilities."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import explain
from ..model import Recipe, Sequential
from ..training import Callback

if TYPE_CHECKING:
    from ..training import Trainer
    from ..usecases.train import TrainingPlan
    from .live import LiveTraining
    from .runs import RunFolder

BATCH_EVERY = 0.5  # seconds between two batch events
TILES = 16  # first-layer weight images sent
MISTAKES = 12  # dev images the model gets wrong sent with each progress event, at most


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event: its ``id`` (increasing through the server's life), ``kind``
    and JSON ``data``."""

    id: int
    kind: str
    data: str

    def encode(self) -> bytes:
        return f"id: {self.id}\nevent: {self.kind}\ndata: {self.data}\n\n".encode()


class Publisher(Callback):
    """Publishes a run's progress as it trains, and stops it at a batch boundary when the page
    asks (pause or stop): the loop's own stop, so a checkpoint is taken there."""

    order = 50  # before the checkpointer: the figures go out before the file is written

    def __init__(self, live: LiveTraining, run: RunFolder) -> None:
        self.live, self.run = live, run
        self.trainer: Trainer[Sequential] | None = None  # the run's, once it begins
        self.plan: TrainingPlan | None = None  # set by the run before it trains
        self._last_batch = 0.0
        self._drawing_seen = 0

    def on_train_begin(self, trainer) -> None:
        self.trainer = trainer

    def on_batch_end(self, trainer, step: int, loss: float) -> None:
        control = self.live.control()
        if control is not None:
            trainer.stop_requested = control
        now = time.monotonic()
        if now - self._last_batch >= BATCH_EVERY and trainer.steps_per_epoch > 1:
            self._last_batch = now
            self.live.publish(
                "batch",
                {
                    "epoch": trainer.epoch + 1,
                    "step": step,
                    "steps": trainer.steps_per_epoch,
                    "loss": _finite(loss),
                },
            )
        version, pixels = self.live.drawing()
        if version != self._drawing_seen and pixels is not None:
            self._drawing_seen = version
            self.live.publish(
                "drawing",
                {"probabilities": probabilities(trainer.model, pixels), "version": version},
            )

    def on_epoch_end(self, trainer, epoch: int, logs: dict[str, float]) -> None:
        every = self.run.every
        stopping = trainer.stop_training or trainer.stop_requested is not None
        if epoch % every and epoch != trainer.epochs and not stopping:
            return  # a full-batch run tells every 10th iteration, and the one it pauses at
        event = history_event(trainer.history, len(trainer.history.epoch) - 1, trainer.epochs)
        if self.plan is None:
            raise RuntimeError("a Publisher needs the run's plan before the run trains")
        event["weights"] = weight_tiles(trainer.model, self.plan.image_shape)
        event["mistakes"] = dev_mistakes(
            trainer.model, trainer.x_dev, trainer.y_dev, self.plan.image_shape
        )
        version, pixels = self.live.drawing()
        self._drawing_seen = version
        event["drawing"] = None if pixels is None else probabilities(trainer.model, pixels)
        event["drawing_version"] = version
        self.live.publish("progress", event)


def form_fields(recipe: Recipe) -> dict[str, Any]:
    """A recipe's settings as the page's form shows them."""
    return {
        "epochs": recipe.epochs,
        "lr": recipe.lr,
        "hidden": list(recipe.hidden),
        "optimizer": recipe.optimizer,
        "dropout": recipe.dropout,
        "dev_size": recipe.dev_size,
        "unit": recipe.unit,
        "conv": list(recipe.conv),
    }


def plan_event(plan, *, resumed: bool) -> dict[str, Any]:
    dataset = plan.dataset
    return {
        "description": plan.description,
        "unit": plan.recipe.unit,
        "epochs": plan.recipe.epochs,
        "resumed": resumed,
        "train_images": int(len(dataset.train_labels) - plan.recipe.dev_size),
        "dev_images": plan.recipe.dev_size,
        "data": dataset.source,
        "fine_tune": plan.fine_tune,
    }


def history_event(history, index: int, epochs: int) -> dict[str, Any]:
    """Entry ``index`` of a run's history as a progress event's figures."""
    return {
        "epoch": history.epoch[index],
        "epochs": epochs,
        **{
            key: _finite(getattr(history, key)[index])
            for key in ("train_loss", "train_accuracy", "dev_loss", "dev_accuracy", "lr", "seconds")
        },
    }


def weight_tiles(model: Sequential, image_shape) -> dict[str, Any]:
    """The first layer's weights as images, each scaled to -100..100 by its largest value."""
    tiles = explain.first_layer_tiles(model, tuple(image_shape), TILES).astype(np.float64)
    scale = np.abs(tiles).reshape(len(tiles), -1).max(axis=1)
    scaled = tiles / np.where(scale > 0, scale, 1)[:, None, None]
    return {"shape": list(tiles.shape), "values": np.round(scaled * 100).astype(int).tolist()}


def dev_mistakes(model: Sequential, x_dev, y_dev, image_shape) -> dict[str, Any] | None:
    """The dev set's current mistakes: how many of how many, and the :data:`MISTAKES` the model
    is surest of (each its index in the dev set, pixels in ``image_shape`` as integers 0-255,
    true label, guess and the guess's probability). None for a run without a dev set."""
    if x_dev is None or y_dev is None or not len(y_dev):
        return None
    found = model.predict_proba(x_dev)
    guesses = found.argmax(axis=1)
    wrong = np.flatnonzero(guesses != y_dev)
    sureness = found[wrong, guesses[wrong]]
    shown = wrong[np.argsort(-sureness, kind="stable")][:MISTAKES]
    images = np.clip(np.rint(np.asarray(x_dev[shown], dtype=np.float64)), 0, 255)
    images = images.reshape(len(shown), *tuple(image_shape)).astype(int)
    return {
        "count": int(len(wrong)),
        "of": int(len(y_dev)),
        "shown": [
            {
                "index": int(i),
                "label": int(y_dev[i]),
                "guess": int(guesses[i]),
                "confidence": round(float(found[i, guesses[i]]), 4),
                "pixels": image.tolist(),
            }
            for i, image in zip(shown, images, strict=True)
        ],
    }


def probabilities(model: Sequential, pixels: np.ndarray) -> list[float]:
    return np.round(model.predict_proba(pixels[None])[0].astype(np.float64), 6).tolist()


def _finite(value) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def clean(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: _finite(v) if isinstance(v, float) else v for k, v in metrics.items()}

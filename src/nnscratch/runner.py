"""``nnscratch train`` behind the CLI: load the data, train a preset, report, save."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from .datasets import load_source
from .environment import environment
from .errors import TrainingDiverged
from .presets import Preset, train_preset
from .progress import RichProgress


@dataclass
class TrainOptions:
    recipe: Preset
    data: str
    out: Path


def run_training(options: TrainOptions, *, console: Console,
                 progress_console: Console) -> dict:
    """Train, print the closing table, save the model; returns the JSON summary."""
    recipe = options.recipe
    dataset = load_source(options.data)
    console.print(f"[bold]{recipe.name}[/]: {recipe.summary}")
    console.print(f"data: {dataset.source} ({len(dataset.train_labels):,} training images"
                  + (f", {len(dataset.test_labels):,} test images)"
                     if dataset.test_labels is not None else ", no test set)"))
    progress = RichProgress(progress_console, log_every=recipe.log_every)
    try:
        # A non-finite loss is reported as TrainingDiverged; NumPy's overflow warnings on the
        # way there would only bury that message under source lines.
        with np.errstate(all="ignore"):
            run = train_preset(recipe, dataset.train_images, dataset.train_labels,
                               dataset.test_images, dataset.test_labels, callbacks=[progress])
    except TrainingDiverged:
        console.print(f"nothing was written to {options.out}")
        raise
    finally:
        progress.stop()  # an exception skips on_train_end: the bar would stay live, cursor hidden
    history, metrics = run.history, run.metrics
    run.model.save(options.out, preset=recipe.name, recipe=_jsonable(recipe),
                   preprocessing={"scale": run.model.input_scale,
                                  "image_shape": list(dataset.train_images.shape[1:])},
                   data={"name": dataset.name, "source": dataset.source,
                         "sha256": dataset.sha256, "train_size": run.train_size,
                         "dev_size": run.dev_size},
                   seed=recipe.seed, metrics=metrics, history=history.as_dict(),
                   optimizer=run.model.optimizer.config(),
                   environment=environment())
    summary = {"preset": recipe.name, **metrics, "epochs": len(history.epoch),
               "stopped": history.stopped, "seed": recipe.seed, "data": dataset.source,
               "model_path": str(options.out)}
    if history.stopped == "interrupted":
        console.print(f"[yellow]interrupted after {len(history.epoch)} "
                      f"{'iterations' if recipe.batch_size is None else 'epochs'}; "
                      f"the model so far is saved[/]")
    console.print(_closing_table(summary, recipe))
    return summary


def _closing_table(summary: dict, recipe: Preset) -> Table:
    table = Table(title="run summary", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    unit = "iterations" if recipe.batch_size is None else "epochs"
    table.add_row("preset", summary["preset"])
    table.add_row(unit, f"{summary['epochs']} ({summary['stopped']})")
    for split in ("train", "dev", "test"):
        acc, loss = summary[f"{split}_accuracy"], summary[f"{split}_loss"]
        table.add_row(f"{split} accuracy",
                      "-" if acc is None else f"{acc:.4f}  (loss {loss:.4f})")
    table.add_row("training time", f"{summary['train_seconds']:.1f} s")
    table.add_row("model", summary["model_path"])
    return table


def _jsonable(recipe: Preset) -> dict:
    fields = dataclasses.asdict(recipe)
    fields["hidden"] = list(fields["hidden"])
    return fields

"""``nnscratch train`` behind the CLI: load the data, train a preset, report, save."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .checkpoint import Checkpoint, Checkpointer, list_checkpoints
from .datasets import load_source
from .environment import environment
from .errors import ConfigError, NNScratchError, TrainingDiverged
from .presets import PRESETS, Preset, describe_recipe, recipe_json, train_preset
from .progress import RichProgress
from .resuming import changes, refuse_changes, run_config
from .training import GracefulStop

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


@dataclass
class TrainOptions:
    recipe: Preset
    data: str
    out: Path
    checkpoint_dir: Path | None = None  # where checkpoints go (None: none are written)
    checkpoint_every: int | None = None  # epochs (iterations) between two; None: 1 (10)
    resume: Checkpoint | None = None  # carry on this run
    force: bool = False  # resume despite changes; start afresh in a folder of checkpoints


def run_training(options: TrainOptions, *, console: Console,
                 progress_console: Console) -> dict:
    """Train, print the closing table, save the model; returns the JSON summary."""
    recipe = options.recipe
    checkpoint_dir = _checkpoint_dir(options)
    dataset = load_source(options.data)
    every = options.checkpoint_every or (10 if recipe.batch_size is None else 1)
    if options.resume is not None:
        refuse_changes(options.resume, changes(options.resume, recipe, options.data,
                                               dataset.sha256), options.force)
    _check_dev_size(recipe, dataset)
    image_shape = tuple(dataset.train_images.shape[1:])
    description = describe_recipe(recipe, image_shape)
    console.print(f"[bold]{escape(recipe.name)}[/]: {escape(description)}")
    console.print(f"data: {dataset.source} ({len(dataset.train_labels):,} training images"
                  + (f", {len(dataset.test_labels):,} test images)"
                     if dataset.test_labels is not None else ", no test set)"))
    if options.resume is not None:
        console.print(f"resuming from {options.resume.path}: {_position(options.resume, recipe)}")
    progress = RichProgress(progress_console, log_every=recipe.log_every)
    stopper = GracefulStop()
    callbacks = [progress, stopper]
    checkpointer = None
    if checkpoint_dir is not None:
        checkpointer = Checkpointer(checkpoint_dir, every=every, config=run_config(
            recipe, data=options.data, data_sha256=dataset.sha256, out=str(options.out),
            checkpoint_every=every))
        callbacks.append(checkpointer)
    try:
        # A non-finite loss is reported as TrainingDiverged; NumPy's overflow warnings on the
        # way there would only bury that message under source lines.
        with np.errstate(all="ignore"):
            run = train_preset(recipe, dataset.train_images, dataset.train_labels,
                               dataset.test_images, dataset.test_labels, callbacks=callbacks,
                               resume=options.resume.state if options.resume else None)
    except TrainingDiverged:
        console.print(f"nothing was written to {options.out}"
                      + (f"; the checkpoints in {checkpoint_dir} are those of before"
                         if checkpoint_dir is not None else ""))
        raise
    except NNScratchError as error:
        if checkpointer is None or checkpointer.failed is None:
            raise
        # A checkpoint that could not be written (a full disk) ends the run: say what is kept.
        raise type(error)(f"{error}; training stopped, nothing was written to {options.out}; "
                          + _what_checkpoints_hold(checkpointer, checkpoint_dir)) from None
    finally:
        progress.stop()  # an exception skips on_train_end: the bar would stay live, cursor hidden
    history, metrics = run.history, run.metrics
    try:
        run.model.save(options.out, preset=recipe.name,
                       recipe=recipe_json(recipe, image_shape, run.model.output_size),
                       preprocessing={"scale": run.model.input_scale,
                                      "image_shape": list(image_shape)},
                       data={"name": dataset.name, "source": dataset.source,
                             "sha256": dataset.sha256, "train_size": run.train_size,
                             "dev_size": run.dev_size},
                       seed=recipe.seed, metrics=metrics, history=history.as_dict(),
                       optimizer=run.model.optimizer.config(),
                       environment=environment())
    except NNScratchError as error:
        raise type(error)(f"training ended, but the model could not be saved: {error}; "
                          + (_what_checkpoints_hold(checkpointer, checkpoint_dir, options.out)
                             if checkpointer is not None else "nothing was saved")) from None
    summary = {"preset": recipe.name, **metrics, "epochs": len(history.epoch),
               "stopped": history.stopped, "seed": recipe.seed, "data": dataset.source,
               "model_path": str(options.out)}
    if checkpointer is not None:
        summary["checkpoint"] = str(checkpointer.last_path) if checkpointer.last_path else None
    if history.stopped == "interrupted":
        summary["signal"] = stopper.signal_name
        summary["exit_status"] = (128 + stopper.signal_number if stopper.signal_number
                                  else EXIT_INTERRUPTED)
        console.print(f"[yellow]interrupted after {len(history.epoch)} "
                      f"{'iterations' if recipe.batch_size is None else 'epochs'}; "
                      f"the model so far is saved[/]")
        # On stderr even under --quiet: how to get the run back is not progress chatter.
        if checkpointer is not None and checkpointer.last_path is not None:
            summary["resume_command"] = f"nnscratch train --resume {checkpoint_dir}"
            print(f"nnscratch: checkpoint saved to {checkpointer.last_path}; resume with: "
                  f"{summary['resume_command']}", file=sys.stderr)
        else:
            print("nnscratch: to be able to resume a run, train with --checkpoint-dir DIR",
                  file=sys.stderr)
    console.print(_closing_table(summary, recipe))
    return summary


def _check_dev_size(recipe: Preset, dataset) -> None:
    """Refuse a dev set that leaves nothing to train on, in the command's terms, before
    anything is drawn."""
    count = len(dataset.train_labels)
    if recipe.dev_size < count:
        return
    preset = PRESETS.get(recipe.name)
    whose = (f" (the {recipe.name} preset's)" if preset is not None
             and preset.dev_size == recipe.dev_size else "")
    raise ConfigError(f"--dev-size {recipe.dev_size}{whose} holds out {recipe.dev_size:,} dev "
                      f"images, but {dataset.source} has {count:,} training images, leaving "
                      f"none to train on; pass a smaller --dev-size, like --dev-size "
                      f"{count // 10}")


def _what_checkpoints_hold(checkpointer: Checkpointer, directory: Path,
                           out: Path | None = None) -> str:
    """Where the run can be taken up again after a failed write, and how."""
    if checkpointer.last_path is None:
        return "no checkpoint was saved"
    resume = f"nnscratch train --resume {directory}"
    if out is not None:  # the run is complete in it: resuming only writes the model
        resume += " --out OTHER.npz"
    return f"the last checkpoint saved is {checkpointer.last_path} (resume with: {resume})"


def _checkpoint_dir(options: TrainOptions) -> Path | None:
    """The folder checkpoints go to; a fresh run refuses one holding another run's."""
    if options.resume is not None:
        return options.checkpoint_dir or options.resume.path.parent
    directory = options.checkpoint_dir
    if directory is None:
        return None
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--checkpoint-dir {directory} is a file; give a folder")
    found = list_checkpoints(directory)
    if found and not options.force:
        raise ConfigError(f"--checkpoint-dir {directory} holds checkpoints of another run; "
                          f"resume it with --resume {directory}, or pass --force to start "
                          f"afresh (its checkpoints are then removed)")
    for _, path in found:
        path.unlink()
    return directory


def _position(checkpoint: Checkpoint, recipe: Preset) -> str:
    unit = "iterations" if recipe.batch_size is None else "epochs"
    text = f"{checkpoint.epoch} {unit} done"
    if checkpoint.step:
        text += f", {checkpoint.step} batches into epoch {checkpoint.epoch + 1}"
    return text


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

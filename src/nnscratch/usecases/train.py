"""Training as a use case: a recipe trained on a data set, measured, and saved to a model file.

:func:`train_recipe` is the library's: split off the dev set, build and train the network,
measure it. ``nnscratch train`` (and the web app) go through :func:`plan_training`, which checks
every option and output and loads the data before anything is drawn, then
:func:`run_training`, which trains with checkpoints and signal handling, saves the model file
and returns a :class:`TrainingResult`, its exit status included. Nothing here prints: the faces
draw the plan and the result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import checks
from ..datasets import DigitDataset, load_source
from ..datasets.sources import source_files
from ..datasets.splits import hold_out
from ..engine.optimizers import Optimizer
from ..environment import environment
from ..errors import ConfigError, NNScratchError
from ..fileio import check_outputs, check_writable_folder, same_file
from ..model import PRESETS, Recipe, Sequential, build_model, build_optimizer, get_preset
from ..model.presets import build_augmentation
from ..training import Callback, Checkpoint, Checkpointer, GracefulStop, History, TrainingState
from ..training.checkpoint import list_checkpoints
from . import finetune
from .data import check_fit
from .resume import changes, refuse_changes, resume_command, run_config


@dataclass
class TrainingResult:
    """A trained model and what its run did.

    ``metrics``: train, dev and test accuracy and loss (None where there is no such set) and
    ``train_seconds``, the time spent in training steps. ``optimizer`` is the one that trained
    the model (its settings go in the model file). The rest is filled by :func:`run_training`:
    where the model and the last checkpoint were written, the signal that stopped the run, the
    command that resumes it, and the ``exit_status`` the command ends with (0, or 130 and 143
    after SIGINT and SIGTERM); for a fine-tuning, ``fine_tune``: where it started and the
    accuracies before and after (see :mod:`nnscratch.usecases.finetune`).
    """

    recipe: Recipe
    model: Sequential
    history: History
    metrics: dict[str, float | None]
    optimizer: Optimizer
    train_size: int
    dev_size: int
    model_path: Path | None = None
    data_source: str | None = None
    checkpoint: Path | None = None
    signal: str | None = None
    resume_command: str | None = None
    exit_status: int = 0
    fine_tune: dict[str, Any] | None = None

    @property
    def stopped(self) -> str:
        """completed, early_stopping or interrupted (a diverged run raises instead)."""
        return self.history.stopped

    def summary(self, *, with_checkpoint: bool = False) -> dict[str, Any]:
        """The JSON summary ``nnscratch train --json`` prints."""
        summary: dict[str, Any] = {
            "preset": self.recipe.name,
            **self.metrics,
            "epochs": len(self.history.epoch),
            "stopped": self.stopped,
            "seed": self.recipe.seed,
            "data": self.data_source,
            "model_path": None if self.model_path is None else str(self.model_path),
        }
        if with_checkpoint:
            summary["checkpoint"] = None if self.checkpoint is None else str(self.checkpoint)
        if self.fine_tune is not None:
            summary["fine_tune"] = self.fine_tune
        if self.stopped == "interrupted":
            summary["signal"] = self.signal
            if self.resume_command:
                summary["resume_command"] = self.resume_command
        return summary


def split_dev(recipe: Recipe, images, labels):
    """``(x, y, x_dev, y_dev)``: the recipe's dev set held out of (images, labels), seeded by
    its seed (the same split every time)."""
    return hold_out(
        images,
        labels,
        recipe.dev_size,
        rng=np.random.default_rng(recipe.seed),
        stratify=recipe.stratify,
    )


def train_recipe(
    recipe: Recipe | str,
    train_images,
    train_labels,
    test_images=None,
    test_labels=None,
    *,
    callbacks: list[Callback] | tuple = (),
    resume: TrainingState | None = None,
    init: Sequential | None = None,
) -> TrainingResult:
    """Split off the dev set (seeded), build and train the recipe's network, and measure it.

    Shapes: images (N, H, W) uint8 (or any raw pixels), labels (N,) ints 0-9. ``recipe`` is a
    :class:`~nnscratch.model.Recipe` or a preset's name. ``resume`` carries on a saved run.
    ``init``: a trained model of the recipe's network to start from instead of random weights
    (fine-tuning; ``init`` itself is not changed); the recipe's ``freeze`` keeps its first
    layers as they are.
    """
    recipe = get_preset(recipe) if isinstance(recipe, str) else recipe
    if np.ndim(train_images) != 3:
        raise ConfigError(
            f"images must have shape (N, height, width), got {np.shape(train_images)}"
        )
    x, y, x_dev, y_dev = split_dev(recipe, train_images, train_labels)
    model = build_model(recipe, image_shape=train_images.shape[1:])
    if init is not None and resume is None:
        try:
            model.set_weights(init.get_weights())
        except NNScratchError as error:
            raise ConfigError(
                f"the model to start from is not the recipe's network: {error}"
            ) from None
    optimizer = build_optimizer(recipe, len(x))
    history = model.fit(
        x,
        y,
        epochs=recipe.epochs,
        batch_size=recipe.fit_batch_size,
        optimizer=optimizer,
        validation_data=(x_dev, y_dev) if len(y_dev) else None,
        early_stopping=recipe.early_stopping,
        ema=recipe.ema,
        label_smoothing=recipe.label_smoothing,
        callbacks=callbacks,
        shuffle=not recipe.full_batch,
        resume=resume,
        augment=build_augmentation(recipe),
    )
    metrics = measure(
        model, history, {"train": (x, y), "dev": (x_dev, y_dev), "test": (test_images, test_labels)}
    )
    return TrainingResult(recipe, model, history, metrics, optimizer, len(x), len(y_dev))


def measure(
    model: Sequential, history: History, splits: dict[str, tuple]
) -> dict[str, float | None]:
    """``train_seconds`` and, for each split name of ``splits`` (name: (images, labels)),
    ``NAME_accuracy`` and ``NAME_loss`` (None where the split is None or empty)."""
    seconds = history.total_seconds or (history.seconds[-1] if history.seconds else 0.0)
    metrics: dict[str, float | None] = {"train_seconds": seconds}
    for split, (xs, ys) in splits.items():
        result = model.evaluate(xs, ys) if xs is not None and len(xs) else None
        metrics[f"{split}_accuracy"] = result["accuracy"] if result else None
        metrics[f"{split}_loss"] = result["loss"] if result else None
    return metrics


# --- nnscratch train ------------------------------------------------------------------------------


@dataclass
class TrainOptions:
    """What ``nnscratch train`` was asked for. ``out`` defaults to ``RECIPE.npz``;
    ``report`` is where a report will be written after training (checked here, like every
    output, before any work)."""

    recipe: Recipe
    data: str = "mnist"
    out: Path | None = None
    checkpoint_dir: Path | None = None  # where checkpoints go (None: none are written)
    checkpoint_every: int | None = None  # epochs (iterations) between two; None: 1 (10)
    resume: Checkpoint | None = None  # carry on this run
    force: bool = False  # resume despite changes; start afresh in a folder of checkpoints
    report: Path | None = None
    init_from: Path | None = None  # fine-tune this model file's network
    overwrite: bool = False  # replace an existing model file at out (--overwrite)

    @property
    def out_path(self) -> Path:
        """The model file to write: ``out``, else :func:`default_out`."""
        return Path(self.out) if self.out is not None else default_out(self.recipe, self.init_from)


def default_out(recipe: Recipe, init_from: str | os.PathLike | None = None) -> Path:
    """The model file a run writes unless told: ``RECIPE.npz``, or ``m-tuned.npz`` for a
    fine-tuning of ``m.npz``."""
    if init_from is not None:
        return Path(f"{Path(init_from).stem}-tuned.npz")
    return Path(f"{recipe.name}.npz")


@dataclass
class TrainingPlan:
    """A run checked and ready: its options, its data, where its checkpoints go and how often."""

    options: TrainOptions
    dataset: DigitDataset
    checkpoint_dir: Path | None
    checkpoint_every: int
    origin: finetune.Origin | None = None  # the model file a fine-tuning starts from
    fine_tune: dict[str, Any] | None = None  # its start record (a resumed run's, from its file)

    @property
    def recipe(self) -> Recipe:
        """The run's recipe (its options')."""
        return self.options.recipe

    @property
    def image_shape(self) -> tuple[int, ...]:
        """One training image's shape, e.g. (28, 28)."""
        return tuple(self.dataset.train_images.shape[1:])

    @property
    def description(self) -> str:
        """The run in words (:meth:`Recipe.description`) for the data's images."""
        return self.recipe.description(self.image_shape)


def plan_training(options: TrainOptions) -> TrainingPlan:
    """Check every output and the checkpoint folder, load the data, and check that the
    recipe fits it and that a resumed run is not changed; raises ConfigError (or DataError)
    before any training or drawing."""
    if options.checkpoint_every is not None:
        checks.whole("--checkpoint-every", options.checkpoint_every, low=1)
    checkpoint_dir = options.checkpoint_dir or (
        options.resume.path.parent if options.resume is not None else None
    )
    _check_outputs(options, checkpoint_dir)
    if (
        options.resume is None
        and checkpoint_dir is not None
        and list_checkpoints(checkpoint_dir)
        and not options.force
    ):
        raise ConfigError(
            f"--checkpoint-dir {checkpoint_dir} holds checkpoints of another run; "
            f"resume it with --resume {checkpoint_dir}, or pass --force to start "
            f"afresh (its checkpoints are then removed)"
        )
    origin = None
    if options.resume is None and options.init_from is not None:
        origin = finetune.load_origin(options.init_from)
        finetune.check_fits(origin, options.recipe)
    elif options.resume is None and options.recipe.freeze:
        raise ConfigError(
            f"--freeze {options.recipe.freeze} keeps layers of a trained "
            f"network: name the model file to start from with --init-from MODEL"
        )
    dataset = load_source(options.data)
    if options.resume is not None:
        found = changes(options.resume, options.recipe, options.data, dataset.sha256)
        started = (options.resume.config.get("fine_tune") or {}).get("from") or {}
        if options.init_from is not None and not (
            started.get("file") and same_file(options.init_from, started["file"])
        ):
            found.append(f"init_from {started.get('file')!r} -> {str(options.init_from)!r}")
        refuse_changes(options.resume, found, options.force)
    check_dev_size(options.recipe, dataset)
    if origin is not None:
        check_fit(origin.model, dataset.train_images, f"--init-from {origin.path}", dataset.source)
    every = options.checkpoint_every or (10 if options.recipe.full_batch else 1)
    plan = TrainingPlan(options, dataset, checkpoint_dir, every, origin)
    if origin is not None:
        plan.fine_tune = finetune.start_record(origin, dataset, held_out(plan))
    elif options.resume is not None:
        plan.fine_tune = finetune.resumed_record(options.resume)
    return plan


def held_out(plan: TrainingPlan):
    """A fine-tuning's held-out digits of the new data (see :func:`finetune.held_out`)."""
    dataset = plan.dataset
    _, _, x_dev, y_dev = split_dev(plan.recipe, dataset.train_images, dataset.train_labels)
    return finetune.held_out(plan.dataset, (x_dev, y_dev))


def run_training(plan: TrainingPlan, *, callbacks: list[Callback] | tuple = ()) -> TrainingResult:
    """Train as planned (with ``callbacks``, e.g. a progress bar), stopping cleanly on SIGINT
    and SIGTERM, checkpointing if asked, and save the model file.

    Raises TrainingDiverged with nothing written (the model file and the checkpoints of before
    are untouched), and NNScratchError saying what was kept when a write fails.
    """
    options, dataset, directory = plan.options, plan.dataset, plan.checkpoint_dir
    recipe = options.recipe
    if options.resume is None and directory is not None:
        for _, path in list_checkpoints(directory):  # --force: start afresh
            path.unlink()
    stopper = GracefulStop()
    callbacks = [*callbacks, stopper]
    checkpointer = None
    if directory is not None:
        config = run_config(
            recipe,
            data=options.data,
            data_sha256=dataset.sha256,
            out=str(options.out_path),
            checkpoint_every=plan.checkpoint_every,
        )
        if plan.fine_tune is not None:
            config["fine_tune"] = plan.fine_tune  # a resumed run records where it started
        checkpointer = Checkpointer(directory, every=plan.checkpoint_every, config=config)
        callbacks.append(checkpointer)
    try:
        # A blow-up is reported as TrainingDiverged; NumPy's overflow warnings on the way there
        # would only bury that message under source lines.
        with np.errstate(all="ignore"):
            result = train_recipe(
                recipe,
                dataset.train_images,
                dataset.train_labels,
                dataset.test_images,
                dataset.test_labels,
                callbacks=callbacks,
                resume=options.resume.state if options.resume else None,
                init=plan.origin.model if plan.origin else None,
            )
    except NNScratchError as error:
        if checkpointer is None or checkpointer.failed is None:
            raise
        # A checkpoint that could not be written (a full disk) ends the run: say what is kept.
        raise type(error)(
            f"{error}; training stopped, nothing was written to {options.out_path}; "
            + _what_checkpoints_hold(checkpointer, directory)
        ) from None
    if plan.fine_tune is not None:
        result.fine_tune = finetune.compare(plan.fine_tune, result.model, held_out(plan))
    save_result(result, plan, checkpointer)
    result.model_path, result.data_source = options.out_path, dataset.source
    if checkpointer is not None:
        result.checkpoint = checkpointer.last_path
    if result.stopped == "interrupted":
        result.signal, result.exit_status = stopper.signal_name, stopper.exit_status
        if checkpointer is not None and checkpointer.last_path is not None:
            result.resume_command = resume_command(directory, options.out_path, default_out(recipe))
    return result


def model_file_document(result: TrainingResult, dataset: DigitDataset) -> dict[str, Any]:
    """What a model file trained on ``dataset`` records besides its network: the preset and
    recipe, the preprocessing, the data, the seed, the metrics, the history, the optimizer's
    settings, the machine, and for a fine-tuning what it was fine-tuned from
    (``Sequential.save(path, **document)``)."""
    model, image_shape = result.model, tuple(dataset.train_images.shape[1:])
    extra = {} if result.fine_tune is None else {"fine_tuned_from": result.fine_tune}
    return dict(
        preset=result.recipe.name,
        recipe=result.recipe.to_json(image_shape, model.output_size),
        preprocessing={"scale": model.input_scale, "image_shape": list(image_shape)},
        data={
            "name": dataset.name,
            "source": dataset.source,
            "sha256": dataset.sha256,
            "train_size": result.train_size,
            "dev_size": result.dev_size,
        },
        seed=result.recipe.seed,
        metrics=result.metrics,
        history=result.history.as_dict(),
        optimizer=result.optimizer.config(),
        environment=environment(),
        **extra,
    )


def save_result(
    result: TrainingResult, plan: TrainingPlan, checkpointer: Checkpointer | None = None
) -> None:
    """Write the run's model file (``--output``) with everything it records; NNScratchError
    saying what is kept (the checkpoints) when it cannot be written."""
    options = plan.options
    try:
        result.model.save(options.out_path, **model_file_document(result, plan.dataset))
    except NNScratchError as error:
        raise type(error)(
            f"training ended, but the model could not be saved: {error}; "
            + (
                _what_checkpoints_hold(checkpointer, plan.checkpoint_dir, options.out_path)
                if checkpointer is not None
                else "nothing was saved"
            )
        ) from None


def _check_outputs(options: TrainOptions, checkpoint_dir: Path | None) -> None:
    """:func:`check_outputs` for the run's outputs (its inputs: the data's files, the checkpoint
    resumed from); a model file is replaced with --overwrite, or by the run that wrote it."""
    outputs = [("--output", options.out_path, "model.npz")]
    if options.report is not None:
        outputs.append(("--report", options.report, "report.html"))
    data = f"a file of the training data (--data {options.data})"
    inputs = [(data, path) for path in source_files(options.data)]
    if options.resume is not None:
        inputs.append(("the checkpoint resumed from (--resume)", options.resume.path))
    if options.init_from is not None:
        inputs.append(("the model fine-tuned from (--init-from)", options.init_from))
    recorded = options.resume.config.get("out") if options.resume is not None else None
    own = isinstance(recorded, str) and same_file(recorded, options.out_path)  # resumed run's
    check_outputs(outputs, inputs, replace_models=options.overwrite or own)
    if checkpoint_dir is not None:
        check_writable_folder(checkpoint_dir, "--checkpoint-dir")


def check_dev_size(recipe: Recipe, dataset: DigitDataset, option: str = "--dev-size") -> None:
    """Refuse a dev set that leaves nothing to train on, in the command line's terms
    (``option`` is what set the dev size: ``--dev-size``, or a sweep's ``--grid dev-size``)."""
    count = len(dataset.train_labels)
    if recipe.dev_size < count:
        return
    preset = PRESETS.get(recipe.name)
    whose = (
        f" (the {recipe.name} preset's)"
        if preset is not None and option == "--dev-size" and preset.dev_size == recipe.dev_size
        else ""
    )
    raise ConfigError(
        f"{option} {recipe.dev_size}{whose} holds out {recipe.dev_size:,} dev "
        f"images, but {dataset.source} has {count:,} training images, leaving "
        f"none to train on; pass a smaller {option}, like {option} "
        f"{count // 10}"
    )


def _what_checkpoints_hold(
    checkpointer: Checkpointer, directory: Path | None, out: Path | None = None
) -> str:
    """Where the run can be taken up again after a failed write: the folder's newest checkpoint."""
    saved = list_checkpoints(directory) if directory is not None else []
    if not saved:
        return "no checkpoint was saved"
    resume = f"nnscratch train --resume {directory}"
    if out is not None:  # the run is complete in it: resuming only writes the model
        resume += " --output OTHER.npz"
    return f"the last checkpoint saved is {saved[-1][1]} (resume with: {resume})"

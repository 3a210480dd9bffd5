"""``nnscratch train``, ``lr-find`` and ``sweep``: the commands that train, their options and
what each hands to its use case (the bodies that draw on the terminal are in :mod:`.train` and
:mod:`.sweep`)."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import QUIET, takes_recipe_options


@takes_recipe_options
def train(
    *,
    recipe_choice: dict,  # --preset, --data and the recipe's fields: see takes_recipe_options
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Model file to write (.npz); --out is another name for it.",
        show_default="PRESET.npz",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace the model file at --output if one is there."
    ),
    quiet: bool = QUIET,
    json_output: bool = typer.Option(
        False, "--json", help="Print a JSON summary as the last line of stdout."
    ),
    # A str, not a Path: Path("") would be "." and an empty value would pass as this folder.
    checkpoint_dir: str | None = typer.Option(
        None, help="Save a checkpoint here every epoch (and on Ctrl-C), to resume from."
    ),
    checkpoint_every: int | None = typer.Option(
        None,
        help="Epochs (full-batch: iterations) between checkpoints.",
        show_default="1; full-batch 10",
    ),
    resume: Path | None = typer.Option(
        None, help="Carry on the run in this checkpoint folder (its newest checkpoint) or file."
    ),
    force: bool = typer.Option(
        False, help="Resume despite changed options; start afresh in a folder holding checkpoints."
    ),
    report: str | None = typer.Option(
        None,
        "--report",
        metavar="[PATH]",
        help="Also write the HTML report, to PATH or beside the model (mlp.npz: mlp.html).",
    ),
    init_from: Path | None = typer.Option(
        None,
        metavar="MODEL",
        help="Fine-tune this model file's network on --data (a tenth of "
        "its learning rate, 10 epochs); accuracy before and after is reported.",
    ),
    freeze: int | None = typer.Option(
        None,
        metavar="N",
        help="With --init-from: keep the first N layers with parameters "
        "(from the input side) as they are.",
        show_default="0",
    ),
    recipe: Path | None = typer.Option(
        None,
        help="A recipe file (TOML): the preset to start from, fields to change, or the "
        "whole network layer by layer.",
    ),
    weight_decay: float | None = typer.Option(
        None, help="Decoupled weight decay: each step multiplies the weights by 1 - lr x this."
    ),
    schedule: str | None = typer.Option(
        None, help="Learning-rate schedule: constant or warmup_cosine."
    ),
    conv: str | None = typer.Option(
        None, help="Convolution blocks' channels, e.g. 32,64 (conv, ReLU, 2x2 max pool each)."
    ),
    batch_norm: bool | None = typer.Option(
        None,
        "--batch-norm/--no-batch-norm",
        help="BatchNorm after each convolution and hidden layer.",
    ),
    augment: str | None = typer.Option(
        None,
        "--augment",
        metavar="[KIND]",
        help="Move the training images: shift, affine "
        "(shifts, rotations, scalings), strong (wider affine moves), elastic (affine + elastic "
        "distortion; a bare --augment) or none.",
    ),
    cell: str | None = typer.Option(None, help="Recurrent layers: lstm or gru."),
    ema: float | None = typer.Option(
        None,
        metavar="DECAY",
        help="End as the weights' moving average, updated every step with this decay "
        "(0: the last step's weights).",
        show_default="0; best 0.9998",
    ),
    label_smoothing: float | None = typer.Option(
        None,
        metavar="EPS",
        help="Train towards (1 - EPS) on the true class and EPS spread over all classes "
        "rather than 1 on the true class.",
        show_default="0",
    ),
) -> int:
    """Train a network on MNIST (or your data) and save it to a model file."""
    from .train import parse_hidden, train_command

    overrides = recipe_choice["overrides"]
    engine_options = dict(
        weight_decay=weight_decay,
        schedule=schedule,
        conv=parse_hidden(conv, option="--conv"),
        batch_norm=batch_norm,
        augment=augment,
        cell=cell,
        ema=ema,
        label_smoothing=label_smoothing,
    )
    overrides.update({k: v for k, v in engine_options.items() if v is not None})
    if freeze is not None:
        overrides["freeze"] = freeze
    return train_command(
        **recipe_choice,
        out=output,
        overwrite=overwrite,
        quiet=quiet,
        json_output=json_output,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=checkpoint_every,
        resume=resume,
        force=force,
        report=report,
        recipe_file=recipe,
        init_from=init_from,
    )


def lr_find(
    preset: str | None = typer.Option(None, help="Recipe to sweep.", show_default="mlp"),
    recipe: Path | None = typer.Option(None, help="Or a recipe file (TOML)."),
    data: str = typer.Option(
        "mnist", help="'mnist' (bundled), a folder of IDX files, or a CSV file (label first)."
    ),
    batch_size: str | None = typer.Option(
        None, help="Examples per step, or 'full'.", show_default="the recipe's"
    ),
    optimizer: str | None = typer.Option(
        None, help="sgd, momentum, nesterov, adam, adamw.", show_default="the recipe's"
    ),
    start: float = typer.Option(1e-6, help="Learning rate of the first batch."),
    stop: float = typer.Option(1.0, help="Learning rate of the last batch."),
    steps: int = typer.Option(100, help="Batches, one learning rate each."),
    output: Path = typer.Option(
        Path("lr-find.png"), "--output", "-o", help="The chart to write (PNG)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print rates and losses as JSON."),
) -> None:
    """Sweep the learning rate over a short run (Smith's range test) and chart the loss."""
    from .lrfind import lr_find_command
    from .train import parse_batch_size

    status = lr_find_command(
        preset=preset,
        recipe_file=recipe,
        data=data,
        start=start,
        stop=stop,
        steps=steps,
        output=output,
        json_output=json_output,
        overrides={
            k: v
            for k, v in dict(batch_size=parse_batch_size(batch_size), optimizer=optimizer).items()
            if v is not None
        },
    )
    if status:
        raise typer.Exit(status)


@takes_recipe_options
def sweep(
    *,
    grid: list[str] = typer.Option(
        [],
        "--grid",
        metavar="FIELD=VALUES",
        help="A recipe field and its values, e.g. lr=1e-3,2e-3 or hidden=256,512x256; "
        "repeat for more fields (every combination runs).",
        show_default=False,
    ),
    ranges: list[str] = typer.Option(
        [],
        "--range",
        metavar="FIELD=LOW..HIGH",
        help="With --random: a recipe field drawn from a range, e.g. lr=1e-4..1e-1 "
        "(log-uniform for rates) or epochs=2..6; repeat for more fields.",
        show_default=False,
    ),
    random: int | None = typer.Option(
        None,
        "--random",
        metavar="N",
        help="A random search: N settings drawn from the --range ranges and the --grid "
        "values, seeded by --seed (the same command draws the same settings).",
    ),
    seeds: int = typer.Option(1, help="Seeds per setting: --seed, --seed + 1, ..."),
    output: Path = typer.Option(
        Path("sweep"),
        "--output",
        "-o",
        help="Folder for the table "
        "(results.csv), the chart (results.png) and every run's model "
        "file and record (runs/); a sweep run again in it carries on.",
    ),
    workers: int | None = typer.Option(
        None, help="Local worker processes.", show_default="one per core"
    ),
    scheduler: str | None = typer.Option(
        None,
        metavar="ADDRESS",
        help="Run on the Dask cluster of this scheduler, e.g. "
        "tcp://10.0.0.5:8786, instead of local workers.",
    ),
    recipe_choice: dict,  # --preset, --data and the recipe's fields: see takes_recipe_options
    quiet: bool = QUIET,
    json_output: bool = typer.Option(
        False, "--json", help="Print the table as JSON, the last line of stdout."
    ),
) -> int:
    """Train a grid of settings (or settings drawn at random) over several seeds; the
    settings ranked by dev accuracy, and the chosen one's test accuracy."""
    from .sweep import sweep_command

    return sweep_command(
        **recipe_choice,
        grid=grid,
        ranges=ranges,
        random=random,
        seeds=seeds,
        output=output,
        workers=workers,
        scheduler=scheduler,
        quiet=quiet,
        json_output=json_output,
    )

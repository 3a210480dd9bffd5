"""The ``nnscratch`` command: a thin face over the library.

Heavy imports (NumPy, the engine) happen inside the commands, so ``nnscratch --help`` is quick.
A user's mistake ends with one line on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import typer

from .options import (
    ACTIVATION,
    BATCH_SIZE,
    DATA,
    DEV_SIZE,
    DROPOUT,
    EARLY_STOPPING,
    EPOCHS,
    HIDDEN,
    LR,
    OPTIMIZER,
    PRESET,
    QUIET,
    SEED,
    STRATIFY,
    Command,
    Group,
    recipe_options,
)
from .serve import serve

app = typer.Typer(
    help="Neural networks from scratch in NumPy, with MNIST bundled.",
    add_completion=False,
    no_args_is_help=True,
    cls=Group,
    pretty_exceptions_enable=False,
)

EXIT_USER_ERROR = 2


@app.callback()
def _root() -> None:
    """Neural networks from scratch in NumPy, with MNIST bundled."""


@app.command(cls=Command)
def train(
    preset: str | None = PRESET,
    data: str | None = DATA,
    epochs: int | None = EPOCHS,
    lr: float | None = LR,
    batch_size: str | None = BATCH_SIZE,
    hidden: str | None = HIDDEN,
    activation: str | None = ACTIVATION,
    optimizer: str | None = OPTIMIZER,
    dropout: float | None = DROPOUT,
    dev_size: int | None = DEV_SIZE,
    stratify: bool = STRATIFY,
    early_stopping: int | None = EARLY_STOPPING,
    seed: int | None = SEED,
    out: Path | None = typer.Option(None, help="Model file to write.", show_default="PRESET.npz"),
    quiet: bool = QUIET,
    json_output: bool = typer.Option(
        False, "--json", help="Print a JSON summary as the last line of stdout."
    ),
    checkpoint_dir: Path | None = typer.Option(
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
        "(shifts, rotations, scalings), elastic (affine + elastic distortion; a bare --augment) "
        "or none.",
    ),
    cell: str | None = typer.Option(None, help="Recurrent layers: lstm or gru."),
) -> None:
    """Train a network on MNIST (or your data) and save it to a model file."""
    from .train import parse_hidden, train_command

    overrides = recipe_options(
        epochs=epochs,
        lr=lr,
        hidden=hidden,
        activation=activation,
        optimizer=optimizer,
        dropout=dropout,
        dev_size=dev_size,
        early_stopping=early_stopping,
        seed=seed,
        batch_size=batch_size,
        stratify=stratify,
    )
    engine_options = dict(
        weight_decay=weight_decay,
        schedule=schedule,
        conv=parse_hidden(conv, option="--conv"),
        batch_norm=batch_norm,
        augment=augment,
        cell=cell,
    )
    overrides.update({k: v for k, v in engine_options.items() if v is not None})
    if freeze is not None:
        overrides["freeze"] = freeze
    status = train_command(
        preset=preset,
        data=data,
        overrides=overrides,
        out=out,
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
    if status:
        raise typer.Exit(status)


@app.command(cls=Command)
def evaluate(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    data: str = typer.Option(
        "mnist",
        help="'mnist' (bundled), a folder of IDX files named "
        "as MNIST's, or a CSV file with a label column.",
    ),
    split: str = typer.Option(
        "auto", help="test, train, or auto: the test set if the data has one, else all of it."
    ),
    json_output: bool = typer.Option(
        False, "--json", help="Print every figure as one JSON object instead of tables."
    ),
) -> None:
    """Loss, accuracy, per-class precision/recall/F1, averages and the confusion matrix."""
    from ..usecases.evaluate import evaluate_file

    report = evaluate_file(model, data, split)
    if json_output:
        print(json.dumps(report))
        return
    from rich.console import Console

    from .tables import evaluation_view

    Console().print(evaluation_view(report))


@app.command(cls=Command)
def predict(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    inputs: list[Path] = typer.Argument(
        ...,
        metavar="INPUTS",
        help="IDX image files, CSV files (Kaggle's test.csv; "
        "a label column is ignored) or pictures (PNG, JPEG, "
        "...).",
        show_default=False,
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write Kaggle's submission CSV (ImageId,Label; ImageId from 1) to this file.",
    ),
    top: int | None = typer.Option(
        None, metavar="K", help="Show the K most likely digits of each image.", min=1, max=10
    ),
    json_output: bool = typer.Option(
        False,
        "--json",
        help="Print source, label and all probabilities of every image as one JSON object.",
    ),
) -> None:
    """Predict the digits in files and pictures; optionally write a Kaggle submission."""
    from ..usecases.predict import check_output, predict_files, write_submission

    if output is not None:
        check_output(output, model, inputs)
    predictions = predict_files(model, inputs)
    if output is not None:
        write_submission(output, predictions.labels)
    if json_output:
        print(
            json.dumps(
                {
                    "model": str(model),
                    "count": len(predictions.labels),
                    "predictions": predictions.as_json(top),
                }
            )
        )
        return
    from rich.console import Console

    from .tables import prediction_view

    console = Console()
    console.print(prediction_view(predictions, top))
    if output is not None:
        count = len(predictions.labels)
        console.print(f"wrote {count:,} prediction{'' if count == 1 else 's'} to {output}")


@app.command(cls=Command)
def info(
    model: Path = typer.Argument(..., metavar="MODEL", help="Model file (.npz)."),
    json_output: bool = typer.Option(False, "--json", help="Print it all as one JSON object."),
) -> None:
    """What a model file holds: layers and shapes, recipe, data, metrics, format, checksums."""
    from ..usecases.describe import describe_model_file

    description = describe_model_file(model)
    if json_output:
        print(json.dumps(description))
        return
    from rich.console import Console

    from .tables import info_view

    Console().print(info_view(description))


@app.command(cls=Command)
def show(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    index: int = typer.Argument(..., metavar="INDEX", help="Which image of the split, from 0."),
    split: str = typer.Option("test", help="test (default) or train."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="PNG to write.", show_default="digit-SPLIT-INDEX.png"
    ),
    data: str | None = typer.Option(
        None, help="Data to take the image from.", show_default="the data the model was trained on"
    ),
    window: bool | None = typer.Option(
        None,
        "--window/--no-window",
        help="Also open a window.",
        show_default="when a display is available",
    ),
) -> None:
    """Show one image beside the network's probabilities for every digit, and its label."""
    from ..plots.show import display_available, show_digit

    shown = show_digit(
        model,
        index,
        split=split,
        output=output,
        data=data,
        window=display_available() if window is None else window,
    )
    print(shown.describe())
    print(f"wrote {shown.output}")
    if shown.window_problem:
        print(f"nnscratch: no window opened: {shown.window_problem}", file=sys.stderr)


@app.command(cls=Command)
def report(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    output: Path = typer.Option(Path("report.html"), "--output", "-o", help="HTML file to write."),
    data: str | None = typer.Option(
        None, help="Data to measure the model on.", show_default="the data the model was trained on"
    ),
) -> None:
    """Write one self-contained HTML report: configuration, metrics and every chart."""
    from ..plots.report import write_report

    print(f"wrote {write_report(model, output, data=data)}")


@app.command(cls=Command)
def gradcheck(
    target: str = typer.Argument(
        ...,
        metavar="MODEL_OR_PRESET",
        help="A model file (.npz), a preset (mlp, cnn, ...) or a recipe file (.toml).",
    ),
    samples: int = typer.Option(
        12, help="Entries compared per array (all of a smaller one).", min=1
    ),
    seed: int = typer.Option(0, help="Seeds the random images, directions and entries.", min=0),
    json_output: bool = typer.Option(False, "--json", help="Print every check as JSON."),
) -> None:
    """Check every layer's gradients against central finite differences (float64)."""
    from ..usecases.gradcheck import gradient_check

    report = gradient_check(target, samples=samples, seed=seed)
    if json_output:
        print(json.dumps(report.as_json()))
    else:
        from rich.console import Console

        from .tables import gradcheck_view

        Console().print(gradcheck_view(report))
    if not report.passed:
        worst = max(report.failures, key=lambda row: row.error)
        where = "the loss" if worst.index is None else f"layer {worst.index}"
        print(
            f"nnscratch: gradcheck failed: {len(report.failures)} of {len(report.rows)} "
            f"gradients are off by more than {report.tolerance:g} (worst: {where}, "
            f"{worst.array}, {worst.error:.2e})",
            file=sys.stderr,
        )
        raise typer.Exit(1)


@app.command("lr-find", cls=Command)
def lr_find(
    preset: str | None = typer.Option(None, help="Recipe to sweep.", show_default="mlp"),
    recipe: Path | None = typer.Option(None, help="Or a recipe file (TOML)."),
    data: str = typer.Option(
        "mnist", help="'mnist' (bundled), a folder of IDX files, or a CSV file (label first)."
    ),
    batch_size: int | None = typer.Option(
        None, help="Examples per step.", show_default="the recipe's"
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
    from .train import lr_find_command

    lr_find_command(
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
            for k, v in dict(batch_size=batch_size, optimizer=optimizer).items()
            if v is not None
        },
    )


@app.command(cls=Command)
def sweep(
    grid: list[str] = typer.Option(
        [],
        "--grid",
        metavar="FIELD=VALUES",
        help="A recipe field and its values, e.g. lr=1e-3,2e-3 or hidden=256,512x256; "
        "repeat for more fields (every combination runs).",
        show_default=False,
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
    preset: str | None = PRESET,
    data: str | None = DATA,
    epochs: int | None = EPOCHS,
    lr: float | None = LR,
    batch_size: str | None = BATCH_SIZE,
    hidden: str | None = HIDDEN,
    activation: str | None = ACTIVATION,
    optimizer: str | None = OPTIMIZER,
    dropout: float | None = DROPOUT,
    dev_size: int | None = DEV_SIZE,
    stratify: bool = STRATIFY,
    early_stopping: int | None = EARLY_STOPPING,
    seed: int | None = SEED,
    quiet: bool = QUIET,
    json_output: bool = typer.Option(
        False, "--json", help="Print the table as JSON, the last line of stdout."
    ),
) -> None:
    """Train a grid of settings over several seeds; a table of mean and spread per setting."""
    from .sweep import sweep_command

    overrides = recipe_options(
        epochs=epochs,
        lr=lr,
        hidden=hidden,
        activation=activation,
        optimizer=optimizer,
        dropout=dropout,
        dev_size=dev_size,
        early_stopping=early_stopping,
        seed=seed,
        batch_size=batch_size,
        stratify=stratify,
    )
    status = sweep_command(
        preset=preset,
        data=data,
        overrides=overrides,
        grid=grid,
        seeds=seeds,
        output=output,
        workers=workers,
        scheduler=scheduler,
        quiet=quiet,
        json_output=json_output,
    )
    if status:
        raise typer.Exit(status)


@app.command(cls=Command)
def export(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    output: Path = typer.Argument(..., metavar="OUTPUT", help="ONNX file to write (.onnx)."),
) -> None:
    """Write the network as ONNX, for onnxruntime and other runtimes: raw pixels in."""
    from ..usecases.export import export_model_file

    done = export_model_file(model, output)
    scaled = ""
    if done.input_scale is not None:
        inverse = 1 / done.input_scale
        words = (
            f"1/{round(inverse)}"
            if abs(inverse - round(inverse)) < 1e-6 * inverse
            else f"{done.input_scale:.6g}"
        )
        scaled = f", scaled by {words} inside the graph"
    print(
        f"wrote {done.output} (ONNX opset {done.opset}, {done.size:,} bytes): input "
        f"(N, {', '.join(map(str, done.input_shape))}) float32 raw values{scaled}; outputs "
        f"logits and probabilities (N, {done.classes})"
    )


app.command(cls=Command)(serve)  # its options and body: cli/serve.py


def main(argv: list[str] | None = None) -> int:
    """The ``nnscratch`` command with ``argv`` (default: the process's arguments); returns the
    exit status, which the console script exits with."""
    from ..errors import NNScratchError

    command = typer.main.get_command(app)
    argv = _bare_report_flag(list(sys.argv[1:] if argv is None else argv))
    try:
        result = command.main(args=argv, prog_name="nnscratch", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except NNScratchError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        from ..training.signals import EXIT_INTERRUPTED

        print("nnscratch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        # Click's usage errors (bad option value, unknown option), vendored or not by Typer.
        if hasattr(error, "format_message") and hasattr(error, "exit_code"):
            message = error.format_message()
            if not message.strip():  # bare `nnscratch`: the help was printed instead
                return error.exit_code
            negative = re.fullmatch(r"-\d+", str(getattr(error, "option_name", "")))
            if argv[:1] == ["show"] and negative:
                # `show m.npz -1`: Click reads -1 as an option; say what show itself says.
                return _fail(f"INDEX {negative[0]} is negative; images are numbered from 0")
            return _fail(message, error.exit_code)
        raise


# Options of train whose value may be left out, and the value a bare one means.
_BARE_VALUES = {"--report": "", "--augment": "elastic"}


def _bare_report_flag(argv: list[str]) -> list[str]:
    """``train --report`` without a path means "beside the model": give it the empty value;
    a bare ``--augment`` means ``--augment elastic``.

    Typer's bundled Click has no options with an optional value, so a bare ``--report``
    (last, or followed by another option) becomes ``--report=`` here.
    """
    if not argv or argv[0] != "train":
        return argv
    return [
        f"{arg}={_BARE_VALUES[arg]}"
        if arg in _BARE_VALUES and (i + 1 == len(argv) or argv[i + 1].startswith("-"))
        else arg
        for i, arg in enumerate(argv)
    ]


def _fail(message: str, status: int = EXIT_USER_ERROR) -> int:
    print(f"nnscratch: error: {' '.join(message.split())}", file=sys.stderr)
    return status

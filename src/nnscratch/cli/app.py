"""The ``nnscratch`` command: a thin face over the library.

Heavy imports (NumPy, the engine) happen inside the commands, so ``nnscratch --help`` is quick.
A user's mistake ends with one line on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Optional

import typer


class _PlainHelp:
    """Help that names a value only where one is taken: Typer writes a type after every
    parameter, even after flags (``--quiet <bool>``, ``--help <bool>``) and after arguments its
    help already names (``inputs <list[Path]>``)."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False):
                param.metavar = ""
            elif isinstance(param, typer.core.TyperArgument):
                param.display_type_rich = lambda ctx: None
        return params


class _Command(_PlainHelp, typer.core.TyperCommand):
    pass


class _Group(_PlainHelp, typer.core.TyperGroup):
    pass


app = typer.Typer(help="Neural networks from scratch in NumPy, with MNIST bundled.",
                  add_completion=False, no_args_is_help=True, cls=_Group,
                  pretty_exceptions_enable=False)

EXIT_USER_ERROR = 2


@app.callback()
def _root() -> None:
    """Neural networks from scratch in NumPy, with MNIST bundled."""


# The options of a recipe, shared by train and sweep (sweep takes them for what it does not
# sweep).
PRESET = typer.Option(
    None, help="Recipe to start from: mlp (98 %+, default), cnn (convolutional, 99 %+) or "
    "classic (the tutorial's 784-10-10, full-batch).", show_default="mlp")
DATA = typer.Option(
    None, help="'mnist' (bundled), a folder of IDX files named as MNIST's, or a CSV file "
    "(label first).", show_default="mnist")
EPOCHS = typer.Option(None, help="Epochs (full-batch: iterations).")
LR = typer.Option(None, help="Learning rate.")
BATCH_SIZE = typer.Option(None, help="Examples per step, or 'full'.")
HIDDEN = typer.Option(None, help="Hidden layer sizes, e.g. 512,256.")
ACTIVATION = typer.Option(None, help="relu, leaky_relu, sigmoid or tanh.")
OPTIMIZER = typer.Option(None, help="sgd, momentum, nesterov, adam, adamw.")
DROPOUT = typer.Option(None, help="Dropout rate after each hidden layer.")
DEV_SIZE = typer.Option(None, help="Training images held out as dev set.")
STRATIFY = typer.Option(False, help="Keep class shares in the dev split.")
EARLY_STOPPING = typer.Option(
    None, help="Stop after N epochs without a better dev loss; keep the best weights.")
SEED = typer.Option(None, help="Seed for the split, weights and order.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress or tables.")


def _recipe_options(*, epochs, lr, hidden, activation, optimizer, dropout, dev_size,
                    early_stopping, seed, batch_size, stratify) -> dict:
    """The recipe fields given on the command line, and only those."""
    from .train import parse_batch_size, parse_hidden

    given = dict(epochs=epochs, lr=lr, hidden=parse_hidden(hidden), activation=activation,
                 optimizer=optimizer, dropout=dropout, dev_size=dev_size,
                 early_stopping=early_stopping, seed=seed,
                 batch_size=parse_batch_size(batch_size), stratify=stratify or None)
    return {k: v for k, v in given.items() if v is not None}


@app.command(cls=_Command)
def train(
    preset: Optional[str] = PRESET,
    data: Optional[str] = DATA,
    epochs: Optional[int] = EPOCHS,
    lr: Optional[float] = LR,
    batch_size: Optional[str] = BATCH_SIZE,
    hidden: Optional[str] = HIDDEN,
    activation: Optional[str] = ACTIVATION,
    optimizer: Optional[str] = OPTIMIZER,
    dropout: Optional[float] = DROPOUT,
    dev_size: Optional[int] = DEV_SIZE,
    stratify: bool = STRATIFY,
    early_stopping: Optional[int] = EARLY_STOPPING,
    seed: Optional[int] = SEED,
    out: Optional[Path] = typer.Option(None, help="Model file to write.",
                                       show_default="PRESET.npz"),
    quiet: bool = QUIET,
    json_output: bool = typer.Option(False, "--json",
                                     help="Print a JSON summary as the last line of stdout."),
    checkpoint_dir: Optional[Path] = typer.Option(
        None, help="Save a checkpoint here every epoch (and on Ctrl-C), to resume from."),
    checkpoint_every: Optional[int] = typer.Option(
        None, help="Epochs (full-batch: iterations) between checkpoints.",
        show_default="1; full-batch 10"),
    resume: Optional[Path] = typer.Option(
        None, help="Carry on the run in this checkpoint folder (its newest checkpoint) or file."),
    force: bool = typer.Option(False, help="Resume despite changed options; start afresh in a "
                               "folder holding checkpoints."),
    report: Optional[str] = typer.Option(
        None, "--report", metavar="[PATH]",
        help="Also write the HTML report, to PATH or beside the model (mlp.npz: mlp.html)."),
    init_from: Optional[Path] = typer.Option(
        None, metavar="MODEL", help="Fine-tune this model file's network on --data (a tenth of "
        "its learning rate, 10 epochs); accuracy before and after is reported."),
    freeze: Optional[int] = typer.Option(
        None, metavar="N", help="With --init-from: keep the first N layers with parameters "
        "(from the input side) as they are.", show_default="0"),
) -> None:
    """Train a network on MNIST (or your data) and save it to a model file."""
    from .train import train_command

    overrides = _recipe_options(
        epochs=epochs, lr=lr, hidden=hidden, activation=activation, optimizer=optimizer,
        dropout=dropout, dev_size=dev_size, early_stopping=early_stopping, seed=seed,
        batch_size=batch_size, stratify=stratify)
    if freeze is not None:
        overrides["freeze"] = freeze
    status = train_command(
        preset=preset, data=data, overrides=overrides, out=out, quiet=quiet, json_output=json_output, checkpoint_dir=checkpoint_dir,
        checkpoint_every=checkpoint_every, resume=resume, force=force, report=report,
        init_from=init_from)
    if status:
        raise typer.Exit(status)


@app.command(cls=_Command)
def evaluate(
    model: Path = typer.Argument(..., metavar="MODEL",
                                 help="Model file (.npz) written by nnscratch train."),
    data: str = typer.Option("mnist", help="'mnist' (bundled), a folder of IDX files named "
                             "as MNIST's, or a CSV file with a label column."),
    split: str = typer.Option("auto", help="test, train, or auto: the test set if the data "
                              "has one, else all of it."),
    json_output: bool = typer.Option(False, "--json", help="Print every figure as one JSON "
                                     "object instead of tables."),
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


@app.command(cls=_Command)
def predict(
    model: Path = typer.Argument(..., metavar="MODEL",
                                 help="Model file (.npz) written by nnscratch train."),
    inputs: list[Path] = typer.Argument(..., metavar="INPUTS",
                                        help="IDX image files, CSV files (Kaggle's test.csv; "
                                        "a label column is ignored) or pictures (PNG, JPEG, "
                                        "...).", show_default=False),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Write Kaggle's submission CSV "
                                          "(ImageId,Label; ImageId from 1) to this file."),
    top: Optional[int] = typer.Option(None, metavar="K", help="Show the K most likely digits "
                                      "of each image.", min=1, max=10),
    json_output: bool = typer.Option(False, "--json", help="Print source, label and all "
                                     "probabilities of every image as one JSON object."),
) -> None:
    """Predict the digits in files and pictures; optionally write a Kaggle submission."""
    from ..usecases.predict import check_output, predict_files, write_submission

    if output is not None:
        check_output(output, model, inputs)
    predictions = predict_files(model, inputs)
    if output is not None:
        write_submission(output, predictions.labels)
    if json_output:
        print(json.dumps({"model": str(model), "count": len(predictions.labels),
                          "predictions": predictions.as_json(top)}))
        return
    from rich.console import Console

    from .tables import prediction_view
    console = Console()
    console.print(prediction_view(predictions, top))
    if output is not None:
        count = len(predictions.labels)
        console.print(f"wrote {count:,} prediction{'' if count == 1 else 's'} to {output}")


@app.command(cls=_Command)
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


@app.command(cls=_Command)
def show(
    model: Path = typer.Argument(..., metavar="MODEL",
                                 help="Model file (.npz) written by nnscratch train."),
    index: int = typer.Argument(..., metavar="INDEX", help="Which image of the split, from 0."),
    split: str = typer.Option("test", help="test (default) or train."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="PNG to write.",
                                          show_default="digit-SPLIT-INDEX.png"),
    data: Optional[str] = typer.Option(None, help="Data to take the image from.",
                                       show_default="the data the model was trained on"),
    window: Optional[bool] = typer.Option(None, "--window/--no-window",
                                          help="Also open a window.",
                                          show_default="when a display is available"),
) -> None:
    """Show one image beside the network's probabilities for every digit, and its label."""
    from ..plots.show import display_available, show_digit

    shown = show_digit(model, index, split=split, output=output, data=data,
                       window=display_available() if window is None else window)
    print(shown.describe())
    print(f"wrote {shown.output}")
    if shown.window_problem:
        print(f"nnscratch: no window opened: {shown.window_problem}", file=sys.stderr)


@app.command(cls=_Command)
def report(
    model: Path = typer.Argument(..., metavar="MODEL",
                                 help="Model file (.npz) written by nnscratch train."),
    output: Path = typer.Option(Path("report.html"), "--output", "-o",
                                help="HTML file to write."),
    data: Optional[str] = typer.Option(None, help="Data to measure the model on.",
                                       show_default="the data the model was trained on"),
) -> None:
    """Write one self-contained HTML report: configuration, metrics and every chart."""
    from ..plots.report import write_report

    print(f"wrote {write_report(model, output, data=data)}")


@app.command(cls=_Command)
def sweep(
    grid: list[str] = typer.Option(
        [], "--grid", metavar="FIELD=VALUES",
        help="A recipe field and its values, e.g. lr=1e-3,2e-3 or hidden=256,512x256; "
        "repeat for more fields (every combination runs).", show_default=False),
    seeds: int = typer.Option(1, help="Seeds per setting: --seed, --seed + 1, ..."),
    output: Path = typer.Option(Path("sweep"), "--output", "-o", help="Folder for the table "
                                "(results.csv), the chart (results.png) and every run's model "
                                "file and record (runs/); a sweep run again in it carries on."),
    workers: Optional[int] = typer.Option(None, help="Local worker processes.",
                                          show_default="one per core"),
    scheduler: Optional[str] = typer.Option(
        None, metavar="ADDRESS", help="Run on the Dask cluster of this scheduler, e.g. "
        "tcp://10.0.0.5:8786, instead of local workers."),
    preset: Optional[str] = PRESET,
    data: Optional[str] = DATA,
    epochs: Optional[int] = EPOCHS,
    lr: Optional[float] = LR,
    batch_size: Optional[str] = BATCH_SIZE,
    hidden: Optional[str] = HIDDEN,
    activation: Optional[str] = ACTIVATION,
    optimizer: Optional[str] = OPTIMIZER,
    dropout: Optional[float] = DROPOUT,
    dev_size: Optional[int] = DEV_SIZE,
    stratify: bool = STRATIFY,
    early_stopping: Optional[int] = EARLY_STOPPING,
    seed: Optional[int] = SEED,
    quiet: bool = QUIET,
    json_output: bool = typer.Option(False, "--json",
                                     help="Print the table as JSON, the last line of stdout."),
) -> None:
    """Train a grid of settings over several seeds; a table of mean and spread per setting."""
    from .sweep import sweep_command

    overrides = _recipe_options(
        epochs=epochs, lr=lr, hidden=hidden, activation=activation, optimizer=optimizer,
        dropout=dropout, dev_size=dev_size, early_stopping=early_stopping, seed=seed,
        batch_size=batch_size, stratify=stratify)
    status = sweep_command(preset=preset, data=data, overrides=overrides, grid=grid,
                           seeds=seeds, output=output, workers=workers, scheduler=scheduler,
                           quiet=quiet, json_output=json_output)
    if status:
        raise typer.Exit(status)


@app.command(cls=_Command)
def export(
    model: Path = typer.Argument(..., metavar="MODEL",
                                 help="Model file (.npz) written by nnscratch train."),
    output: Path = typer.Argument(..., metavar="OUTPUT", help="ONNX file to write (.onnx)."),
) -> None:
    """Write the network as ONNX, for onnxruntime and other runtimes: raw pixels in."""
    from ..usecases.export import export_model_file

    done = export_model_file(model, output)
    scaled = ""
    if done.input_scale is not None:
        inverse = 1 / done.input_scale
        words = (f"1/{round(inverse)}" if abs(inverse - round(inverse)) < 1e-6 * inverse
                 else f"{done.input_scale:.6g}")
        scaled = f", scaled by {words} inside the graph"
    print(f"wrote {done.output} (ONNX opset {done.opset}, {done.size:,} bytes): input "
          f"(N, {', '.join(map(str, done.input_shape))}) float32 raw values{scaled}; outputs "
          f"logits and probabilities (N, {done.classes})")


@app.command(cls=_Command)
def serve(
    models: Optional[list[Path]] = typer.Argument(
        None, metavar="MODEL", help="Model files (.npz) to serve.",
        show_default="the mlp and cnn presets, trained into the cache folder on first start"),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (others can reach the "
                             "server on any but a loopback address)."),
    port: int = typer.Option(8000, help="Port to listen on; 0 for any free one.",
                             min=0, max=65535),
    open_browser: bool = typer.Option(True, "--open/--no-open",
                                      help="Open the page in a browser."),
    workers: int = typer.Option(1, help="Server processes sharing the port, each with its "
                                "own copy of the models.", min=1, max=64),
    cache_dir: Optional[Path] = typer.Option(
        None, envvar="NNSCRATCH_CACHE_DIR", help="Folder for the preset models.",
        show_default="$XDG_CACHE_HOME/nnscratch or ~/.cache/nnscratch"),
    digits: Optional[Path] = typer.Option(
        None, help="Folder of your own digits, drawn and labelled in the page (one PNG each).",
        show_default="$XDG_DATA_HOME/nnscratch/digits or ~/.local/share/nnscratch/digits"),
    runs: Optional[Path] = typer.Option(
        None, help="Folder of the training runs started from the page (their checkpoints) "
        "and of the models saved from them.",
        show_default="$XDG_DATA_HOME/nnscratch/runs or ~/.local/share/nnscratch/runs"),
    train_data: str = typer.Option(
        "mnist", help="What runs started from the page train on: 'mnist', a folder of IDX "
        "files or a CSV file (as train --data)."),
) -> None:
    """Serve the draw-a-digit page and its JSON API: see what the networks see and think."""
    import os
    # One image at a time: a BLAS thread pool only slows the small products down, and the
    # server's requests keep the cores busy. Set before NumPy loads; the user's setting wins.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    from rich.console import Console

    from ..web import launch
    from ..web.served import ServedModels

    from .train import train_into

    console = Console(stderr=True)
    served = (ServedModels.from_files(models) if models else launch.preset_models(
        cache_dir or launch.cache_dir(), say=console.print,
        train=lambda recipe, path: train_into(recipe, path, console=console)))
    if train_data != "mnist":
        from ..datasets.sources import source_files
        from ..errors import ConfigError
        if not source_files(train_data):  # a mistake is said now, not when a run starts
            raise ConfigError(f"--train-data {train_data}: no IDX files or CSV file there "
                              f"(expected 'mnist', a folder of IDX files, or a CSV file)")
    launch.serve(served, host=host, port=port, open_browser=open_browser, console=console,
                 workers=workers, digits=digits or launch.data_dir() / "digits",
                 runs=runs or launch.data_dir() / "runs", train_data=train_data)


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


def _bare_report_flag(argv: list[str]) -> list[str]:
    """``train --report`` without a path means "beside the model": give it the empty value.

    Typer's bundled Click has no options with an optional value, so a bare ``--report``
    (last, or followed by another option) becomes ``--report=`` here.
    """
    if not argv or argv[0] != "train":
        return argv
    return [f"{arg}=" if arg == "--report" and (i + 1 == len(argv)
                                                or argv[i + 1].startswith("-")) else arg
            for i, arg in enumerate(argv)]


def _fail(message: str, status: int = EXIT_USER_ERROR) -> int:
    print(f"nnscratch: error: {' '.join(message.split())}", file=sys.stderr)
    return status

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
EXIT_INTERRUPTED = 130


@app.callback()
def _root() -> None:
    """Neural networks from scratch in NumPy, with MNIST bundled."""


@app.command(cls=_Command)
def train(
    preset: Optional[str] = typer.Option(
        None, help="Recipe to start from: mlp (98 %+, default), cnn (convolutional, 99 %+) or "
        "classic (the tutorial's 784-10-10, full-batch).", show_default="mlp"),
    data: Optional[str] = typer.Option(
        None, help="'mnist' (bundled), a folder of IDX files named as MNIST's, or a CSV file "
        "(label first).", show_default="mnist"),
    epochs: Optional[int] = typer.Option(None, help="Epochs (full-batch: iterations)."),
    lr: Optional[float] = typer.Option(None, help="Learning rate."),
    batch_size: Optional[str] = typer.Option(None, help="Examples per step, or 'full'."),
    hidden: Optional[str] = typer.Option(None, help="Hidden layer sizes, e.g. 512,256."),
    activation: Optional[str] = typer.Option(None, help="relu, leaky_relu, sigmoid or tanh."),
    optimizer: Optional[str] = typer.Option(None, help="sgd, momentum, nesterov, adam, adamw."),
    dropout: Optional[float] = typer.Option(None, help="Dropout rate after each hidden layer."),
    dev_size: Optional[int] = typer.Option(None, help="Training images held out as dev set."),
    stratify: bool = typer.Option(False, help="Keep class shares in the dev split."),
    early_stopping: Optional[int] = typer.Option(
        None, help="Stop after N epochs without a better dev loss; keep the best weights."),
    seed: Optional[int] = typer.Option(None, help="Seed for the split, weights and order."),
    out: Optional[Path] = typer.Option(None, help="Model file to write.",
                                       show_default="PRESET.npz"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or tables."),
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
) -> None:
    """Train a network on MNIST (or your data) and save it to a model file."""
    from rich.console import Console

    from .errors import ConfigError, NNScratchError
    from .presets import DEFAULT_PRESET, check_recipe, get_preset
    from .runner import TrainOptions, run_training

    # Every option is checked before any data is loaded or anything is drawn.
    checkpoint = None
    if resume is not None:
        from .resuming import resumed_run
        # Options not given again come from the checkpoint; a change is refused unless --force.
        checkpoint, base, saved = resumed_run(resume, preset)
        data, out = data or saved["data"], out or saved["out"]
        checkpoint_every = checkpoint_every or saved["checkpoint_every"]
    else:
        base = get_preset(preset or DEFAULT_PRESET, option="--preset")
    data = data or "mnist"
    overrides = dict(epochs=epochs, lr=lr, hidden=_parse_hidden(hidden), activation=activation,
                     optimizer=optimizer, dropout=dropout, dev_size=dev_size,
                     early_stopping=early_stopping, seed=seed)
    if stratify:
        overrides["stratify"] = True
    if batch_size is not None:
        overrides["batch_size"] = _parse_batch_size(batch_size)
    recipe = base.with_overrides(**overrides)
    if batch_size is not None and overrides["batch_size"] is None:
        recipe = recipe.__class__(**{**recipe.__dict__, "batch_size": None})
    check_recipe(recipe, name=_option_name)
    if checkpoint_every is not None and checkpoint_every < 1:
        raise ConfigError(f"--checkpoint-every must be a positive whole number, got "
                          f"{checkpoint_every}")
    out = out or Path(f"{recipe.name}.npz")
    report_path = None if report is None else Path(report) if report else out.with_suffix(".html")
    _check_train_outputs(out, report_path, checkpoint_dir or (
        checkpoint.path.parent if checkpoint is not None else None), data, checkpoint)
    # Human output goes to stderr under --json, so stdout stays machine-readable.
    console = Console(stderr=json_output, quiet=quiet)
    summary = run_training(TrainOptions(recipe=recipe, data=data, out=out,
                                        checkpoint_dir=checkpoint_dir,
                                        checkpoint_every=checkpoint_every, resume=checkpoint,
                                        force=force),
                           console=console, progress_console=Console(stderr=True, quiet=quiet))
    if report_path is not None:
        from .report import write_report
        try:
            write_report(out, report_path)
        except NNScratchError as error:
            raise ConfigError(f"the model was saved to {out}, but the report could not be "
                              f"written: {error}; write it later with: nnscratch report {out} "
                              f"--output {report_path}") from None
        summary["report_path"] = str(report_path)
        console.print(f"report: {report_path}")
    if json_output:
        print(json.dumps(summary))
    if summary["stopped"] == "interrupted":
        raise typer.Exit(summary.get("exit_status", EXIT_INTERRUPTED))


def _option_name(field: str) -> str:
    """The train option that sets recipe field ``field`` (``dev_size``: ``--dev-size``); a field
    no option sets is named as the recipe's."""
    if field in _TRAIN_OPTION_FIELDS:
        return f"--{field.replace('_', '-')}"
    return f"the recipe's {field}"


_TRAIN_OPTION_FIELDS = frozenset({"epochs", "lr", "batch_size", "hidden", "activation",
                                  "optimizer", "dropout", "dev_size", "stratify",
                                  "early_stopping", "seed"})


def _check_train_outputs(out: Path, report_path: Path | None, checkpoint_dir: Path | None,
                         data: str, checkpoint) -> None:
    """Refuse, before any data is loaded, an output of train that cannot be written or that
    would overwrite one of its inputs (the data's files, the checkpoint resumed from) or
    another of its outputs, and a model file not named .npz."""
    from .datasets.sources import source_files
    from .fileio import check_model_file_name, check_outputs, check_writable_folder

    outputs = [("--out", out, "model.npz")]
    if report_path is not None:
        outputs.append(("--report", report_path, "report.html"))
    inputs = [(f"a file of the training data (--data {data})", path)
              for path in source_files(data)]
    if checkpoint is not None:
        inputs.append(("the checkpoint resumed from (--resume)", checkpoint.path))
    check_outputs(outputs, inputs)
    check_model_file_name(out, "--out")
    if checkpoint_dir is not None:
        check_writable_folder(checkpoint_dir, "--checkpoint-dir")


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
    from .evaluation import evaluate_file

    report = evaluate_file(model, data, split)
    if json_output:
        print(json.dumps(report))
        return
    from rich.console import Console

    from .views import evaluation_view
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
    from .prediction import check_output, predict_files, write_submission

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

    from .views import prediction_view
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
    from .modelinfo import describe_model_file

    description = describe_model_file(model)
    if json_output:
        print(json.dumps(description))
        return
    from rich.console import Console

    from .views import info_view
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
    from .show import display_available, show_digit

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
    from .report import write_report

    print(f"wrote {write_report(model, output, data=data)}")


@app.command(cls=_Command)
def serve(
    models: Optional[list[Path]] = typer.Argument(
        None, metavar="MODEL", help="Model files (.npz) to serve.", show_default="the mlp and cnn presets, "
        "trained into the cache folder on first start"),
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
) -> None:
    """Serve the draw-a-digit page and its JSON API: see what the networks see and think."""
    import os
    # One image at a time: a BLAS thread pool only slows the small products down, and the
    # server's requests keep the cores busy. Set before NumPy loads; the user's setting wins.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    from rich.console import Console

    from .web import launch
    from .web.served import ServedModels

    console = Console(stderr=True)
    served = (ServedModels.from_files(models) if models else
              launch.preset_models(cache_dir or launch.cache_dir(), console=console))
    launch.serve(served, host=host, port=port, open_browser=open_browser, console=console,
                 workers=workers)


def _parse_hidden(text: str | None) -> tuple[int, ...] | None:
    from .errors import ConfigError
    if text is None:
        return None
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes:
        raise ConfigError(f"--hidden takes sizes separated by commas, like 512,256; "
                          f"got {text!r}")
    return sizes  # their values are checked with the rest of the recipe


def _parse_batch_size(text: str) -> int | None:
    from .errors import ConfigError
    if text.strip().lower() == "full":
        return None
    try:
        return int(text)  # its value is checked with the rest of the recipe
    except ValueError:
        raise ConfigError(f"--batch-size takes a positive whole number or 'full', got "
                          f"{text!r}") from None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    from .errors import NNScratchError

    command = typer.main.get_command(app)
    argv = _bare_report_flag(list(sys.argv[1:] if argv is None else argv))
    try:
        result = command.main(args=argv, prog_name="nnscratch", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except NNScratchError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
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


def run() -> None:
    sys.exit(main())

"""``nnscratch info``, ``show``, ``report`` and ``gradcheck``: the commands that look into a
model, at its description, its answers to single images, a full HTML report, its gradients."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from .options import print_json


def info(
    model: Path = typer.Argument(..., metavar="MODEL", help="Model file (.npz)."),
    json_output: bool = typer.Option(False, "--json", help="Print it all as one JSON object."),
) -> None:
    """What a model file holds: layers and shapes, recipe, data, metrics, format, checksums."""
    from ..usecases.describe import describe_model_file

    description = describe_model_file(model)
    if json_output:
        print_json(description)
        return
    from rich.console import Console

    from .tables import info_view

    Console().print(info_view(description))


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
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..plots.report import write_report

    # On a terminal only, and gone when done: the report takes seconds on a large data set.
    columns = (
        TextColumn("report"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    console = Console(stderr=True)
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("", total=None)

        def tell(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        written = write_report(model, output, data=data, progress=tell)
    print(f"wrote {written}")


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
        print_json(report.as_json())
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

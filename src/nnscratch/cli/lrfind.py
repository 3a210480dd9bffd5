"""``nnscratch lr-find``: the learning-rate range test (:mod:`nnscratch.usecases.lrfind`) on the
terminal: the run in words, the chart, and how the sweep ended."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..environment import require
from ..errors import ConfigError
from ..model import DEFAULT_PRESET, get_preset
from ..training.signals import EXIT_INTERRUPTED
from .options import print_json
from .progress import RichProgress
from .train import option_name


def lr_find_command(
    *,
    preset: str | None,
    recipe_file: Path | None,
    data: str,
    start: float,
    stop: float,
    steps: int,
    output: Path,
    json_output: bool,
    overrides: dict,
) -> int:
    """Run ``nnscratch lr-find``: check the options and the output, sweep, draw the chart;
    returns the exit status (130 when interrupted)."""
    from ..datasets import load_source
    from ..datasets.sources import source_files
    from ..fileio import check_outputs
    from ..usecases.lrfind import find_learning_rate

    require("plots", "nnscratch lr-find (its chart)")
    if recipe_file is not None and preset is not None:
        raise ConfigError(
            "--recipe and --preset cannot be combined: name the preset in the "
            'recipe file (preset = "cnn")'
        )
    if recipe_file is not None:
        from ..model.recipefile import read_recipe_file

        base = read_recipe_file(recipe_file)
    else:
        base = get_preset(preset or DEFAULT_PRESET, option="--preset")
    recipe = base.with_overrides(overrides, name=option_name)
    check_outputs(
        [("--output", output, "lr-find.png")],
        [(f"a file of the data (--data {data})", path) for path in source_files(data)],
    )
    dataset = load_source(data)
    console = Console(stderr=json_output)
    console.print(f"[bold]{escape(recipe.name)}[/]: {escape(recipe.description())}")
    console.print(
        f"sweeping the learning rate from {start:g} to {stop:g} over {steps} batches "
        f"of {dataset.source}"
    )
    progress = RichProgress(Console(stderr=True), log_every=None)
    try:
        sweep = find_learning_rate(
            recipe,
            dataset.train_images,
            dataset.train_labels,
            start=start,
            stop=stop,
            steps=steps,
            callbacks=[progress],
        )
    finally:
        progress.stop()  # an exception skips on_train_end: the bar would stay live
    from ..plots import lr_find_curve, new_figure, save_png

    figure = new_figure(7, 4.5)
    lr_find_curve(
        figure.add_subplot(),
        sweep.lrs,
        sweep.losses,
        sweep.smoothed,
        minimum=sweep.minimum,
        suggestion=sweep.suggestion if sweep.supported else None,
    )
    save_png(figure, output)
    console.print(lr_find_words(sweep, steps))
    console.print(f"wrote {output}")
    if json_output:
        print_json({**sweep.as_json(), "output": str(output)})
    return EXIT_INTERRUPTED if sweep.stopped == "interrupted" else 0


def lr_find_words(sweep, steps: int) -> str:
    """How the sweep ended, where its smoothed loss was lowest, and the suggested rate when
    the curve supports one."""
    done = len(sweep.lrs)
    stopped = {
        "completed": "",
        "took off": f" (stopped after {done} batches: the loss took off)",
        "interrupted": f" (interrupted after {done} of {steps} batches)",
    }[sweep.stopped]
    text = f"lowest smoothed loss at lr {sweep.minimum:.2g}{stopped}"
    if not sweep.supported:
        return text + "; no suggestion: the loss had not yet risen past its lowest"
    return (
        f"{text}; suggested learning rate: [bold]{sweep.suggestion:.2g}[/] "
        f"(--lr {sweep.suggestion:.2g})"
    )

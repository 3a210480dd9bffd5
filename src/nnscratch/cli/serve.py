"""``nnscratch serve``: its options, and the page's server started with the models to serve
(trained into the cache folder on first start, with ``train``'s progress)."""

from __future__ import annotations

from pathlib import Path

import typer


def serve(
    models: list[Path] | None = typer.Argument(
        None,
        metavar="MODEL",
        help="Model files (.npz) to serve.",
        show_default="the mlp and cnn presets, trained into the cache folder on first start",
    ),
    host: str = typer.Option(
        "127.0.0.1",
        help="Address to listen on (others can reach the server on any but a loopback address).",
    ),
    port: int = typer.Option(8000, help="Port to listen on; 0 for any free one.", min=0, max=65535),
    open_browser: bool = typer.Option(True, "--open/--no-open", help="Open the page in a browser."),
    workers: int = typer.Option(
        1,
        help="Server processes sharing the port, each with its own copy of the models.",
        min=1,
        max=64,
    ),
    cache_dir: Path | None = typer.Option(
        None,
        envvar="NNSCRATCH_CACHE_DIR",
        help="Folder for the preset models.",
        show_default="nnscratch in the platform's cache folder",
    ),
    digits: Path | None = typer.Option(
        None,
        help="Folder of your own digits, drawn and labelled in the page (one PNG each).",
        show_default="nnscratch/digits in the platform's data folder",
    ),
    runs: Path | None = typer.Option(
        None,
        help="Folder of the training runs started from the page (their checkpoints) "
        "and of the models saved from them.",
        show_default="nnscratch/runs in the platform's data folder",
    ),
    train_data: str = typer.Option(
        "mnist",
        help="What runs started from the page train on: 'mnist', a folder of IDX "
        "files or a CSV file (as train --data).",
    ),
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
    served = (
        ServedModels.from_files(models)
        if models
        else launch.preset_models(
            cache_dir or launch.cache_dir(),
            say=console.print,
            train=lambda recipe, path: train_into(recipe, path, console=console),
        )
    )
    if train_data != "mnist":
        from ..datasets.sources import source_files
        from ..errors import ConfigError

        if not source_files(train_data):  # a mistake is said now, not when a run starts
            raise ConfigError(
                f"--train-data {train_data}: no IDX files or CSV file there "
                f"(expected 'mnist', a folder of IDX files, or a CSV file)"
            )
    launch.serve(
        served,
        host=host,
        port=port,
        open_browser=open_browser,
        console=console,
        workers=workers,
        digits=digits or launch.data_dir() / "digits",
        runs=runs or launch.data_dir() / "runs",
        train_data=train_data,
    )

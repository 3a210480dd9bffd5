"""``nnscratch sweep``: its options turned into a plan (:mod:`nnscratch.sweeps.sweep`), and
the sweep drawn on the terminal: what runs, a line and a bar as each run ends, the table."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .. import checks
from ..environment import require
from ..errors import ConfigError
from ..model import DEFAULT_PRESET, get_preset
from ..sweeps import grid as grids
from ..sweeps.sweep import (
    RunRecord,
    SweepOptions,
    SweepPlan,
    SweepResult,
    kept_runs,
    plan_sweep,
    run_sweep,
)
from ..sweeps.tables import ranked
from ..training.signals import EXIT_INTERRUPTED
from .options import print_json
from .train import option_name

CHART = "results.png"


def sweep_command(
    *,
    preset: str | None,
    data: str | None,
    overrides: dict,
    grid: list[str],
    ranges: list[str] | None = None,
    random: int | None = None,
    seeds: int,
    output: Path,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
    json_output: bool,
) -> int:
    """Run ``nnscratch sweep`` with its parsed options; returns the exit status. Every option
    is checked, and the data loaded, before the first run starts."""
    # The chart at the end, and a cluster's client: said now, not after the runs.
    require("plots", "nnscratch sweep (its chart)")
    if scheduler is not None:
        require("dask", "--scheduler")
    base = get_preset(preset or DEFAULT_PRESET, option="--preset")
    recipe = base.with_overrides(overrides, name=option_name)
    parsed = grids.parse_grid(grid)
    parsed_ranges = grids.parse_ranges(ranges or [])
    for where, fields in (("--grid", parsed), ("--range", parsed_ranges)):
        for field, _ in fields:
            if field in overrides:
                raise ConfigError(
                    f"--{grids.option(field)} and {where} {grids.option(field)} both "
                    f"set {field}; give it in one of them"
                )
    if workers is not None:
        checks.whole("--workers", workers, low=1)
        if scheduler is not None:
            raise ConfigError(
                "--workers is for local workers, --scheduler for a Dask cluster's; give one of them"
            )
    plan = plan_sweep(
        SweepOptions(
            recipe,
            parsed,
            seeds=seeds,
            data=data or "mnist",
            output=output,
            ranges=parsed_ranges,
            random=random,
        )
    )
    console = Console(stderr=json_output, quiet=quiet)
    show_plan(console, plan)
    progress = Progress(
        TextColumn("[bold]runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, quiet=quiet),
    )
    task = progress.add_task("sweep", total=len(plan.tasks), completed=len(plan.done))

    def on_run(record: RunRecord, done: int, total: int) -> None:
        progress.console.print(run_line(record))
        progress.update(task, completed=done)

    try:
        result = run_sweep(
            plan, workers=workers, scheduler=scheduler, on_start=progress.start, on_run=on_run
        )
    except KeyboardInterrupt:
        if progress.live.is_started:
            progress.stop()
        # On stderr even under --quiet: how to get the sweep back is not progress chatter.
        print(
            f"nnscratch: sweep stopped with {kept_runs(plan)} of {len(plan.tasks)} runs done, "
            f"kept in {output}; run the same command to carry on",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        if progress.live.is_started:  # a stop before the start would print an empty line
            progress.stop()
    from ..plots.sweep import write_sweep_chart

    chart = write_sweep_chart(result, output / CHART)
    console.print(sweep_table(result))
    console.print(chosen_line(result))
    console.print(
        f"wrote {result.table_path} (the settings, ranked), {result.runs_path} (every run), "
        f"{chart}, and each run's model file and record in {output / 'runs'}"
    )
    if json_output:
        print_json(table_json(result))
    return 0


def show_plan(console: Console, plan: SweepPlan) -> None:
    options = plan.options
    first = options.recipe.seed
    seeds = f"seed {first}" if options.seeds == 1 else f"seeds {first}-{first + options.seeds - 1}"
    swept = " and ".join(
        [f"{grids.option(f)} {','.join(map(grids.words, v))}" for f, v in options.grid]
        + ([grids.range_words(options.ranges)] if options.ranges else [])
    )
    console.print(
        f"every run is [bold]{escape(options.recipe.name)}[/] but what the sweep "
        f"sets: {escape(options.recipe.description())}"
    )
    drawn = options.random is not None
    console.print(
        f"sweep: {len(plan.settings)} setting{'s' * (len(plan.settings) != 1)}"
        + (f" drawn at random (seed {first}) from" if drawn else " of" if swept else "")
        + (f" {swept}" if swept else "")
        + (
            f" (of {options.random} asked for: no more distinct ones)"
            if drawn and len(plan.settings) < (options.random or 0)
            else ""
        )
        + f", {seeds}: {len(plan.tasks)} runs"
        + (f"; {len(plan.done)} already done in {options.output}" if plan.done else "")
    )


def run_line(record: RunRecord) -> str:
    """``lr=0.001 seed 0: dev 0.9712, test 0.9701, 12.3 s`` (or how it diverged)."""
    where = " ".join([*(f"{k}={v}" for k, v in record.setting.items()), f"seed {record.seed}"])
    if record.status == "diverged":
        return f"{escape(where)}: [red]diverged[/] ({escape(record.message or '')})"
    scores = [
        f"{name} {value:.4f}"
        for name, value in (("dev", record.dev_accuracy), ("test", record.test_accuracy))
        if value is not None
    ]
    return f"{escape(where)}: {', '.join(scores + [f'{record.train_seconds:.1f} s'])}"


def _spread(mean: float | None, std: float | None, digits: int) -> str:
    return "-" if mean is None else f"{mean:.{digits}f} ± {std:.{digits}f}"


def sweep_table(result: SweepResult) -> Table:
    """One row per setting, ranked by mean dev accuracy, the best marked: its runs, dev
    accuracy and training time, each as mean ± standard deviation over the seeds. The test
    accuracy is not here: :func:`chosen_line` gives it for the chosen setting alone."""
    table = Table(title=f"sweep ({result.table_path}), ranked by dev accuracy")
    table.add_column("rank", justify="right")
    for field in result.plan.options.fields:
        table.add_column(grids.option(field), justify="right")
    for name in ("runs", "dev accuracy", "training time (s)", ""):
        table.add_column(name, justify="right" if name else "left")
    for row in ranked(result.table):
        runs = f"{row.runs}" + (f" ({row.diverged} diverged)" if row.diverged else "")
        table.add_row(
            "-" if row.rank is None else str(row.rank),
            *(grids.words(v) for _, v in row.setting),
            runs,
            _spread(row.mean["dev_accuracy"], row.std["dev_accuracy"], 4),
            _spread(row.mean["train_seconds"], row.std["train_seconds"], 1),
            "[bold]best[/]" if row.chosen else "",
            style="bold" if row.chosen else None,
        )
    return table


def chosen_line(result: SweepResult) -> str:
    """The setting chosen by dev accuracy and its test accuracy, the one test figure shown."""
    best = result.chosen
    if best is None:
        return "no run had a dev set to choose by (--dev-size 0): no setting is chosen"
    test = _spread(best.mean["test_accuracy"], best.std["test_accuracy"], 4)
    return (
        f"chosen by dev accuracy: {escape(best.label)}; its test accuracy {test} "
        f"(over {best.runs - best.diverged} run{'s' * (best.runs - best.diverged != 1)}): "
        f"the estimate for new data, looked at only for the chosen setting"
    )


def table_json(result: SweepResult) -> dict:
    """What ``--json`` prints: the folder, the runs trained now, the settings ranked by dev
    accuracy (without test accuracy), and the chosen one with its test accuracy."""
    best = result.chosen

    def setting(row) -> dict:
        return {grids.option(f): grids.words(v) for f, v in row.setting}

    def figures(which: dict) -> dict:
        return {k: v for k, v in which.items() if k != "test_accuracy"}

    return {
        "output": str(result.plan.options.output),
        "table": str(result.table_path),
        "runs_table": str(result.runs_path),
        "runs": len(result.records),
        "trained": result.trained,
        "settings": [
            {
                "rank": row.rank,
                "setting": setting(row),
                "runs": row.runs,
                "diverged": row.diverged,
                "mean": figures(row.mean),
                "std": figures(row.std),
            }
            for row in ranked(result.table)
        ],
        "chosen": None
        if best is None
        else {
            "setting": setting(best),
            "dev_accuracy": {"mean": best.mean["dev_accuracy"], "std": best.std["dev_accuracy"]},
            "test_accuracy": {"mean": best.mean["test_accuracy"], "std": best.std["test_accuracy"]},
        },
    }

"""Sweeps: one recipe trained at every setting of a grid, over several seeds, and the table of
what each setting scored (``nnscratch sweep``).

:func:`plan_sweep` checks everything before any work (the grid, each run's recipe, the output
folder, the data) and reads what the output folder already holds; :func:`run_sweep` trains the
runs not done yet, on local worker processes or a Dask cluster (:mod:`.workers`), and writes
each one as it finishes: its model file, then its record (``runs/NAME.json``), then the tables
(``results.csv``, the settings ranked by dev accuracy, and ``runs.csv``, one row per run; see
:mod:`.tables`), each atomically. A run counts as done when its record is there, so a sweep
stopped at any moment (Ctrl-C, a kill, a power cut) carries on, run again, from the runs it
finished, redoing none. Nothing here prints: ``on_run`` hears of each run as it ends.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets import DigitDataset, load_source
from ..errors import ConfigError, DataError, TrainingDiverged
from ..fileio import atomic_write, check_writable_folder
from ..model import Recipe
from ..usecases.train import check_dev_size, model_file_document, train_recipe
from . import grid as grids
from .tables import SweepRow, chosen, table, write_runs, write_table

RUNS, TABLE, RUNS_TABLE = "runs", "results.csv", "runs.csv"


@dataclasses.dataclass(frozen=True)
class RunTask:
    """One run, as a worker needs it: its name, setting, seed, recipe, and the data (its
    ``--data`` spec and SHA-256, which the worker checks, since it loads the data itself)."""

    name: str
    setting: grids.Setting
    seed: int
    recipe: Recipe
    data: str
    data_sha256: str


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """A finished run, as ``runs/NAME.json`` records it: ``status`` is completed,
    early_stopping or diverged (then ``message`` says how, and there is no model file)."""

    name: str
    setting: dict[str, str]
    seed: int
    status: str
    dev_accuracy: float | None
    test_accuracy: float | None
    train_seconds: float
    epochs: int
    model: str | None
    recipe: dict[str, Any]
    data_sha256: str
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as the run's JSON file holds it."""
        return dataclasses.asdict(self)

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        """The record in ``path``; ConfigError naming it if it is not one."""
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            return cls(**fields)
        except (OSError, ValueError, TypeError) as error:
            raise ConfigError(
                f"{path} is not a sweep run's record ({error}); move it away to run it again"
            ) from None


@dataclasses.dataclass
class SweepOptions:
    """What ``nnscratch sweep`` was asked for: the recipe every run starts from (the preset with
    train's options), the grid, the seeds, the data, and the output folder; for a random
    search, ``random`` settings drawn from the ``ranges`` and the grid's values (seeded by the
    recipe's seed)."""

    recipe: Recipe
    grid: grids.Grid
    seeds: int = 1
    data: str = "mnist"
    output: Path = Path("sweep")
    ranges: grids.Ranges = dataclasses.field(default_factory=list)
    random: int | None = None

    @property
    def fields(self) -> list[str]:
        """The fields each setting sets, in its order: the grid's, then the ranges'."""
        return [field for field, _ in self.grid] + [field for field, _ in self.ranges]

    def settings(self) -> list[grids.Setting]:
        """The settings to run: the grid's every combination, or those drawn at random;
        ConfigError if the options do not make a sweep."""
        if self.random is None:
            if self.ranges:
                raise ConfigError(
                    "--range draws settings for a random search: give --random N, "
                    "the number of settings to draw"
                )
            return grids.settings(self.grid)
        count = self.random
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(f"--random must be a positive whole number, got {count!r}")
        if not self.ranges and not self.grid:
            raise ConfigError(
                "--random draws from --range (and --grid) values: give at least one, "
                "like --range lr=1e-4..1e-1"
            )
        swept = {field for field, _ in self.grid}
        both = [field for field, _ in self.ranges if field in swept]
        if both:
            raise ConfigError(
                f"--grid {grids.option(both[0])} and --range {grids.option(both[0])} both "
                f"sweep {both[0]}; give it in one of them"
            )
        return grids.random_settings(self.grid, self.ranges, count, self.recipe.seed)


@dataclasses.dataclass
class SweepPlan:
    """A checked sweep: its runs in grid order (seeds fastest) and those already done."""

    options: SweepOptions
    settings: list[grids.Setting]
    tasks: list[RunTask]
    done: dict[str, RunRecord]

    @property
    def pending(self) -> list[RunTask]:
        """The runs not done yet, in grid order."""
        return [task for task in self.tasks if task.name not in self.done]


@dataclasses.dataclass
class SweepResult:
    """The runs' records (the sweep's order), the table (a row per setting, in the sweep's
    order, each with its rank), and how many runs this call trained."""

    plan: SweepPlan
    records: list[RunRecord]
    table: list[SweepRow]
    trained: int

    @property
    def table_path(self) -> Path:
        """Where the sweep's table of results goes, in its output folder."""
        return self.plan.options.output / TABLE

    @property
    def runs_path(self) -> Path:
        """Where the table of every run goes, in the output folder."""
        return self.plan.options.output / RUNS_TABLE

    @property
    def chosen(self) -> SweepRow | None:
        """The setting of the best mean dev accuracy (None if no run had a dev set)."""
        return chosen(self.table)


def plan_sweep(options: SweepOptions) -> SweepPlan:
    """Check the grid's recipes, the output folder and the data, and read which runs the
    folder already holds; raises ConfigError (or DataError) before any training.

    A record in the folder for a run of this sweep must be of the same recipe and data: one
    that is not is refused (the folder holds another sweep), never overwritten.
    """
    seeds = options.seeds
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"--seeds must be a positive whole number, got {seeds!r}")
    check_writable_folder(options.output, "--output")
    points = options.settings()
    recipes = {}
    for setting in points:
        swept = dict(setting)

        def name(field: str, swept: dict = swept) -> str:  # as the command line calls it
            ranged = any(field == f for f, _ in options.ranges)
            where = "range " if ranged else "grid " if field in swept else ""
            return f"--{where}{grids.option(field)}"

        for seed in range(options.recipe.seed, options.recipe.seed + seeds):
            recipe = options.recipe.with_overrides({**swept, "seed": seed}, name=name)
            recipes[grids.run_name(setting, seed)] = (setting, seed, recipe)
    dataset = load_source(options.data)
    for setting, _, recipe in recipes.values():
        check_dev_size(
            recipe, dataset, "--grid dev-size" if "dev_size" in dict(setting) else "--dev-size"
        )
    # A worker may run elsewhere (another folder, another machine): give it the data's full
    # path, which it checks by the SHA-256.
    data = str(options.data) if str(options.data) == "mnist" else str(Path(options.data).resolve())
    tasks = [
        RunTask(name, setting, seed, recipe, data, dataset.sha256)
        for name, (setting, seed, recipe) in recipes.items()
    ]
    return SweepPlan(options, points, tasks, _finished(options.output, tasks, dataset))


def run_sweep(
    plan: SweepPlan,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_start: Callable[[], None] | None = None,
    on_run: Callable[[RunRecord, int, int], None] | None = None,
) -> SweepResult:
    """Train the runs not done yet, writing each as it finishes, and return the table.

    ``on_start()`` is called once the workers are reached, before the first run ends;
    ``on_run(record, done, total)`` after each run is written. ``workers`` and ``scheduler``
    choose where the runs run (see :func:`.workers.run_all`).
    """
    from .workers import run_all

    folder = plan.options.output / RUNS
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(".*.tmp"):  # what a kill cut short while writing
        leftover.unlink(missing_ok=True)
    done = dict(plan.done)
    trained = 0
    outcomes = run_all(run_one, plan.pending, workers=workers, scheduler=scheduler)
    if on_start is not None:
        on_start()
    for outcome in outcomes:
        record = _write_run(folder, outcome)
        done[record.name] = record
        trained += 1
        _write_tables(plan, done)
        if on_run is not None:
            on_run(record, len(done), len(plan.tasks))
    if not plan.pending:  # nothing to run: the tables are still written (they may be missing)
        _write_tables(plan, done)
    rows = table(plan.settings, plan.tasks, done)
    return SweepResult(plan, [done[t.name] for t in plan.tasks], rows, trained)


def _write_tables(plan: SweepPlan, done: dict[str, RunRecord]) -> None:
    """Both tables of the runs done so far."""
    output, fields = plan.options.output, plan.options.fields
    write_table(output / TABLE, fields, table(plan.settings, plan.tasks, done))
    write_runs(output / RUNS_TABLE, fields, [done[t.name] for t in plan.tasks if t.name in done])


# --- one run, in a worker -------------------------------------------------------------------

_DATASETS: dict[str, DigitDataset] = {}  # a worker loads each data set once


def kept_runs(plan: SweepPlan) -> int:
    """How many of the plan's runs have their record on disk: those the same command skips.
    Counted from the files, since a stop can fall between a record's writing and its report."""
    folder = plan.options.output / RUNS
    return sum((folder / f"{task.name}.json").is_file() for task in plan.tasks)


def run_one(task: RunTask) -> dict[str, Any]:
    """Train one run (in a worker process): its record's fields and its model file's bytes
    (``model_bytes``, None when it diverged). Raises DataError if the worker's data is not
    the sweep's."""
    dataset = _DATASETS.get(task.data)
    if dataset is None:
        dataset = _DATASETS[task.data] = load_source(task.data)
    if dataset.sha256 != task.data_sha256:
        raise DataError(
            f"the data {task.data} on this worker is not the sweep's (its SHA-256 "
            f"is {dataset.sha256[:12]}..., the sweep's {task.data_sha256[:12]}...)"
        )
    fields = {
        "name": task.name,
        "setting": {grids.option(f): grids.words(v) for f, v in task.setting},
        "seed": task.seed,
        "recipe": task.recipe.to_json(dataset.train_images.shape[1:]),
        "data_sha256": task.data_sha256,
    }
    try:
        with np.errstate(all="ignore"):  # a blow-up is reported as the run's status
            result = train_recipe(
                task.recipe,
                dataset.train_images,
                dataset.train_labels,
                dataset.test_images,
                dataset.test_labels,
            )
    except TrainingDiverged as error:
        return {
            **fields,
            "status": "diverged",
            "dev_accuracy": None,
            "test_accuracy": None,
            "train_seconds": 0.0,
            "epochs": 0,
            "model": None,
            "message": str(error),
            "model_bytes": None,
        }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.npz"
        result.model.save(path, **model_file_document(result, dataset))
        model_bytes = path.read_bytes()
    metrics = result.metrics
    return {
        **fields,
        "status": result.stopped,
        "dev_accuracy": metrics["dev_accuracy"],
        "test_accuracy": metrics["test_accuracy"],
        "train_seconds": metrics["train_seconds"],
        "epochs": len(result.history.epoch),
        "model": f"{task.name}.npz",
        "model_bytes": model_bytes,
    }


# --- the folder -----------------------------------------------------------------------------


def _write_run(folder: Path, outcome: dict[str, Any]) -> RunRecord:
    """Write a finished run: its model file first, then its record, each atomically, so a
    record is there only for a run whose model is."""
    outcome = dict(outcome)
    model_bytes = outcome.pop("model_bytes")
    record = RunRecord(**outcome)
    if record.model is not None:  # a diverged run has neither a model file nor its bytes
        with atomic_write(folder / record.model, ConfigError) as handle:
            handle.write(model_bytes)
    with atomic_write(folder / f"{record.name}.json", ConfigError) as handle:
        handle.write(json.dumps(record.to_json(), indent=1).encode())
    return record


def _finished(output: Path, tasks: list[RunTask], dataset: DigitDataset) -> dict[str, RunRecord]:
    """The runs of ``tasks`` whose records the folder holds (and whose model files, for a
    run that did not diverge); ConfigError for a record of another recipe or data."""
    done = {}
    for task in tasks:
        path = output / RUNS / f"{task.name}.json"
        if not path.exists():
            continue
        record = RunRecord.read(path)
        recipe = task.recipe.to_json(dataset.train_images.shape[1:])
        if record.recipe != recipe or record.data_sha256 != task.data_sha256:
            old = Recipe.from_json(record.recipe) if isinstance(record.recipe, dict) else None
            what = (
                ", ".join(task.recipe.changes_from(old))
                if old is not None and old != task.recipe
                else "the data changed"
            )
            raise ConfigError(
                f"--output {output} holds run {task.name} of another sweep "
                f"({what}); give another --output folder"
            )
        if record.model is None or (output / RUNS / record.model).is_file():
            done[task.name] = record
    return done

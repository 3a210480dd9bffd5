"""A sweep's tables: one row per setting, ranked by dev accuracy (``results.csv``), and one row
per run (``runs.csv``).

A sweep is for choosing a setting, and the choice is made on the dev set: the settings are
ranked by their mean dev accuracy, the best is marked, and the test accuracy is given for that
one alone, the estimate of how the chosen setting does on new data. Test accuracies beside
every setting would invite choosing on the test set, which then no longer estimates anything.
The per-run table has every run's figures, the test accuracy among them, for a look back.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from ..fileio import atomic_write
from . import grid as grids

if TYPE_CHECKING:
    from .sweep import RunRecord, RunTask

FIGURES = ("dev_accuracy", "test_accuracy", "train_seconds")
# The figures of every ranked setting; the test accuracy is the chosen setting's alone.
RANKED_FIGURES = ("dev_accuracy", "train_seconds")
# A run's columns after its setting and seed: its record's fields (``epochs_trained`` is the
# record's ``epochs``, named apart from a swept ``epochs``).
RUN_COLUMNS = {
    "status": "status",
    "dev_accuracy": "dev_accuracy",
    "test_accuracy": "test_accuracy",
    "train_seconds": "train_seconds",
    "epochs_trained": "epochs",
    "model": "model",
}


@dataclasses.dataclass
class SweepRow:
    """One setting's figures over its seeds: ``mean`` and ``std`` (the sample standard
    deviation; 0 for one run) of each of :data:`FIGURES`, None where no run has it; ``rank``
    (1 the best dev accuracy; None without one) once ranked."""

    setting: grids.Setting
    runs: int
    diverged: int
    mean: dict[str, float | None]
    std: dict[str, float | None]
    rank: int | None = None

    @property
    def label(self) -> str:
        """The run's setting in words, as tables and charts name it."""
        return grids.label(self.setting)

    @property
    def chosen(self) -> bool:
        """Whether this is the setting the sweep chooses: the best mean dev accuracy."""
        return self.rank == 1


def table(
    settings: Sequence[grids.Setting], tasks: Sequence[RunTask], done: dict[str, RunRecord]
) -> list[SweepRow]:
    """One row per setting, in the sweep's order, over its finished runs (diverged ones
    counted apart: they have no figures), ranked (see :func:`ranked`)."""
    rows = []
    for setting in settings:
        records = [done[t.name] for t in tasks if t.setting == setting and t.name in done]
        scored = [r for r in records if r.status != "diverged"]
        mean, std = {}, {}
        for figure in FIGURES:
            values = [getattr(r, figure) for r in scored if getattr(r, figure) is not None]
            mean[figure] = float(np.mean(values)) if values else None
            std[figure] = (
                float(np.std(values, ddof=1)) if len(values) > 1 else 0.0 if values else None
            )
        rows.append(SweepRow(setting, len(records), len(records) - len(scored), mean, std))
    for rank, row in enumerate(ranked(rows), start=1):
        row.rank = rank if row.mean["dev_accuracy"] is not None else None
    return rows


def ranked(rows: Iterable[SweepRow]) -> list[SweepRow]:
    """The rows by mean dev accuracy, best first (the sweep's order among equals), those
    without one last."""
    rows = list(rows)
    return sorted(
        rows,
        key=lambda row: (
            row.mean["dev_accuracy"] is None,
            -(row.mean["dev_accuracy"] or 0.0),
        ),
    )


def chosen(rows: Iterable[SweepRow]) -> SweepRow | None:
    """The setting with the best mean dev accuracy, or None if no run has a dev set."""
    return next((row for row in rows if row.chosen), None)


def write_table(path: Path, fields: Sequence[str], rows: Sequence[SweepRow]) -> None:
    """The settings as CSV (atomically), ranked: ``rank``, a column per swept field, ``runs``,
    ``diverged``, ``FIGURE_mean`` and ``FIGURE_std`` of the dev accuracy and training time,
    ``chosen`` (``yes`` on the best row), then the test accuracy's mean and std on the chosen
    row alone (empty elsewhere). Empty cells where a figure is None."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            *(grids.option(f) for f in fields),
            "runs",
            "diverged",
            *(f"{figure}_{kind}" for figure in RANKED_FIGURES for kind in ("mean", "std")),
            "chosen",
            "test_accuracy_mean",
            "test_accuracy_std",
        ]
    )
    for row in ranked(rows):
        figures = [
            _cell(which[figure]) for figure in RANKED_FIGURES for which in (row.mean, row.std)
        ]
        test = [_cell(row.mean["test_accuracy"]), _cell(row.std["test_accuracy"])]
        writer.writerow(
            [
                "" if row.rank is None else row.rank,
                *(grids.words(v) for _, v in row.setting),
                row.runs,
                row.diverged,
                *figures,
                "yes" if row.chosen else "",
                *(test if row.chosen else ["", ""]),
            ]
        )
    _write(path, out.getvalue())


def write_runs(path: Path, fields: Sequence[str], records: Sequence[RunRecord]) -> None:
    """Every finished run as CSV (atomically), in the sweep's order: ``name``, a column per
    swept field, ``seed``, then :data:`RUN_COLUMNS` and ``message`` (how a run diverged)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", *(grids.option(f) for f in fields), "seed", *RUN_COLUMNS, "message"])
    for record in records:
        values: list[Any] = [getattr(record, field) for field in RUN_COLUMNS.values()]
        writer.writerow(
            [
                record.name,
                *(record.setting.get(grids.option(f), "") for f in fields),
                record.seed,
                *("" if v is None else _cell(v) if isinstance(v, float) else v for v in values),
                record.message or "",
            ]
        )
    _write(path, out.getvalue())


def _write(path: Path, text: str) -> None:
    with atomic_write(path, ConfigError) as handle:
        handle.write(text.encode())


def _cell(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.6g}"

"""A sweep's chart: each setting's dev accuracy and training time, as the mean over its seeds
with the standard deviation as error bars, the settings ranked by dev accuracy, and the test
accuracy of the chosen (best) setting alone, as the table gives it (``nnscratch sweep`` writes
it as ``results.png`` beside ``results.csv``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..sweeps.sweep import SweepResult
from ..sweeps.tables import ranked
from .charts import DEV_STYLE, TRAIN_STYLE, new_figure, save_png

TEST_STYLE = dict(TRAIN_STYLE, linestyle="none")  # the test set, drawn as the training set is


def _values(rows, figure: str, which: str) -> np.ndarray:
    return np.array(
        [np.nan if getattr(r, which)[figure] is None else getattr(r, which)[figure] for r in rows],
        dtype=float,
    )


def sweep_chart(
    figure,
    labels: Sequence[str],
    mean: dict[str, np.ndarray],
    std: dict[str, np.ndarray],
    seeds: int,
):
    """Draw into ``figure``: accuracy (dev and test) on the left, training seconds on the
    right, one row per setting (the first at the top). ``mean`` and ``std`` map
    ``dev_accuracy``, ``test_accuracy`` and ``train_seconds`` to arrays (S,), nan where a
    setting has no figure. Returns the figure."""
    accuracy, seconds = figure.subplots(1, 2, sharey=True, width_ratios=[3, 2])
    y = np.arange(len(labels))[::-1].astype(float)
    for name, style, shift in (
        ("dev_accuracy", DEV_STYLE, 0.12),
        ("test_accuracy", TEST_STYLE, -0.12),
    ):
        if np.isnan(mean[name]).all():
            continue
        accuracy.errorbar(
            mean[name],
            y + shift,
            xerr=std[name],
            capsize=3,
            label=name.replace("_", " "),
            **{**style, "linestyle": "none"},
        )
    accuracy.set_yticks(y, labels)
    accuracy.set_xlabel("accuracy")
    accuracy.grid(axis="x", alpha=0.3)
    accuracy.legend(loc="best", fontsize="small")
    time, spread = np.nan_to_num(mean["train_seconds"]), np.nan_to_num(std["train_seconds"])
    seconds.barh(
        y, time, xerr=[np.minimum(spread, time), spread], color="0.75", edgecolor="0.3", capsize=3
    )  # no error bar below 0 s
    seconds.set_xlabel("training time (s)")
    seconds.grid(axis="x", alpha=0.3)
    runs = "1 seed" if seeds == 1 else f"mean and standard deviation over {seeds} seeds"
    figure.suptitle(f"sweep: {runs}")
    return figure


def write_sweep_chart(result: SweepResult, path: str | Path) -> Path:
    """Draw the sweep's chart and write it to ``path`` as PNG (atomically); returns the path."""
    rows = ranked(result.table)
    mean = {f: _values(rows, f, "mean") for f in ("dev_accuracy", "test_accuracy", "train_seconds")}
    std = {f: _values(rows, f, "std") for f in mean}
    others = np.array([not row.chosen for row in rows])
    mean["test_accuracy"][others] = std["test_accuracy"][others] = np.nan  # the chosen's alone
    labels = [f"{row.label} (chosen)" if row.chosen else row.label for row in rows]
    figure = new_figure(9, 1.2 + 0.45 * len(rows))
    sweep_chart(figure, labels, mean, std, result.plan.options.seeds)
    save_png(figure, path)
    return Path(path)

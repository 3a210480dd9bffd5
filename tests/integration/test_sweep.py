"""``nnscratch sweep``: a grid over seeds on local processes and on a Dask cluster (the same
table for the same seeds), written run by run, so a sweep killed midway carries on without
redoing what it finished; its mistakes in one line each."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mini_mnist import write_mnist_folder
from nnscratch.model import Sequential, get_preset
from nnscratch.sweeps import grid as grids
from nnscratch.sweeps.sweep import SweepOptions, plan_sweep, run_sweep

# Runs of a second or so each: a small network, one epoch of 1,000 real MNIST images.
BRIEF = ("--epochs", "1", "--dev-size", "200")
SMALL = ("--hidden", "32", *BRIEF)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_mnist_folder(tmp_path_factory.mktemp("sweep") / "mini", train=1000, test=300)


def nnscratch(*args, cwd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def read_table(folder: Path) -> list[dict[str, str]]:
    with open(folder / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def assert_ranked(rows: list[dict[str, str]]) -> None:
    """The table's rows rank the settings by mean dev accuracy, the first chosen, and only
    the chosen one shows a test accuracy."""
    dev = [float(r["dev_accuracy_mean"]) for r in rows]
    assert dev == sorted(dev, reverse=True)
    assert [r["rank"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert [r["chosen"] for r in rows] == ["yes"] + [""] * (len(rows) - 1)
    assert float(rows[0]["test_accuracy_mean"]) > 0.1
    assert all(r["test_accuracy_mean"] == r["test_accuracy_std"] == "" for r in rows[1:])


def without_times(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The table less its training times, which no two runs share."""
    return [{k: v for k, v in row.items() if not k.startswith("train_seconds")} for row in rows]


# --- local processes and Dask -----------------------------------------------------------------


def test_local_processes_and_a_dask_cluster_give_the_same_table(tmp_path, data, dask_cluster):
    grid = ("--grid", "lr=1e-3,3e-3", "--grid", "hidden=32,16x16", "--seeds", "2")
    local = nnscratch(
        "sweep",
        *grid,
        *BRIEF,
        "--data",
        data,
        "--output",
        "local",
        "--workers",
        "2",
        "--json",
        cwd=tmp_path,
    )
    assert local.returncode == 0, local.stderr
    assert "sweep: 4 settings of lr 0.001,0.003 and hidden 32,16x16, seeds 0-1: 8 runs" in " ".join(
        local.stderr.split()
    )
    on_dask = nnscratch(
        "sweep",
        *grid,
        *BRIEF,
        "--data",
        data,
        "--output",
        "dask",
        "--scheduler",
        dask_cluster.scheduler_address,
        cwd=tmp_path,
    )
    assert on_dask.returncode == 0, on_dask.stderr
    rows = read_table(tmp_path / "local")
    assert sorted((r["lr"], r["hidden"], r["runs"]) for r in rows) == [
        ("0.001", "16x16", "2"),
        ("0.001", "32", "2"),
        ("0.003", "16x16", "2"),
        ("0.003", "32", "2"),
    ]
    assert_ranked(rows)
    assert all(
        float(r["dev_accuracy_mean"]) > 0.1 and float(r["train_seconds_mean"]) > 0 for r in rows
    )
    assert without_times(read_table(tmp_path / "dask")) == without_times(rows)
    for folder in ("local", "dask"):
        models = sorted((tmp_path / folder / "runs").glob("*.npz"))
        assert len(models) == 8 and (tmp_path / folder / "results.png").stat().st_size > 0
    model = Sequential.load(tmp_path / "local" / "runs" / "lr=0.003_hidden=16x16_seed=1.npz")
    assert model.recipe.hidden == (16, 16) and model.recipe.lr == 0.003
    assert model.recipe.seed == 1
    summary = json.loads(local.stdout.strip().splitlines()[-1])
    assert summary["trained"] == summary["runs"] == 8
    assert [s["rank"] for s in summary["settings"]] == [1, 2, 3, 4]
    assert all("test_accuracy" not in s["mean"] for s in summary["settings"])
    assert summary["chosen"]["setting"] == summary["settings"][0]["setting"]
    assert summary["chosen"]["test_accuracy"]["mean"] == pytest.approx(
        float(rows[0]["test_accuracy_mean"]), rel=1e-5
    )
    assert "chosen by dev accuracy: lr=" in " ".join(local.stderr.split())
    # every run in runs.csv, as its record says
    with open(tmp_path / "local" / "runs.csv", newline="") as handle:
        runs = list(csv.DictReader(handle))
    assert len(runs) == 8
    for run in runs:
        record = json.loads((tmp_path / "local" / "runs" / f"{run['name']}.json").read_text())
        assert (run["lr"], run["hidden"], run["seed"]) == (
            record["setting"]["lr"],
            record["setting"]["hidden"],
            str(record["seed"]),
        )
        assert float(run["dev_accuracy"]) == pytest.approx(record["dev_accuracy"], rel=1e-5)
        assert float(run["test_accuracy"]) == pytest.approx(record["test_accuracy"], rel=1e-5)
        assert run["status"] == "completed" and run["model"] == f"{run['name']}.npz"


def test_a_folder_of_another_sweep_is_refused_not_overwritten(tmp_path, data):
    first = nnscratch(
        "sweep",
        "--grid",
        "lr=1e-3",
        *SMALL,
        "--data",
        data,
        "--output",
        "out",
        "--workers",
        "1",
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    again = nnscratch(
        "sweep",
        "--grid",
        "lr=1e-3",
        *SMALL[:-2],
        "--dev-size",
        "100",
        "--data",
        data,
        "--output",
        "out",
        cwd=tmp_path,
    )
    assert again.returncode == 2
    assert again.stderr == (
        "nnscratch: error: --output out holds run lr=0.001_seed=0 of "
        "another sweep (dev_size 200 -> 100); give another --output "
        "folder\n"
    )


def test_a_diverged_run_is_recorded_and_counted_apart(tmp_path, data):
    options = SweepOptions(
        get_preset("mlp").with_overrides(hidden=(32,), epochs=1, dev_size=200),
        grids.parse_grid(["lr=1e-3,1e6"]),
        data=str(data),
        output=tmp_path / "out",
    )
    result = run_sweep(plan_sweep(options), workers=1)
    calm, wild = result.records
    assert (calm.status, wild.status, wild.model) == ("completed", "diverged", None)
    assert "diverged" in wild.message and "learning rate" in wild.message
    assert [(row.runs, row.diverged) for row in result.table] == [(1, 0), (1, 1)]
    assert result.table[1].mean["dev_accuracy"] is None
    # A diverged run is done too: it would diverge again.
    assert plan_sweep(options).pending == []


# --- the grid and the mistakes ----------------------------------------------------------------


def test_the_grid_reads_every_field_train_has_an_option_for():
    grid = grids.parse_grid(
        [
            "lr=1e-3,2e-3",
            "hidden=256,512x256",
            "batch-size=64,full",
            "activation=relu,tanh",
            "early_stopping=2",
        ]
    )
    assert grid == [
        ("lr", (0.001, 0.002)),
        ("hidden", ((256,), (512, 256))),
        ("batch_size", (64, "full")),
        ("activation", ("relu", "tanh")),
        ("early_stopping", (2,)),
    ]
    points = grids.settings(grid)
    assert len(points) == 16 and points[1] == (
        ("lr", 0.001),
        ("hidden", (256,)),
        ("batch_size", 64),
        ("activation", "tanh"),
        ("early_stopping", 2),
    )
    assert grids.run_name(points[1], 3) == (
        "lr=0.001_hidden=256_batch-size=64_activation=tanh_early-stopping=2_seed=3"
    )
    assert grids.settings([]) == [()]


def test_the_grid_reads_the_engines_fields_so_an_ablation_is_a_sweep():
    grid = grids.parse_grid(
        [
            "conv=none,16x32",
            "batch-norm=true,False",
            "augment=none,affine",
            "weight-decay=0,1e-4",
            "schedule=constant",
            "cell=gru",
        ]
    )
    assert grid == [
        ("conv", ((), (16, 32))),
        ("batch_norm", (True, False)),
        ("augment", ("none", "affine")),
        ("weight_decay", (0.0, 1e-4)),
        ("schedule", ("constant",)),
        ("cell", ("gru",)),
    ]
    assert grids.run_name(grids.settings(grid)[0], 0) == (
        "conv=none_batch-norm=true_augment=none_weight-decay=0_schedule=constant_cell=gru_seed=0"
    )


def test_a_sweep_over_batch_norm_and_convolutions_trains_each_network(tmp_path, data):
    done = nnscratch(
        "sweep",
        "--grid",
        "conv=none,4",
        "--grid",
        "batch-norm=false,true",
        *SMALL,
        "--data",
        data,
        "--output",
        "out",
        "--workers",
        "1",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = read_table(tmp_path / "out")
    assert sorted((r["conv"], r["batch-norm"]) for r in rows) == [
        ("4", "false"),
        ("4", "true"),
        ("none", "false"),
        ("none", "true"),
    ]
    model = Sequential.load(tmp_path / "out" / "runs" / "conv=4_batch-norm=true_seed=0.npz")
    names = [type(layer).__name__ for layer in model.layers]
    assert "Conv2D" in names and "BatchNorm" in names
    plain = Sequential.load(tmp_path / "out" / "runs" / "conv=none_batch-norm=false_seed=0.npz")
    assert {type(layer).__name__ for layer in plain.layers}.isdisjoint({"Conv2D", "BatchNorm"})


@pytest.mark.parametrize(
    "args, message",
    [
        (("--grid", "lr"), "--grid 'lr' is not FIELD=VALUES; give one like --grid lr=1e-3,2e-3"),
        (
            ("--grid", "momentum=0.9"),
            "unknown --grid field 'momentum'; choose one of: lr, epochs, "
            "batch-size, hidden, activation, optimizer, dropout, dev-size, "
            "early-stopping, weight-decay, schedule, conv, batch-norm, "
            "augment, cell",
        ),
        (
            ("--grid", "batch-norm=true,maybe"),
            "--grid batch-norm takes true or false, like true,false; got 'true,maybe'",
        ),
        (("--grid", "augment=none,wobble"), "unknown --grid augment 'wobble'; choose one of: "),
        (("--grid", "lr=1e-3,x"), "--grid lr takes numbers, like 1e-3,2e-3; got '1e-3,x'"),
        (
            ("--grid", "hidden=256,"),
            "--grid hidden takes layer sizes joined by x, like 256,512x256; got '256,'",
        ),
        (("--grid", "lr=1e-3,0.001"), "--grid lr gives 0.001 more than once"),
        (
            ("--grid", "lr=1e-3", "--grid", "lr=2e-3"),
            "--grid lr is given twice; give all its values in one --grid, separated by commas",
        ),
        (("--grid", "lr=-1"), "--grid lr must be a positive number, got -1.0"),
        (
            ("--grid", "lr=1e-3", "--lr", "1e-3"),
            "--lr and --grid lr both set lr; give it in one of them",
        ),
        (("--seeds", "0"), "--seeds must be a positive whole number, got 0"),
        (("--workers", "0"), "--workers must be a positive whole number, got 0"),
        (
            ("--workers", "2", "--scheduler", "tcp://127.0.0.1:1"),
            "--workers is for local workers, --scheduler for a Dask cluster's; give one of them",
        ),
        (("--grid", "dev-size=100,5000"), "--grid dev-size 5000 holds out 5,000 dev images, but"),
        (
            ("--range", "lr=1e-4..1e-1"),
            "--range draws settings for a random search: give --random N, the number of "
            "settings to draw",
        ),
        (("--random", "0", "--range", "lr=1e-4..1e-1"), "--random must be a positive whole"),
        (("--random", "3"), "--random draws from --range (and --grid) values: give at least one"),
        (("--random", "3", "--range", "lr=1e-4"), "--range 'lr=1e-4' is not FIELD=LOW..HIGH; "),
        (
            ("--random", "3", "--range", "hidden=1..9"),
            "unknown --range field 'hidden'; choose one of: lr, weight-decay, dropout, epochs, "
            "batch-size, dev-size, early-stopping",
        ),
        (("--random", "3", "--range", "lr=1e-1..1e-4"), "--range lr 1e-1..1e-4: the low end"),
        (
            ("--random", "3", "--range", "weight-decay=0..1e-3"),
            "--range weight-decay 0..1e-3 is drawn log-uniformly, so its low end must be above 0",
        ),
        (("--random", "3", "--range", "epochs=1..2.5"), "--range epochs takes whole numbers"),
        (
            ("--random", "3", "--range", "lr=1e-4..1e-1", "--grid", "lr=1e-3"),
            "--grid lr and --range lr both sweep lr; give it in one of them",
        ),
        (
            ("--random", "3", "--range", "lr=1e-4..1e-1", "--lr", "1e-3"),
            "--lr and --range lr both set lr; give it in one of them",
        ),
        (
            ("--random", "3", "--range", "dropout=0.5..1.5"),
            "--range dropout must be",
        ),
    ],
)
def test_a_mistake_is_one_line_before_any_run(tmp_path, data, args, message):
    done = nnscratch("sweep", *args, "--data", data, "--output", "out", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"nnscratch: error: {message}")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "out" / "runs").exists()


def test_an_unreachable_scheduler_is_named(tmp_path, data):
    done = nnscratch(
        "sweep",
        "--grid",
        "lr=1e-3",
        *SMALL,
        "--data",
        data,
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--output",
        "out",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "nnscratch: error: --scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler there"
    )


# --- random search ------------------------------------------------------------------------------


def test_a_random_search_draws_seeded_settings_and_carries_on_like_a_grid(
    tmp_path, data, dask_cluster
):
    """Three settings drawn from ranges (and a grid's values): the same on local processes
    and on Dask, nothing redone when run again, and a larger --random keeps them and adds."""
    search = ("--range", "lr=1e-4..1e-1", "--range", "epochs=1..2", "--grid", "hidden=16,32")

    def sweep(count, *where):
        return nnscratch(
            "sweep",
            "--random",
            count,
            *search,
            "--dev-size",
            "200",
            "--data",
            data,
            *where,
            cwd=tmp_path,
        )

    local = sweep(3, "--output", "local", "--workers", "2")
    assert local.returncode == 0, local.stderr
    assert (
        "sweep: 3 settings drawn at random (seed 0) from hidden 16,32 and lr 0.0001..0.1 "
        "(log-uniform) and epochs 1..2, seed 0: 3 runs"
    ) in " ".join(local.stdout.split())
    rows = read_table(tmp_path / "local")
    assert len(rows) == 3
    assert_ranked(rows)
    for row in rows:
        assert 1e-4 <= float(row["lr"]) <= 1e-1 and row["epochs"] in ("1", "2")
        assert row["hidden"] in ("16", "32")
    on_dask = sweep(3, "--output", "dask", "--scheduler", dask_cluster.scheduler_address)
    assert on_dask.returncode == 0, on_dask.stderr
    assert without_times(read_table(tmp_path / "dask")) == without_times(rows)

    again = sweep(3, "--output", "local", "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert "; 3 already done in local" in " ".join(again.stdout.split())
    assert ": dev " not in again.stderr  # no run trained again
    more = sweep(4, "--output", "local", "--workers", "1")
    assert more.returncode == 0, more.stderr
    assert "; 3 already done in local" in " ".join(more.stdout.split())
    assert len([line for line in more.stderr.splitlines() if ": dev " in line]) == 1
    assert {r["lr"] for r in rows} < {r["lr"] for r in read_table(tmp_path / "local")}


def test_ranges_are_read_and_drawn_as_their_fields_need():
    ranges = grids.parse_ranges(["lr=1e-4..1e-1", "epochs=2..4", "dropout=0..0.5"])
    assert ranges == [("lr", (1e-4, 0.1)), ("epochs", (2, 4)), ("dropout", (0.0, 0.5))]
    drawn = grids.random_settings([], ranges, 600, seed=3)
    assert len(drawn) == 600
    assert drawn == grids.random_settings([], ranges, 600, seed=3)  # seeded
    assert drawn[:50] == grids.random_settings([], ranges, 50, seed=3)  # a prefix of more
    assert drawn != grids.random_settings([], ranges, 600, seed=4)
    lr = np.array([dict(s)["lr"] for s in drawn])
    assert lr.min() >= 1e-4 and lr.max() <= 0.1
    # log-uniform: each of the three decades gets about a third (200 each, expected)
    per_decade = np.histogram(np.log10(lr), bins=[-4, -3, -2, -1])[0]
    assert per_decade.min() > 150, per_decade
    assert all(len(f"{value:g}".lstrip("0.").replace(".", "")) <= 3 for value in lr)
    epochs = [dict(s)["epochs"] for s in drawn]
    assert set(epochs) == {2, 3, 4} and all(isinstance(e, int) for e in epochs)
    dropout = np.array([dict(s)["dropout"] for s in drawn])
    assert 0 <= dropout.min() and dropout.max() <= 0.5
    # uniform: each half of the range gets about half
    assert 250 < (dropout < 0.25).sum() < 350


def test_a_search_of_few_settings_draws_each_once():
    drawn = grids.random_settings([("hidden", ((16,), (32,)))], [("epochs", (1, 2))], 10, seed=0)
    assert sorted(drawn) == sorted(
        (("hidden", h), ("epochs", e)) for h in ((16,), (32,)) for e in (1, 2)
    )

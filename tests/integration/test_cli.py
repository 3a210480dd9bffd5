"""The ``nnscratch`` command, run as a user runs it: a subprocess, its output and its files.

Each run is tiny (a few thousand real MNIST images, one or two epochs), so the whole file
takes seconds. The learning gates on full MNIST are in tests/gates/test_learning.py.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import numpy as np
import pytest

from cli_runs import assert_user_error, last_json, nnscratch
from nnscratch import Sequential
from nnscratch.datasets import load_mnist, write_digits_csv, write_idx

TRAIN_SIZE, TEST_SIZE = 3000, 500
SUMMARY_KEYS = (
    "preset",
    "train_accuracy",
    "dev_accuracy",
    "test_accuracy",
    "train_seconds",
    "model_path",
)
# progress.py prints f"{label} {epoch:>4}: accuracy {acc:.4f}" plus "  (dev {dev:.4f})".
ACCURACY_LINE = re.compile(r"Iteration +(\d+): accuracy (\d\.\d{4})(?:  \(dev (\d\.\d{4})\))?")
HELP_OPTIONS = (
    "--preset",
    "--data",
    "--epochs",
    "--lr",
    "--batch-size",
    "--hidden",
    "--activation",
    "--optimizer",
    "--seed",
    "--out",
    "--quiet",
    "--json",
)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    """Small real-MNIST datasets on disk: an IDX folder (train + test) and CSV files."""
    root = tmp_path_factory.mktemp("data")
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    x, y = x[:TRAIN_SIZE], y[:TRAIN_SIZE]
    x_test, y_test = x_test[:TEST_SIZE], y_test[:TEST_SIZE]
    idx = root / "mini-mnist"
    idx.mkdir()
    write_idx(idx / "train-images-idx3-ubyte", x)
    write_idx(idx / "train-labels-idx1-ubyte", y)
    write_idx(idx / "t10k-images-idx3-ubyte.gz", x_test)
    write_idx(idx / "t10k-labels-idx1-ubyte.gz", y_test)
    csv = root / "digits.csv"
    write_digits_csv(csv, x[:1000], y[:1000])
    unlabelled = root / "kaggle-test.csv"
    write_digits_csv(unlabelled, x_test[:50])
    return {"idx": idx, "csv": csv, "unlabelled": unlabelled, "x_test": x_test, "y_test": y_test}


def model_arrays(path: Path) -> dict[str, np.ndarray]:
    """The parameter arrays of a model file (not its JSON document, which holds timings)."""
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files if name.startswith("layers.")}


# --- a successful run -------------------------------------------------------------------------


def test_train_json_summary_matches_the_model_file(data, tmp_path):
    result = nnscratch(
        "train",
        "--data",
        data["idx"],
        "--epochs",
        2,
        "--dev-size",
        300,
        "--out",
        "m.npz",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert set(SUMMARY_KEYS) <= set(summary)
    assert summary["preset"] == "mlp"
    assert isinstance(summary["model_path"], str)
    assert isinstance(summary["train_seconds"], float) and summary["train_seconds"] > 0
    for split in ("train", "dev", "test"):
        accuracy = summary[f"{split}_accuracy"]
        assert isinstance(accuracy, float) and 0 <= accuracy <= 1
        assert accuracy > 0.5, (split, accuracy)  # chance is 0.1

    path = tmp_path / summary["model_path"]
    assert path == tmp_path / "m.npz" and path.is_file()
    model = Sequential.load(path)
    predicted = model.predict(data["x_test"])
    own_accuracy = np.count_nonzero(predicted == data["y_test"]) / len(data["y_test"])
    assert own_accuracy == summary["test_accuracy"]

    meta = model.metadata
    assert meta["preset"] == "mlp"
    assert meta["seed"] == summary["seed"]
    assert meta["data"]["dev_size"] == 300
    assert meta["data"]["train_size"] == TRAIN_SIZE - 300
    for key in ("train_accuracy", "dev_accuracy", "test_accuracy"):
        assert meta["metrics"][key] == summary[key]
    history = meta["history"]
    assert history["epoch"] == [1, 2]
    assert len(history["train_loss"]) == len(history["dev_accuracy"]) == 2
    assert history["dev_accuracy"][-1] == summary["dev_accuracy"]


def train_one_small_epoch(data_path, cwd, *options, dev_size=200, hidden=32, script=False):
    """``nnscratch train`` for one epoch of a small network into m.npz, with ``options`` (last:
    they win over these); ``script``: through the console script."""
    return nnscratch(
        "train",
        "--data",
        data_path,
        "--epochs",
        1,
        "--dev-size",
        dev_size,
        "--hidden",
        hidden,
        "--out",
        "m.npz",
        *options,
        cwd=cwd,
        script=script,
    )


def test_json_without_quiet_keeps_stdout_for_the_json_line(data, tmp_path):
    result = train_one_small_epoch(data["csv"], tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    last_json(result.stdout)
    # The human output is still shown, on stderr.
    assert "run summary" in result.stderr and "data:" in result.stderr


def test_quiet_json_prints_only_the_json_line(data, tmp_path):
    result = train_one_small_epoch(data["idx"], tmp_path, "--quiet", "--json", dev_size=300)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert last_json(result.stdout)["epochs"] == 1
    assert result.stderr == ""


def test_human_output_shows_the_closing_table(data, tmp_path):
    result = train_one_small_epoch(data["csv"], tmp_path)
    assert result.returncode == 0, result.stderr
    model = Sequential.load(tmp_path / "m.npz")
    table = result.stdout
    assert "run summary" in table
    assert f"{model.metadata['metrics']['dev_accuracy']:.4f}" in table
    test_row = next(line for line in table.splitlines() if "test accuracy" in line)
    assert "-" in test_row and "0." not in test_row  # a CSV has no test set
    assert "m.npz" in table
    assert not table.lstrip().startswith("{")  # no JSON without --json


def test_csv_without_a_test_set_gives_null_test_accuracy(data, tmp_path):
    result = nnscratch(
        "train",
        "--data",
        data["csv"],
        "--epochs",
        2,
        "--dev-size",
        200,
        "--out",
        "m.npz",
        "--quiet",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert summary["test_accuracy"] is None and summary["test_loss"] is None
    assert isinstance(summary["dev_accuracy"], float) and summary["dev_accuracy"] > 0.5
    assert Sequential.load(tmp_path / "m.npz").metadata["metrics"]["test_accuracy"] is None


@pytest.mark.parametrize("json_flag", [True, False], ids=["json", "human"])
def test_classic_prints_the_tutorial_accuracy_line_every_10_iterations(data, tmp_path, json_flag):
    result = nnscratch(
        "train",
        "--preset",
        "classic",
        "--data",
        data["idx"],
        "--epochs",
        30,
        "--dev-size",
        300,
        "--out",
        "c.npz",
        *(["--json"] if json_flag else []),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    # The accuracy lines are progress: they go to stderr, never into stdout.
    assert not ACCURACY_LINE.search(result.stdout)
    matches = [ACCURACY_LINE.fullmatch(line.strip()) for line in result.stderr.splitlines()]
    matches = [m for m in matches if m]
    assert [int(m.group(1)) for m in matches] == [10, 20, 30]

    history = Sequential.load(tmp_path / "c.npz").metadata["history"]
    assert len(history["epoch"]) == 30
    for m in matches:
        i = int(m.group(1)) - 1
        assert m.group(2) == f"{history['train_accuracy'][i]:.4f}"
        assert m.group(3) == f"{history['dev_accuracy'][i]:.4f}"
    if json_flag:
        summary = last_json(result.stdout)
        assert summary["preset"] == "classic" and summary["epochs"] == 30
    else:
        assert "run summary" in result.stdout and "iterations" in result.stdout


# --- options reach the model ------------------------------------------------------------------


def test_the_run_is_described_as_it_runs_with_its_overrides(data, tmp_path):
    result = nnscratch(
        "train",
        "--data",
        data["csv"],
        "--hidden",
        256,
        "--epochs",
        2,
        "--dropout",
        0.2,
        "--dev-size",
        200,
        "--out",
        "m.npz",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stdout.split("data:")[0].split())
    expected = (
        "784-256-10 ReLU network, dropout 0.2 after each hidden layer; Adam (lr 2e-3, "
        "warm-up then cosine decay), batch 128, 2 epochs, 200 dev images."
    )
    assert said == f"mlp: {expected}"
    assert Sequential.load(tmp_path / "m.npz").metadata["recipe"]["summary"] == expected


def test_overrides_reach_the_model_file(data, tmp_path):
    result = nnscratch(
        "train",
        "--data",
        data["csv"],
        "--epochs",
        1,
        "--dev-size",
        200,
        "--hidden",
        "32,16",
        "--activation",
        "tanh",
        "--optimizer",
        "sgd",
        "--lr",
        0.05,
        "--batch-size",
        64,
        "--out",
        "m.npz",
        "--quiet",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    model = Sequential.load(tmp_path / "m.npz")
    layers = model.config()["layers"]
    assert [layer["type"] for layer in layers] == [
        "Flatten",
        "Dense",
        "Tanh",
        "Dense",
        "Tanh",
        "Dense",
    ]
    dense = [layer["config"] for layer in layers if layer["type"] == "Dense"]
    assert [(d["in_features"], d["out_features"]) for d in dense] == [(784, 32), (32, 16), (16, 10)]
    recipe = model.metadata["recipe"]
    assert recipe["hidden"] == [32, 16]
    assert recipe["activation"] == "tanh"
    assert recipe["optimizer"] == "sgd"
    assert recipe["lr"] == 0.05
    assert recipe["batch_size"] == 64
    assert model.metadata["optimizer"]["name"] == "sgd"
    assert model.metadata["optimizer"]["lr"] == 0.05


def test_batch_size_full_trains_full_batch(data, tmp_path):
    result = nnscratch(
        "train",
        "--data",
        data["csv"],
        "--epochs",
        3,
        "--dev-size",
        200,
        "--hidden",
        16,
        "--batch-size",
        "full",
        "--out",
        "m.npz",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    model = Sequential.load(tmp_path / "m.npz")
    assert model.metadata["recipe"]["batch_size"] is None
    assert model.metadata["history"]["epoch"] == [1, 2, 3]
    # One step per epoch: the bar counts 3 steps in all, and the table speaks of iterations.
    assert "3/3" in result.stderr
    assert "iterations" in result.stdout


def test_same_seed_same_model_other_seed_other_model(data, tmp_path):
    paths = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        result = nnscratch(
            "train",
            "--data",
            data["csv"],
            "--epochs",
            1,
            "--dev-size",
            200,
            "--hidden",
            32,
            "--dropout",
            0.2,
            "--seed",
            seed,
            "--out",
            f"{name}.npz",
            "--quiet",
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        paths[name] = tmp_path / f"{name}.npz"
    a, b, c = (model_arrays(paths[name]) for name in "abc")
    assert a.keys() == b.keys() == c.keys() and a
    for name in a:
        assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape
        assert a[name].tobytes() == b[name].tobytes(), name
    assert any(a[name].tobytes() != c[name].tobytes() for name in a)
    assert Sequential.load(paths["c"]).metadata["seed"] == 8


# --- user mistakes ----------------------------------------------------------------------------


def _bad_csv(folder: Path) -> tuple[Path, int, int]:
    """A labelled CSV with pixel value 300 at a known place; returns (path, line, column)."""
    x, y = load_mnist("train")
    path = folder / "bad.csv"
    write_digits_csv(path, x[:120], y[:120])
    lines = path.read_text().splitlines()
    row, pixel = 37, 100
    line, column = row + 2, pixel + 2  # 1-based: the header is line 1, the label column 1
    fields = lines[line - 1].split(",")
    fields[column - 1] = "300"
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    return path, line, column


MISTAKES = {
    "missing-data": (["--data", "no-such-folder"], ["no-such-folder"]),
    "preset": (["--preset", "nonsense"], ["nonsense"]),
    "hidden": (["--hidden", "abc"], ["--hidden", "abc"]),
    "batch-size-0": (["--batch-size", "0"], ["--batch-size"]),
    "batch-size-text": (["--batch-size", "many"], ["--batch-size", "many"]),
    "lr-negative": (["--lr", "-1"], ["--lr"]),
    "epochs-0": (["--epochs", "0"], ["--epochs"]),
    "epochs-text": (["--epochs", "x"], ["--epochs"]),
    "unknown-option": (["--nope"], ["--nope"]),
    "out-missing-folder": (["--out", "no/such/folder/m.npz"], ["--out", "no/such/folder"]),
    "out-is-a-folder": (["--out", "."], ["--out", "folder"]),
    "seed-negative": (["--seed", "-1"], ["--seed"]),
    "activation": (["--activation", "swish"], ["swish"]),
    "optimizer": (["--optimizer", "rmsprop"], ["rmsprop"]),
    "dropout": (["--dropout", "1.5"], ["--dropout"]),
    "dev-size": (
        ["--dev-size", "5000"],
        ["--dev-size 5000", "5,000", "1,000 training images", "pass a smaller --dev-size"],
    ),
    "dev-size-negative": (["--dev-size", "-5"], ["--dev-size", "-5"]),
    "lr-nan": (["--lr", "nan"], ["--lr must be a positive number, got nan"]),
    "lr-inf": (["--lr", "inf"], ["--lr must be a positive number, got inf"]),
    "lr-zero": (["--lr", "0"], ["--lr must be a positive number, got 0"]),
    "early-stopping-0": (["--early-stopping", "0"], ["--early-stopping", "got 0"]),
    "early-stopping-negative": (["--early-stopping", "-2"], ["--early-stopping", "got -2"]),
    "early-stopping-without-a-dev-set": (
        ["--dev-size", "0", "--early-stopping", "2"],
        ["--early-stopping", "--dev-size is 0"],
    ),
    "checkpoint-every-0": (["--checkpoint-every", "0"], ["--checkpoint-every"]),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_user_mistakes_exit_2_with_one_line(data, tmp_path, mistake):
    args, names = MISTAKES[mistake]
    # Sound defaults first; the mistake comes last, so it wins over them.
    result = train_one_small_epoch(data["csv"], tmp_path, *args, hidden=16)
    message = assert_user_error(result, *names)
    assert result.stdout == ""  # refused before anything is said or drawn
    # The CLI's own terms: options with --, never the library's field names.
    assert not re.search(
        r"(?<![-\w])(dev_size|early_stopping|batch_size|checkpoint_every|lr)\b", message
    ), message
    assert "validation data" not in message
    assert not list(tmp_path.rglob("*.npz")) and not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    "option, values, wording",
    [
        ("--lr", ["nan", "inf", "-1", "0"], "--lr must be a positive number, got "),
        ("--epochs", ["0", "-3"], "--epochs must be a positive whole number, got "),
        ("--early-stopping", ["0", "-2"], "--early-stopping must be a positive whole number, got "),
        ("--batch-size", ["0", "-3"], "--batch-size must be a positive whole number, got "),
        (
            "--checkpoint-every",
            ["0", "-1"],
            "--checkpoint-every must be a positive whole number, got ",
        ),
    ],
)
def test_one_kind_of_mistake_has_one_wording(tmp_path, option, values, wording):
    for value in values:
        message = assert_user_error(nnscratch("train", option, value, cwd=tmp_path))
        assert message.startswith(wording), message
    assert list(tmp_path.iterdir()) == []


def test_a_presets_dev_set_larger_than_the_data_says_to_pass_dev_size(data, tmp_path):
    # 3,000 training images, and the mlp preset holds out 5,000.
    result = nnscratch("train", "--data", data["idx"], "--epochs", 1, cwd=tmp_path)
    message = assert_user_error(
        result,
        "--dev-size 5000 (the mlp preset's)",
        "3,000 training",
        "pass a smaller --dev-size, like --dev-size 300",
    )
    assert "dev_size" not in message
    assert result.stdout == ""
    hinted = nnscratch(
        "train",
        "--data",
        data["idx"],
        "--epochs",
        1,
        "--hidden",
        16,
        "--dev-size",
        300,
        "--out",
        "m.npz",
        "--quiet",
        cwd=tmp_path,
    )
    assert hinted.returncode == 0, hinted.stderr  # the hint works


def test_malformed_csv_names_line_and_column(tmp_path):
    path, line, column = _bad_csv(tmp_path)
    result = nnscratch("train", "--data", path, "--epochs", 1, "--out", "m.npz", cwd=tmp_path)
    message = assert_user_error(result, "bad.csv", "300")
    assert re.search(rf"\bline {line}\b", message), message
    assert re.search(rf"\bcolumn {column}\b", message), message
    assert not (tmp_path / "m.npz").exists()


def test_csv_without_labels_is_refused(data, tmp_path):
    result = nnscratch(
        "train", "--data", data["unlabelled"], "--epochs", 1, "--out", "m.npz", cwd=tmp_path
    )
    assert_user_error(result, "kaggle-test.csv", "label")
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--preset", "mlp", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "2"],
        ["--preset", "classic", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "5", "--quiet"],
    ],
    ids=["mlp", "classic-quiet"],
)
def test_divergence_exits_2_and_keeps_the_old_model_file(data, tmp_path, args):
    old = tmp_path / "m.npz"
    old.write_bytes(b"the model of yesterday\n")
    before = old.read_bytes()
    result = nnscratch(
        "train", "--data", data["idx"], "--dev-size", 300, "--out", "m.npz", *args, cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Warning" not in result.stderr  # no NumPy overflow noise around the message
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("nnscratch: error:")]
    assert errors == [lines[-1]]  # one error line, the last thing said
    assert "diverged" in errors[0] and "lower learning rate" in errors[0]
    if "--quiet" in args:
        assert len(lines) == 1 and result.stdout == ""
    assert old.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temporary file left


def test_divergence_on_a_terminal_ends_the_progress_bar(data, tmp_path):
    """On a terminal the bar is live (cursor hidden); a failed run must still end it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nnscratch",
            "train",
            "--preset",
            "classic",
            "--data",
            str(data["idx"]),
            "--dev-size",
            "300",
            "--optimizer",
            "sgd",
            "--lr",
            "1e30",
            "--epochs",
            "50",
            "--out",
            "m.npz",
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=600) == 2
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "diverged" in screen and "Traceback" not in screen
    hide, show = "\x1b[?25l", "\x1b[?25h"
    assert hide in screen  # the bar was live ...
    assert screen.rfind(show) > screen.rfind(hide)  # ... and the cursor is back
    assert not (tmp_path / "m.npz").exists()


# --- help and entry points --------------------------------------------------------------------


def test_help(tmp_path):
    top = nnscratch("--help", cwd=tmp_path)
    assert top.returncode == 0, top.stderr
    assert "train" in top.stdout and "Usage" in top.stdout
    sub = nnscratch("train", "--help", cwd=tmp_path)
    assert sub.returncode == 0, sub.stderr
    for option in HELP_OPTIONS:
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", sub.stdout), option
    assert "PRESET.npz" in sub.stdout  # --out's default is shown, not eaten as markup


@pytest.mark.parametrize(
    "command",
    [[], ["train"], ["evaluate"], ["predict"], ["info"], ["show"], ["report"]],
    ids=lambda c: c[0] if c else "top",
)
def test_help_names_a_value_only_where_one_is_taken(tmp_path, command):
    """At 80 columns and through a pipe, as a user reads it: flags take no value, and
    arguments are named, not typed."""
    result = subprocess.run(
        [sys.executable, "-m", "nnscratch", *command, "--help"],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    for bad in ("<bool>", "list[Path]", "<list"):
        assert bad not in result.stdout, (bad, result.stdout)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    flags = [
        line
        for line in result.stdout.splitlines()
        if re.search(r"--(help|quiet|json|stratify|force)\b", line)
    ]
    assert flags and all("<" not in line for line in flags)
    if command == ["predict"]:
        assert re.search(r"--output\s+-o\b", result.stdout)  # -o, as show and report have
        assert "INPUTS" in result.stdout and "MODEL" in result.stdout


def test_bare_command_shows_help_without_an_empty_error(tmp_path):
    result = nnscratch(cwd=tmp_path)
    assert "Usage" in result.stdout and "train" in result.stdout
    assert "nnscratch: error:" not in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script(data, tmp_path):
    script = Path(sys.executable).parent / "nnscratch"
    assert script.is_file()
    result = train_one_small_epoch(
        data["csv"], tmp_path, "--quiet", "--json", hidden=16, script=True
    )
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert summary["model_path"] == "m.npz" and (tmp_path / "m.npz").is_file()
    mistake = nnscratch("train", "--hidden", "abc", cwd=tmp_path, script=True)
    assert_user_error(mistake, "--hidden")

"""``nnscratch show``, ``nnscratch report`` and ``train --report``, run as a user runs them."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from cli_runs import assert_user_error, last_json, nnscratch
from mini_mnist import write_mnist_folder
from nnscratch import Sequential
from nnscratch.datasets import load_mnist
from nnscratch.plots.report import SECTIONS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHOWN = re.compile(
    r"(test|train) image (\d+) of (.+): predicted (\d) \((>?\d+\.\d)%\), "
    r"label (\d) \((right|wrong)\)"
)


@pytest.fixture(autouse=True)
def no_display(monkeypatch):
    """No window may open in a test: without a display, show only writes its PNG."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small model trained by the CLI on a small IDX folder (2,000 + 500 real MNIST images)."""
    root = tmp_path_factory.mktemp("views")
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    folder = write_mnist_folder(root / "mini", 2000, 500)
    result = nnscratch(
        "train",
        "--data",
        folder,
        "--hidden",
        24,
        "--epochs",
        2,
        "--dev-size",
        300,
        "--out",
        "m.npz",
        "--quiet",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return {
        "root": root,
        "model": root / "m.npz",
        "folder": folder,
        "x": x[:2000],
        "y": y[:2000],
        "x_test": x_test[:500],
        "y_test": y_test[:500],
    }


def read_png(path):
    import matplotlib.image

    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    return matplotlib.image.imread(io.BytesIO(data), format="png")


def test_show_draws_a_test_image_by_default(trained, tmp_path):
    result = nnscratch("show", trained["model"], 7, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    match = SHOWN.search(result.stdout)
    assert match, result.stdout
    model = Sequential.load(trained["model"])
    probabilities = model.predict_proba(trained["x_test"][7:8])[0]
    split, index, source, predicted, percent, label, verdict = match.groups()
    assert (split, int(index), source) == ("test", 7, str(trained["folder"].resolve()))
    assert int(predicted) == int(np.argmax(probabilities))
    if percent.startswith(">"):  # ">99.9%": sure, but not certain
        assert 0.999 < probabilities.max() < 1
    else:
        assert float(percent) == pytest.approx(100 * probabilities.max(), abs=0.051)
    assert int(label) == trained["y_test"][7]
    assert verdict == ("right" if int(predicted) == int(label) else "wrong")
    assert "wrote digit-test-7.png" in result.stdout
    pixels = read_png(tmp_path / "digit-test-7.png")
    assert pixels.shape[0] >= 250 and pixels.shape[1] >= 600


def test_show_takes_a_training_image_and_an_output_path(trained, tmp_path):
    result = nnscratch(
        "show", trained["model"], 1234, "--split", "train", "--output", "one.png", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    match = SHOWN.search(result.stdout)
    assert match.group(1) == "train" and int(match.group(6)) == trained["y"][1234]
    assert (
        int(match.group(4)) == Sequential.load(trained["model"]).predict(trained["x"][1234:1235])[0]
    )
    read_png(tmp_path / "one.png")
    assert not (tmp_path / "digit-train-1234.png").exists()


@pytest.mark.parametrize(
    "args, names",
    [
        (("500",), ("INDEX 500", "0-499")),
        (("--", "-1"), ("INDEX -1",)),
        (("3", "--split", "dev"), ("--split", "dev")),
    ],
    ids=["past-the-end", "negative", "bad-split"],
)
def test_show_refuses_a_bad_index_or_split(trained, tmp_path, args, names):
    result = nnscratch("show", trained["model"], *args, cwd=tmp_path)
    assert_user_error(result, *names)
    assert list(tmp_path.iterdir()) == []


def test_a_negative_index_gets_one_message_however_it_is_written(trained, tmp_path):
    # Click reads a bare -1 as an option; show says the same as for `-- -1`.
    bare = assert_user_error(nnscratch("show", trained["model"], "-1", cwd=tmp_path))
    escaped = assert_user_error(nnscratch("show", trained["model"], "--", "-1", cwd=tmp_path))
    assert bare == escaped == "INDEX -1 is negative; images are numbered from 0"
    assert list(tmp_path.iterdir()) == []


def test_a_window_asked_for_without_a_display_is_refused_before_any_work(trained, tmp_path):
    message = assert_user_error(
        nnscratch("show", trained["model"], 3, "--window", cwd=tmp_path), "--window", "no display"
    )
    assert "DISPLAY" in message
    assert list(tmp_path.iterdir()) == []
    result = nnscratch("show", trained["model"], 3, cwd=tmp_path)  # no display: no window
    assert result.returncode == 0 and result.stderr == ""


def test_a_window_that_cannot_open_says_why_and_the_png_is_written(trained, tmp_path, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":987")  # a display no server answers
    result = nnscratch("show", trained["model"], 3, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [note] = result.stderr.splitlines()
    assert note.startswith("nnscratch: no window opened: ")
    read_png(tmp_path / "digit-test-3.png")


def test_show_and_report_refuse_a_missing_model_or_folder(trained, tmp_path):
    assert_user_error(nnscratch("show", "nope.npz", 0, cwd=tmp_path), "nope.npz")
    assert_user_error(nnscratch("report", "nope.npz", cwd=tmp_path), "nope.npz")
    assert_user_error(
        nnscratch("report", trained["model"], "-o", "no/r.html", cwd=tmp_path),
        "--output",
        "no/r.html",
        "does not exist",
    )
    assert_user_error(
        nnscratch("show", trained["model"], 0, "-o", "no/d.png", cwd=tmp_path),
        "--output",
        "no/d.png",
        "does not exist",
    )
    assert list(tmp_path.iterdir()) == []


def test_report_writes_one_self_contained_page(trained, tmp_path):
    result = nnscratch("report", trained["model"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wrote report.html"
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for key, heading in SECTIONS:
        assert f'<section id="{key}">\n<h2>{heading}</h2>' in text.replace("&#x27;", "'")
    assert text.count('<img src="data:image/png;base64,') == 9
    assert "<script" not in text and "<link" not in text and "https://" not in text


def test_report_output_and_data_options(trained, tmp_path):
    result = nnscratch(
        "report", trained["model"], "--output", "r.html", "--data", "mnist", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "the test set of bundled MNIST (10,000 images)" in text
    assert "NO: the data has changed since training" in text  # trained on the mini folder


def train_with_report(folder, cwd, *report_options):
    """``nnscratch train --quiet`` of one small epoch into t.npz, ``--report`` followed by
    ``report_options``."""
    return nnscratch(
        "train",
        "--data",
        folder,
        "--hidden",
        16,
        "--epochs",
        1,
        "--dev-size",
        300,
        "--out",
        "t.npz",
        "--quiet",
        "--report",
        *report_options,
        cwd=cwd,
    )


def test_train_report_writes_the_page_beside_the_model(trained, tmp_path):
    result = train_with_report(trained["folder"], tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert summary["report_path"] == "t.html"
    text = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert f"{summary['test_accuracy']:.4f}</span> accuracy" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.html", "t.npz"]


def test_train_report_to_a_path_and_to_a_missing_folder(trained, tmp_path):
    result = train_with_report(trained["folder"], tmp_path, "run.html")
    assert result.returncode == 0, result.stderr
    assert "<!DOCTYPE html>" in (tmp_path / "run.html").read_text(encoding="utf-8")
    result = nnscratch(
        "train",
        "--data",
        trained["folder"],
        "--out",
        "u.npz",
        "--report",
        "no/such/r.html",
        cwd=tmp_path,
    )
    assert_user_error(result, "--report", "no/such")
    assert not (tmp_path / "u.npz").exists()  # refused before training, not after


def test_help_lists_the_new_commands(tmp_path):
    result = nnscratch("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("show", "report"):
        assert re.search(rf"^\W*{command}\s", result.stdout, re.MULTILINE), result.stdout
    result = nnscratch("train", "--help", cwd=tmp_path)
    assert "--report" in result.stdout


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", "--report"], ["train", "--report="]),
        (["train", "--report", "-q"], ["train", "--report=", "-q"]),
        (["train", "--report", "r.html", "-q"], ["train", "--report", "r.html", "-q"]),
        (["train", "--report=r.html"], ["train", "--report=r.html"]),
        (["report", "m.npz", "--output", "--report"], ["report", "m.npz", "--output", "--report"]),
    ],
    ids=["last", "before-an-option", "with-a-path", "with-equals", "not-train"],
)
def test_a_bare_report_flag_gets_the_empty_value(argv, expected):
    from nnscratch.cli.app import _bare_report_flag

    assert _bare_report_flag(argv) == expected

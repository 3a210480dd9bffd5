"""``nnscratch evaluate`` as a user runs it: every figure against the model's own predictions,
and the data it ran on stated exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_runs import assert_user_error, nnscratch
from mini_mnist import write_mnist_folder
from nnscratch import Sequential
from nnscratch.datasets import load_mnist, write_digits_csv, write_idx
from nnscratch.engine.metrics import classification_report
from nnscratch.usecases.evaluate import evaluate_file


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    """A model trained by `nnscratch train` on a CSV of 2,000 images; an IDX folder of 300 test
    images; a folder of 14x14 images the model cannot take."""
    root = tmp_path_factory.mktemp("evaluate")
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    write_digits_csv(root / "train.csv", x[:2000], y[:2000])
    write_digits_csv(root / "unlabelled.csv", x_test[:10])
    result = nnscratch(
        "train",
        "--data",
        root / "train.csv",
        "--epochs",
        2,
        "--dev-size",
        200,
        "--hidden",
        32,
        "--out",
        root / "model.npz",
        "--quiet",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    idx = write_mnist_folder(root / "mini", 100, 300)
    small = root / "small"
    small.mkdir()
    write_idx(small / "train-images-idx3-ubyte", x[:50, ::2, ::2].copy())
    write_idx(small / "train-labels-idx1-ubyte", y[:50])
    return {
        "root": root,
        "model": root / "model.npz",
        "idx": idx,
        "small": small,
        "x_test": x_test[:300],
        "y_test": y_test[:300],
    }


def evaluate_json(setup, *args) -> dict:
    result = nnscratch("evaluate", setup["model"], *args, "--json", cwd=setup["root"])
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    return json.loads(result.stdout)


def test_every_figure_matches_the_models_own_predictions(setup):
    report = evaluate_json(setup, "--data", setup["idx"])
    assert report["data"]["source"] == str(setup["idx"].resolve())
    assert report["data"]["split"] == "test" and report["data"]["count"] == 300
    assert report["seen_in_training"] is False
    model = Sequential.load(setup["model"])
    predicted = model.predict(setup["x_test"])
    expected = classification_report(predicted, setup["y_test"].astype(int), 10)
    for key in ("count", "accuracy", "per_class", "macro_avg", "weighted_avg", "confusion_matrix"):
        assert report[key] == expected[key], key
    assert report["accuracy"] == np.mean(predicted == setup["y_test"])
    assert report["loss"] == pytest.approx(model.evaluate(setup["x_test"], setup["y_test"])["loss"])
    confusion = np.array(report["confusion_matrix"])
    assert confusion.sum() == 300
    assert confusion.sum(axis=1).tolist() == np.bincount(setup["y_test"], minlength=10).tolist()


def test_default_is_the_bundled_mnist_test_set(setup):
    report = evaluate_json(setup)
    assert report["data"]["source"] == "bundled MNIST"
    assert report["data"]["split"] == "test" and report["data"]["count"] == 10000
    assert report["accuracy"] > 0.5  # chance is 0.1
    assert report == evaluate_file(setup["model"]) | {"model": str(setup["model"])}


def test_the_training_csv_is_flagged_as_seen_in_training(setup):
    report = evaluate_json(setup, "--data", setup["root"] / "train.csv")
    assert report["data"]["split"] == "all" and report["data"]["count"] == 2000
    assert report["seen_in_training"] is True
    human = nnscratch("evaluate", setup["model"], "--data", "train.csv", cwd=setup["root"])
    assert human.returncode == 0, human.stderr
    assert "trained on this data" in human.stdout


def test_train_split_of_an_idx_folder(setup):
    report = evaluate_json(setup, "--data", setup["idx"], "--split", "train")
    assert report["data"]["split"] == "train" and report["data"]["count"] == 100
    assert report["seen_in_training"] is False  # another dataset than the model's


def test_tables_state_the_data_and_show_every_figure(setup):
    result = nnscratch("evaluate", setup["model"], "--data", setup["idx"], cwd=setup["root"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    report = evaluate_file(setup["model"], setup["idx"])
    assert f"{setup['idx'].resolve()}, test split, 300 images" in out
    assert f"loss {report['loss']:.4f}" in out and f"accuracy {report['accuracy']:.4f}" in out
    per_class, confusion = out.split("confusion matrix")
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [c.strip() for c in line.split("│")[1:-1]]
            for line in per_class.splitlines()
            if line.startswith("│")
        )
    }
    for row in report["per_class"]:
        assert rows[str(row["label"])][:4] == [
            f"{row['precision']:.4f}",
            f"{row['recall']:.4f}",
            f"{row['f1']:.4f}",
            str(row["support"]),
        ]
    assert rows["macro avg"][0] == f"{report['macro_avg']['precision']:.4f}"
    assert rows["weighted avg"][2] == f"{report['weighted_avg']['f1']:.4f}"
    shown = [
        [int(c) for c in line.split("│")[1:-1]]
        for line in confusion.splitlines()
        if line.startswith("│")
    ]
    assert shown == [[c, *row] for c, row in enumerate(report["confusion_matrix"])]


def test_a_model_that_does_not_take_the_images_is_refused(setup):
    result = nnscratch("evaluate", setup["model"], "--data", setup["small"], cwd=setup["root"])
    assert_user_error(result, "model.npz", "takes 28x28 images", "14x14")


@pytest.mark.parametrize(
    "args, names",
    [
        (["--data", "train.csv", "--split", "test"], ["train.csv", "no test set"]),
        (["--split", "dev"], ["--split", "dev"]),
        (["--data", "nowhere"], ["nowhere"]),
        (["--data", "unlabelled.csv"], ["unlabelled.csv", "no label column", "evaluated"]),
    ],
)
def test_user_mistakes(setup, args, names):
    assert_user_error(nnscratch("evaluate", setup["model"], *args, cwd=setup["root"]), *names)


def test_a_folder_given_as_the_model_is_called_a_folder(setup):
    # `evaluate mini/` where `evaluate MODEL --data mini/` was meant: not "no such model file".
    message = assert_user_error(nnscratch("evaluate", setup["idx"], cwd=setup["root"]))
    assert (
        message == f"{setup['idx']} is a folder, not a model file (a .npz written by "
        f"nnscratch train)"
    )


def test_a_copy_of_mnist_in_a_folder_is_known_as_the_training_data(tmp_path):
    """A model trained on the bundled MNIST, evaluated on MNIST copied into an IDX folder."""
    from nnscratch import Dense, Flatten
    from nnscratch.datasets import load_source
    from nnscratch.usecases.evaluate import evaluate, load_labelled

    model = Sequential([Flatten(), Dense(784, 10)], input_scale=1 / 255, seed=0)
    model.metadata = {
        "data": {"name": "mnist", "source": "bundled MNIST", "sha256": load_source("mnist").sha256}
    }
    folder = write_mnist_folder(tmp_path / "copy", 60000, 10000)
    assert evaluate(model, load_labelled(folder, "train"))["seen_in_training"] is True
    assert evaluate(model, load_labelled(folder, "test"))["seen_in_training"] is False

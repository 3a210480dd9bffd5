"""``nnscratch predict`` as a user runs it: pictures, IDX and CSV files in, a table, JSON or a
Kaggle submission out; bad inputs end with one line and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_runs import assert_user_error, nnscratch
from nnscratch import Dense, Flatten, ReLU, Sequential
from nnscratch.datasets import load_mnist, write_digits_csv, write_idx
from nnscratch.usecases.predict import predict_files, write_submission

PICTURES = 30  # test images drawn as pictures in each variant


def train_small_model(path: Path) -> Sequential:
    """A 784-64-10 network trained briefly on 10,000 real MNIST images (about 92 % on test)."""
    x, y = load_mnist("train")
    model = Sequential(
        [Flatten(), Dense(784, 64), ReLU(), Dense(64, 10)], input_scale=1 / 255, seed=0
    )
    model.fit(x[:10000], y[:10000], epochs=2, batch_size=128, optimizer="adam")
    model.save(path, preprocessing={"scale": 1 / 255, "image_shape": [28, 28]})
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("predict")
    model = train_small_model(root / "model.npz")
    x, _ = load_mnist("test")
    pictures = {"light-on-black": [], "dark-on-white": [], "off-centre": [], "larger": []}
    for i, image in enumerate(x[:PICTURES]):
        variants = {
            "light-on-black": image,
            "dark-on-white": 255 - image,
            # a 90x140 sheet of white paper, the digit in its top right corner
            "off-centre": np.pad(255 - image, ((5, 107), (62, 0)), constant_values=255),
            # every pixel drawn as a 4x4 block: a 112x112 picture
            "larger": np.kron(255 - image, np.ones((4, 4), np.uint8)),
        }
        for name, picture in variants.items():
            path = root / f"{name}-{i:02d}.png"
            Image.fromarray(picture).save(path)
            pictures[name].append(path)
    write_digits_csv(root / "test.csv", x[:120])
    write_idx(root / "t10k-images-idx3-ubyte.gz", x[:40])
    # The command's labels are compared with these exactly, though its batches differ from
    # this one: no image here has its two largest logits within 5e-3 of each other, a
    # thousand times the few-ulp disagreement of float32 logits between batches.
    return {
        "root": root,
        "model": root / "model.npz",
        "expected": model.predict(x[:120]),
        "pictures": pictures,
        "x": x[:120],
    }


def predict_json(files, *inputs, cwd) -> dict:
    result = nnscratch("predict", files["model"], *inputs, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("variant", ["light-on-black", "dark-on-white", "off-centre", "larger"])
def test_pictures_of_mnist_digits_get_the_labels_of_the_arrays(files, tmp_path, variant):
    report = predict_json(files, *files["pictures"][variant], cwd=tmp_path)
    labels = [row["label"] for row in report["predictions"]]
    assert labels == files["expected"][:PICTURES].tolist()
    assert [row["source"] for row in report["predictions"]] == [
        {"file": str(path)} for path in files["pictures"][variant]
    ]


def test_json_has_source_label_and_ten_probabilities_in_input_order(files, tmp_path):
    root = files["root"]
    report = predict_json(
        files,
        root / "t10k-images-idx3-ubyte.gz",
        root / "test.csv",
        files["pictures"]["dark-on-white"][0],
        cwd=tmp_path,
    )
    rows = report["predictions"]
    assert report["count"] == len(rows) == 40 + 120 + 1
    assert rows[0]["source"] == {"file": str(root / "t10k-images-idx3-ubyte.gz"), "index": 0}
    assert rows[39]["source"]["index"] == 39
    assert rows[40]["source"] == {"file": str(root / "test.csv"), "row": 1}
    assert rows[159]["source"] == {"file": str(root / "test.csv"), "row": 120}
    assert rows[160]["source"] == {"file": str(files["pictures"]["dark-on-white"][0])}
    expected = files["expected"]
    assert [r["label"] for r in rows] == [*expected[:40], *expected, expected[0]]
    model = Sequential.load(files["model"])
    probabilities = model.predict_proba(files["x"][:40])
    for row, p in zip(rows[:40], probabilities, strict=True):  # the IDX file's 40 images
        assert len(row["probabilities"]) == 10
        # The command predicts all 161 inputs in one batch, this line 40 of them: other GEMM
        # tiles, so float32 logits (|z| up to ~12, where one ulp is 9.5e-7) differ by a few
        # ulps, and p = exp(z - logsumexp z) by as much relatively (2.9e-6 seen on an AMD EPYC
        # with OpenBLAS's Haswell kernels). 2e-5 allows 20 ulps; another image's row is off by
        # orders of magnitude.
        np.testing.assert_allclose(row["probabilities"], p, rtol=2e-5)
        assert row["label"] == int(np.argmax(row["probabilities"]))
        assert "top" not in row


def test_top_k_lists_the_most_likely_digits_first(files, tmp_path):
    result = nnscratch(
        "predict", files["model"], files["root"] / "test.csv", "--top", 3, "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    for row in json.loads(result.stdout)["predictions"]:
        p = np.array(row["probabilities"])
        assert [t["label"] for t in row["top"]] == np.argsort(-p, kind="stable")[:3].tolist()
        assert row["top"][0]["label"] == row["label"]
        assert [t["probability"] for t in row["top"]] == sorted(p, reverse=True)[:3]


def test_table_shows_label_and_confidence_of_each_image(files, tmp_path):
    pictures = [path.name for path in files["pictures"]["off-centre"][:3]]  # short: no wrap
    result = nnscratch("predict", "model.npz", *pictures, "--top", 2, cwd=files["root"])
    assert result.returncode == 0, result.stderr
    model_p = predict_files(files["model"], files["pictures"]["off-centre"][:3])
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in result.stdout.splitlines()
        if line.startswith("│")
    ]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    for row, path, label, p in zip(
        rows, pictures, model_p.labels, model_p.probabilities, strict=True
    ):
        number, source, shown_label, confidence, top = row
        assert source == path and shown_label == str(label)
        assert confidence == f"{p[label]:.4f}"
        second = int(np.argsort(-p, kind="stable")[1])
        assert top == f"{label}: {p[label]:.4f}  {second}: {p[second]:.4f}"


def test_a_long_table_is_cut_and_says_how_many_more(files, tmp_path):
    result = nnscratch("predict", files["model"], files["root"] / "test.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test.csv row 20" in result.stdout and "test.csv row 21" not in result.stdout
    assert "100 more (120 images)" in result.stdout


def test_submission_file_is_kaggles_format(files, tmp_path):
    inputs = [files["root"] / "test.csv", files["pictures"]["larger"][1]]
    result = nnscratch(
        "predict", files["model"], *inputs, "--output", "submission.csv", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 121 predictions to submission.csv" in result.stdout
    text = (tmp_path / "submission.csv").read_text()
    lines = text.splitlines()
    assert text.endswith("\n") and "\r" not in text
    assert lines[0] == "ImageId,Label"
    assert len(lines) == 1 + 121
    expected = [*files["expected"], files["expected"][1]]
    assert lines[1:] == [f"{i},{label}" for i, label in enumerate(expected, 1)]
    assert not list(tmp_path.glob(".*.tmp"))


def test_one_prediction_is_one_and_o_is_output(files, tmp_path):
    picture = files["pictures"]["dark-on-white"][0]
    result = nnscratch("predict", files["model"], picture, "-o", "one.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "wrote 1 prediction to one.csv"
    assert (tmp_path / "one.csv").read_text().splitlines()[0] == "ImageId,Label"


def test_write_submission_from_python(tmp_path):
    write_submission(tmp_path / "s.csv", np.array([3, 0, 9]))
    assert (tmp_path / "s.csv").read_text() == "ImageId,Label\n1,3\n2,0\n3,9\n"


def _bad_inputs(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    (folder / "empty.csv").write_bytes(b"")
    (folder / "fake.png").write_text("this is text, not a picture\n")
    header = ",".join(f"pixel{i}" for i in range(783))
    (folder / "short.csv").write_text(header + "\n" + ",".join(["0"] * 783) + "\n")
    Image.new("L", (40, 40), 255).save(folder / "blank.png")
    return {
        "empty-csv": (folder / "empty.csv", ["empty.csv", "empty"]),
        "not-a-picture": (folder / "fake.png", ["fake.png", "not a picture"]),
        "783-columns": (folder / "short.csv", ["short.csv", "783 columns"]),
        "blank-picture": (folder / "blank.png", ["blank.png", "no digit"]),
        "missing": (folder / "gone.csv", ["gone.csv", "no such file"]),
    }


@pytest.mark.parametrize(
    "case", ["empty-csv", "not-a-picture", "783-columns", "blank-picture", "missing"]
)
def test_bad_inputs_exit_2_and_write_nothing(files, tmp_path, case):
    bad, names = _bad_inputs(tmp_path)[case]
    good = files["root"] / "test.csv"
    result = nnscratch(
        "predict", files["model"], good, bad, "--output", "submission.csv", cwd=tmp_path
    )
    assert_user_error(result, *names)
    assert result.stdout == ""
    assert not (tmp_path / "submission.csv").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_output_is_refused_before_any_work(files, tmp_path):
    result = nnscratch(
        "predict",
        files["model"],
        files["root"] / "test.csv",
        "--output",
        "no/such/folder/s.csv",
        cwd=tmp_path,
    )
    assert_user_error(result, "--output", "no/such/folder")
    result = nnscratch(
        "predict", files["model"], files["root"] / "test.csv", "--output", ".", cwd=tmp_path
    )
    assert_user_error(result, "--output", "folder")


def test_an_existing_submission_survives_a_failed_run(files, tmp_path):
    old = tmp_path / "submission.csv"
    old.write_text("ImageId,Label\n1,7\n")
    (tmp_path / "empty.csv").write_bytes(b"")
    result = nnscratch(
        "predict", files["model"], tmp_path / "empty.csv", "--output", old, cwd=tmp_path
    )
    assert_user_error(result, "empty.csv")
    assert old.read_text() == "ImageId,Label\n1,7\n"

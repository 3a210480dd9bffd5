"""Your digits through the API: a drawing added is kept as the input `predict` reads from it; a
digit is removed; the set is exported as IDX files and a CSV (on the server, and downloadable)
and imported back; damaged or foreign uploads are refused with the readers' errors, naming the
file sent, and add nothing."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi import testclient

from nnscratch.datasets import load_mnist, load_source
from nnscratch.datasets.digitset import DigitSet
from nnscratch.datasets.drawing import drawing_to_mnist, make_strokes
from nnscratch.web.app import create_app
from web_models import digit_strokes


@pytest.fixture
def client_for(models, tmp_path):
    clients = []

    def open_(name="digits"):
        clients.append(
            testclient.TestClient(
                create_app(models, digits=DigitSet(tmp_path / name), hosts={"testserver"})
            )
        )
        return clients[-1].__enter__()

    yield open_
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def some_digits():
    images, labels = load_mnist("test")
    return images[:25], labels[:25]


def fill(client, images, labels):
    for image, label in zip(images, labels, strict=True):
        answer = client.post("/api/digits", json={"pixels": image.tolist(), "label": int(label)})
        assert answer.status_code == 200, answer.text


def test_a_drawing_is_kept_as_the_input_the_networks_receive(client_for):
    client = client_for()
    image = load_mnist("test")[0][3]
    drawing = {"width": 280, "height": 280, "strokes": digit_strokes(image)}
    added = client.post("/api/digits", json={"drawing": drawing, "label": 0})
    assert added.status_code == 200, added.text
    expected = drawing_to_mnist(make_strokes(drawing["strokes"], 280, 280), 280, 280).field
    np.testing.assert_array_equal(added.json()["pixels"], expected)
    predicted = client.post("/api/predict", json={"drawing": drawing}).json()
    assert predicted["input"] == added.json()["pixels"]  # what the networks were shown
    listed = client.get("/api/digits").json()
    assert listed["count"] == 1 and listed["counts"] == [1] + [0] * 9
    assert listed["digits"][0] == {"number": 1, "label": 0, "pixels": expected.tolist()}


@pytest.mark.parametrize(
    "body, message",
    [
        ({"pixels": [[0] * 28] * 28, "label": 3}, "the digit is blank"),
        ({"pixels": [[0] * 28] * 27, "label": 3}, "pixels must be 28 rows of 28 values"),
        ({"pixels": [[9] * 28] * 28, "label": 10}, "label: "),
    ],
)
def test_what_is_not_a_digit_is_refused(client_for, body, message):
    client = client_for()
    answer = client.post("/api/digits", json=body)
    assert answer.status_code == 422 and message in answer.json()["detail"]
    assert client.get("/api/digits").json()["count"] == 0


def test_a_digit_is_removed(client_for, some_digits):
    client = client_for()
    fill(client, *(part[:3] for part in some_digits))
    removed = client.delete("/api/digits/2")
    assert removed.status_code == 200
    assert removed.json()["number"] == 2 and removed.json()["label"] == some_digits[1][1]
    assert [d["number"] for d in client.get("/api/digits").json()["digits"]] == [1, 3]
    missing = client.delete("/api/digits/2")
    assert missing.status_code == 404 and missing.json()["detail"] == "the set has no digit #2"
    # "1.0" is no digit's number, though Python reads it as 1: refused, and nothing removed.
    fill(client, some_digits[0][:1], some_digits[1][:1])
    assert client.delete("/api/digits/1.0").status_code == 422
    assert [d["number"] for d in client.get("/api/digits").json()["digits"]] == [1, 3, 4]


def test_the_set_is_exported_on_the_server_and_downloaded_byte_for_byte(
    client_for, tmp_path, some_digits
):
    client = client_for()
    assert client.post("/api/digits/export").status_code == 409  # an empty set
    fill(client, *some_digits)
    done = client.post("/api/digits/export").json()
    assert done["test"] == 25 // 5 and done["train"] + done["test"] == 25  # one in five
    # Named under the server's folders (the digits folder is tmp_path/digits), not by path.
    assert done["folder"] == "digits/export/idx" and done["csv"] == "digits/export/digits.csv"
    dataset = load_source(tmp_path / done["folder"])
    assert len(dataset.train_labels) == done["train"]
    assert done["command"] == f"nnscratch train --init-from MODEL --data {done['folder']}"
    for name in done["files"]:
        got = client.get(f"/api/digits/export/{name}")
        on_disk = (
            tmp_path / "digits" / "export" / ("idx/" if name != "digits.csv" else "") / name
        ).read_bytes()
        assert got.status_code == 200 and got.content == on_disk
    assert client.get("/api/digits/export/..%2Fdigit-000001-label-7.png").status_code == 404


def test_an_export_imports_back_as_csv_and_as_idx_files(client_for, some_digits):
    source = client_for("source")
    fill(source, *some_digits)
    done = source.post("/api/digits/export").json()
    files = {name: source.get(f"/api/digits/export/{name}").content for name in done["files"]}
    for sent in (["digits.csv"], [n for n in done["files"] if n != "digits.csv"]):
        target = client_for(f"target-{len(sent)}")
        answer = target.post(
            "/api/digits/import", files=[("files", (name, files[name])) for name in sent]
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"added": 25, "already_there": 0, "count": 25}
        pairs = sorted(
            (d["label"], d["pixels"]) for d in target.get("/api/digits").json()["digits"]
        )
        assert pairs == sorted(
            (int(label), image.tolist()) for image, label in zip(*some_digits, strict=True)
        )


def test_a_damaged_or_foreign_upload_is_refused_naming_the_file_sent(client_for, some_digits):
    source = client_for("source")
    fill(source, *some_digits)
    done = source.post("/api/digits/export").json()
    files = {name: source.get(f"/api/digits/export/{name}").content for name in done["files"]}
    target = client_for("target")
    cut = dict(files)
    cut["train-images-idx3-ubyte"] = files["train-images-idx3-ubyte"][:-50]
    idx = [n for n in done["files"] if n != "digits.csv"]
    bad_csv = files["digits.csv"].replace(b"\n7,", b"\n17,", 1)
    for sent, status, message in (
        ([(n, cut[n]) for n in idx], 422, "train-images-idx3-ubyte: truncated IDX data"),
        ([("digits.csv", bad_csv)], 422, "digits.csv, line "),
        ([("notes.txt", b"hello")], 422, "import a CSV file, or IDX files named as MNIST's"),
        ([("a.csv", b""), ("b.csv", b"")], 422, "import a CSV file, or IDX files"),
    ):
        answer = target.post(
            "/api/digits/import", files=[("files", (name, io.BytesIO(data))) for name, data in sent]
        )
        assert answer.status_code == status, answer.text
        detail = answer.json()["detail"]
        assert detail.startswith(message) and "nnscratch-import" not in detail, detail
    assert target.get("/api/digits").json()["count"] == 0
    assert b"\n7," in files["digits.csv"]  # the CSV damage above did change a label


# --- issue 25, defect 7: digits in pages, no duplicates, something held out ---------------------


def test_the_set_comes_in_pages_with_its_figures_whole(client_for, some_digits):
    client = client_for()
    fill(client, *some_digits)
    whole = client.get("/api/digits").json()  # the page's call today: every digit, in order
    assert whole["count"] == 25 and len(whole["digits"]) == 25 and whole["offset"] == 0
    pages = [
        client.get("/api/digits", params={"offset": start, "limit": 10}).json()
        for start in (0, 10, 20)
    ]
    assert [len(page["digits"]) for page in pages] == [10, 10, 5]
    assert [d for page in pages for d in page["digits"]] == whole["digits"]
    for page in pages:  # the figures are the whole set's, whichever page is sent
        assert {k: page[k] for k in ("count", "counts", "held_out")} == {
            k: whole[k] for k in ("count", "counts", "held_out")
        }
    assert client.get("/api/digits", params={"limit": 0}).json()["digits"] == []
    assert client.get("/api/digits", params={"offset": 99}).json()["digits"] == []
    refused = client.get("/api/digits", params={"limit": -1})
    assert refused.status_code == 422 and "limit" in refused.json()["detail"]


def test_adding_a_digit_answers_with_the_set_s_figures_not_its_digits(client_for, some_digits):
    client = client_for()
    fill(client, some_digits[0][:9], some_digits[1][:9])
    added = client.post(
        "/api/digits", json={"pixels": some_digits[0][9].tolist(), "label": int(some_digits[1][9])}
    ).json()
    whole = client.get("/api/digits").json()
    assert added["number"] == 10 and added["count"] == 10
    assert added["counts"] == whole["counts"] and added["held_out"] == whole["held_out"]
    assert "digits" not in added  # one digit's pixels, not the set's


def test_importing_an_export_back_adds_no_digit_twice(client_for, some_digits):
    client = client_for()
    fill(client, *some_digits)
    done = client.post("/api/digits/export").json()
    files = {name: client.get(f"/api/digits/export/{name}").content for name in done["files"]}
    back = client.post("/api/digits/import", files=[("files", ("digits.csv", files["digits.csv"]))])
    assert back.json() == {"added": 0, "already_there": 25, "count": 25}
    # An upload holding a new digit and an old one, and the new one twice: one is added.
    images, labels = some_digits
    new = load_mnist("test")[0][100]
    rows = [[int(labels[0]), *images[0].ravel()], [3, *new.ravel()], [3, *new.ravel()]]
    csv = "label," + ",".join(f"pixel{i}" for i in range(784)) + "\n"
    csv += "".join(",".join(map(str, row)) + "\n" for row in rows)
    mixed = client.post("/api/digits/import", files=[("files", ("more.csv", csv.encode()))])
    assert mixed.json() == {"added": 1, "already_there": 2, "count": 26}, mixed.text


def test_a_drawing_without_ink_adds_nothing_and_says_so(client_for):
    # As /api/predict answers an empty canvas: not a mistake, nothing to add.
    client = client_for()
    answer = client.post(
        "/api/digits", json={"drawing": {"width": 280, "height": 280, "strokes": []}, "label": 3}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["added"] is False and "holds no digit" in answer.json()["message"]
    assert client.get("/api/digits").json()["count"] == 0

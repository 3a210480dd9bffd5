"""The HTML report: valid HTML holding every section, PNGs that decode, nothing fetched, the
model's real figures, and text from files escaped."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from mini_mnist import write_mnist_folder
from nnscratch import Sequential
from nnscratch.datasets import load_mnist, write_digits_csv, write_idx
from nnscratch.engine.metrics import classification_report
from nnscratch.errors import ConfigError, DataError, ModelFileError
from nnscratch.model.presets import get_preset
from nnscratch.plots.report import SECTIONS, build_report, write_report
from nnscratch.usecases.train import TrainOptions, plan_training, run_training

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VOID = {"meta", "img", "br", "hr", "link", "input"}
CHARTS = 9  # curves, confusion, per-class, misclassified, hardest, weights, 3 single images


class Page(HTMLParser):
    """Collects sections, headings, images, table cells and links; checks tags are balanced."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.errors = [], []
        self.sections, self.headings, self.images, self.cells, self.urls = [], [], [], [], []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs)
        for key in ("src", "href"):
            if key in attrs:
                self.urls.append(attrs[key])
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.open and self.open[-1] == "h2":
            self.headings.append(data)
        if self.open and self.open[-1] in ("td", "th"):
            self.cells.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    assert not page.errors and not page.open, (page.errors, page.open)
    return page


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model file written by the train command's library function on a small IDX folder."""
    root = tmp_path_factory.mktemp("report")
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    folder = write_mnist_folder(root / "mini", 2000, 600)
    recipe = get_preset("mlp").with_overrides(hidden=(24,), epochs=3, dev_size=300)
    run_training(plan_training(TrainOptions(recipe=recipe, data=str(folder), out=root / "m.npz")))
    return {
        "root": root,
        "model": root / "m.npz",
        "folder": folder,
        "x_test": x_test[:600],
        "y_test": y_test[:600],
        "x": x[:2000],
        "y": y[:2000],
    }


PROGRESS: list[tuple[int, int, str]] = []


@pytest.fixture(scope="module")
def page(trained):
    text = build_report(trained["model"], progress=lambda *step: PROGRESS.append(step))
    return text, parse(text)


def test_report_holds_every_section_in_order(page):
    _, parsed = page
    assert parsed.sections == [key for key, _ in SECTIONS]
    assert parsed.headings == [heading for _, heading in SECTIONS]


def test_report_tells_its_progress_section_by_section(page):
    done = [step[0] for step in PROGRESS]
    total = {step[1] for step in PROGRESS}
    assert total == {len(SECTIONS) + 2}  # two measurements, then the sections
    assert done == list(range(len(SECTIONS) + 3))
    assert [what for _, _, what in PROGRESS[2:-1]] == [name for _, name in SECTIONS]
    assert PROGRESS[-1][2] == "done"


def test_report_embeds_every_chart_as_a_png_that_decodes(page):
    import matplotlib.image

    _, parsed = page
    assert len(parsed.images) == CHARTS
    for image in parsed.images:
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        data = base64.b64decode(image["src"][len(prefix) :], validate=True)
        assert data.startswith(PNG_SIGNATURE)
        pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
        assert pixels.ndim == 3 and min(pixels.shape[:2]) >= 150
        assert pixels[..., :3].std() > 0.05  # something is drawn, not a blank canvas
        assert image["alt"]


def test_report_needs_no_network(page):
    text, parsed = page
    assert all(url.startswith(("data:image/png;base64,", "#")) for url in parsed.urls)
    for marker in ("<script", "<link", "@import", "url(", "http://", "https://"):
        assert marker not in text


def test_report_figures_are_the_models(trained, page):
    _, parsed = page
    model = Sequential.load(trained["model"])
    expected = classification_report(model.predict(trained["x_test"]), trained["y_test"])
    cells = parsed.cells
    # The per-class table: label, precision, recall, F1, support for each digit.
    for row in expected["per_class"]:
        at = next(
            i
            for i in range(len(cells) - 4)
            if cells[i] == str(row["label"]) and cells[i + 4] == f"{row['support']:,}"
        )
        assert cells[at + 1 : at + 4] == [f"{row[k]:.4f}" for k in ("precision", "recall", "f1")]
    text = " ".join(" ".join(parsed.text).split())
    assert f"{expected['accuracy']:.4f} accuracy" in text
    assert f"test set of {trained['folder'].resolve()} (600 images)" in text
    meta = model.metadata
    assert f"{meta['metrics']['dev_accuracy']:.4f}" in cells
    assert str(trained["folder"].resolve()) in cells  # where the data came from
    assert "yes (same SHA-256)" in cells
    # The layers table: index, type, settings, input and output shapes, arrays, parameters.
    at = cells.index("Dense")
    assert cells[at + 2 : at + 6] == ["784", "24", "W 784x24, b 24", f"{784 * 24 + 24:,}"]
    assert cells[cells.index("Flatten") + 1 : cells.index("Flatten") + 3] == ["28x28", "784"]
    assert meta["environment"]["numpy"] == np.__version__ and np.__version__ in cells


def test_report_on_a_convolutional_model_draws_its_kernels(trained, tmp_path):
    recipe = get_preset("cnn").with_overrides(conv=(6,), hidden=(16,), epochs=1, dev_size=300)
    run_training(
        plan_training(
            TrainOptions(recipe=recipe, data=str(trained["folder"]), out=tmp_path / "c.npz")
        )
    )
    parsed = parse(build_report(tmp_path / "c.npz"))
    assert parsed.sections == [key for key, _ in SECTIONS]
    assert len(parsed.images) == CHARTS
    assert "first-layer convolution kernels" in [image["alt"] for image in parsed.images]
    model = Sequential.load(tmp_path / "c.npz")
    accuracy = classification_report(model.predict(trained["x_test"]), trained["y_test"])[
        "accuracy"
    ]
    assert f"{accuracy:.4f} accuracy" in " ".join(" ".join(parsed.text).split())


def test_report_shows_batch_norm_buffers_and_an_lstms_input_weights(trained, tmp_path):
    recipe = get_preset("cnn-bn").with_overrides(
        conv=(4,), hidden=(8,), epochs=1, dev_size=300, augment="none"
    )
    run_training(
        plan_training(
            TrainOptions(recipe=recipe, data=str(trained["folder"]), out=tmp_path / "bn.npz")
        )
    )
    parsed = parse(build_report(tmp_path / "bn.npz"))
    at = parsed.cells.index("BatchNorm")
    assert parsed.cells[at + 2 : at + 6] == [
        "4x24x24",
        "4x24x24",
        "gamma 4, beta 4 (running_mean 4, running_var 4)",
        "8",
    ]
    assert "Arrays in parentheses are buffers" in " ".join(parsed.text)
    recipe = get_preset("lstm").with_overrides(recurrent=(6,), epochs=1, dev_size=300)
    run_training(
        plan_training(
            TrainOptions(recipe=recipe, data=str(trained["folder"]), out=tmp_path / "lstm.npz")
        )
    )
    parsed = parse(build_report(tmp_path / "lstm.npz"))
    assert parsed.sections == [key for key, _ in SECTIONS]
    assert len(parsed.images) == CHARTS
    assert "the LSTM's input weights" in [image["alt"] for image in parsed.images]
    at = parsed.cells.index("LSTM")
    assert parsed.cells[at + 2 : at + 6] == [
        "28x28",
        "6",
        "W_ih 24x28, W_hh 24x6, b_ih 24, b_hh 24",
        f"{24 * 28 + 24 * 6 + 48:,}",
    ]


def test_report_escapes_text_from_the_model_file(trained, tmp_path):
    model = Sequential.load(trained["model"])
    meta = dict(model.metadata)
    # An incomplete recipe (a file from elsewhere): the report shows its recorded summary.
    recipe = {k: v for k, v in meta["recipe"].items() if k != "conv"}
    meta["recipe"] = {**recipe, "summary": "<script>alert(1)</script> & co"}
    meta["preset"] = "<b>odd</b>"
    model.metadata = meta
    model.save(tmp_path / "odd.npz")
    text = build_report(tmp_path / "odd.npz")
    assert "<script" not in text and "<b>odd" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
    assert "&lt;b&gt;odd&lt;/b&gt;" in text
    parse(text)


def configuration_paragraph(text: str) -> str:
    section = text[text.index('<section id="configuration">') :]
    return section[section.index("<p>") + 3 : section.index("</p>")]


def test_the_configuration_describes_the_run_that_ran(trained, page, tmp_path):
    expected = (
        "784-24-10 ReLU network; Adam (lr 2e-3, warm-up then cosine decay), batch 128, "
        "3 epochs, 300 dev images."
    )
    text, _ = page  # the report of trained["model"]
    assert configuration_paragraph(text) == expected
    # A file whose recorded summary is the preset's (written before the description was made
    # from the recipe) is described from its recipe's fields all the same.
    model = Sequential.load(trained["model"])
    model.metadata = {
        **model.metadata,
        "recipe": {
            **model.metadata["recipe"],
            "summary": "784-512-256-10 ReLU network, Adam (lr 2e-3, "
            "warm-up then cosine decay), batch 128, 6 epochs, 5,000 dev images.",
        },
    }
    model.save(tmp_path / "older.npz")
    assert configuration_paragraph(build_report(tmp_path / "older.npz")) == expected


def test_the_environment_at_training_names_matplotlib(page):
    import importlib.metadata

    _, parsed = page
    cells = parsed.cells
    at = cells.index("matplotlib")
    version = importlib.metadata.version("matplotlib")
    assert cells[at + 1 : at + 3] == [version, version]  # at training, and for this report


def test_training_records_matplotlibs_version_without_importing_it():
    code = (
        "import sys; from nnscratch.environment import environment; "
        "print(environment()['matplotlib'], 'matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    import importlib.metadata

    assert result.stdout.split() == [importlib.metadata.version("matplotlib"), "False"]


def test_a_full_batch_report_speaks_of_iterations(trained, tmp_path):
    recipe = get_preset("classic").with_overrides(epochs=3, dev_size=300)
    run_training(
        plan_training(
            TrainOptions(recipe=recipe, data=str(trained["folder"]), out=tmp_path / "c.npz")
        )
    )
    text = " ".join(" ".join(parse(build_report(tmp_path / "c.npz")).text).split())
    assert "the dev evaluation after each iteration" in text
    # Only the recipe's field is named "epochs"; the page itself speaks of iterations.
    assert re.findall(r"\bepochs?\b", text) == ["epochs"], text


def test_report_on_other_data_says_so(trained, tmp_path):
    csv = tmp_path / "digits.csv"
    write_digits_csv(csv, trained["x"][:400], trained["y"][:400])
    text = build_report(trained["model"], data=str(csv))
    parsed = parse(text)
    assert "NO: the data has changed since training" in parsed.cells
    text = " ".join(" ".join(parsed.text).split())
    assert "the data has no test set" in text
    model = Sequential.load(trained["model"])
    accuracy = classification_report(model.predict(trained["x"][:400]), trained["y"][:400])[
        "accuracy"
    ]
    assert f"{accuracy:.4f} accuracy" in text


def test_report_on_a_bare_model_file_says_what_it_lacks(trained, tmp_path):
    """A model saved from Python with no metadata: no history, no recipe, no data record."""
    model = Sequential.load(trained["model"])
    model.metadata = {}
    model.save(tmp_path / "bare.npz")
    with pytest.raises(DataError, match="does not say which data.*pass --data"):
        build_report(tmp_path / "bare.npz")
    parsed = parse(build_report(tmp_path / "bare.npz", data=str(trained["folder"])))
    assert parsed.sections == [key for key, _ in SECTIONS]
    text = " ".join(" ".join(parsed.text).split())
    assert "The model file holds no training history." in text
    assert "unknown (the model file records no SHA-256)" in parsed.cells
    assert len(parsed.images) == CHARTS - 1  # every chart but the learning curves


def test_report_refuses_data_of_another_image_size(trained, tmp_path):
    folder = tmp_path / "small-digits"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte", trained["x"][:50, ::2, ::2])  # 14x14
    write_idx(folder / "train-labels-idx1-ubyte", trained["y"][:50])
    with pytest.raises(ModelFileError, match=r"takes 28x28 images.*holds 14x14 images"):
        build_report(trained["model"], data=str(folder))


def test_write_report_refuses_a_folder_and_missing_data(trained, tmp_path):
    with pytest.raises(ConfigError, match="is a folder"):
        write_report(trained["model"], tmp_path)
    model = Sequential.load(trained["model"])
    model.metadata = {
        **model.metadata,
        "data": {**model.metadata["data"], "source": str(tmp_path / "gone")},
    }
    model.save(tmp_path / "moved.npz")
    with pytest.raises(DataError, match="gone.*pass --data"):
        build_report(tmp_path / "moved.npz")
    assert not Path(tmp_path / "r.html").exists()

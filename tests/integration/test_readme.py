"""The README tells the truth: its code links, its Python example and its test command."""

from __future__ import annotations

import re

import numpy as np
import pytest

from readme_text import README, ROOT, run_python, section


def code_links():
    """Every [`snippet`](path#Lnn) link in the README."""
    return re.findall(r"\[`([^`]+)`\]\(([^)#]+)#L(\d+)\)", README)


def test_readme_has_code_links():
    assert len(code_links()) >= 10


@pytest.mark.parametrize("snippet, path, line", code_links())
def test_code_link_points_at_its_line(snippet, path, line):
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    assert snippet in lines[int(line) - 1], f"{path}:{line} no longer holds {snippet!r}"


def test_every_relative_link_names_a_file_that_exists():
    targets = {
        link.split("#")[0]
        for link in re.findall(r"\]\(([^)#][^)]*)\)", README)
        if "://" not in link
    }
    assert targets  # the README links to its code, tests and pictures
    missing = sorted(t for t in targets if not (ROOT / t).exists())
    assert missing == []


def heading_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_within_the_readme_names_one_of_its_headings():
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    anchors = {heading_anchor(h) for h in re.findall(r"^#+ (.+)$", prose, flags=re.M)}
    assert heading_anchor("Augmentation's cost") == "augmentations-cost"
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links  # the README points within itself
    assert sorted(links - anchors) == []


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    test_command = next(c.strip() for c in commands if "pytest" in c and "venv" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("--quiet ", "")
    for part in test_command.split(" && "):
        assert part in ci, f"CI does not run {part!r}"


def test_the_scikit_learn_example_runs_as_written(tmp_path):
    (example,) = re.findall(r"```python\n(.*?)```", section("In scikit-learn"), flags=re.S)
    result = run_python(example, tmp_path)
    assert result.returncode == 0, result.stderr
    best, scores = result.stdout.strip().splitlines()
    assert best.startswith("{'nnclassifier__lr': ") and float(best.split()[-1]) > 0.9
    assert min(float(v) for v in scores.strip("[]").split()) > 0.85


def test_the_fine_tuning_example_makes_the_turned_digits_it_describes(tmp_path):
    text = section("Fine-tuning on new data")
    (example,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    result = run_python(example, tmp_path)
    assert result.returncode == 0, result.stderr
    from nnscratch.datasets import load_mnist, read_idx

    x, y = load_mnist("train")
    folder = tmp_path / "turned"
    images = np.concatenate(
        [read_idx(folder / "train-images-idx3-ubyte"), read_idx(folder / "t10k-images-idx3-ubyte")]
    )
    labels = np.concatenate(
        [read_idx(folder / "train-labels-idx1-ubyte"), read_idx(folder / "t10k-labels-idx1-ubyte")]
    )
    assert (
        images.shape == (1000, 28, 28) and len(read_idx(folder / "t10k-labels-idx1-ubyte")) == 200
    )
    np.testing.assert_array_equal(labels, y[50000:51000])
    assert "1,000 MNIST training digits (numbers 50,000 to 50,999) turned" in text
    # Turned, not copied: most of each digit's ink has moved.
    upright = x[50000:51000] > 127
    assert ((images > 127) & upright).sum() < 0.6 * upright.sum()
    # The commands the section gives are those whose figures it shows.
    (commands,) = [c for c in re.findall(r"```bash\n(.*?)```", text, flags=re.S) if "turned/" in c]
    assert [line.split("#")[0].split() for line in commands.strip().splitlines()] == [
        ["nnscratch", "train", "--epochs", "2", "--out", "mlp.npz"],
        ["nnscratch", "train", "--init-from", "mlp.npz", "--data", "turned/"],
        [
            "nnscratch",
            "train",
            "--init-from",
            "mlp.npz",
            "--freeze",
            "1",
            "--data",
            "turned/",
            "--out",
            "frozen.npz",
        ],
    ]

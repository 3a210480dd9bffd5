"""The README and the documentation pages tell the truth: their links, their examples and the
README's test command."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from readme_text import PAGES, README, REPOSITORY_FILES, ROOT, SITE, run_python, section


def readme_links():
    """Every link target in the README (Markdown links and images, and <...> autolinks)."""
    return re.findall(r"\]\(([^)]+)\)", README) + re.findall(r"<(https://[^>]+)>", README)


def test_every_readme_link_is_absolute_so_it_works_on_a_package_index_page():
    links = readme_links()
    assert len(links) >= 10
    assert [link for link in links if "://" not in link] == []


def test_every_readme_link_into_the_repository_names_a_file_that_exists():
    paths = {
        link.removeprefix(prefix).split("#")[0]
        for link in readme_links()
        for prefix in REPOSITORY_FILES
        if link.startswith(prefix)
    }
    assert {"docs/web-desktop.png", "CONTRIBUTING.md", "CHANGELOG.md"} <= paths
    assert sorted(path for path in paths if not (ROOT / path).exists()) == []


def test_every_readme_link_into_the_site_names_one_of_its_pages():
    pages = {
        link.removeprefix(SITE).split("#")[0] for link in readme_links() if link.startswith(SITE)
    }
    assert "getting-started/" in pages and "reference/cli/" in pages
    sources = {name.removesuffix(".md") + "/" for name in PAGES} | {"", "tutorial-notebook/"}
    assert sorted(pages - sources) == []


def heading_anchor(heading: str) -> str:
    """The anchor a heading gets (MkDocs and GitHub agree on these): lower case, punctuation
    dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors_of(text: str) -> set[str]:
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return {heading_anchor(h) for h in re.findall(r"^#+ (.+)$", prose, flags=re.M)}


def test_every_link_between_the_pages_names_a_page_and_one_of_its_headings():
    assert heading_anchor("Augmentation's cost") == "augmentations-cost"
    checked = 0
    for name, text in PAGES.items():
        folder = Path(name).parent
        for page, anchor in re.findall(r"\]\(([\w/.-]*\.md)?#([^)]+)\)", text):
            target = (folder / page).as_posix() if page else name
            target = os.path.normpath(target)  # "reference/../tutorial.md" -> "tutorial.md"
            assert target in PAGES, f"{name} links to a missing page {page}"
            assert anchor in anchors_of(PAGES[target]), f"{name} links to {page}#{anchor}"
            checked += 1
    assert checked >= 10  # the pages point at each other's sections


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
        ["nnscratch", "train", "--epochs", "2", "--output", "mlp.npz"],
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
            "--output",
            "frozen.npz",
        ],
    ]

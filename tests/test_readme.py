"""The README tells the truth: its code links, its Python example and its test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


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
    targets = {link.split("#")[0] for link in re.findall(r"\]\(([^)#][^)]*)\)", README)
               if "://" not in link}
    assert targets  # the README links to its code, tests and pictures
    missing = sorted(t for t in targets if not (ROOT / t).exists())
    assert missing == []


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.slow
def test_python_example_runs_as_written_and_prints_what_the_readme_says(tmp_path):
    example = python_blocks()[0]
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    printed = float(re.search(r"test accuracy: (\d\.\d+)", result.stdout).group(1))
    stated = float(re.search(r"prints a test accuracy of about (\d\.\d+)", README).group(1))
    assert abs(printed - stated) <= 0.005
    assert (tmp_path / "digits.npz").is_file()
    predicted, labels = result.stdout.strip().splitlines()[-1].split("] [")
    agree = sum(p == t for p, t in zip(predicted.strip("[]").split(), labels.strip("[]").split()))
    assert agree >= 8  # a 96 % model gets at least 8 of the first 10 right


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    test_command = next(c.strip() for c in commands if "pytest" in c and "venv" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("--quiet ", "")
    for part in test_command.split(" && "):
        assert part in ci, f"CI does not run {part!r}"

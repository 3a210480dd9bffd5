"""The sdist carries what its tests read: .ci/package runs the unit tests from the unpacked
sdist; this test finds a MANIFEST.in that leaves out something a test reads, without building."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
# What setuptools puts in every sdist of this project by itself.
ALWAYS = {"src", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"}


def manifest_lines():
    lines = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    return [line.split() for line in lines if line.strip() and not line.startswith("#")]


def in_the_sdist():
    """The top-level files and folders MANIFEST.in adds (graft FOLDER, include FILE...)."""
    added = set(ALWAYS)
    for command, *names in manifest_lines():
        if command in ("graft", "include"):
            added.update(names)
    return added


def read_by_the_tests():
    """The top-level names the test code joins to the project folder, as a string after
    ``ROOT /`` or after ``Path(__file__).resolve().parents[N] /`` where that is the project."""
    found = set()
    for path in TESTS.rglob("*.py"):
        depth = len(path.relative_to(TESTS).parts)  # tests/x.py: parents[1] is the project
        text = path.read_text(encoding="utf-8")
        pattern = rf'(?:\bROOT|parents\[{depth}\])\s*/\s*"([^"/]+)'
        found.update(re.findall(pattern, text))
    return found


def test_the_scan_finds_what_the_tests_are_known_to_read():
    assert {"src", "pyproject.toml", "README.md", "docs", "examples", ".ci"} <= read_by_the_tests()


def test_everything_the_tests_read_is_in_the_sdist():
    missing = read_by_the_tests() - in_the_sdist()
    assert not missing, f"MANIFEST.in leaves out what tests read: {sorted(missing)}"


def test_the_tests_and_their_helpers_and_data_are_in_the_sdist():
    # benchmarks: tests import it (from the project folder, which the scan does not see).
    assert {"tests", "benchmarks"} <= in_the_sdist()
    pruned = {names[0] for command, *names in manifest_lines() if command == "prune"}
    assert pruned <= {"benchmarks/results"}, "only generated output may be pruned"

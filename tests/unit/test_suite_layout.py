"""The suite's own layout: pytest imports each test file by its name alone (no packages under
tests/), so two files of one name in two folders break the run that collects both, such as
`pytest tests`, while the quick run, which collects one of them, passes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_files_share_a_name():
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []


def test_the_check_sees_files_in_every_folder():
    folders = {path.parent.name for path in TESTS.rglob("test_*.py")}
    assert {"unit", "integration", "system", "browser", "gates"} <= folders

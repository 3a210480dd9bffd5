"""The README's text and the documentation pages', their sections, and a runner for their
Python examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
# Every page of the site written in Markdown, by its path under docs/ (the CLI reference's
# commands are generated, so the pages hold the prose and the examples).
PAGES = {
    path.relative_to(DOCS).as_posix(): path.read_text(encoding="utf-8")
    for path in sorted(DOCS.rglob("*.md"))
}
# Where the README's absolute links point: the repository's files and the site's pages.
REPOSITORY_FILES = (
    "https://github.com/nnscratch/nnscratch/blob/main/",
    "https://raw.githubusercontent.com/nnscratch/nnscratch/main/",
)
SITE = "https://nnscratch.github.io/nnscratch/"


def section(heading: str) -> str:
    """The text under ``## heading``, to the next section: in the README if it has one, else in
    the one documentation page that has it."""
    marker = f"\n## {heading}\n"
    found = [text for text in [README, *PAGES.values()] if marker in text]
    assert found, f"neither the README nor any page of docs/ has a section {heading!r}"
    return found[0].split(marker, 1)[1].split("\n## ", 1)[0]


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=900
    )

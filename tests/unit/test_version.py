"""One version, written in one place (pyproject.toml), read from the installed metadata."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import nnscratch

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the backport, a dependency on 3.10
    import tomli as tomllib

# PEP 440's public versions, as far as nnscratch uses them (1.0.0, 1.0.0.dev0, 1.0.0rc1).
PEP_440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


def test_the_version_is_written_once_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert PEP_440.fullmatch(project["version"]), project["version"]
    assert "version" not in project.get("dynamic", [])
    written = [
        path.relative_to(ROOT)
        for path in (ROOT / "src").rglob("*.py")
        if re.search(r"^__version__\s*=", path.read_text(), re.MULTILINE)
    ]
    assert written == []


def test_version_comes_from_the_installed_metadata(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: f"{name} 7.1.dev3")
    assert nnscratch._installed_version() == "nnscratch 7.1.dev3"


def test_an_uninstalled_source_tree_says_its_version_is_unknown(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert nnscratch._installed_version() == "0+unknown"


def test_model_files_and_reports_record_the_same_version(tmp_path):
    from nnscratch import Dense, Sequential
    from nnscratch.environment import environment
    from nnscratch.modelfile import read_model_file

    installed = importlib.metadata.version("nnscratch")
    assert nnscratch.__version__ == installed
    assert environment()["nnscratch"] == installed
    Sequential([Dense(2, 2)]).save(tmp_path / "m.npz")
    assert read_model_file(tmp_path / "m.npz")[0]["library_version"] == installed

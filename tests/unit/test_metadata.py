"""The package's metadata tells the truth: the licence covers the MNIST files the wheel ships,
the Python versions listed are those requires-python allows, and the extras are those the code
names when one is missing."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from nnscratch import environment

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "nnscratch" / "datasets" / "data"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the backport, a dependency on 3.10
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def test_the_licence_covers_the_code_and_the_bundled_mnist():
    # The data's own README gives its licence; the expression and the files must say it too.
    assert "CC BY-SA 3.0" in (DATA / "README.md").read_text()
    assert set(re.split(r"\s+AND\s+", PROJECT["license"])) == {"MIT", "CC-BY-SA-3.0"}
    for name in PROJECT["license-files"]:
        assert (ROOT / name).is_file(), name
    data_licence = [name for name in PROJECT["license-files"] if "datasets/data" in name]
    assert data_licence and "CC BY-SA 3.0" in (ROOT / data_licence[0]).read_text()
    shipped = PYPROJECT["tool"]["setuptools"]["package-data"]["nnscratch.datasets"]
    assert f"data/{Path(data_licence[0]).name}" in shipped


def test_the_python_classifiers_match_requires_python():
    assert PROJECT["requires-python"] == ">=3.10"
    listed = {
        c.rsplit(" :: ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert listed == {"3.10", "3.11", "3.12", "3.13"}
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]  # PEP 639


def test_every_extra_the_code_names_exists_and_brings_its_packages():
    declared = PROJECT["optional-dependencies"]
    for extra, needed in environment.NEEDED.items():
        requirements = " ".join(declared[extra]).lower()
        for distribution, _ in needed:
            # dask[distributed] brings distributed
            assert distribution in requirements or f"[{distribution}]" in requirements, (
                extra,
                distribution,
            )
    all_extras = re.fullmatch(r"nnscratch\[(.*)\]", declared["all"][0])
    assert all_extras and set(environment.NEEDED) <= set(all_extras[1].split(","))


def test_the_bench_extra_brings_every_part_the_benchmarks_import():
    # ``pip install -e ".[bench]"`` is how docs/performance.md sets the suite up; a workload
    # that imports an optional part (the server's needs nnscratch.web) fails without its extra.
    source = ROOT / "src" / "nnscratch"
    extra_of = {
        package.parent.name: found[1]
        for package in source.glob("*/__init__.py")
        if (found := re.search(r'require\("(\w+)"', package.read_text()))
    }
    imported = {
        name
        for script in (ROOT / "benchmarks").glob("*.py")
        for name in re.findall(r"nnscratch\.(\w+)", script.read_text())
    }
    needed = {extra_of[name] for name in imported if name in extra_of}
    assert "web" in needed  # the server workload's
    bench = re.fullmatch(r"nnscratch\[(.*)\]", PROJECT["optional-dependencies"]["bench"][0])
    assert bench and needed <= set(bench[1].split(","))


def test_the_core_is_numpy_pillow_typer_and_rich():
    names = {re.split(r"[<>=;\[ ]", d, maxsplit=1)[0] for d in PROJECT["dependencies"]}
    assert names == {"numpy", "pillow", "typer", "rich", "tomli"}

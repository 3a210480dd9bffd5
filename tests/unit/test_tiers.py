"""The tree is the architecture: every import points down a tier, and no packages form a circle.

Each module's imports are read with ``ast`` (module level and inside functions alike, since a
lazy import is still a dependency) and checked against ``TIERS``, bottom first. A module may
import its own package and any package of a lower tier; packages on the same tier (the data
and the engine) stand apart; the CLI sits above the web app, which it starts. Third-party
libraries of the faces may be imported by the faces only. The checker is tested too: a tree
with an upward import, a circle, or a missing rule fails it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src"

# Bottom first. "base" is the package's own top-level modules (errors, fileio, checks, ...).
TIERS = [
    {"base"},
    {"datasets", "engine"},  # data knows no networks; the engine knows no files or data sets
    {"training", "onnx"},  # the loop and the ONNX exporter know a model only by what they
    # call and read
    {"model"},  # Sequential, the model file, recipes (Sequential.fit calls down)
    # train, resume, evaluate, predict, describe, inspect: no printing; and, standing apart,
    # explain (saliency, occlusion, inside views), which no use case needs
    {"usecases", "explain"},
    # sweeps (grid, runs, workers) train through the use cases; the scikit-learn estimator
    # (never imported by `import nnscratch`)
    {"sweeps", "sklearn"},
    {"plots"},  # faces: charts, the report, show (matplotlib)
    {"web"},  # face: the web app of `nnscratch serve` (FastAPI)
    {"cli"},  # face: the command line (Typer + Rich), which starts the web app
]

# Third-party packages only some tiers may use: everything else stays plain NumPy.
ONLY_IN = {
    "typer": {"cli"},
    "rich": {"cli"},
    "click": {"cli"},
    "matplotlib": {"plots"},
    "fastapi": {"web"},
    "uvicorn": {"web"},
    "starlette": {"web"},
    "pydantic": {"web"},
    "PIL": {"datasets"},
    "tomli": {"model"},
    "tomllib": {"model"},  # recipe files (tomli backports it to 3.10)
    "sklearn": {"sklearn"},
    "onnx": {"onnx"},
    "onnxruntime": {"onnx"},
    "dask": {"sweeps"},
    "distributed": {"sweeps"},
}

# Modules that stand above every tier: the package's lazy front door and `python -m`.
ENTRANCES = {"nnscratch", "nnscratch.__main__"}


def modules_in(root: Path) -> dict[str, Path]:
    """``{"nnscratch.engine.layers.dense": path, ...}`` for every module under ``root``."""
    found = {}
    for path in sorted((root / "nnscratch").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def package_of(module: str, files: dict[str, Path]) -> str:
    """``nnscratch.engine.layers.dense`` -> ``engine``; a top-level module -> ``base``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "nnscratch"
    if len(parts) == 2 and files[module].name != "__init__.py":
        return "base"
    return parts[1]


def imports_of(path: Path, module: str) -> list[tuple[str, str | None, int]]:
    """``(module, name or None, line)`` for every import in ``path``, names made absolute:
    ``from ..errors import E`` in nnscratch/engine/losses.py is ``("nnscratch.errors", "E")``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            found += [(target, alias.name, node.lineno) for alias in node.names]
    return found


def resolve(target: str, name: str | None, files: dict[str, Path]) -> str | None:
    """The module of ours an import reaches: ``from a import b`` reaches a.b when that is a
    module (a submodule), else a; None when it is not ours or does not exist."""
    if name is not None and f"{target}.{name}" in files:
        return f"{target}.{name}"
    return target if target in files else None


def check_tree(root: Path, tiers=TIERS, only_in=ONLY_IN) -> list[str]:
    """Every violation in the package tree under ``root`` (the folder holding nnscratch/)."""
    files = modules_in(root)
    tier_of = {package: level for level, group in enumerate(tiers) for package in group}
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = package_of(module, files)
        if module in ENTRANCES:
            continue
        if package not in tier_of:
            problems.append(f"{module}: package {package!r} has no tier")
            continue
        for target, name, line in imports_of(path, module):
            where = f"{module}:{line}"
            top = target.split(".")[0]
            if top != "nnscratch":
                allowed = only_in.get(top)
                if allowed is not None and package not in allowed:
                    problems.append(
                        f"{where} imports {top}, which only {', '.join(sorted(allowed))} may use"
                    )
                continue
            reached = resolve(target, name, files)
            if reached is None:
                problems.append(f"{where} imports {target}, which does not exist")
                continue
            if reached == "nnscratch":
                # The front door maps names to every tier lazily: only its version is safe.
                if name != "__version__":
                    problems.append(
                        f"{where} imports {name} from the package's front door; "
                        f"import it from its own module"
                    )
                continue
            graph.setdefault(module, set()).add(reached)
            other = package_of(reached, files)
            if other == package:
                continue
            if other not in tier_of:
                problems.append(f"{where} imports {reached}, whose package has no tier")
            elif tier_of[other] >= tier_of[package]:
                how = "same tier" if tier_of[other] == tier_of[package] else "a higher tier"
                problems.append(
                    f"{where} imports {reached}: {package} may not import {other} ({how})"
                )
    problems += [
        f"import circle between packages: {' -> '.join(cycle)}"
        for cycle in package_cycles(graph, files)
    ]
    return list(dict.fromkeys(problems))  # one line per problem, however many names it imports


def package_cycles(graph: dict[str, set[str]], files: dict[str, Path]) -> list[list[str]]:
    """Circles among folders (packages and subpackages), each module folded into its folder;
    an import between a folder and one inside it does not count."""

    def folder(module: str) -> str:
        return module if files[module].name == "__init__.py" else module.rpartition(".")[0]

    edges: dict[str, set[str]] = {}
    for source, targets in graph.items():
        for target in targets:
            a, b = folder(source), folder(target)
            if a != b and not b.startswith(a + ".") and not a.startswith(b + "."):
                edges.setdefault(a, set()).add(b)
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return cycles


# --- the package ----------------------------------------------------------------------------


def test_every_import_points_down_a_tier():
    assert check_tree(SOURCE) == []


def test_the_top_level_holds_at_most_six_modules_and_every_other_lives_in_a_tier_package():
    top = sorted(
        p.name
        for p in (SOURCE / "nnscratch").glob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )
    assert len(top) <= 6, top
    packages = {
        p.name
        for p in (SOURCE / "nnscratch").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    }
    assert packages <= set().union(*TIERS), packages - set().union(*TIERS)


MAX_LINES = 450


def lines_over_the_limit(paths):
    return {
        str(p.relative_to(SOURCE)): n
        for p in paths
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }


def test_no_module_is_over_450_lines():
    assert lines_over_the_limit((SOURCE / "nnscratch").rglob("*.py")) == {}


def test_no_static_script_or_style_sheet_is_over_450_lines():
    static = SOURCE / "nnscratch" / "web" / "static"
    files = [*static.glob("*.js"), *static.glob("*.css")]
    assert files, f"no scripts or style sheets found in {static}"
    assert lines_over_the_limit(files) == {}


# --- the checker itself ------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"nnscratch/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def sound(tmp_path):
    return {
        "nnscratch/errors.py": "class E(Exception): ...\n",
        "nnscratch/engine/__init__.py": "from .losses import loss\n",
        "nnscratch/engine/losses.py": "from ..errors import E\ndef loss(): ...\n",
        "nnscratch/model/__init__.py": "from nnscratch.engine import losses\n",
        "nnscratch/cli/__init__.py": "import typer\nfrom ..model import x\n",
    }


def test_the_checker_passes_a_sound_tree(tmp_path, sound):
    assert check_tree(write_tree(tmp_path, sound)) == []


@pytest.mark.parametrize(
    "where, text, expected",
    [
        ("nnscratch/engine/losses.py", "def f():\n    from ..model import x\n", "higher tier"),
        ("nnscratch/engine/losses.py", "from nnscratch.datasets import y\n", "same tier"),
        ("nnscratch/model/__init__.py", "import matplotlib.pyplot\n", "only plots may use"),
        ("nnscratch/errors.py", "from .cli import main\n", "higher tier"),
        ("nnscratch/gadgets/__init__.py", "", "has no tier"),
        ("nnscratch/model/__init__.py", "from ..engine.nothing import x\n", "does not exist"),
        ("nnscratch/engine/losses.py", "from nnscratch import Sequential\n", "front door"),
    ],
)
def test_the_checker_finds_an_upward_or_forbidden_import(tmp_path, sound, where, text, expected):
    sound["nnscratch/datasets/__init__.py"] = "y = 1\n"
    problems = check_tree(write_tree(tmp_path, {**sound, where: text}))
    assert any(expected in p for p in problems), problems


def test_the_checker_finds_a_circle_between_subpackages(tmp_path, sound):
    sound["nnscratch/engine/a/__init__.py"] = "from ..b import thing\n"
    sound["nnscratch/engine/b/__init__.py"] = "def f():\n    from ..a import other\n"
    problems = check_tree(write_tree(tmp_path, sound))
    assert any("circle" in p and "nnscratch.engine.a" in p for p in problems), problems


def test_the_checker_fails_when_a_tier_rule_is_removed(tmp_path, sound):
    without_engine = [group - {"engine"} for group in TIERS]
    problems = check_tree(write_tree(tmp_path, sound), tiers=without_engine)
    assert any("'engine' has no tier" in p for p in problems), problems

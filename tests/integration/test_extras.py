"""Without an optional extra, what needs it says so in one line: the extra and the pip command
(exit status 2 on the command line, MissingExtra in Python), and the core still works.

Each case runs in a fresh interpreter whose ``sys.modules`` maps the extra's package to None,
which makes every import of it fail as if it were not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runs import assert_user_error
from mini_mnist import write_mnist_folder
from nnscratch import environment


def run_without(blocked: list[str], code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a new Python whose imports of the ``blocked`` packages fail."""
    prelude = f"import sys\nsys.modules.update(dict.fromkeys({blocked!r}))\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def nnscratch_without(blocked: list[str], args: list[str], cwd: Path):
    return run_without(blocked, f"from nnscratch.cli import main\nsys.exit(main({args!r}))", cwd)


# (the package made missing, the command, the extra it must name)
COMMANDS = [
    ("fastapi", ["serve", "--port", "0"], "web"),
    ("uvicorn", ["serve", "--port", "0"], "web"),
    ("matplotlib", ["report", "model.npz"], "plots"),
    ("matplotlib", ["show", "model.npz", "0"], "plots"),
    ("matplotlib", ["lr-find", "--steps", "5"], "plots"),
    ("matplotlib", ["train", "--epochs", "1", "--report", "--out", "m.npz"], "plots"),
    ("matplotlib", ["sweep", "--grid", "lr=0.1,0.2"], "plots"),
    ("onnx", ["export", "model.npz", "model.onnx"], "onnx"),
    ("distributed", ["sweep", "--grid", "lr=0.1,0.2", "--scheduler", "tcp://127.0.0.1:9"], "dask"),
]


@pytest.mark.parametrize(
    ("blocked", "args", "extra"), COMMANDS, ids=[" ".join(c[1][:2]) + "-" + c[0] for c in COMMANDS]
)
def test_a_command_without_its_extra_names_it(tmp_path, blocked, args, extra):
    result = nnscratch_without([blocked], args, tmp_path)
    message = assert_user_error(result, f"'{extra}' extra", f'pip install "nnscratch[{extra}]"')
    assert args[0] in message or args[-1] in message or "--" in message
    # Said before any work: nothing was trained, downloaded or written.
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("blocked", "module", "extra"),
    [
        ("sklearn", "nnscratch.sklearn", "sklearn"),
        ("matplotlib", "nnscratch.plots", "plots"),
        ("fastapi", "nnscratch.web.app", "web"),
    ],
)
def test_an_import_without_its_extra_says_what_to_install(tmp_path, blocked, module, extra):
    code = f"""
from nnscratch.errors import NNScratchError
try:
    import {module}
except ImportError as error:
    assert isinstance(error, NNScratchError), type(error)
    print(type(error).__name__, error)
else:
    raise AssertionError("imported")
"""
    result = run_without([blocked], code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MissingExtra "), result.stdout
    assert f'pip install "nnscratch[{extra}]"' in result.stdout
    assert len(result.stdout.splitlines()) == 1


def test_export_onnx_in_python_without_onnx_names_the_extra(tmp_path):
    code = f"""
from nnscratch import Dense, Sequential
from nnscratch.errors import MissingExtra
model = Sequential([Dense(4, 3)])
try:
    model.to_onnx({str(tmp_path / "m.onnx")!r}, input_shape=(4,))
except MissingExtra as error:
    print(error)
"""
    result = run_without(["onnx"], code, tmp_path)
    assert result.returncode == 0, result.stderr
    expected = "ONNX export needs the 'onnx' extra (onnx is not installed): pip install"
    assert f'{expected} "nnscratch[onnx]"' in result.stdout


def test_the_core_trains_without_any_extra(tmp_path):
    """The README's first command, `nnscratch train`, needs no extra (a tiny run here)."""
    every_extra = [module for needed in environment.NEEDED.values() for _, module in needed]
    write_mnist_folder(tmp_path / "digits", train=300, test=100)
    result = nnscratch_without(
        [*every_extra, "pandas", "onnxruntime", "dask"],
        [
            "train",
            "--data",
            "digits",
            "--epochs",
            "1",
            "--dev-size",
            "50",
            "--out",
            "m.npz",
            "--quiet",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m.npz").stat().st_size > 0
    evaluated = nnscratch_without(every_extra, ["evaluate", "m.npz", "--data", "digits"], tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr


def test_require_knows_only_the_extras_there_are():
    with pytest.raises(ValueError, match="no extra called 'plot'"):
        environment.require("plot", "a chart")

"""What users of command-line tools expect: ``--version``, ``-h`` beside ``--help``, and shell
completion (Typer's ``--show-completion`` / ``--install-completion``)."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import pytest

import nnscratch as package
from cli_runs import nnscratch


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_installed_version(tmp_path, flag):
    result = nnscratch(flag, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"nnscratch {importlib.metadata.version('nnscratch')}\n"
    assert package.__version__ == importlib.metadata.version("nnscratch")


@pytest.mark.parametrize("command", [[], ["train"], ["serve"], ["sweep"]])
def test_dash_h_is_help(tmp_path, command):
    short, long = (nnscratch(*command, flag, cwd=tmp_path) for flag in ("-h", "--help"))
    assert short.returncode == long.returncode == 0, short.stderr
    assert short.stdout == long.stdout
    assert "Usage: nnscratch" in short.stdout


def complete(words: str, cword: int, tmp_path) -> list[str]:
    """What bash completion offers for ``words`` (the word at index ``cword`` being typed)."""
    env = {
        **os.environ,
        "_NNSCRATCH_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    result = subprocess.run(
        [sys.executable, "-m", "nnscratch"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_shell_completion_completes_commands_and_options(tmp_path):
    assert complete("nnscratch tr", 1, tmp_path) == ["train"]
    assert set(complete("nnscratch e", 1, tmp_path)) == {"evaluate", "export"}
    assert "--preset" in complete("nnscratch train --pre", 2, tmp_path)


def test_show_completion_prints_the_script_to_install(tmp_path):
    # As a user runs it: from a shell, which Typer finds among the command's parents (under
    # pytest run from no shell at all, such as a detached job, there would be none). The
    # "; exit" keeps bash from replacing itself with the command.
    command = f"{sys.executable} -m nnscratch --show-completion; exit $?"
    result = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "_NNSCRATCH_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _nnscratch_completion nnscratch" in result.stdout

"""The ``nnscratch`` command run as a user runs it (a subprocess), and what its output must
look like: the helpers of the command-line tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def nnscratch(*args, cwd: Path, script: bool = False) -> subprocess.CompletedProcess:
    """Run the command as a user would: ``python -m nnscratch`` or the console script."""
    program = (
        [str(Path(sys.executable).parent / "nnscratch")]
        if script
        else [sys.executable, "-m", "nnscratch"]
    )
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        program + [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def last_json(stdout: str) -> dict:
    lines = stdout.strip().splitlines()
    assert lines, "nothing on stdout"
    summary = json.loads(lines[-1])
    assert isinstance(summary, dict)
    return summary


def assert_user_error(result: subprocess.CompletedProcess, *names: str) -> str:
    """Status 2, one line on stderr starting 'nnscratch: error:' naming the problem."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nnscratch: error: ")
    message = lines[0][len("nnscratch: error: ") :]
    for name in names:
        assert name in message, (name, message)
    return message

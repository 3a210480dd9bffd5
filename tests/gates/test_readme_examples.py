"""The README's examples that train on the whole of MNIST run as written and print what the
README says (learning gates: minutes, not seconds)."""

from __future__ import annotations

import re
import subprocess
import sys

from readme_text import README, run_python, section


def test_python_example_runs_as_written_and_prints_what_the_readme_says(tmp_path):
    example = re.findall(r"```python\n(.*?)```", section("In Python"), flags=re.S)[0]
    result = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    printed = float(re.search(r"test accuracy: (\d\.\d+)", result.stdout).group(1))
    stated = float(re.search(r"prints a test accuracy of about (\d\.\d+)", README).group(1))
    assert abs(printed - stated) <= 0.005
    assert (tmp_path / "digits.npz").is_file()
    predicted, labels = result.stdout.strip().splitlines()[-1].split("] [")
    agree = sum(
        p == t
        for p, t in zip(predicted.strip("[]").split(), labels.strip("[]").split(), strict=True)
    )
    assert agree >= 8  # a 96 % model gets at least 8 of the first 10 right


def test_the_onnx_example_runs_as_written(tmp_path):
    text = section("ONNX export")
    (commands,) = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    (example,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    train, export = [line.split("#")[0].split() for line in commands.strip().splitlines()]
    assert train == ["nnscratch", "train", "--output", "mlp.npz"]
    # A shorter training than the README's (one epoch, not six): the example is the point.
    cli = [sys.executable, "-m", "nnscratch"]
    subprocess.run(
        [*cli, *train[1:], "--epochs", "1", "--quiet"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=900,
    )
    subprocess.run([*cli, *export[1:]], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    result = run_python(example, tmp_path)
    assert result.returncode == 0, result.stderr
    found = re.fullmatch(
        r"accuracy (0\.\d{4}), largest difference from ours (\S+)\n", result.stdout
    )
    assert float(found.group(1)) > 0.95 and float(found.group(2)) <= 1e-5

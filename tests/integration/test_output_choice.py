"""No file decides where we write: a recipe's name with a folder in it is refused (it names the
model file, NAME.npz, here), and a checkpoint's recorded output path never chooses where
``train --resume`` writes; only the command line does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mini_mnist import write_mnist_folder
from nnscratch.errors import ConfigError
from nnscratch.model import get_preset
from nnscratch.model.recipefile import read_recipe_file
from nnscratch.modelfile import read_model_file, write_model_file
from nnscratch.training.checkpoint import list_checkpoints

TINY = ("--hidden", "8", "--epochs", "2", "--batch-size", "100", "--dev-size", "100", "--quiet")


def train(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", "train", *[str(a) for a in args]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_mnist_folder(tmp_path_factory.mktemp("data") / "mini", 1000, 100)


@pytest.mark.parametrize("name", ["../x", "/tmp/x", "a/b", "..", ".", "a\\b"])
def test_a_recipe_name_with_a_folder_in_it_is_refused(name, tmp_path):
    with pytest.raises(ConfigError, match="must be a plain name"):
        get_preset("mlp").with_overrides({"name": name})
    recipe = tmp_path / "r.toml"
    recipe.write_text(f"name = {name!r}\n".replace("'", '"').replace("\\", "\\\\"))
    with pytest.raises(
        ConfigError, match=r"name must be a plain name without / or .* \(see --output\)"
    ):
        read_recipe_file(recipe)


def test_a_recipe_file_naming_a_path_writes_nothing_there(mini, tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "r.toml").write_text('name = "../escaped"\nhidden = [8]\nepochs = 1\n')
    result = train("--recipe", "r.toml", "--data", mini, "--quiet", cwd=tmp_path / "work")
    assert result.returncode != 0
    assert "must be a plain name" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "escaped.npz").exists()


def test_a_checkpoints_recorded_output_never_chooses_where_resume_writes(mini, tmp_path):
    first = train("--data", mini, *TINY, "--checkpoint-dir", "ck", "--out", "m.npz", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    # Someone edits the checkpoint (its document is not under the arrays' checksum): the
    # run's output is now an unrelated file of the user's.
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    latest = list_checkpoints(tmp_path / "ck")[-1][1]
    document, arrays = read_model_file(latest)
    document["config"]["out"] = str(victim)
    write_model_file(latest, document, arrays)

    resumed = train("--resume", "ck", cwd=tmp_path)  # not --quiet: the note is shown
    assert resumed.returncode == 0, resumed.stderr
    assert victim.read_text() == "keep me"
    assert (tmp_path / "mlp.npz").exists()  # the default of a resumed run: the recipe's name
    assert f"the run was writing {victim}" in resumed.stdout + resumed.stderr

    again = train("--resume", "ck", "--out", "again.npz", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.npz").exists() and victim.read_text() == "keep me"


def test_a_checkpoint_nested_hundreds_deep_is_refused_and_resume_falls_back(mini, tmp_path):
    # Nesting past the budget's depth is refused before parsing (at 1,000 levels Python's
    # parser raised RecursionError, which also stopped resume from falling back).
    from nnscratch.errors import CheckpointError
    from nnscratch.training.checkpoint import load_latest, read_checkpoint

    first = train("--data", mini, *TINY, "--checkpoint-dir", "ck", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (_, older), (_, newest) = list_checkpoints(tmp_path / "ck")[-2:]
    document, arrays = read_model_file(newest)
    document["config"]["note"] = json.loads("[" * 500 + "]" * 500)  # json.dumps takes 500
    write_model_file(newest, document, arrays)
    with pytest.raises(CheckpointError, match="nests deeper than 64 levels"):
        read_checkpoint(newest)
    assert load_latest(tmp_path / "ck").path == older

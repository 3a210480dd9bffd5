"""Files written by nnscratch 0.1.0 keep loading: a model file and a checkpoint of that
version (tests/data, written by tests/data/write_0_1_files.py and never rewritten) load, give
the probabilities they gave when written, and the checkpoint's run resumes.

A change to the model-file format must keep these passing (read the old format too, or bump
FORMAT_VERSION with a reader for version 1); 1.0 promises that 0.1.0's files load.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from nnscratch import Sequential
from nnscratch.modelfile import read_model_file
from nnscratch.training.checkpoint import read_checkpoint

DATA = Path(__file__).resolve().parents[1] / "data"
MODEL, CHECKPOINT = DATA / "model-0.1.0.npz", DATA / "checkpoint-0.1.0.npz"


@pytest.fixture(scope="module")
def written():
    """The data the files were trained on and the probabilities recorded when written."""
    sys.path.insert(0, str(DATA))
    try:
        from write_0_1_files import tiny_data
    finally:
        sys.path.remove(str(DATA))
    reference = json.loads((DATA / "files-0.1.0.json").read_text())
    return tiny_data(), np.array(reference["inputs"]), np.array(reference["probabilities"])


def test_the_fixtures_are_those_of_0_1_0():
    for path in (MODEL, CHECKPOINT):
        document, _ = read_model_file(path)
        assert document["library_version"] == "0.1.0"
        assert document["format_version"] == 1
        assert path.stat().st_size < 8000  # a few kB: they live in the repository


def test_a_0_1_0_model_file_loads_and_predicts_as_it_did(written):
    _, inputs, probabilities = written
    model = Sequential.load(MODEL)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "ReLU", "Dense"]
    assert model.metadata["note"] == "a compatibility fixture"
    np.testing.assert_allclose(model.predict_proba(inputs), probabilities, rtol=0, atol=1e-6)


def test_a_0_1_0_checkpoint_resumes(written):
    (x, y), inputs, probabilities = written
    checkpoint = read_checkpoint(CHECKPOINT)
    assert (checkpoint.epoch, checkpoint.step) == (2, 0)
    model = Sequential.from_config(checkpoint.model_config)
    model.fit(x, y, epochs=2, batch_size=20, lr=0.01, seed=1, resume=checkpoint.state)
    # The run ended with the model file: the checkpoint holds the same weights.
    np.testing.assert_allclose(model.predict_proba(inputs), probabilities, rtol=0, atol=1e-6)
    history = model.fit(x, y, epochs=3, batch_size=20, lr=0.01, seed=1, resume=checkpoint.state)
    assert history.epoch == [1, 2, 3]
    assert np.isfinite(history.train_loss).all()

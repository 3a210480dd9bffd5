"""Write the model-file fixtures of test_file_compatibility.py: a tiny Dense network saved as
a model file, a checkpoint of its run, and the probabilities it gave when written.

They were written once by nnscratch 0.1.0 (model-file format 1, checkpoint version 1) and are
kept as they are: files of 0.1.0 must keep loading in every later version. Running this
again with a later nnscratch writes that version's files instead (compare before replacing).

    PYTHONPATH=src python tests/data/write_0_1_files.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from nnscratch import Dense, ReLU, Sequential
from nnscratch.training.checkpoint import Checkpointer

HERE = Path(__file__).resolve().parent
FEATURES, CLASSES, EXAMPLES = 6, 3, 60


def tiny_data() -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated clusters of integer "pixels" 0-255 (EXAMPLES, FEATURES)."""
    rng = np.random.default_rng(2024)
    labels = np.arange(EXAMPLES) % CLASSES
    centres = rng.integers(20, 236, size=(CLASSES, FEATURES))
    noise = rng.integers(-15, 16, size=(EXAMPLES, FEATURES))
    return np.clip(centres[labels] + noise, 0, 255).astype(np.uint8), labels.astype(np.uint8)


def main() -> None:
    x, y = tiny_data()
    model = Sequential([Dense(FEATURES, 5), ReLU(), Dense(5, CLASSES)], input_scale=1 / 255, seed=7)
    with tempfile.TemporaryDirectory() as folder:
        model.fit(x, y, epochs=2, batch_size=20, lr=0.01, seed=1, callbacks=[Checkpointer(folder)])
        shutil.copy(Path(folder) / "ckpt-00002-000000.npz", HERE / "checkpoint-0.1.0.npz")
    model.save(HERE / "model-0.1.0.npz", note="a compatibility fixture")
    reference = {"inputs": x[:4].tolist(), "probabilities": model.predict_proba(x[:4]).tolist()}
    (HERE / "files-0.1.0.json").write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()

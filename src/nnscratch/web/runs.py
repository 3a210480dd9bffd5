"""The folders of the runs started from the page: one per run under the runs folder, named
``run-YYYYMMDD-HHMMSS-N``, holding ``run.json`` (what was asked and the run's state, written
atomically at every change), ``checkpoints/``, ``model.npz`` and, for a fine-tuning, the
digits it trains on."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..fileio import atomic_write
from ..model import Recipe

RUN_FILE = "run.json"
# What fileio.atomic_write names a file it has not finished: .NAME.<12 hex digits>.tmp
TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")


@dataclass
class RunFolder:
    """One run: its ``folder``, the page's ``request``, the ``recipe`` it trains, the model
    file a fine-tuning starts from (``init_from``), the ``data`` spec, and its state."""

    folder: Path
    request: dict[str, Any]
    recipe: Recipe
    init_from: Path | None
    data: str = ""
    state: str = "starting"
    message: str = ""
    created: float = field(default_factory=time.time)
    saved: str = ""  # the name its model was saved as from the page, if it was

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def checkpoints(self) -> Path:
        return self.folder / "checkpoints"

    @property
    def model_path(self) -> Path:
        return self.folder / "model.npz"

    @property
    def epochs(self) -> int:
        return self.recipe.epochs

    @property
    def unit(self) -> str:
        return self.recipe.unit

    @property
    def every(self) -> int:
        """Epochs between two progress events: 1, or for a full-batch run its ``log_every``
        (the tutorial's 10 iterations)."""
        return (self.recipe.log_every or 10) if self.recipe.full_batch else 1

    def describe(self) -> dict[str, Any]:
        """What the page shows of the run."""
        fine_tune = self.init_from is not None
        name = self.request.get("model") if fine_tune else self.recipe.name
        return {
            "id": self.id,
            "mode": "fine_tune" if fine_tune else "train",
            "preset": self.recipe.name,
            "model": self.request.get("model"),
            "title": f"fine-tuning {name} on your digits"
            if fine_tune
            else f"{name}, trained from scratch",
            "epochs": self.epochs,
            "unit": self.unit,
            "every": self.every,
            "description": self.recipe.description(),
            "freeze": self.recipe.freeze,
            # The form's fields as this run trains them: a page opened later shows them.
            "settings": {
                "epochs": self.recipe.epochs,
                "lr": self.recipe.lr,
                "hidden": list(self.recipe.hidden),
                "optimizer": self.recipe.optimizer,
                "dropout": self.recipe.dropout,
                "dev_size": self.recipe.dev_size,
            },
        }

    def write(self, **changes: Any) -> None:
        """Record ``changes`` (state, message, data) in ``run.json``, atomically."""
        for key, value in changes.items():
            setattr(self, key, value)
        document = {
            "request": self.request,
            "recipe": self.recipe.to_json(),
            "init_from": None if self.init_from is None else str(self.init_from),
            "data": self.data,
            "state": self.state,
            "message": self.message,
            "created": self.created,
            "saved": self.saved,
        }
        with atomic_write(self.folder / RUN_FILE, DataError) as handle:
            handle.write(json.dumps(document, indent=1).encode())

    @classmethod
    def read(cls, folder: Path) -> RunFolder:
        """The run in ``folder``; DataError or ConfigError if its run.json is not one."""
        try:
            document = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DataError(f"{folder / RUN_FILE}: {error}") from None
        if not isinstance(document, dict) or not isinstance(document.get("request"), dict):
            raise DataError(f"{folder / RUN_FILE}: not a run's record")
        init_from = document.get("init_from")
        return cls(
            folder,
            document["request"],
            Recipe.from_json(document.get("recipe")),
            Path(init_from) if isinstance(init_from, str) else None,
            str(document.get("data") or ""),
            str(document.get("state") or ""),
            str(document.get("message") or ""),
            float(document.get("created") or 0),
            str(document.get("saved") or ""),
        )


def new_run(
    runs: Path, request: dict[str, Any], recipe: Recipe, init_from: Path | None
) -> RunFolder:
    """A new run's folder under ``runs`` (made), named by the time it starts."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        folder = runs / f"run-{stamp}-{n}"
        try:
            folder.mkdir(parents=True)
            break
        except FileExistsError:
            continue
        except OSError as error:
            raise ConfigError(
                f"cannot create a run folder in {runs}: {error.strerror or error}"
            ) from None
    else:
        raise ConfigError(f"too many runs started in one second in {runs}")
    return RunFolder(folder, dict(request), recipe, init_from)


def find_runs(runs: Path) -> list[RunFolder]:
    """The runs under ``runs`` whose record can be read, newest first."""
    try:
        entries = [
            Path(entry.path)
            for entry in os.scandir(runs)
            if entry.is_dir() and entry.name.startswith("run-")
        ]
    except OSError:
        return []
    found = []
    for folder in entries:
        try:
            found.append(RunFolder.read(folder))
        except (DataError, ConfigError):
            continue  # not a run, or a damaged record: left alone
    return sorted(found, key=lambda run: (run.created, run.id), reverse=True)


def remove_stale_temporaries(runs: Path) -> list[Path]:
    """Remove the temporary files a write killed midway left in the runs folder: in it, in
    ``models/``, in each run's folder and its ``checkpoints/``. Called when the server starts,
    before anything writes there. Returns the files removed."""
    folders = [runs, runs / "models"]
    try:
        runs_inside = [Path(e.path) for e in os.scandir(runs) if e.is_dir() and e.name != "models"]
    except OSError:
        return []
    for run in runs_inside:
        folders += [run, run / "checkpoints"]
    removed = []
    for folder in folders:
        try:
            entries = [entry for entry in os.scandir(folder) if TEMPORARY.fullmatch(entry.name)]
        except OSError:
            continue
        for entry in entries:
            try:
                os.remove(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                continue  # not ours to remove (permissions): left
    return removed

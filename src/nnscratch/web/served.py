"""The models a server answers with, chosen when it starts (never by a client), each run by
one replica per thread: layers cache what ``forward`` saw, so two requests at once must not
share a model's layers."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import is_real
from ..errors import ConfigError, ModelFileError
from ..explain import network_kind
from ..model import Sequential


@dataclass
class ServedModel:
    """A model by its name; :meth:`runner` gives the calling thread's own replica of it."""

    name: str
    model: Sequential
    file: str | None = None  # the file's name, shown to clients
    path: str | None = None  # where it was loaded from (never shown): what workers load
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def kind(self) -> str:
        return network_kind(self.model)

    def runner(self) -> Sequential:
        """This thread's replica: the shared parameters, layers (caches) of its own."""
        replica = getattr(self._local, "model", None)
        if replica is None:
            replica = self._local.model = self.model.replica()
        return replica

    def describe(self) -> dict:
        """What /api/models says of the model. Metadata of the wrong type (an edited file)
        is left out rather than sent: the answer keeps its schema."""
        meta = self.model.metadata
        preset = meta.get("preset")
        return {
            "name": self.name,
            "kind": self.kind,
            "parameters": self.model.parameter_count(),
            "preset": preset if isinstance(preset, str) else None,
            **_accuracies(meta),
            "file": self.file,
            "layers": self._layers(),
        }

    def _layers(self) -> list[dict]:
        rows = self.model.metadata.get("architecture")
        wanted = {"index": int, "type": str, "output_shape": list}
        if not (
            isinstance(rows, list)
            and rows
            and all(
                isinstance(row, dict)
                and all(isinstance(row.get(key), kind) for key, kind in wanted.items())
                for row in rows
            )
        ):
            rows = self.model.architecture(image_shape_of(self.model, self.name))
        return [{key: row[key] for key in wanted} for row in rows]


def _accuracies(meta: dict) -> dict:
    """MNIST test accuracy, and a fine-tuned model's on the held-out digits: its own metrics
    were measured on the user's digits, its MNIST figure is in its fine-tuning's record.
    Figures of the wrong type (an edited file) are left out: the answer keeps its schema."""

    def fraction(found: Any) -> float | None:
        return float(found) if is_real(found) and 0 <= found <= 1 else None

    def part(value: Any, key: str) -> Any:
        return value.get(key) if isinstance(value, dict) else None

    after = part(meta.get("fine_tuned_from"), "after")
    if isinstance(after, dict):
        return {
            "test_accuracy": fraction(after.get("mnist_test")),
            "held_out_accuracy": fraction(after.get("held_out")),
        }
    return {"test_accuracy": fraction(part(meta.get("metrics"), "test_accuracy"))}


def image_shape_of(model: Sequential, name: str = "the model") -> tuple[int, int]:
    """The (height, width) a model takes: recorded in its file, else MNIST's 28x28.
    ModelFileError naming ``name`` when what is recorded is not two sizes."""
    preprocessing = model.metadata.get("preprocessing")
    shape = preprocessing.get("image_shape") if isinstance(preprocessing, dict) else None
    if shape is None:
        return 28, 28
    if not (
        isinstance(shape, list)
        and len(shape) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 4096 for n in shape)
    ):
        raise ModelFileError(
            f"{name}: its metadata's preprocessing.image_shape is {str(shape)[:60]}, "
            f"not a height and a width"
        )
    return int(shape[0]), int(shape[1])


class ServedModels:
    """The server's models, in order, by unique name; all take one image shape."""

    def __init__(self, models: list[ServedModel]) -> None:
        if not models:
            raise ConfigError("serve needs at least one model")
        self.by_name: dict[str, ServedModel] = {}
        for served in models:
            if served.name in self.by_name:
                raise ConfigError(f"two models are named {served.name!r}")
            self.by_name[served.name] = served
        shapes = {
            served.name: image_shape_of(served.model, served.file or served.name)
            for served in models
        }
        if len(set(shapes.values())) > 1:
            raise ConfigError(
                "the models take images of different sizes: "
                + ", ".join(f"{name} {h}x{w}" for name, (h, w) in shapes.items())
            )
        self.image_shape = next(iter(shapes.values()))
        classes = {served.model.output_size for served in models}
        if len(classes) > 1:
            raise ConfigError(f"the models have different numbers of classes: {sorted(classes)}")
        self.classes = classes.pop()

    def __iter__(self):
        return iter(self.by_name.values())

    def add(self, served: ServedModel) -> None:
        """Serve one more model (a run saved from the page): ConfigError if its name is taken
        or it takes other images or classes. Requests being answered keep the models they
        started with: the mapping is replaced, never changed in place."""
        if served.name in self.by_name:
            raise ConfigError(f"a model is named {served.name!r} already")
        if image_shape_of(served.model, served.name) != self.image_shape:
            height, width = image_shape_of(served.model, served.name)
            raise ConfigError(
                f"{served.name} takes {height}x{width} images; the served models "
                f"take {self.image_shape[0]}x{self.image_shape[1]}"
            )
        if served.model.output_size != self.classes:
            raise ConfigError(
                f"{served.name} has {served.model.output_size} classes; the "
                f"served models have {self.classes}"
            )
        self.by_name = {**self.by_name, served.name: served}

    def pick(self, names: list[str] | None) -> list[ServedModel]:
        """The models named (all, in order, for None); ConfigError for an unknown name."""
        if names is None:
            return list(self.by_name.values())
        unknown = [name for name in names if name not in self.by_name]
        if unknown:
            raise ConfigError(
                f"unknown model {unknown[0]!r}; this server has: {', '.join(self.by_name)}"
            )
        return [self.by_name[name] for name in dict.fromkeys(names)]

    def get(self, name: str) -> ServedModel:
        return self.pick([name])[0]

    @classmethod
    def from_files(cls, paths: Sequence[str | os.PathLike[str]]) -> ServedModels:
        """Load model files, each named by its file name without ``.npz`` (``mlp``), and by
        more of its path when two names would clash."""
        stems = [Path(p).stem for p in paths]
        models: list[ServedModel] = []
        for path, stem in zip(paths, stems, strict=False):
            name = stem if stems.count(stem) == 1 else f"{stem} ({Path(path).parent.name or '.'})"
            while name in {m.name for m in models}:
                name += "'"
            models.append(
                ServedModel(name, Sequential.load(path), file=Path(path).name, path=os.fspath(path))
            )
        return cls(models)

    def spec(self) -> list[list[str]]:
        """[[name, path], ...]: what :meth:`from_spec` needs to load the same models again."""
        return [[served.name, served.path] for served in self]

    @classmethod
    def from_spec(cls, spec: list[list[str]]) -> ServedModels:
        return cls(
            [
                ServedModel(name, Sequential.load(path), file=Path(path).name, path=path)
                for name, path in spec
            ]
        )

"""The exported page: one self-contained HTML file holding a network, its numbers, the page's
modules bundled into one script, its style, and where the network came from."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import os
import re
from pathlib import Path
from typing import Any

from ...fileio import atomic_write
from ...model import Sequential
from .bundle import bundle
from .network import describe, glance_plan

STATIC = Path(__file__).resolve().parent.parent / "static"
ENTRY = "share.js"
STYLES = ("app.css", "share.css")


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Which model a page holds: its file's name and SHA-256, its preset and test accuracy
    (None where the file does not record them)."""

    name: str
    sha256: str
    preset: str | None
    test_accuracy: float | None

    @classmethod
    def of(cls, path: Path, model: Sequential) -> Provenance:
        """Read off the model file at ``path`` and its loaded ``model``'s metadata."""
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        metrics = model.metadata.get("metrics") or {}
        accuracy = metrics.get("test_accuracy") if isinstance(metrics, dict) else None
        preset = model.metadata.get("preset")
        return cls(
            path.name,
            digest,
            preset if isinstance(preset, str) else None,
            float(accuracy) if isinstance(accuracy, (int, float)) else None,
        )

    def words(self) -> str:
        """One line for the page: "mlp.npz (preset mlp, test accuracy 98.10 %), SHA-256 ..."."""
        about = [f"preset {self.preset}" if self.preset else "no preset recorded"]
        about.append(
            f"test accuracy {100 * self.test_accuracy:.2f} %"
            if self.test_accuracy is not None
            else "no test accuracy recorded"
        )
        return f"{self.name} ({', '.join(about)}), SHA-256 {self.sha256}"


def runtime() -> tuple[str, str]:
    """The page's script (the modules bundled) and its style: what every exported page holds
    whatever its network."""
    script = bundle(STATIC, ENTRY)
    style = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in STYLES)
    style = re.sub(r"/\*.*?\*/", "", style, flags=re.DOTALL)  # comments, then indentation
    return script, "\n".join(line.strip() for line in style.splitlines() if line.strip())


def _json_in_html(value: Any) -> str:
    """JSON that an HTML script element holds safely: no "</" to end it early."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def render_page(
    model: Sequential, provenance: Provenance, input_shape: tuple[int, ...] = (28, 28)
) -> str:
    """The whole page for ``model``, as text."""
    network, numbers = describe(model)
    shared = {
        "network": network,
        "input_shape": list(input_shape),
        "glance": glance_plan(model),
        "provenance": dataclasses.asdict(provenance),
    }
    script, style = runtime()
    title = provenance.preset or provenance.name
    parts = {
        "TITLE": html.escape(title),
        "PROVENANCE": html.escape(provenance.words()),
        "STYLE": style,
        "NETWORK": _json_in_html(shared),
        "WEIGHTS": base64.b64encode(numbers.tobytes()).decode("ascii"),
        "SCRIPT": script,
    }
    page = (STATIC / "share.html").read_text(encoding="utf-8")
    # One pass over the template: a value holding "{{SCRIPT}}" (a file's name can) stays as it is.
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda slot: parts[slot[1]], page)


def write_page(model_path: str | os.PathLike, output: str | os.PathLike) -> int:
    """Load the model file at ``model_path`` and write its page to ``output`` atomically;
    returns the page's size in bytes. ConfigError for a network the page cannot compute."""
    from ...errors import ConfigError

    path = Path(model_path)
    model = Sequential.load(path)
    shape = model.image_shape or (28, 28)
    if len(shape) != 2 or model.input_size not in (None, shape[0] * shape[1]):
        raise ConfigError(f"{path}: the page draws 28x28 digits; this network takes {shape}")
    text = render_page(model, Provenance.of(path, model), tuple(shape)).encode("utf-8")
    with atomic_write(output, ConfigError) as handle:
        handle.write(text)
    return len(text)

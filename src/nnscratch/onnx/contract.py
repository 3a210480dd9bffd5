"""What the ONNX exporter reads of a model: :class:`ExportableModel`, a structural type.

The exporter sits below :mod:`nnscratch.model`, so it cannot name ``Sequential``; it names what
it reads instead (``Sequential`` has it; tests/test_contracts.py has mypy check that it does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..engine.layers import Layer
from ..engine.losses import Loss


class ExportableModel(Protocol):
    """A network as the exporter reads it: layers in order, input scaling, loss and sizes."""

    @property
    def layers(self) -> Sequence[Layer]:
        """The layers, first to last; each type needs a converter (``onnx.layers``)."""
        ...

    @property
    def input_scale(self) -> float | None:
        """The factor raw inputs are multiplied by (1/255 for pixels), or None."""
        ...

    @property
    def loss(self) -> Loss:
        """The loss, whose ``name`` says how outputs become probabilities."""
        ...

    @property
    def input_size(self) -> int | None:
        """Values per example the network takes (784), or None if its first layer takes any."""
        ...

    @property
    def output_size(self) -> int:
        """Outputs per example (10 classes); 0 when no layer fixes it."""
        ...

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """One example's shape as recorded with the model, e.g. (28, 28), or None."""
        ...

    @property
    def metadata(self) -> Mapping[str, Any]:
        """What the model file records besides the weights (``preset``...)."""
        ...

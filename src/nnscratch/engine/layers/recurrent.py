"""What the recurrent layers (LSTM, GRU) share: parameters laid out as PyTorch's, sequences
batch-first, and the products that need no loop over time."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import checks
from ...errors import ConfigError
from ..initializers import get_initializer
from .base import SEQUENCES, Layer


def gate_sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = (1 + tanh(z/2)) / 2, in place (z is overwritten and returned).

    One pass of tanh instead of the several of :func:`~nnscratch.engine.layers.activations.
    sigmoid`: a gate's value only ever multiplies others, so its absolute precision (1 ulp of
    1) is what counts, not the relative precision of tails like σ(-40)."""
    z *= 0.5
    np.tanh(z, out=z)
    z += 1
    z *= 0.5
    return z


class Recurrent(Layer):
    """Base of LSTM and GRU: one block of H rows per gate (``gate_names``) in each weight
    matrix.

    Shapes: ``x`` (N, T, F) -> (N, H), the last hidden state, or with ``return_sequences``
    (N, T, H), every step's. Parameters, as PyTorch's ``nn.LSTM`` / ``nn.GRU`` (one layer,
    ``batch_first=True``) name and lay them out, so weights can be copied one to one:
    ``W_ih`` (gates·H, F) is ``weight_ih_l0``, ``W_hh`` (gates·H, H) is ``weight_hh_l0``,
    ``b_ih`` and ``b_hh`` (gates·H,) are ``bias_ih_l0`` and ``bias_hh_l0``. The initial hidden
    (and cell) state is zero.

    Initialisation (not PyTorch's uniform ±1/sqrt(H), which trains more slowly here): ``init``
    for ``W_ih`` (glorot by default), ``recurrent_init`` for ``W_hh`` (orthogonal, one block
    per gate), zero biases.

    The input's share of every step, ``x_t W_ihᵀ``, is one product over all T steps before the
    loop; after the backward loop, the weight gradients are one product each over all steps
    too. Only ``h_{t-1} W_hhᵀ`` and its gradient are computed step by step.
    """

    takes = SEQUENCES
    size_options = ("input_size", "hidden_size")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        return_sequences: bool = False,
        init: str = "glorot",
        recurrent_init: str = "orthogonal",
    ) -> None:
        super().__init__()
        self.input_size = checks.whole(f"{self.name} input_size", input_size, low=1)
        self.hidden_size = checks.whole(f"{self.name} hidden_size", hidden_size, low=1)
        self.return_sequences = checks.flag(f"{self.name} return_sequences", return_sequences)
        self.init, self.recurrent_init = init, recurrent_init
        self._weight_init = get_initializer(init)
        self._recurrent_init = get_initializer(recurrent_init)
        self.output_features = None if self.return_sequences else self.hidden_size
        self._kept: tuple[np.ndarray, ...] | None = None  # what forward keeps for backward

    keeps_size = False  # it takes sequences of any length

    @property
    def gates(self) -> int:
        """How many gates: blocks of H rows in each weight matrix."""
        return len(self.gate_names)

    @classmethod
    def options_from_shape(cls, shape: tuple[int, ...]) -> dict[str, Any]:
        """``input_size``: F of sequences (T, F)."""
        return {"input_size": shape[-1]}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(T, F) -> (H,), or (T, H) with ``return_sequences``."""
        self._check((1, *input_shape))
        h = self.hidden_size
        return (input_shape[0], h) if self.return_sequences else (h,)

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        """W_ih (gates·H, F), W_hh (gates·H, H), b_ih and b_hh (gates·H,)."""
        rows = self.gates * self.hidden_size
        return {
            "W_ih": (rows, self.input_size),
            "W_hh": (rows, self.hidden_size),
            "b_ih": (rows,),
            "b_hh": (rows,),
        }

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """W_ih with ``init``, each gate's block of W_hh with ``recurrent_init``, zero biases."""
        h, f, rows = self.hidden_size, self.input_size, self.gates * self.hidden_size
        self.params = {
            "W_ih": self._weight_init((rows, f), f, rows, rng, dtype),
            "W_hh": np.concatenate(
                [self._recurrent_init((h, h), h, h, rng, dtype) for _ in range(self.gates)]
            ),
            "b_ih": np.zeros(rows, dtype),
            "b_hh": np.zeros(rows, dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, T, F) -> (N, H), or (N, T, H) with ``return_sequences``; keeps every step's
        gates and states for backward."""
        y, self._kept = self._steps(x)
        return y

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, T, F) -> (N, H), or (N, T, H) with ``return_sequences``."""
        return self._steps(x)[0]

    def _steps(self, x: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """The output, and what the layer's backward needs of every step."""
        raise NotImplementedError

    def _steps_first(self, x: np.ndarray) -> np.ndarray:
        """(N, T, F) -> (T, N, F), contiguous, so each step's rows are one block."""
        W = self.params["W_ih"]
        self._check(x.shape)
        return np.ascontiguousarray(np.asarray(x, dtype=W.dtype).transpose(1, 0, 2))

    def _check(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 3 or shape[2] != self.input_size:
            raise ConfigError(
                f"{self.name}({self.input_size}, {self.hidden_size}) expects "
                f"sequences of shape (N, T, {self.input_size}), got {shape}"
            )
        if shape[1] < 1:
            raise ConfigError(f"{self.name} needs sequences of at least one step, got {shape}")

    def _output(self, hs: np.ndarray) -> np.ndarray:
        """Hidden states hs (T + 1, N, H), hs[0] the initial one, as the layer's output."""
        y: np.ndarray = hs[1:].transpose(1, 0, 2) if self.return_sequences else hs[-1]
        return y

    def _output_grads(self, grad_y: np.ndarray, t_steps: int) -> list[np.ndarray | None]:
        """The output's gradient for each step t (an (N, H) array or None), last step first."""
        if self.return_sequences:
            by_step = grad_y.transpose(1, 0, 2)
            return [by_step[t] for t in range(t_steps)]
        last_only: list[np.ndarray | None] = [None] * (t_steps - 1)
        return [*last_only, grad_y]

    def _weight_grads(
        self,
        xs: np.ndarray,
        hs: np.ndarray,
        d_input: np.ndarray,
        d_hidden: np.ndarray,
        input_grad: bool,
    ) -> np.ndarray | None:
        """Fill the gradients from every step's gate gradients at once: d_input (T, N, G·H)
        those of the input's share ``x_t W_ihᵀ + b_ih``, d_hidden those of the recurrent share
        ``h_{t-1} W_hhᵀ + b_hh``. Returns dx (N, T, F) or None."""
        t_steps, n, f = xs.shape
        rows = self.gates * self.hidden_size
        di, dh = d_input.reshape(-1, rows), d_hidden.reshape(-1, rows)
        np.matmul(di.T, xs.reshape(-1, f), out=self.grads["W_ih"])
        np.matmul(dh.T, hs[:-1].reshape(-1, self.hidden_size), out=self.grads["W_hh"])
        np.sum(di, axis=0, out=self.grads["b_ih"])
        if d_hidden is d_input:  # the LSTM's: both biases sit in the same sum
            self.grads["b_hh"][...] = self.grads["b_ih"]
        else:
            np.sum(dh, axis=0, out=self.grads["b_hh"])
        if not input_grad:
            return None
        dx: np.ndarray = (di @ self.params["W_ih"]).reshape(t_steps, n, f).transpose(1, 0, 2)
        return dx

    def config(self) -> dict[str, Any]:
        """The constructor's arguments: input_size, hidden_size, return_sequences, init,
        recurrent_init."""
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "return_sequences": self.return_sequences,
            "init": self.init,
            "recurrent_init": self.recurrent_init,
        }

"""Long short-term memory (Hochreiter & Schmidhuber, 1997) over batch-first sequences."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import checks
from .base import Example, from_forward
from .recurrent import Recurrent

# What forward keeps for backward: xs, acts, hs, cs, tanh_c (see LSTM._steps).
_Kept = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class LSTM(Recurrent):
    """An LSTM layer, as PyTorch's ``nn.LSTM`` computes it (one layer, ``batch_first=True``).

    For each step t = 1..T, with h_0 = c_0 = 0, x_t (N, F), h and c (N, H)::

        a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh             (N, 4H)
        i = σ(a_t[:, 0:H])     f = σ(a_t[:, H:2H])                 input and forget gates
        g = tanh(a_t[:, 2H:3H])                                    candidate cell
        o = σ(a_t[:, 3H:4H])                                       output gate
        c_t = f ⊙ c_{t-1} + i ⊙ g
        h_t = o ⊙ tanh(c_t)

    Gate order i, f, g, o in the rows of ``W_ih`` (4H, F), ``W_hh`` (4H, H), ``b_ih`` and
    ``b_hh`` (4H,): PyTorch's. The output is h_T (N, H), or (h_1 .. h_T) as (N, T, H) with
    ``return_sequences``.

    Backpropagation through time, from the last step back, with dh and dc the gradients
    carried from step t + 1 (zero after the last) plus the output's gradient at step t::

        dh = dh_{from t+1} + dy_t
        do = dh ⊙ tanh(c_t)
        dc = dc_{from t+1} + dh ⊙ o ⊙ (1 - tanh²(c_t))
        di = dc ⊙ g,  df = dc ⊙ c_{t-1},  dg = dc ⊙ i
        da_t = [di ⊙ i(1-i), df ⊙ f(1-f), dg ⊙ (1-g²), do ⊙ o(1-o)]        (N, 4H)
        dh_{to t-1} = da_t W_hh,   dc_{to t-1} = dc ⊙ f

    then, summed over all steps in one product each: dW_ih = Σ_t da_tᵀ x_t, dW_hh = Σ_t da_tᵀ
    h_{t-1}, db_ih = db_hh = Σ_t Σ_n da_t, and dx_t = da_t W_ih.

    ``forget_bias`` (1 by default, as Jozefowicz et al. 2015 advise and Keras does) starts
    b_ih's forget block there, so that the cell remembers from the start; 0 gives all-zero
    biases.
    """

    gate_names = ("input", "forget", "cell", "output")
    examples = (
        Example({"input_size": 3, "hidden_size": 4}, (5, 3)),
        Example(
            {"input_size": 3, "hidden_size": 2, "return_sequences": True, "forget_bias": 0.5},
            (4, 3),
        ),
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        return_sequences: bool = False,
        init: str = "glorot",
        recurrent_init: str = "orthogonal",
        forget_bias: float = 1.0,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            return_sequences=return_sequences,
            init=init,
            recurrent_init=recurrent_init,
        )
        self.forget_bias = checks.real("LSTM forget_bias", forget_bias)

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """As :class:`Recurrent`, then b_ih's forget block set to ``forget_bias``."""
        super().initialize(rng, dtype)
        h = self.hidden_size
        self.params["b_ih"][h : 2 * h] = self.forget_bias

    def _steps(self, x: np.ndarray) -> tuple[np.ndarray, _Kept]:
        """The output, and what backward needs of every step: (xs, acts, hs, cs, tanh_c)."""
        p = self.params
        xs = self._steps_first(x)
        t_steps, n, _ = xs.shape
        h = self.hidden_size
        # The gates' activations in one tanh over each step's whole (N, 4H) row block: σ(z) =
        # (1 + tanh(z/2)) / 2, and z/2 comes from weights and biases halved in the sigmoid
        # gates' rows (exact: halving a floating-point number is, away from subnormal numbers,
        # so each product and sum is half the unhalved one, bit for bit; the weights are never
        # that small). A gate's (N, H) slice is strided, and NumPy's passes over it cost 2-3x
        # those over contiguous values per element.
        halves = self._gate_scales(xs.dtype)
        # Every step's input share at once: (T·N, F) @ (F, 4H), both biases added.
        w_ih = p["W_ih"] * halves[:, None]
        acts = (xs.reshape(t_steps * n, -1) @ w_ih.T).reshape(t_steps, n, 4 * h)
        acts += (p["b_ih"] + p["b_hh"]) * halves
        hs = np.zeros((t_steps + 1, n, h), dtype=xs.dtype)
        cs = np.zeros((t_steps + 1, n, h), dtype=xs.dtype)
        tanh_c = np.empty((t_steps, n, h), dtype=xs.dtype)
        recurrent = (p["W_hh"] * halves[:, None]).T
        shifts = 1 - halves  # (1 + t) / 2 = t / 2 + 1/2 in the sigmoid gates; t in the cell's
        for t in range(t_steps):
            a = acts[t]
            a += hs[t] @ recurrent
            np.tanh(a, out=a)
            a *= halves
            a += shifts
            i, f, g, o = a[:, :h], a[:, h : 2 * h], a[:, 2 * h : 3 * h], a[:, 3 * h :]
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            c += i * g
            np.tanh(c, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])
        return self._output(hs), (xs, acts, hs, cs, tanh_c)

    def _gate_scales(self, dtype: np.dtype) -> np.ndarray:
        """(4H,): 1/2 in the rows of the sigmoid gates (i, f, o), 1 in the cell's (g)."""
        h = self.hidden_size
        scales = np.full(4 * h, 0.5, dtype=dtype)
        scales[2 * h : 3 * h] = 1
        return scales

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients through time: dy, (N, H) or (N, T, H) -> dx (N, T, F); fills the four
        weight gradients."""
        xs, acts, hs, cs, tanh_c = from_forward(self._kept, self)
        t_steps, n, _ = acts.shape
        h = self.hidden_size
        w_hh = self.params["W_hh"]
        d_acts = np.empty_like(acts)
        dh = np.zeros((n, h), dtype=acts.dtype)
        dc = np.zeros((n, h), dtype=acts.dtype)
        output_grads = self._output_grads(grad_y, t_steps)
        # Each step's activation slopes over its whole contiguous (N, 4H) block, as forward
        # computes the activations: σ(1 - σ) = (a + 0)(1 - a) in the sigmoid gates, 1 - g² =
        # (a + 1)(1 - a) in the cell's; then one product with the gradients that reach the
        # gates, [dc ⊙ g, dc ⊙ c_{t-1}, dc ⊙ i, dh ⊙ tanh(c_t)], made a gate at a time.
        offsets = 2 * self._gate_scales(acts.dtype) - 1  # 0 in the sigmoid gates, 1 in g
        slopes = np.empty((n, 4 * h), dtype=acts.dtype)
        rest = np.empty_like(slopes)
        for t in range(t_steps - 1, -1, -1):
            if output_grads[t] is not None:
                dh += output_grads[t]
            a, da = acts[t], d_acts[t]
            i, f, g, o = a[:, :h], a[:, h : 2 * h], a[:, 2 * h : 3 * h], a[:, 3 * h :]
            tc = tanh_c[t]
            np.add(a, offsets, out=slopes)
            np.subtract(1, a, out=rest)
            slopes *= rest
            np.multiply(dh, tc, out=da[:, 3 * h :])  # do = dh ⊙ tanh(c_t)
            dc += dh * o * (1 - tc * tc)
            np.multiply(dc, g, out=da[:, :h])
            np.multiply(dc, cs[t], out=da[:, h : 2 * h])
            np.multiply(dc, i, out=da[:, 2 * h : 3 * h])
            da *= slopes
            dc *= f
            np.matmul(da, w_hh, out=dh)
        # The input's and the recurrent share's gradients are the same da_t here.
        return self._weight_grads(xs, hs, d_acts, d_acts, input_grad)

    def config(self) -> dict[str, Any]:
        """Those of :class:`Recurrent`, and forget_bias."""
        return {**super().config(), "forget_bias": self.forget_bias}

"""Gated recurrent unit (Cho et al., 2014) over batch-first sequences."""

from __future__ import annotations

import numpy as np

from .base import Example, from_forward
from .recurrent import Recurrent, gate_sigmoid

# What forward keeps for backward: xs, hs, gates, v_n (see GRU._steps).
_Kept = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class GRU(Recurrent):
    """A GRU layer, as PyTorch's ``nn.GRU`` computes it (one layer, ``batch_first=True``).

    For each step t = 1..T, with h_0 = 0, x_t (N, F), h (N, H), and the input's and the
    recurrent shares u_t = x_t W_ihᵀ + b_ih and v_t = h_{t-1} W_hhᵀ + b_hh, each (N, 3H)::

        r = σ(u_t[:, 0:H] + v_t[:, 0:H])                     reset gate
        z = σ(u_t[:, H:2H] + v_t[:, H:2H])                   update gate
        n = tanh(u_t[:, 2H:3H] + r ⊙ v_t[:, 2H:3H])          candidate state
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    Gate order r, z, n in the rows of ``W_ih`` (3H, F), ``W_hh`` (3H, H), ``b_ih`` and
    ``b_hh`` (3H,), and the reset gate applied to the recurrent share with its bias
    (r ⊙ (h W_hnᵀ + b_hn)): PyTorch's. The output is h_T (N, H), or (h_1 .. h_T) as
    (N, T, H) with ``return_sequences``.

    Backpropagation through time, from the last step back, dh being the gradient carried
    from step t + 1 (zero after the last) plus the output's gradient at step t::

        dn = dh ⊙ (1 - z),   dz = dh ⊙ (h_{t-1} - n)
        dn' = dn ⊙ (1 - n²),   dr' = dn' ⊙ v_t[:, 2H:3H] ⊙ r(1-r),   dz' = dz ⊙ z(1-z)
        du_t = [dr', dz', dn']           dv_t = [dr', dz', dn' ⊙ r]          (N, 3H)
        dh_{to t-1} = dh ⊙ z + dv_t W_hh

    then, summed over all steps in one product each: dW_ih = Σ_t du_tᵀ x_t, db_ih = Σ du_t,
    dW_hh = Σ_t dv_tᵀ h_{t-1}, db_hh = Σ dv_t, and dx_t = du_t W_ih.
    """

    gate_names = ("reset", "update", "new")
    examples = (
        Example({"input_size": 3, "hidden_size": 4}, (5, 3)),
        Example({"input_size": 2, "hidden_size": 3, "return_sequences": True}, (4, 2)),
    )

    def _steps(self, x: np.ndarray) -> tuple[np.ndarray, _Kept]:
        """The output, and what backward needs of every step: (xs, hs, gates, v_n)."""
        p = self.params
        xs = self._steps_first(x)
        t_steps, n, _ = xs.shape
        h = self.hidden_size
        u = (xs.reshape(t_steps * n, -1) @ p["W_ih"].T).reshape(t_steps, n, 3 * h)
        u += p["b_ih"]
        hs = np.zeros((t_steps + 1, n, h), dtype=xs.dtype)
        gates = np.empty((t_steps, n, 3 * h), dtype=xs.dtype)  # r, z, n of every step
        v_n = np.empty((t_steps, n, h), dtype=xs.dtype)  # the recurrent share of n
        recurrent, b_hh = p["W_hh"].T, p["b_hh"]
        for t in range(t_steps):
            v = hs[t] @ recurrent
            v += b_hh
            g = gates[t]
            np.add(u[t, :, : 2 * h], v[:, : 2 * h], out=g[:, : 2 * h])
            gate_sigmoid(g[:, : 2 * h])
            r, z, cand = g[:, :h], g[:, h : 2 * h], g[:, 2 * h :]
            v_n[t] = v[:, 2 * h :]
            np.multiply(r, v_n[t], out=cand)
            cand += u[t, :, 2 * h :]
            np.tanh(cand, out=cand)
            # h_t = n + z ⊙ (h_{t-1} - n)
            np.subtract(hs[t], cand, out=hs[t + 1])
            hs[t + 1] *= z
            hs[t + 1] += cand
        return self._output(hs), (xs, hs, gates, v_n)

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients through time: dy, (N, H) or (N, T, H) -> dx (N, T, F); fills the four
        weight gradients."""
        xs, hs, gates, v_n = from_forward(self._kept, self)
        t_steps, n, _ = gates.shape
        h = self.hidden_size
        w_hh = self.params["W_hh"]
        d_u = np.empty_like(gates)
        d_v = np.empty_like(gates)
        dh = np.zeros((n, h), dtype=gates.dtype)
        output_grads = self._output_grads(grad_y, t_steps)
        for t in range(t_steps - 1, -1, -1):
            if output_grads[t] is not None:
                dh += output_grads[t]
            g, du, dv = gates[t], d_u[t], d_v[t]
            r, z, cand = g[:, :h], g[:, h : 2 * h], g[:, 2 * h :]
            dn = du[:, 2 * h :]
            np.multiply(dh, (1 - z) * (1 - cand * cand), out=dn)  # dn'
            np.multiply(dn, v_n[t] * r * (1 - r), out=du[:, :h])  # dr'
            np.multiply(dh, (hs[t] - cand) * z * (1 - z), out=du[:, h : 2 * h])  # dz'
            dv[:, : 2 * h] = du[:, : 2 * h]
            np.multiply(dn, r, out=dv[:, 2 * h :])
            dh *= z
            dh += dv @ w_hh
        return self._weight_grads(xs, hs, d_u, d_v, input_grad)

"""2-D convolution as im2col and one matrix product."""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from ..initializers import get_initializer
from .base import Layer


class Conv2D(Layer):
    """Cross-correlation of images with learnt kernels, plus a bias per output channel.

    ``y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v W[o, c, u, v] · x_pad[n, c, s·i + u, s·j + v]``

    Shapes: ``x`` (N, C_in, H, W) -> ``y`` (N, C_out, H_out, W_out) with
    ``H_out = (H + 2p - k) // s + 1`` (likewise W_out); ``W`` (C_out, C_in, k, k), ``b`` (C_out,).

    How (im2col): for each kernel offset (u, v), the strided slice of ``x`` that the offset reads
    is copied into one block of rows of ``cols`` (C_in·k·k, N·H_out·W_out): k·k contiguous copies
    of whole feature maps, no loop over examples. The convolution is then one GEMM,
    ``zᵀ = Wmat cols`` with ``Wmat = W.reshape(C_out, C_in·k·k)``, giving (C_out, N, H_out,
    W_out) in memory, handed on as an (N, C_out, H_out, W_out) view. Backward, with ``dzᵀ``
    (C_out, N·H_out·W_out) the output gradient in that layout:

    * ``dWmat = dzᵀ colsᵀ``               (C_out, C_in·k·k)
    * ``db = Σ_columns dzᵀ``              (C_out,)
    * ``dcols = Wmatᵀ dzᵀ``, then col2im: each kernel offset adds its block of rows back into
      the slice of ``dx`` it was read from (k·k strided additions, no ``np.add.at``).

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size: k, the side of the square kernel.
        stride: s, the step between windows.
        padding: p, zeros added on each side of H and W; or ``"same"``, the p that keeps the
            size, (k - 1) / 2, for stride 1 and an odd k (as PyTorch's ``padding="same"``
            for odd kernels); ``config()`` keeps the word.
        init: initializer for ``W`` (fan_in = C_in·k·k, fan_out = C_out·k·k).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *,
                 stride: int = 1, padding: int | str = 0, init: str = "he",
                 bias_init: str = "zeros") -> None:
        super().__init__()
        self.padding_given = padding
        if padding == "same":
            if int(stride) != 1 or int(kernel_size) % 2 == 0:
                raise ConfigError(f"Conv2D padding 'same' needs stride 1 and an odd "
                                  f"kernel_size, got stride {stride}, kernel_size {kernel_size}")
            padding = (int(kernel_size) - 1) // 2
        elif isinstance(padding, str):
            raise ConfigError(f"Conv2D padding must be a whole number >= 0 or 'same', got "
                              f"{padding!r}")
        sizes = dict(in_channels=in_channels, out_channels=out_channels,
                     kernel_size=kernel_size, stride=stride)
        if any(int(v) < 1 for v in sizes.values()) or int(padding) < 0:
            raise ConfigError(f"Conv2D needs positive sizes and padding >= 0, got "
                              f"{sizes | {'padding': padding}}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = int(kernel_size), int(stride), int(padding)
        self.init, self.bias_init = init, bias_init
        self._weight_init = get_initializer(init)
        self._bias_init = get_initializer(bias_init)

    keeps_size = False  # it takes images of any size

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        k = self.kernel_size
        return {"W": (self.out_channels, self.in_channels, k, k), "b": (self.out_channels,)}

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        k = self.kernel_size
        shape = (self.out_channels, self.in_channels, k, k)
        fan_in, fan_out = self.in_channels * k * k, self.out_channels * k * k
        self.params = {
            "W": self._weight_init(shape, fan_in, fan_out, rng, dtype),
            "b": self._bias_init((self.out_channels,), fan_in, fan_out, rng, dtype),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def output_shape(self, height: int, width: int) -> tuple[int, int]:
        """(H_out, W_out) for an input of (height, width)."""
        k, s, p = self.kernel_size, self.stride, self.padding
        return (height + 2 * p - k) // s + 1, (width + 2 * p - k) // s + 1

    def forward(self, x: np.ndarray, training: bool = False,
                rng: np.random.Generator | None = None) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ConfigError(f"Conv2D({self.in_channels}, {self.out_channels}) expects images "
                              f"of shape (N, {self.in_channels}, H, W), got {x.shape}")
        n, _, height, width = x.shape
        h_out, w_out = self.output_shape(height, width)
        if h_out < 1 or w_out < 1:
            raise ConfigError(f"Conv2D kernel {self.kernel_size} does not fit images of "
                              f"{height}x{width} (padding {self.padding})")
        x = np.asarray(x, dtype=W.dtype)
        p, k = self.padding, self.kernel_size
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        cols = np.empty((self.in_channels, k, k, n, h_out, w_out), dtype=x.dtype)
        for (u, v), window in self._offsets(x, h_out, w_out):
            cols[:, u, v] = window.transpose(1, 0, 2, 3)
        cols = cols.reshape(-1, n * h_out * w_out)
        z = W.reshape(self.out_channels, -1) @ cols
        z += b[:, None]
        self._cols, self._padded_shape = cols, x.shape
        return z.reshape(self.out_channels, n, h_out, w_out).transpose(1, 0, 2, 3)

    def _offsets(self, x: np.ndarray, h_out: int, w_out: int):
        """For each kernel offset (u, v): the slice x_pad[:, :, s·i + u, s·j + v] over all
        outputs (i, j), a strided view of shape (N, C_in, H_out, W_out)."""
        k, s = self.kernel_size, self.stride
        for u in range(k):
            for v in range(k):
                yield (u, v), x[:, :, u:u + s * (h_out - 1) + 1:s, v:v + s * (w_out - 1) + 1:s]

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        W = self.params["W"]
        n, c_out, h_out, w_out = grad_y.shape
        dz = grad_y.transpose(1, 0, 2, 3).reshape(c_out, -1)  # a view when grad_y is ours
        np.matmul(dz, self._cols.T, out=self.grads["W"].reshape(c_out, -1))
        np.sum(dz, axis=1, out=self.grads["b"])
        if not input_grad:
            return None
        k, p = self.kernel_size, self.padding
        dcols = (W.reshape(c_out, -1).T @ dz).reshape(self.in_channels, k, k, n, h_out, w_out)
        dx = np.zeros(self._padded_shape, dtype=dz.dtype)
        for (u, v), window in self._offsets(dx, h_out, w_out):
            window += dcols[:, u, v].transpose(1, 0, 2, 3)
        return dx[:, :, p:dx.shape[2] - p, p:dx.shape[3] - p] if p else dx

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride,
                "padding": "same" if self.padding_given == "same" else self.padding,
                "init": self.init, "bias_init": self.bias_init}

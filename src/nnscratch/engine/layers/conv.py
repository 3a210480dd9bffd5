"""2-D convolution as im2col and one matrix product, in the memory layout that makes both cheap."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...errors import ConfigError
from ..initializers import get_initializer
from .base import IMAGES, Example, Layer, from_forward
from .scratch import Scratch, chwn, images_per_chunk

# OpenBLAS's AVX-512 (SkylakeX) kernels run a product of at most a million multiply-adds in
# their small-matrix path, without packing or threads: a first convolution's weight gradient
# (26 x 8 outputs summed over 73,728 positions) took 0.28 ms as 16 such products against 0.59 ms
# as one. Its AVX2 kernels took 5-15 % longer in slices (python -m benchmarks.conv_products).
SMALL_PRODUCT = 1_000_000
SHORTEST_SLICE, MOST_SLICES = 1024, 32


def long_product(a: np.ndarray, b: np.ndarray, out: np.ndarray, scratch: Scratch) -> None:
    """``out = a @ b`` for a (M, K) and b (K, N) with a long K and few outputs: as the sum of
    products over slices of K of at most SMALL_PRODUCT multiply-adds each, when those slices
    are long (at least SHORTEST_SLICE) and few (at most MOST_SLICES); else as one product. The
    slicing follows from the shapes alone, so a run's sums are the same on every call."""
    (m, k), n = a.shape, b.shape[1]
    step = SMALL_PRODUCT // max(1, m * n)
    if step < SHORTEST_SLICE or step >= k or -(-k // step) > MOST_SLICES:
        np.matmul(a, b, out=out)
        return
    part = scratch.get("product_slice", out.shape, out.dtype)
    np.matmul(a[:, :step], b[:step], out=out)
    for start in range(step, k, step):
        np.matmul(a[:, start : start + step], b[start : start + step], out=part)
        out += part


class Conv2D(Layer):
    """Cross-correlation of images with learnt kernels, plus a bias per output channel.

    ``y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v W[o, c, u, v] · x_pad[n, c, s·i + u, s·j + v]``

    Shapes: ``x`` (N, C_in, H, W) -> ``y`` (N, C_out, H_out, W_out) with
    ``H_out = (H + 2p - k) // s + 1`` (likewise W_out); ``W`` (C_out, C_in, k, k), ``b`` (C_out,).

    How (im2col): with the batch as the last axis in memory, x_pad laid out (C_in, H, W, N), the
    columns ``cols[(c, u, v), (i, j, n)] = x_pad[c, s·i + u, s·j + v, n]`` (C_in·k·k,
    H_out·W_out·N) are one strided copy whose inner runs are whole rows of windows (W_out·N
    values in a row, for stride 1), and the convolution is one GEMM,
    ``zᵀ = Wmat cols`` with ``Wmat = W.reshape(C_out, C_in·k·k)``: (C_out, H_out, W_out, N) in
    memory, handed on as an (N, C_out, H_out, W_out) view. The layers after it (activations,
    pooling) keep that layout, so the next convolution finds its input ready. Backward, with
    ``dzᵀ`` (C_out, H_out·W_out·N) the output gradient in that layout:

    * ``dWmat = dzᵀ colsᵀ``               (C_out, C_in·k·k), computed as ``(cols dz)ᵀ``
    * ``db = dzᵀ 1``                       (C_out,), in the same product (a row of ones under
      the columns adds the bias in forward, and gives db here)
    * ``dcols = Wmatᵀ dzᵀ``, then col2im: each kernel offset adds its block of rows back into
      the slice of ``dx`` it was read from (k·k strided additions, no ``np.add.at``); one
      product per kernel row, so that its block is added while still in cache.

    The columns, their gradient and the padded image are kept between batches (a layer's own
    scratch, never shared between models), and without ``training`` a large batch is computed
    in chunks of images, so the columns stay a few megabytes whatever the batch.

    Args:
        in_channels: C_in, the input's channels.
        out_channels: C_out, the output's channels (one kernel each).
        kernel_size: k, the side of the square kernel.
        stride: s, the step between windows.
        padding: p, zeros added on each side of H and W; or ``"same"``, the p that keeps the
            size, (k - 1) / 2, for stride 1 and an odd k (as PyTorch's ``padding="same"``
            for odd kernels); ``config()`` keeps the word.
        init: initializer for ``W`` (fan_in = C_in·k·k, fan_out = C_out·k·k).
    """

    takes = IMAGES
    size_options = ("in_channels", "out_channels", "kernel_size")
    examples = (
        # a stride and padding that change the output; a row left over by the stride
        Example(
            {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1},
            (2, 6, 5),
        ),
        Example(
            {
                "in_channels": 1,
                "out_channels": 2,
                "kernel_size": 3,
                "padding": "same",
                "init": "glorot",
            },
            (1, 5, 4),
        ),
    )

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        stride: int = 1,
        padding: int | str = 0,
        init: str = "he",
        bias_init: str = "zeros",
    ) -> None:
        super().__init__()
        self.padding_given = padding
        if padding == "same":
            if int(stride) != 1 or int(kernel_size) % 2 == 0:
                raise ConfigError(
                    f"Conv2D padding 'same' needs stride 1 and an odd "
                    f"kernel_size, got stride {stride}, kernel_size {kernel_size}"
                )
            padding = (int(kernel_size) - 1) // 2
        elif isinstance(padding, str):
            raise ConfigError(
                f"Conv2D padding must be a whole number >= 0 or 'same', got {padding!r}"
            )
        sizes = dict(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
        )
        if any(int(v) < 1 for v in sizes.values()) or int(padding) < 0:
            raise ConfigError(
                f"Conv2D needs positive sizes and padding >= 0, got {sizes | {'padding': padding}}"
            )
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = int(kernel_size), int(stride), int(padding)
        self.init, self.bias_init = init, bias_init
        self._weight_init = get_initializer(init)
        self._bias_init = get_initializer(bias_init)
        self._scratch = Scratch()
        self._x: np.ndarray | None = None
        self._cols: np.ndarray | None = None
        self._input_size = (0, 0)

    keeps_size = False  # it takes images of any size

    @classmethod
    def options_from_shape(cls, shape: tuple[int, ...]) -> dict[str, Any]:
        """``in_channels``: C of images (C, H, W)."""
        return {"in_channels": shape[0]}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(C_in, H, W) -> (C_out, H_out, W_out)."""
        return self._check((1, *input_shape))[1:]

    def array_shapes(self) -> dict[str, tuple[int, ...]]:
        """W (C_out, C_in, k, k), b (C_out,)."""
        k = self.kernel_size
        return {"W": (self.out_channels, self.in_channels, k, k), "b": (self.out_channels,)}

    def initialize(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw W with ``init`` and b with ``bias_init``."""
        k = self.kernel_size
        shape = (self.out_channels, self.in_channels, k, k)
        fan_in, fan_out = self.in_channels * k * k, self.out_channels * k * k
        self.params = {
            "W": self._weight_init(shape, fan_in, fan_out, rng, dtype),
            "b": self._bias_init((self.out_channels,), fan_in, fan_out, rng, dtype),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(H_out, W_out) for an input of (height, width)."""
        k, s, p = self.kernel_size, self.stride, self.padding
        return (height + 2 * p - k) // s + 1, (width + 2 * p - k) // s + 1

    def forward(
        self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """(N, C_in, H, W) -> (N, C_out, H_out, W_out), laid out batch-last in memory."""
        W = self.params["W"]
        n, _, h_out, w_out = self._check(x.shape)
        height, width = x.shape[2:]
        self._x, self._input_size = x, (height, width)
        weights_and_bias = self._weights_and_bias()
        chunk = n if training else images_per_chunk(self._column_bytes(h_out, w_out, W.dtype))
        if n <= chunk:
            cols = self._im2col(x, h_out, w_out, W.dtype)
            z = weights_and_bias @ cols
            self._cols = cols
        else:  # a prediction batch too large for columns of a few megabytes: chunk by chunk
            z = np.empty((self.out_channels, h_out, w_out, n), dtype=W.dtype)
            for start in range(0, n, chunk):
                part = x[start : start + chunk]
                cols = self._im2col(part, h_out, w_out, W.dtype)
                z[..., start : start + len(part)] = (weights_and_bias @ cols).reshape(
                    self.out_channels, h_out, w_out, len(part)
                )
            self._cols = None  # backward (rare after a prediction) makes them again from x
        y: np.ndarray = z.reshape(self.out_channels, h_out, w_out, n).transpose(3, 0, 1, 2)
        return y

    def _check(self, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """The output's shape for an input of ``shape`` (N, C_in, H, W); ConfigError when
        it is not such a shape, or the kernel does not fit."""
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ConfigError(
                f"Conv2D({self.in_channels}, {self.out_channels}) expects images "
                f"of shape (N, {self.in_channels}, H, W), got {shape}"
            )
        n, _, height, width = shape
        h_out, w_out = self.output_size(height, width)
        if h_out < 1 or w_out < 1:
            raise ConfigError(
                f"Conv2D kernel {self.kernel_size} does not fit images of "
                f"{height}x{width} (padding {self.padding})"
            )
        return n, self.out_channels, h_out, w_out

    def _weights_and_bias(self) -> np.ndarray:
        """[Wmat | b] (C_out, C_in·k·k + 1): with a row of ones under the columns, one product
        adds the bias, and the weight gradient's product gives the bias gradient with it
        (cheaper than a pass over the output for each, with the first layer's k·k = 25 rows)."""
        W, b = self.params["W"], self.params["b"]
        depth = W[0].size
        matrix = self._scratch.get("weights_and_bias", (self.out_channels, depth + 1), W.dtype)
        matrix[:, :depth] = W.reshape(self.out_channels, depth)
        matrix[:, depth] = b
        return matrix

    def _column_bytes(self, h_out: int, w_out: int, dtype: np.dtype) -> int:
        """Bytes of one image's columns."""
        depth = self.in_channels * self.kernel_size**2 + 1
        return depth * h_out * w_out * int(np.dtype(dtype).itemsize)

    def _im2col(self, x: np.ndarray, h_out: int, w_out: int, dtype: np.dtype) -> np.ndarray:
        """Cols (C_in·k·k + 1, H_out·W_out·N) of images x (N, C_in, H, W), the last row ones
        (for the bias), in the layer's scratch."""
        n = len(x)
        k, s, p, depth = (
            self.kernel_size,
            self.stride,
            self.padding,
            self.in_channels * self.kernel_size**2,
        )
        padded = chwn(x, p, dtype, self._scratch)  # (C_in, H + 2p, W + 2p, N)
        sc, sh, sw, sn = padded.strides
        windows = as_strided(
            padded,
            (self.in_channels, k, k, h_out, w_out, n),
            (sc, sh, sw, s * sh, s * sw, sn),
            writeable=False,
        )
        cols = self._scratch.get("cols", (depth + 1, h_out * w_out * n), dtype)
        np.copyto(cols[:depth].reshape(windows.shape), windows)
        cols[depth] = 1
        return cols

    def backward(self, grad_y: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Gradients: dy (N, C_out, H_out, W_out) -> dx (N, C_in, H, W); fills dW and db."""
        W, cols = self.params["W"], self._cols
        n, c_out, h_out, w_out = grad_y.shape
        if cols is None:
            cols = self._im2col(from_forward(self._x, self), h_out, w_out, W.dtype)
        # dzᵀ (C_out, H_out·W_out·N): a view when grad_y has the layout forward returned
        dz = np.ascontiguousarray(grad_y.transpose(1, 2, 3, 0)).reshape(c_out, -1)
        depth = W[0].size
        # [dWmat | db]ᵀ = cols dzᵀ: OpenBLAS ran this long reduction up to 2x faster in this
        # orientation than dz colsᵀ, in slices where they pay (python -m benchmarks.conv_products)
        gradients = self._scratch.get("gradients", (depth + 1, c_out), dz.dtype)
        long_product(cols, dz.T, gradients, self._scratch)
        self.grads["W"].reshape(c_out, depth)[...] = gradients[:depth].T
        self.grads["b"][...] = gradients[depth]
        if not input_grad:
            return None
        k, s, p, c_in = self.kernel_size, self.stride, self.padding, self.in_channels
        # dcols = Wmatᵀ dzᵀ one kernel row u at a time, (k·C_in, H_out·W_out·N) each: a block
        # that stays in cache while its k offsets are added into dx, where the whole dcols
        # (13 MB for the cnn preset) would go out to memory and back.
        by_offset = W.transpose(2, 3, 1, 0).reshape(k, k * c_in, c_out)  # [u][(v, c), o]
        row = self._scratch.get("dcols_row", (k * c_in, dz.shape[1]), dz.dtype)
        row_blocks = row.reshape(k, c_in, h_out, w_out, n)
        height, width = self._input_size
        dx = np.zeros((c_in, height + 2 * p, width + 2 * p, n), dtype=dz.dtype)
        for u in range(k):
            np.matmul(by_offset[u], dz, out=row)
            for v in range(k):
                dx[:, u : u + s * (h_out - 1) + 1 : s, v : v + s * (w_out - 1) + 1 : s] += (
                    row_blocks[v]
                )
        if p:
            dx = dx[:, p : dx.shape[1] - p, p : dx.shape[2] - p]
        result: np.ndarray = dx.transpose(3, 0, 1, 2)
        return result

    def config(self) -> dict[str, Any]:
        """The constructor's arguments, ``padding`` as given ("same" or a number)."""
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": "same" if self.padding_given == "same" else self.padding,
            "init": self.init,
            "bias_init": self.bias_init,
        }

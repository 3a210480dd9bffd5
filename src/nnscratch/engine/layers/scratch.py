"""What the image layers share: their scratch buffers, the batch-last memory layout, chunks.

**Scratch.** A batch's large temporaries (a convolution's columns: 13 MB for the cnn preset's
second layer) cost more to get from the operating system than to fill: on the machines
measured, a fresh megabyte of float32 took as long as two passes over it, since glibc hands
large blocks back when they are freed and the next batch takes them again, page by page. So
each layer keeps its own buffers between batches. They belong to one layer object, never to
the module: two models (a web server's per-thread replicas) never share one.

**Layout.** Image layers pass (N, C, H, W) arrays whose values lie in (C, H, W, N) order in
memory (a transposed view): the batch is the fastest axis, so a window's row of pixels for the
whole batch (W_out·N values) is one contiguous run, and NumPy's loops over strided windows run
over long rows instead of a few values at a time.
"""

from __future__ import annotations

import numpy as np

# Columns of at most this many bytes per chunk of images when predicting: large enough for the
# BLAS to run at full speed, small enough to stay in a last-level cache.
CHUNK_BYTES = 8 << 20


def images_per_chunk(bytes_per_image: int) -> int:
    """How many images' columns fit CHUNK_BYTES (at least one)."""
    return max(1, CHUNK_BYTES // max(1, bytes_per_image))


class Scratch:
    """Named buffers kept between calls, each grown to the largest size asked for."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A C-contiguous array of ``shape`` and ``dtype``, with garbage in it: the same memory
        as the last call of that name when it is large enough."""
        size = int(np.prod(shape, dtype=np.int64))
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = self._buffers[name] = np.empty(size, dtype=dtype)
        return buffer[:size].reshape(shape)

    def ones(self, n: int, dtype: np.dtype) -> np.ndarray:
        """A vector of n ones (for sums over a batch as products with the BLAS)."""
        buffer = self._buffers.get("ones")
        if buffer is None or buffer.size < n or buffer.dtype != dtype:
            buffer = self._buffers["ones"] = np.ones(n, dtype=dtype)
        return buffer[:n]


def chwn(x: np.ndarray, padding: int, dtype: np.dtype, scratch: Scratch) -> np.ndarray:
    """Images x (N, C, H, W) as a C-contiguous (C, H + 2p, W + 2p, N) array of ``dtype`` with p
    zeros around each image: x's own memory when it is laid out so already (what the layers
    here return) and needs no padding, else a copy into the scratch buffer ``padded``."""
    n, c, height, width = x.shape
    batch_last = x.transpose(1, 2, 3, 0)
    if not padding and x.dtype == dtype and batch_last.flags.c_contiguous:
        view: np.ndarray = batch_last
        return view
    p = padding
    padded = scratch.get("padded", (c, height + 2 * p, width + 2 * p, n), dtype)
    if p:
        padded[:, :p] = 0
        padded[:, height + p :] = 0
        padded[:, p : height + p, :p] = 0
        padded[:, p : height + p, width + p :] = 0
    padded[:, p : height + p, p : width + p] = batch_last
    return padded

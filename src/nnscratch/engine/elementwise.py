"""Elementwise updates made fast in NumPy: cache-sized blocks, and a float32 flush to zero.

What Adam's fourteen passes per step need to stay fast on a CPU: each pass over a block that
fits the cache rather than over a whole parameter, and no subnormal float32 numbers in the
arithmetic (see :func:`flush_small`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np

# Where a weight's gradient is almost always zero (the pixels at MNIST's borders), Adam's m
# decays by beta1 per step, below float32's smallest normal number (2^-126, 1.2e-38) within a
# couple of epochs. Arithmetic on such subnormal numbers is ~100x slower on x86: a few thousand
# of them made epochs 15 % slower and growing. So every flush_period(beta1) steps a float32 m
# below FLUSH_BELOW becomes exactly 0 (and its parameter stops moving), and the period is short
# enough that an m at FLUSH_BELOW cannot decay below 2^-125 before the next flush: no m ever
# becomes subnormal by decaying, at the cost of four passes every ~160 steps instead of two
# per step. An m at 2^-100 moves its parameter by less than lr·1e-21 per step (eps 1e-8);
# every m above it is left exactly as Adam computes it. (A gradient that is itself below
# ~1e-37 can still give a subnormal m; gradients that small do not come from real data.)
FLUSH_BELOW = np.float32(2.0**-100)
_FLUSH_BITS = FLUSH_BELOW.view(np.int32)


def flush_small(m: np.ndarray, scratch: np.ndarray) -> None:
    """M <- 0 where |m| < FLUSH_BELOW, in place; m and ``scratch`` float32 of the same shape.

    Done on the bit patterns, which for float32 numbers >= 0 are ordered as the numbers: with
    a = bits(|m|) as int32, (bits(FLUSH_BELOW) - 1 - a) >> 31 is 0 where |m| < FLUSH_BELOW and
    all ones elsewhere, so m &= that mask clears exactly those m and leaves every other bit as
    it was. Four integer passes and no array: a boolean mask would cost one, and np.where or
    a 0.0/1.0 float mask is several times slower.
    """
    bits, mask = m.view(np.int32), scratch.view(np.int32)
    np.bitwise_and(bits, np.int32(0x7FFFFFFF), out=mask)  # a = bits of |m|
    np.subtract(_FLUSH_BITS - np.int32(1), mask, out=mask)  # >= 0 exactly where |m| < 2^-100
    mask >>= 31  # the sign bit across the word: 0 there, all ones elsewhere
    bits &= mask


def flush_period(beta1: float) -> int | None:
    """Steps between two flushes of float32 first moments: the largest K for which
    FLUSH_BELOW · beta1^K stays at or above 2^-125 (twice float32's smallest normal number, for
    the rounding of float32's beta1 and of each product); None when beta1 = 0 (m is then the
    gradient itself and never decays)."""
    if beta1 == 0.0:
        return None
    return max(1, math.floor(math.log(2.0**-125 / float(FLUSH_BELOW)) / math.log(beta1)))


# Elements per block of an elementwise update: five float32 blocks of 128 KiB (parameter,
# gradient, two moments, scratch) fit a core's L2 cache with room to spare, and a block is long
# enough that NumPy's per-call overhead stays small next to the arithmetic.
BLOCK = 1 << 15


def blocks(*arrays: np.ndarray) -> Iterator[Sequence[np.ndarray]]:
    """Yield matching flat slices of equally shaped arrays, ``BLOCK`` elements at a time.

    The slices are views, so updating them in place updates the arrays. Arrays that are not
    all contiguous (a flat view would be a copy) come back whole, in one block.
    """
    if not all(a.flags.c_contiguous for a in arrays):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    size = flat[0].size
    if size <= BLOCK:
        yield flat
        return
    for start in range(0, size, BLOCK):
        yield [a[start : start + BLOCK] for a in flat]

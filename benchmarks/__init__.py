"""nnscratch's benchmark suite: the engine side by side with PyTorch and scikit-learn.

Run from the repository root (see docs/performance.md)::

    python -m benchmarks            # the full suite, about 15 minutes on 2 cores
    python -m benchmarks --quick    # a smoke run of every workload, about a minute

Contenders run interleaved in one process (A B C, then B C A, ...), so a machine that slows down
for a while slows every contender alike and the ratios hold. Speed lives here, never in tests.
"""

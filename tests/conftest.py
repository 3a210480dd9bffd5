"""Test-wide settings.

Under CI (``CI`` set in the environment) hypothesis draws the same examples on every run
(``derandomize``) with no per-example deadline: a landing must not hang on a random draw, nor
on a busy machine's slow example. New inputs are explored by local
runs, which draw fresh examples each time, and by the long fuzzing run (tests/test_fuzz.py).

``SCIPY_ARRAY_API`` is set before anything imports SciPy: scikit-learn's check_estimator then
runs its array-API check on NumPy inputs (tests/test_sklearn.py) instead of skipping it.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

"""Test-wide settings.

Under CI (``CI`` set in the environment) hypothesis draws the same examples on every run
(``derandomize``) with no per-example deadline: a landing must not hang on a random draw, nor
on a busy machine's slow example. New inputs are explored by local
runs, which draw fresh examples each time, and by the long fuzzing run (tests/test_fuzz.py).

``small_models``: the web tests' two small trained networks, trained once per session.
``dask_cluster``: a Dask cluster on the loopback address, started once per session.

``SCIPY_ARRAY_API`` is set before anything imports SciPy: scikit-learn's check_estimator then
runs its array-API check on NumPy inputs (tests/test_sklearn.py) instead of skipping it.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def dask_cluster():
    """A Dask cluster on this machine, on the loopback address only (scheduler, workers and
    their nannies), without its web dashboard: 2 worker processes of 1 thread each."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def small_models(tmp_path_factory):
    """Paths of two small trained models (mlp.npz, cnn.npz), made once per test session."""
    from web_models import train_small_models

    return train_small_models(tmp_path_factory.mktemp("small-models"))

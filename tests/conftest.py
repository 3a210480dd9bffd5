"""Test-wide settings.

Under CI (``CI`` set in the environment) hypothesis draws the same examples on every run
(``derandomize``) with no per-example deadline: a landing must not hang on a random draw, nor
on a busy machine's slow example. New inputs are explored by local
runs, which draw fresh examples each time, and by the long fuzzing run (tests/unit/test_fuzz.py).

The tests sit in folders by kind, and each test gets its folder's marker: ``unit`` (fast, in
this process), ``integration`` (command-line processes, servers on loopback, Dask),
``system`` (the whole program attacked or killed from outside, and the benchmark suite run
whole), ``browser`` (headless Chromium) and ``gate`` (learning runs on real MNIST).
``pytest`` runs unit and integration on two xdist workers; ``pytest tests`` runs everything.

``small_models``: the web tests' two small trained networks, trained once per session (the
xdist workers share them). ``dask_cluster``: a Dask cluster on the loopback address, started
once per test file that uses it and stopped after it: its threads and processes, left running,
would be counted by the tests that measure allocations with tracemalloc (which sees every thread
of the process). The tests that use it run on one worker (xdist group ``dask``), and the tests
of one file on one worker.

``SCIPY_ARRAY_API`` is set before anything imports SciPy: scikit-learn's check_estimator then
runs its array-API check on NumPy inputs (tests/integration/test_sklearn.py) instead of skipping it.
"""

import fcntl
import json
import os
import signal
from pathlib import Path

os.environ.setdefault("SCIPY_ARRAY_API", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers on two cores: one BLAS thread each (and in the processes they start), or
    # each worker's BLAS spins threads that fight the other's for the same cores.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

import pytest
from hypothesis import settings

if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    # Run as a background job (`pytest &`, nohup), the suite inherits SIGINT ignored, and so would
    # every command it starts: the tests that press Ctrl-C (a SIGINT) would find it ignored.
    # Handled here, it is the default again in the processes the tests start, as in a terminal.
    signal.signal(signal.SIGINT, signal.default_int_handler)

TESTS = Path(__file__).parent
MARKER_OF_FOLDER = {
    "unit": "unit",
    "integration": "integration",
    "system": "system",
    "browser": "browser",
    "gates": "gate",
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Mark each test by its folder; a test outside the five folders is an error."""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        if folder not in MARKER_OF_FOLDER:
            raise pytest.UsageError(f"{item.nodeid}: a test belongs in {sorted(MARKER_OF_FOLDER)}")
        item.add_marker(MARKER_OF_FOLDER[folder])
        # A test file runs on one xdist worker, so that its module fixtures (reference runs,
        # trained models) are made once, not once per worker; the tests that use the Dask
        # cluster run on one worker too: one cluster (3 processes) is enough for 2 cores.
        item.add_marker(pytest.mark.xdist_group(group_of(item)))
    # The workers take the groups in this order: the longest first, so that no long file is
    # left to start near the end while the other worker has nothing left to do.
    items.sort(key=start_rank)


# The groups that take longest (`pytest --durations=60`, summed by file), longest first; the
# other integration files follow, then the unit files (short ones, to fill in at the end).
LONGEST_FIRST = (
    "test_web_schema_cli",
    "test_web_schema",
    "test_report",
    "test_cli_views",
    "test_sklearn",
    "test_benchmark_suite",
    "test_resume_cli",
    "dask",
    "test_sweep_interrupts",
    "test_outputs",
    "test_serve_cli",
    "test_web_training",
    "test_cli",
    "test_fuzz",
    "test_readme",
    "test_onnx",
)


def group_of(item) -> str:
    """The xdist group of a test: ``dask`` for the tests that use the cluster; a learning gate
    alone (each trains its own network, minutes long, and shares nothing), so the gates spread
    over both workers; else its file."""
    if "dask_cluster" in item.fixturenames:
        return "dask"
    return item.nodeid if item.get_closest_marker("gate") else item.path.stem


def start_rank(item) -> int:
    """Where a test's group comes in the order the workers take groups (sort is stable: the
    tests of a group stay together and in their order)."""
    if item.get_closest_marker("gate"):  # minutes each: they start first (`pytest tests`)
        return -2
    if item.get_closest_marker("browser"):
        return -1
    group = group_of(item)
    if group in LONGEST_FIRST:
        return LONGEST_FIRST.index(group)
    return len(LONGEST_FIRST) + (0 if item.get_closest_marker("integration") else 1)


if os.environ.get("PYTEST_XDIST_WORKER"):
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # in case a plugin loaded NumPy before the variables above were set

settings.register_profile("ci", derandomize=True, deadline=None, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask cluster on this machine, on the loopback address only (scheduler, workers and
    their nannies), without its web dashboard: 2 worker processes of 1 thread each."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def small_models(tmp_path_factory, worker_id):
    """Paths of two small trained models (mlp.npz, cnn.npz), made once per test session: under
    xdist, the first worker to ask trains them in the session's shared temporary folder and
    the others wait for it (a file lock), then read them."""
    from web_models import train_small_models

    if worker_id == "master":  # no xdist
        return train_small_models(tmp_path_factory.mktemp("small-models"))
    shared = tmp_path_factory.getbasetemp().parent / "small-models"
    done = shared / "done.json"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            paths = train_small_models(shared)
            done.write_text(json.dumps({name: str(path) for name, path in paths.items()}))
    return {name: Path(path) for name, path in json.loads(done.read_text()).items()}

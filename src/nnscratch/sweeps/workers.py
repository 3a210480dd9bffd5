"""Where a sweep's runs run: local worker processes, or the workers of a Dask cluster.

Both are used the same way: :func:`run_all` submits ``function(task)`` for every task and
yields each result as soon as it is ready, in the order they finish.

Local workers are new processes, each running NumPy's BLAS on its share of the cores, so that
N workers do not fight over the cores with N times as many threads. They are spawned, not
forked: a forked worker would inherit the parent's NumPy, its BLAS already started on every
core. As with any
spawned process, a Python script that runs a sweep must do so under
``if __name__ == "__main__":`` (the command line does).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..environment import require
from ..errors import ConfigError

BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for processes started inside the block, then put back the
    old values. The BLAS reads its thread count once, when NumPy is imported: a worker must
    be started with it in its environment."""
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_all(
    function: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[Any]:
    """Yield ``function(task)`` for each task as each finishes: on ``workers`` local processes
    (default: one per core, at most one per task), or on the Dask cluster whose scheduler is
    at ``scheduler`` (``tcp://host:port``), connected to before this returns. An exception in
    a task is raised here."""
    if not tasks:
        return iter(())
    if scheduler is not None:
        return _on_dask(function, tasks, scheduler)
    return _on_processes(function, tasks, workers)


def _on_processes(function, tasks, workers) -> Iterator[Any]:
    import concurrent.futures
    import multiprocessing

    cores = os.cpu_count() or 1
    count = min(workers or cores, len(tasks))
    share = str(max(1, cores // count))
    pool = concurrent.futures.ProcessPoolExecutor(
        count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(os.getpid(),),
    )
    try:
        # The pool starts a worker at each submit until it has `count`: all start here.
        with environment(dict.fromkeys(BLAS_THREADS, share)):
            futures = [pool.submit(function, task) for task in tasks]
        for future in concurrent.futures.as_completed(futures):
            yield future.result()
    except BaseException:
        # Ctrl-C, or a task's error: the runs under way are ended now, not waited for (their
        # results would not be written: this loop writes them), and runs not started never
        # start. Waiting made Ctrl-C take as long as the slowest run under way.
        end_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def start_worker(parent: int) -> None:
    """Set up a local worker process: it dies with the sweep that started it, and leaves
    Ctrl-C to it.

    A sweep killed outright (SIGKILL, a crash) cannot end its workers, and they would wait for
    work forever: on Linux the kernel sends each one SIGKILL when its parent dies
    (``PR_SET_PDEATHSIG``: strictly, when the parent's thread that started it ends; the pool
    starts its workers in ``submit``, in the sweep's own thread); elsewhere a thread of the
    worker watches for its parent to go.
    Ctrl-C reaches the whole process group: the sweep ends its workers itself (see
    :func:`end_workers`), so a worker ignores SIGINT rather than stop mid-run on its own.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _die_with_parent():
        import threading

        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is not
    available."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        set_parent_death_signal = 1  # PR_SET_PDEATHSIG, from <linux/prctl.h>
        return libc.prctl(set_parent_death_signal, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """End this process once its parent is gone (it is then adopted: another parent id)."""
    import time

    while os.getppid() == parent:
        time.sleep(1)  # how soon an orphaned worker notices: a second is soon enough
    os._exit(1)


def end_workers(pool: Any) -> None:
    """Kill the pool's worker processes now. ProcessPoolExecutor has a method for it from
    Python 3.14 (``kill_workers``); before, its ``_processes`` (pid: process) are the
    workers."""
    kill = getattr(pool, "kill_workers", None)
    if kill is not None:
        kill()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()


def _on_dask(function, tasks, scheduler: str) -> Iterator[Any]:
    """Connect now (so a wrong address is told before any run starts), then yield."""
    require("dask", "--scheduler")
    from distributed import Client

    try:
        _refuses_connections(scheduler)
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ConfigError(
            f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({error})"
        ) from None
    return _results(client, function, tasks)


def _refuses_connections(scheduler: str) -> None:
    """Raise OSError at once when nothing listens at a ``tcp://host:port`` address.

    Dask's client retries a refused connection until its timeout (10 s) runs out; a refusal
    is an answer, and the user should have it now. Other schemes are left to Dask.
    """
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(scheduler)
    if address.scheme != "tcp" or address.hostname is None or address.port is None:
        return
    with socket.create_connection((address.hostname, address.port), timeout=10):
        pass


def _results(client, function, tasks) -> Iterator[Any]:
    from distributed import as_completed

    try:
        futures = [client.submit(function, task, pure=False) for task in tasks]
        try:
            for future in as_completed(futures, loop=client.loop):
                yield future.result()
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()

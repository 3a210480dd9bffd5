"""``nnscratch serve --workers N``: N server processes answering on one listening socket.

Each process builds its application from a factory ("module:function") and serves it with
uvicorn's public API (``uvicorn.Config`` and ``uvicorn.Server.run(sockets=...)``), so no
private uvicorn class is driven. The processes are started fresh ("spawn"), as uvicorn's own
workers are: a forked copy of a process that holds threads and a loaded BLAS is not safe.
"""

from __future__ import annotations

import multiprocessing
import socket
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

from ..errors import NNScratchError

# How long a worker has to finish its requests after SIGTERM before it is killed: uvicorn's own
# graceful shutdown (timeout_graceful_shutdown) is shorter.
STOP_TIMEOUT = 15.0


class WorkerError(NNScratchError):
    """A server process ended by itself (it could not start, or it failed)."""


def run_workers(
    factory: str,
    sock: socket.socket,
    workers: int,
    *,
    on_ready: Callable[[], None],
    **settings: Any,
) -> None:
    """Serve ``factory``'s application from ``workers`` processes on the listening ``sock``
    until this process is interrupted (Ctrl-C, or the exception the caller's SIGTERM handler
    raises, which goes on up once every worker has stopped). ``on_ready()`` is called once
    every worker serves; ``settings``: uvicorn.Config's.

    Raises WorkerError when a worker ends by itself; the others are stopped first."""
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    processes = [
        context.Process(
            target=_serve_one,
            args=(factory, sock, settings, writer),
            name=f"nnscratch-worker-{number}",
        )
        for number in range(1, workers + 1)
    ]
    try:
        for process in processes:
            process.start()
        writer.close()  # the workers hold their own copies
        by_sentinel = {process.sentinel: process for process in processes}
        waiting = workers
        while True:
            ready = wait([reader, *by_sentinel])
            ended = [by_sentinel[item] for item in ready if item in by_sentinel]
            if ended:
                ended[0].join()  # its sentinel is ready a moment before its exit code is
                raise WorkerError(
                    f"server process {ended[0].name} ended by itself (exit code "
                    f"{ended[0].exitcode}); the others were stopped"
                )
            reader.recv()
            waiting -= 1
            if waiting == 0:
                on_ready()
    finally:
        reader.close()
        _stop(processes)


def _stop(processes: list[Any]) -> None:
    """SIGTERM to every worker still running (uvicorn then finishes the requests under way),
    SIGKILL to any that has not stopped within STOP_TIMEOUT."""
    started = [process for process in processes if process.pid is not None]
    for process in started:
        if process.is_alive():
            process.terminate()
    for process in started:
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            process.kill()
            process.join()


def _serve_one(factory: str, sock: socket.socket, settings: dict[str, Any], started) -> None:
    """One worker process: uvicorn serving the factory's application on the shared socket;
    it sends its name through ``started`` once it serves."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(factory, factory=True, **settings))
    threading.Thread(target=_tell_when_started, args=(server, started), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        # Ctrl-C in a terminal reaches every process of the group: uvicorn has shut down and
        # passes it on; the parent says "stopped".
        pass
    sys.exit(0)


def _tell_when_started(server, started) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        started.send(multiprocessing.current_process().name)

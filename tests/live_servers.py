"""The page's application served by uvicorn in this process on a free loopback port (so a
test sees its training worker); servers with live training and a digit set; and a reader of
their Server-Sent Events."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from nnscratch.datasets.digitset import DigitSet
from nnscratch.web.app import create_app
from nnscratch.web.launch import bind
from nnscratch.web.live import LiveTraining
from nnscratch.web.served import ServedModels


@dataclass
class RunningApp:
    """An application uvicorn serves in a thread of this process."""

    url: str  # without the trailing slash
    port: int
    server: uvicorn.Server
    thread: threading.Thread
    sock: object

    def stop(self, timeout: float = 10) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=timeout)
        self.sock.close()
        assert not self.thread.is_alive()


def start_app(app) -> RunningApp:
    """Serve ``app`` on a free port of 127.0.0.1 and return once it answers."""
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = sock.getsockname()[1]
    return RunningApp(f"http://127.0.0.1:{port}", port, server, thread, sock)


@contextlib.contextmanager
def running(app):
    """``app`` served (see :func:`start_app`) for the ``with`` block; yields its port."""
    served = start_app(app)
    try:
        yield served.port
    finally:
        served.stop()


@dataclass
class LiveServer:
    running: RunningApp
    live: LiveTraining

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def thread(self) -> threading.Thread:
        return self.running.thread

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        """Stop as Ctrl-C does: the run pauses at a checkpoint, the streams end."""
        self.live.close()
        self.running.stop(timeout=60)


def training_app(
    models: list[Path],
    runs: Path,
    digits: Path,
    *,
    data: str = "mnist",
    hosts: set[str] | None = None,
):
    """(app, its LiveTraining): the page serving ``models`` that also trains (runs kept under
    ``runs``) and keeps your digits (under ``digits``); ``hosts`` as create_app's."""
    served = ServedModels.from_files(models)
    live = LiveTraining(runs, served, digits=DigitSet(digits), data=data)
    names = {} if hosts is None else {"hosts": hosts}
    return create_app(served, live=live, digits=live.digits, **names), live


def start_server(models: list[Path], runs: Path, digits: Path, data: str) -> LiveServer:
    app, live = training_app(models, runs, digits, data=data)
    return LiveServer(start_app(app), live)


def read_events(url: str, *, until, after: int = 0, timeout: float = 300) -> list[dict]:
    """The events of ``url``/api/training/events after id ``after`` as dicts (``id``, ``kind``,
    ``data``), read until ``until(events)`` is true (then the stream is closed)."""
    events: list[dict] = []
    current: dict = {}
    deadline = time.monotonic() + timeout
    with httpx.stream(
        "GET", f"{url}/api/training/events", params={"after": after}, timeout=timeout
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("id: "):
                current = {"id": int(line[4:])}
            elif line.startswith("event: "):
                current["kind"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
                events.append(current)
                if until(events):
                    return events
            if time.monotonic() > deadline:
                raise AssertionError(f"no end after {timeout} s: {events[-3:]}")
    raise AssertionError(f"the stream ended first: {events[-3:]}")


def ended(events: list[dict]) -> bool:
    """True once the run is over: finished, stopped, diverged, failed or paused."""
    return any(
        e["kind"] == "state"
        and e["data"]["state"]
        in ("completed", "early_stopping", "stopped", "diverged", "failed", "paused")
        for e in events
    )


def kinds(events: list[dict], kind: str) -> list[dict]:
    return [e["data"] for e in events if e["kind"] == kind]

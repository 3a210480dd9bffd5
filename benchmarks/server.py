"""server: `nnscratch serve` answering POST /api/predict for a real drawing (a 7 of two strokes,
81 points, as the page sends it), mlp and cnn together, over loopback: answers per second and
the p50 / p99 latency from 1 client and from 16 clients at once.

The server runs in its own process (as a user starts it, with 1 and then with 2 worker
processes), with the mlp and cnn presets from its cache folder (trained there first when
missing); the clients are coroutines of this process, each with one keep-alive connection,
sending one request after the other. Every run is bounded: a
number of requests per client, and a time limit. Every answer is checked (a 7 from both models),
so a fast wrong server would not count.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

DRAWING = Path(__file__).with_name("drawing-seven.json")
SERVING = re.compile(r"serving .+ on http://127\.0\.0\.1:(\d+)/")


def model_files() -> list[Path]:
    """The mlp and cnn preset models from `nnscratch serve`'s cache, trained when missing."""
    from rich.console import Console

    from nnscratch.cli.train import train_into
    from nnscratch.web import launch

    console = Console(stderr=True)
    folder = launch.cache_dir()
    launch.preset_models(
        folder,
        say=console.print,
        train=lambda recipe, path: train_into(recipe, path, console=console),
    )
    return [folder / "models" / f"{name}.npz" for name in launch.DEFAULT_PRESETS]


def start_server(models: list[Path], workers: int = 1) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nnscratch",
            "serve",
            *map(str, models),
            "--port",
            "0",
            "--no-open",
            "--workers",
            str(workers),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        found = SERVING.search(line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # drain it
            return process, int(found.group(1))
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("nnscratch serve did not start")


def run_clients(port: int, clients: int, requests: int, seconds: float, body: bytes) -> dict:
    """``clients`` connections at once, each sending up to ``requests`` predictions one after
    the other (stopping after ``seconds``); the latency of each answer and the answers per
    second over the whole run.

    The clients are coroutines of one asyncio loop in this process: unlike threads, they do
    not queue for the interpreter lock between a reply's arrival and its timestamp, which
    would add the client's own waits to the server's latency."""
    return asyncio.run(_clients(port, clients, requests, seconds, body))


async def _clients(port: int, clients: int, requests: int, seconds: float, body: bytes) -> dict:
    request = (
        b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    latencies: list[float] = []
    labels: set = set()
    began = time.perf_counter()
    stop_at = began + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # TCP_NODELAY set
        try:
            for _ in range(requests):
                if time.perf_counter() > stop_at:
                    break
                sent = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
                data = await reader.readexactly(length)
                latencies.append(time.perf_counter() - sent)
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"the server failed: {head[:40]!r} {data[:200]!r}")
                labels.add(tuple(a["label"] for a in json.loads(data)["answers"]))
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - began
    if labels != {(7, 7)}:
        raise RuntimeError(f"the server's answers were {sorted(labels)}, expected 7 from both")
    every = sorted(latencies)
    return {
        "clients": clients,
        "answers": len(every),
        "wall_seconds": wall,
        "answers_per_second": len(every) / wall,
        "p50_seconds": percentile(every, 50),
        "p99_seconds": percentile(every, 99),
        "max_seconds": every[-1],
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile of sorted values, by linear interpolation between ranks."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def run(*, requests: dict[int, int], seconds: float, workers=(1, 2), warmup: int = 50) -> dict:
    """For each number of server processes in ``workers``, one run per number of clients in
    ``requests`` (clients: requests per client)."""
    models = model_files()
    body = DRAWING.read_bytes()
    results = {}
    for count in workers:
        process, port = start_server(models, count)
        try:
            run_clients(port, 4 * count, warmup, seconds, body)  # every worker warms up
            results[f"{count} worker{'s' if count > 1 else ''}"] = {
                f"{clients} clients": run_clients(port, clients, n, seconds, body)
                for clients, n in requests.items()
            }
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    points = sum(len(s["points"]) for s in json.loads(body)["drawing"]["strokes"])
    return {"nnscratch": {**results, "drawing_points": points}}


if __name__ == "__main__":  # python -m benchmarks.server: a look at the figures alone
    print(json.dumps(run(requests={1: 300, 16: 100}, seconds=30), indent=1))

"""server: `nnscratch serve` answering POST /api/predict for a real drawing (a 7 of two strokes,
81 points, as the page sends it), mlp and cnn together, over loopback: answers per second and
the p50 / p99 latency from 1 client and from 16 clients at once.

The server runs in its own process (as a user starts it), with the mlp and cnn presets from its
cache folder (trained there first when missing); the clients are threads of this process, each
with one keep-alive connection, sending one request after the other. Every run is bounded: a
number of requests per client, and a time limit. Every answer is checked (a 7 from both models),
so a fast wrong server would not count.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
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

    from nnscratch.web import launch
    folder = launch.cache_dir()
    launch.preset_models(folder, console=Console(stderr=True))
    return [folder / "models" / f"{name}.npz" for name in launch.DEFAULT_PRESETS]


def start_server(models: list[Path]) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, "-m", "nnscratch", "serve", *map(str, models),
                                "--port", "0", "--no-open"], stderr=subprocess.PIPE, text=True)
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
    """``clients`` threads, each sending up to ``requests`` predictions (stopping after
    ``seconds``); the latency of each answer and the answers per second over the whole run."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    labels: set = set()
    failures: list[str] = []
    start_line = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.connect()
        # http.client sends the headers and the body in two writes; without TCP_NODELAY (which
        # browsers set) Nagle's algorithm holds the body back for the server's delayed ACK,
        # 40 ms a request.
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers = {"content-type": "application/json"}
        start_line.wait()
        try:
            for _ in range(requests):
                if time.perf_counter() > stop_at[0]:
                    break
                began = time.perf_counter()
                connection.request("POST", "/api/predict", body, headers)
                response = connection.getresponse()
                data = response.read()
                latencies[n].append(time.perf_counter() - began)
                if response.status != 200:
                    failures.append(f"status {response.status}: {data[:200]!r}")
                    break
                labels.add(tuple(a["label"] for a in json.loads(data)["answers"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start_line.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"the server failed: {failures[0]}")
    if labels != {(7, 7)}:
        raise RuntimeError(f"the server's answers were {sorted(labels)}, expected 7 from both")
    every = sorted(t for mine in latencies for t in mine)
    return {"clients": clients, "answers": len(every), "wall_seconds": wall,
            "answers_per_second": len(every) / wall,
            "p50_seconds": percentile(every, 50), "p99_seconds": percentile(every, 99),
            "max_seconds": every[-1]}


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile of sorted values, by linear interpolation between ranks."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def run(*, requests: dict[int, int], seconds: float, warmup: int = 50) -> dict:
    """One run per number of clients in ``requests`` (clients: requests per client)."""
    models = model_files()
    body = DRAWING.read_bytes()
    process, port = start_server(models)
    try:
        run_clients(port, 4, warmup, seconds, body)  # each server thread makes its replicas
        results = {f"{clients} clients": run_clients(port, clients, count, seconds, body)
                   for clients, count in requests.items()}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"nnscratch": {**results, "drawing_points": sum(
        len(s["points"]) for s in json.loads(body)["drawing"]["strokes"])}}


if __name__ == "__main__":  # python -m benchmarks.server: a look at the figures alone
    print(json.dumps(run(requests={1: 300, 16: 100}, seconds=30), indent=1))

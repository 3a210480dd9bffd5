"""`nnscratch serve` as a user runs it: it serves the files given (or the cached presets, training
the missing ones once), listens on 127.0.0.1 unless told otherwise, warns when told, says what
is wrong in one line, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from rich.console import Console

from mini_mnist import write_mnist_folder
from nnscratch.cli.train import train_into
from nnscratch.datasets import load_mnist
from nnscratch.model import Sequential, get_preset
from nnscratch.web import launch

SERVING = re.compile(r"serving (.+?) on (http://127\.0\.0\.1:(\d+)/)")


def start(*args, env=None):
    """Start `nnscratch serve ARGS --port 0 --no-open`; returns (process, url, names) once it
    listens. Its data folder (digits, runs) is a new temporary one unless ``env`` names one."""
    env = {"XDG_DATA_HOME": tempfile.mkdtemp(prefix="nnscratch-data-"), **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "nnscratch", "serve", *map(str, args), "--port", "0", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        found = SERVING.search(line)
        if found:
            return process, found.group(2), found.group(1), lines
    process.kill()
    raise AssertionError("the server did not say where it listens:\n" + "".join(lines))


def stop(process, sig=signal.SIGINT) -> tuple[int, str]:
    process.send_signal(sig)  # SIGINT is what Ctrl-C sends
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, err


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_serves_the_model_files_given_and_stops_cleanly_on_ctrl_c_or_sigterm(
    small_models, sig
):
    process, url, names, _ = start(small_models["mlp"], small_models["cnn"])
    try:
        assert names == "mlp, cnn"
        assert [m["name"] for m in get_json(url + "api/models")["models"]] == ["mlp", "cnn"]
        with urllib.request.urlopen(url, timeout=10) as page:
            assert b'<canvas id="pad"' in page.read()
    finally:
        status, err = stop(process, sig)
    assert status == 0, err
    assert err.endswith("stopped\n") and "Traceback" not in err, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_with_two_workers_answers_as_one_and_stops_cleanly(small_models, tmp_path, sig):
    process, url, names, lines = start(
        small_models["mlp"],
        small_models["cnn"],
        "--workers",
        2,
        env={"XDG_DATA_HOME": str(tmp_path)},
    )
    try:
        # Live training and the digit set need one process: the page offers neither.
        assert any(
            "with --workers above 1, the page neither trains nor keeps your digits" in line
            for line in lines
        )
        info = get_json(url + "api/models")
        assert info["training"] is False and info["digits"] is False
        images = load_mnist("test")[0][:6]
        expected = [
            [
                int(Sequential.load(small_models[name]).predict(image[None])[0])
                for name in ("mlp", "cnn")
            ]
            for image in images
        ]
        for image, labels in zip(images, expected, strict=True):
            request = urllib.request.Request(
                url + "api/predict",
                data=json.dumps({"pixels": image.tolist()}).encode(),
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read())
            assert [a["label"] for a in answer["answers"]] == labels
    finally:
        status, err = stop(process, sig)
    assert status == 0 and "stopped" in err and "Traceback" not in err, err
    # Every worker has stopped: none holds the listening socket any more.
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=10)


def test_serve_without_models_serves_the_presets_from_the_cache_folder(small_models, tmp_path):
    models = tmp_path / "cache" / "models"
    models.mkdir(parents=True)
    for name in ("mlp", "cnn"):
        shutil.copy(small_models[name], models / f"{name}.npz")
    process, url, names, lines = start(env={"NNSCRATCH_CACHE_DIR": str(tmp_path / "cache")})
    try:
        assert names == "mlp, cnn"
        assert not any("training" in line for line in lines)  # both were there already
        kinds = [m["kind"] for m in get_json(url + "api/models")["models"]]
        assert kinds == ["dense", "conv"]
    finally:
        stop(process)


def test_the_missing_presets_are_trained_once_into_the_cache(tmp_path):
    data = write_mnist_folder(tmp_path / "data", train=600, test=100)
    recipes = {
        "mlp": get_preset("mlp").with_overrides(hidden=(8,), epochs=1, dev_size=100),
        "cnn": get_preset("cnn").with_overrides(conv=(2, 2), hidden=(4,), epochs=1, dev_size=100),
    }
    console = Console(file=open(os.devnull, "w"), record=True)

    def load(console):
        return launch.preset_models(
            tmp_path / "cache",
            say=console.print,
            recipes=recipes,
            train=lambda recipe, path: train_into(recipe, path, console=console, data=str(data)),
        )

    served = load(console)
    assert [m.name for m in served] == ["mlp", "cnn"]
    files = [tmp_path / "cache" / "models" / f"{name}.npz" for name in ("mlp", "cnn")]
    assert all(f.is_file() for f in files)
    said = console.export_text()
    assert said.count("not in the cache yet; training it once") == 2
    stamps = [f.stat().st_mtime_ns for f in files]
    again = Console(file=open(os.devnull, "w"), record=True)
    load(again)
    assert "training" not in again.export_text()
    assert [f.stat().st_mtime_ns for f in files] == stamps  # trained once, then reused
    files[1].write_bytes(b"damaged")
    with pytest.raises(Exception, match=r"cnn\.npz.*delete .*cnn\.npz to train it again"):
        load(again)


def read_events_until(url, kind, *, timeout=120):
    """Lines of the training's event stream, read until an event of ``kind`` (its data)."""
    request = urllib.request.Request(url + "api/training/events")
    seen = None
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(request, timeout=timeout) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("event: "):
                seen = line[7:]
            elif line.startswith("data: ") and seen == kind:
                return json.loads(line[6:])
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"no {kind} event")


def test_serve_keeps_your_digits_and_a_run_stopped_by_ctrl_c_continues_after_a_restart(
    small_models, tmp_path
):
    data = write_mnist_folder(tmp_path / "data", train=1500, test=100)
    folders = ["--digits", tmp_path / "mine", "--runs", tmp_path / "runs", "--train-data", data]
    process, url, _, _ = start(small_models["mlp"], *folders)
    try:
        assert get_json(url + "api/models")["training"] is True
        image = load_mnist("test")[0][0]

        def post(path, body):
            return urllib.request.urlopen(
                urllib.request.Request(
                    url + path,
                    data=json.dumps(body).encode(),
                    headers={"content-type": "application/json"},
                ),
                timeout=30,
            )

        post("api/digits", {"pixels": image.tolist(), "label": 7})
        assert [p.name for p in (tmp_path / "mine").glob("*.png")] == ["digit-000001-label-7.png"]
        post(
            "api/training/start", {"preset": "mlp", "hidden": [16], "epochs": 500, "dev_size": 300}
        )
        read_events_until(url, "progress")
    finally:
        status, err = stop(process)  # Ctrl-C during the run
    assert status == 0 and "Traceback" not in err, err
    assert re.search(r"the training run paused at a checkpoint in run-\S+\s+\(under", err), err
    process, url, _, _ = start(small_models["mlp"], *folders)
    try:
        state = get_json(url + "api/training")
        assert state["state"] == "interrupted" and state["can"]["resume"]
        assert get_json(url + "api/digits")["count"] == 1
    finally:
        stop(process)


def test_train_data_that_is_not_there_is_one_line(small_models, tmp_path):
    result = run_serve(small_models["mlp"], "--train-data", tmp_path / "nothing")
    assert result.returncode == 2
    assert result.stderr == (
        f"nnscratch: error: --train-data {tmp_path / 'nothing'}: no IDX "
        f"files or CSV file there (expected 'mnist', a folder of IDX files, "
        f"or a CSV file)\n"
    )


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NNSCRATCH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert launch.cache_dir() == tmp_path / "xdg" / "nnscratch"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert launch.cache_dir() == tmp_path / "home" / ".cache" / "nnscratch"
    monkeypatch.setenv("NNSCRATCH_CACHE_DIR", str(tmp_path / "mine"))
    assert launch.cache_dir() == tmp_path / "mine"
    # Your digits and runs are your data, not a cache: the data folder holds them.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert launch.data_dir() == tmp_path / "data" / "nnscratch"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert launch.data_dir() == tmp_path / "home" / ".local" / "share" / "nnscratch"


def run_serve(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", "serve", *map(str, args), "--no-open"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_a_port_in_use_is_one_line_naming_the_option(small_models):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        result = run_serve(small_models["mlp"], "--port", taken.getsockname()[1])
    finally:
        taken.close()
    assert result.returncode == 2
    assert re.fullmatch(
        r"nnscratch: error: cannot listen on 127\.0\.0\.1 port \d+ \(.+\); "
        r"choose another with --port\n",
        result.stderr,
    ), result.stderr


def test_listening_beyond_this_machine_is_warned_of(small_models):
    # 192.0.2.1 is a documentation address no machine has: the warning comes, then the bind
    # fails, so nothing listens beyond loopback during the test.
    result = run_serve(small_models["mlp"], "--host", "192.0.2.1", "--port", 0)
    assert (
        "nnscratch: warning: listening on 192.0.2.1: anyone who can reach this machine"
        in result.stderr
    )
    assert result.returncode == 2 and "cannot listen on 192.0.2.1" in result.stderr
    assert launch.is_loopback("127.0.0.1") and launch.is_loopback("::1")
    assert launch.is_loopback("localhost") and not launch.is_loopback("0.0.0.0")


def test_bad_model_files_and_options_are_one_line_each(tmp_path, small_models):
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    result = run_serve(tmp_path / "junk.npz")
    assert result.returncode == 2 and result.stderr.startswith("nnscratch: error: ")
    assert "junk.npz" in result.stderr and result.stderr.count("\n") == 1
    result = run_serve(tmp_path / "missing.npz")
    assert result.returncode == 2 and "missing.npz" in result.stderr
    result = run_serve(small_models["mlp"], "--port", "70000")
    assert result.returncode == 2 and "--port" in result.stderr


def test_help_stays_quick_importing_neither_the_web_stack_nor_numpy():
    code = (
        "import sys; from nnscratch.cli import main; main(['--help']); "
        "main(['serve', '--help']); "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'numpy', 'multipart') "
        "if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent
    )
    assert "--no-open" in result.stdout and "--host" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_replies_are_not_held_back_by_nagles_algorithm():
    # asyncio sets TCP_NODELAY only on connections of a socket whose protocol says TCP; without
    # it every reply waited 40 ms for the client's delayed ACK (headers and body are two writes).
    import asyncio

    sock = launch.bind("127.0.0.1", 0)

    async def connect_once():
        seen = []

        async def handle(reader, writer):
            seen.append(
                writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            )
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        reader, writer = await asyncio.open_connection(*sock.getsockname())
        await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()
        return seen

    seen = asyncio.run(connect_once())
    assert len(seen) == 1 and seen[0] != 0

"""``nnscratch sweep`` stopped from outside: killed midway it carries on without redoing a
finished run; Ctrl-C ends it with status 130 and ends its workers; killed outright, its workers
go with it. Each test runs a sweep of six small runs as a process and stops it."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mini_mnist import write_mnist_folder
from nnscratch.sweeps.workers import run_all

# Runs of a second or so each: a small network, one epoch of 1,000 real MNIST images.
SMALL = ("--hidden", "32", "--epochs", "1", "--dev-size", "200")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_mnist_folder(tmp_path_factory.mktemp("sweep") / "mini", train=1000, test=300)


def start(command: list[str], cwd: Path, **streams) -> subprocess.Popen:
    """``command`` started in a session of its own: a signal to its process group reaches it
    and its workers, as one from a terminal would."""
    streams.setdefault("stdout", subprocess.DEVNULL)
    streams.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen(command, cwd=cwd, start_new_session=True, **streams)


def records(folder: Path) -> list[Path]:
    """The finished runs' records of the sweep in ``folder``."""
    return list((folder / "runs").glob("*.json"))


def workers_of(pid: int) -> list[int]:
    """The worker processes (multiprocessing's spawned children) of process ``pid``, from
    /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, what: str, limit: float = 300) -> None:
    """Wait until ``condition()`` holds; the limit only keeps a broken build from hanging."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


def six_run_sweep(data):
    """The command of a sweep of six small runs (3 learning rates x 2 seeds) into ``out``, on one
    local worker: long enough to be stopped midway."""
    return [
        sys.executable,
        "-m",
        "nnscratch",
        "sweep",
        "--grid",
        "lr=1e-3,2e-3,3e-3",
        "--seeds",
        "2",
        *SMALL,
        "--data",
        str(data),
        "--output",
        "out",
        "--workers",
        "1",
    ]


def test_a_sweep_killed_midway_carries_on_without_redoing_a_finished_run(tmp_path, data):
    command = six_run_sweep(data)
    process = start(command, tmp_path)
    wait_for(lambda: records(tmp_path / "out"), "a first run")
    os.killpg(process.pid, signal.SIGKILL)  # the command and its worker, as a closed terminal
    process.wait()
    runs = tmp_path / "out" / "runs"
    finished = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in runs.iterdir()
        if not p.name.startswith(".")
    }
    done = [name for name in finished if name.endswith(".json")]
    assert 1 <= len(done) < 6, "the sweep was not stopped midway"

    resumed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"; {len(done)} already done in out" in " ".join(resumed.stdout.split())
    trained = [line for line in resumed.stderr.splitlines() if ": dev " in line]
    assert len(trained) == 6 - len(done)  # the runs it had not finished, and only those
    for name, (content, mtime) in finished.items():
        if name.endswith(".json") or name.replace(".npz", ".json") in done:
            path = runs / name
            assert (path.read_bytes(), path.stat().st_mtime_ns) == (content, mtime), name
    assert sorted(p.name for p in records(tmp_path / "out")) == sorted(
        f"lr={lr}_seed={seed}.json" for lr in ("0.001", "0.002", "0.003") for seed in (0, 1)
    )
    assert not list(runs.glob(".*.tmp"))
    with open(tmp_path / "out" / "results.csv", newline="") as handle:
        assert [row["runs"] for row in csv.DictReader(handle)] == ["2", "2", "2"]


def test_a_sweep_killed_outright_takes_its_workers_with_it(tmp_path, data):
    """SIGKILL to the command alone (not its process group, as a crash or the OOM killer
    would): its workers, sent nothing, must not stay behind waiting for work forever."""
    process = start([*six_run_sweep(data)[:-1], "2"], tmp_path)  # two workers
    workers: list[int] = []

    def both_started() -> bool:
        workers[:] = workers_of(process.pid)
        return len(workers) == 2

    wait_for(both_started, "the two workers to start")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to exit")


def test_an_interrupted_sweep_ends_the_run_under_way_without_waiting_for_it():
    """Ctrl-C (here thrown where the sweep waits for results) while a worker is an hour into a
    task: the workers are ended and the interruption goes on at once. It used to wait for the
    runs under way to finish, which made Ctrl-C take as long as the slowest of them."""
    outcomes = run_all(time.sleep, [0, 3600], workers=1)
    assert next(outcomes) is None  # the first task is done; the worker goes on to the second
    with pytest.raises(KeyboardInterrupt):
        outcomes.throw(KeyboardInterrupt)


def test_ctrl_c_stops_the_sweep_with_status_130_ends_its_workers_and_says_how_to_carry_on(
    tmp_path, data
):
    """Ctrl-C to the terminal's process group while the worker is in a run: the command ends its
    worker (gone by the time the command has exited, not left to finish its run), exits with
    status 130 and no traceback, and says how to carry on."""
    process = start(six_run_sweep(data), tmp_path, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []

    def started() -> bool:
        workers[:] = workers_of(process.pid)
        return len(workers) == 1

    wait_for(started, "the worker to start")
    wait_for(lambda: records(tmp_path / "out"), "a first run")  # five remain: one is under way
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    done = len(records(tmp_path / "out"))
    assert done < 6
    assert not any(alive(pid) for pid in workers)
    assert "Traceback" not in stderr
    assert stderr.endswith(
        f"nnscratch: sweep stopped with {done} of 6 runs done, kept in out; "
        f"run the same command to carry on\n"
    )

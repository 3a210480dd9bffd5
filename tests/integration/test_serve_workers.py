"""``serve --workers``: worker processes that end by themselves are said, not waited on."""

import multiprocessing

import pytest

from nnscratch.web.launch import bind
from nnscratch.web.workers import WorkerError, run_workers


def test_a_worker_that_cannot_start_ends_the_serve_with_an_error_and_stops_the_others():
    sock = bind("127.0.0.1", 0)
    try:
        with pytest.raises(
            WorkerError, match=r"server process nnscratch-worker-[12] ended by itself"
        ):
            run_workers(
                "nnscratch.web.launch:no_such_factory",
                sock,
                2,
                on_ready=lambda: pytest.fail("a worker without its application served"),
                log_level="critical",
            )
    finally:
        sock.close()
    # (other tests of this process may have left children of their own: a Dask cluster)
    left = [
        child for child in multiprocessing.active_children() if "nnscratch-worker" in child.name
    ]
    assert left == []

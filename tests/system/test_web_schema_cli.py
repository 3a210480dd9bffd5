"""Every check schemathesis has, as its command line runs them against a live server (issue
25, defect 8): a minute of attacks on every operation, so a system test, which `pytest tests`
runs and the quick default run leaves out."""

from __future__ import annotations

import os

import pytest

from live_servers import start_app, training_app

EXAMPLES = int(os.environ.get("NNSCRATCH_SCHEMA_EXAMPLES", "40"))  # per operation

# The content of an uploaded file (a picture, a CSV or IDX files) is more than JSON Schema can
# say: schemathesis's own "valid" files (an empty file, a 1x1 GIF named files.gif) are rightly
# refused with 422. For these two forms alone, whether a schema-valid request is accepted is
# not checked; every other check is, and every check on every other operation. And a form
# cannot carry an empty array: schemathesis's "invalid" steps=[] in the picture form arrives as
# no field at all, the default, which is valid (a field sent twice is refused). Its filters
# cannot single out the form from the JSON body of /api/predict, so for that operation whether
# invalid data is refused is not checked here; test_web_api checks the JSON body's refusals.
ALL_CHECKS_CONFIG = """
checks.enabled = true

[[operations]]
include-path = ["/api/predict", "/api/digits/import"]
include-method = "POST"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/api/predict"
include-method = "POST"
checks.negative_data_rejection.enabled = false
"""


@pytest.fixture(scope="module")
def served_to_schemathesis(small_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("all-checks")
    models = [small_models["mlp"], small_models["cnn"]]
    app, live = training_app(models, root / "runs", root / "digits", hosts={"127.0.0.1"})
    running = start_app(app)
    yield running.url, root
    running.stop(timeout=60)
    live.close()
    live.join()


def test_every_schemathesis_check_passes_on_every_operation(served_to_schemathesis):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    url, root = served_to_schemathesis
    config = root / "schemathesis.toml"
    config.write_text(ALL_CHECKS_CONFIG)
    command = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    seed = ["--seed", "1", "--generation-deterministic"] if os.environ.get("CI") else []
    done = subprocess.run(
        [
            command,
            "--config-file",
            str(config),
            "run",
            f"{url}/openapi.json",  # every check: the configuration says so (a --checks
            # on the command line would override the two forms' exception)
            # Not fuzzed: a start trains (tests/integration/test_web_training.py), and the
            # event stream never ends.
            "--exclude-path-regex",
            "^/api/training/(start|events)$",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES),
            "--workers",
            "1",
            "--suppress-health-check",
            "all",
            "--no-color",
            *seed,
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]

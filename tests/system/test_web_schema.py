"""Schemathesis reads the API's OpenAPI schema and sends each operation requests it generates,
valid ones and broken ones: none may get a 5xx, and every answer must be one the schema
describes (its status code, content type and shape).

Schema-valid requests may still be refused with a 422 where only the model decides (a layer
index that is an activation, a unit past the layer's width), so the checks that every valid
request is accepted and every invalid one refused are not among these."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from live_servers import training_app
from nnscratch.web.app import create_app
from nnscratch.web.served import ServedModels

EXAMPLES = int(os.environ.get("NNSCRATCH_SCHEMA_EXAMPLES", "40"))  # per operation
OPERATIONS = [
    ("GET", "/api/models"),
    ("POST", "/api/predict"),
    ("POST", "/api/network"),
    ("POST", "/api/inside"),
    ("POST", "/api/unit"),
    ("POST", "/api/probe"),
    ("GET", "/api/test-digits/{index}"),
    ("POST", "/api/attributions"),
    ("POST", "/api/unit-maths"),
    ("POST", "/api/one-step"),
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(small_models):
    app = create_app(
        ServedModels.from_files([small_models["mlp"], small_models["cnn"]]), hosts={"testserver"}
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_schema_lists_every_operation(api_schema):
    listed = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize("method, path", OPERATIONS)
def test_no_request_the_schema_allows_or_breaks_gets_a_server_error(api_schema, method, path):
    send_generated_requests(api_schema[path][method], EXAMPLES)


def send_generated_requests(operation, examples: int) -> None:
    """Send ``examples`` requests schemathesis generates for ``operation``, each answer
    checked with CHECKS."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def check(case):
        case.call_and_validate(checks=CHECKS)

    check()


# --- the digits and the live training's controls --------------------------------------------------

# Not fuzzed: starting runs (each would train) and the endless event stream; both are tested
# in tests/integration/test_web_training.py.
LIVE_OPERATIONS = [
    ("GET", "/api/digits"),
    ("POST", "/api/digits"),
    ("DELETE", "/api/digits/{number}"),
    ("POST", "/api/digits/export"),
    ("POST", "/api/digits/import"),
    ("GET", "/api/training"),
    ("POST", "/api/training/pause"),
    ("POST", "/api/training/resume"),
    ("POST", "/api/training/step"),
    ("POST", "/api/training/stop"),
    ("POST", "/api/training/drawing"),
    ("POST", "/api/training/save"),
]
NOT_FUZZED = [("POST", "/api/training/start"), ("GET", "/api/training/events")]


@pytest.fixture(scope="module")
def live_schema(small_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("live-schema")
    models = [small_models["mlp"], small_models["cnn"]]
    app, _ = training_app(models, root / "runs", root / "digits", hosts={"testserver"})
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_schema_of_a_server_that_trains_lists_its_operations_too(live_schema):
    listed = {(op.ok().method.upper(), op.ok().path) for op in live_schema.get_all_operations()}
    assert listed == set(OPERATIONS) | set(LIVE_OPERATIONS) | set(NOT_FUZZED)


@pytest.mark.parametrize("method, path", LIVE_OPERATIONS)
def test_no_request_to_the_digits_or_the_training_gets_a_server_error(live_schema, method, path):
    send_generated_requests(live_schema[path][method], EXAMPLES // 2)

"""Schemathesis reads the API's OpenAPI schema and sends each operation requests it generates,
valid ones and broken ones: none may get a 5xx, and every answer must fit the schema."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from nnscratch.web.app import create_app
from nnscratch.web.served import ServedModels

EXAMPLES = int(os.environ.get("NNSCRATCH_SCHEMA_EXAMPLES", "30"))  # per operation


@pytest.fixture(scope="module")
def app(small_models):
    return create_app(ServedModels.from_files([small_models["mlp"], small_models["cnn"]]))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=list(HealthCheck), database=None)
def test_no_request_the_schema_allows_or_breaks_gets_a_server_error(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])

"""What the web API's integration tests share: the two small models served, and a test client
of the page's application over them."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def models(small_models):
    """The small mlp and cnn models, as the server holds them."""
    from nnscratch.web.served import ServedModels

    return ServedModels.from_files([small_models["mlp"], small_models["cnn"]])


@pytest.fixture(scope="module")
def client(models):
    """FastAPI's test client of the application serving ``models`` (Host: testserver)."""
    from fastapi import testclient as fastapi_testclient

    from nnscratch.web.app import create_app

    with fastapi_testclient.TestClient(create_app(models, hosts={"testserver"})) as client:
        yield client

"""What the browser tests share: one Chromium per test file, and the page served with the two
small models (mlp and cnn) on a free loopback port."""

from __future__ import annotations

import pytest

from browser_pages import chromium
from live_servers import start_app


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def server(small_models):
    """The page's address (ending in /), serving the small mlp and cnn models."""
    from nnscratch.web.app import create_app
    from nnscratch.web.served import ServedModels

    served = start_app(
        create_app(ServedModels.from_files([small_models["mlp"], small_models["cnn"]]))
    )
    yield served.url + "/"
    served.stop()

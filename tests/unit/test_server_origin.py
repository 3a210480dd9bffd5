"""The server acts only for its own page: a request naming a host that is not one of the
server's addresses is refused (DNS rebinding), and so is a state-changing request sent by
another site's page (its Origin, or its Referer, is not the server's own)."""

from __future__ import annotations

import socket

import pytest
from fastapi import testclient

from nnscratch.datasets.digitset import DigitSet
from nnscratch.web.app import create_app
from nnscratch.web.live import LiveTraining
from nnscratch.web.origin import allowed_hosts, split_host
from nnscratch.web.served import ServedModels

OURS = "http://testserver"  # FastAPI's test client sends Host: testserver


@pytest.fixture(scope="module")
def app(small_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("origin")
    models = ServedModels.from_files([small_models["mlp"]])
    digits = DigitSet(root / "digits")
    live = LiveTraining(root / "runs", models, digits=digits)
    # The test client's host is allowed by name, as serve allows the addresses it binds.
    return create_app(
        models, live=live, digits=digits, hosts={"testserver", "localhost", "127.0.0.1", "::1"}
    )


@pytest.fixture(scope="module")
def client(app):
    with testclient.TestClient(app) as client:
        yield client


def assert_refused(response, status, *words):
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, detail


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"])
@pytest.mark.parametrize(
    "method, path", [("GET", "/api/models"), ("GET", "/"), ("POST", "/api/training/stop")]
)
def test_a_request_naming_another_host_is_refused(client, host, method, path):
    response = client.request(method, path, headers={"host": host})
    assert_refused(response, 400, host, "its own addresses")


def test_a_request_with_two_hosts_is_refused(client):
    response = client.get("/api/models", headers=[("host", "testserver"), ("host", "evil.example")])
    assert response.status_code == 400


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:5", "[::1]:8000", "LOCALHOST."])
def test_the_loopback_names_and_addresses_are_answered(client, host):
    assert client.get("/api/models", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://127.0.0.1:9999"},  # a page on another port of this machine
        {"origin": "http://evil.example"},
        {"origin": "null"},  # a sandboxed frame, a file:// page
        {"origin": "https://testserver"},  # another scheme is another origin
        {"referer": "http://evil.example/page.html"},  # an old browser: Referer only
        {"origin": OURS, "Origin": "http://evil.example"},
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/api/training/stop"),
        ("POST", "/api/training/pause"),
        ("POST", "/api/digits/import"),
        ("POST", "/api/digits/export"),
        ("DELETE", "/api/digits/1"),
        ("POST", "/api/predict"),
    ],
)
def test_a_state_changing_request_from_another_sites_page_is_refused(client, headers, method, path):
    pairs = [(key.lower(), value) for key, value in headers.items()]
    response = client.request(method, path, headers=pairs)
    assert_refused(response, 403, f"{method} {path}", "not from this server's own page")


def test_a_refused_stop_leaves_the_run_alone(client, app, monkeypatch):
    stopped = []
    monkeypatch.setattr(app.state.live, "stop", lambda: stopped.append(1) or {})
    client.post("/api/training/stop", headers={"origin": "http://127.0.0.1:9999"})
    assert stopped == []
    client.post("/api/training/stop", headers={"origin": OURS})
    assert stopped == [1]


@pytest.mark.parametrize("headers", [{"origin": OURS}, {"referer": OURS + "/?model=mlp"}, {}])
def test_our_own_page_and_programs_without_a_page_are_answered(client, headers):
    # An empty export is a 4xx of its own: anything but the origin's 403 shows it passed.
    response = client.post("/api/training/stop", headers=headers)
    assert response.status_code != 403 and response.status_code < 500, response.text
    response = client.post("/api/digits/export", headers=headers)
    assert response.status_code != 403 and response.status_code < 500, response.text


def test_reading_needs_no_origin_check(client):
    # A browser lets no other site read the answer (no CORS headers): GETs are answered.
    response = client.get("/api/models", headers={"origin": "http://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_the_page_makes_the_browser_send_its_origin(client):
    # Under "no-referrer" the Fetch standard makes the page's own POSTs say "Origin: null".
    assert client.get("/").headers["referrer-policy"] == "same-origin"


def test_the_default_app_answers_loopback_only(small_models):
    app = create_app(ServedModels.from_files([small_models["mlp"]]))
    with testclient.TestClient(app) as client:
        assert client.get("/api/models").status_code == 400  # testserver is not allowed
        assert client.get("/api/models", headers={"host": "127.0.0.1:80"}).status_code == 200


def test_a_wildcard_bind_answers_to_this_machines_names_and_a_loopback_bind_does_not():
    everywhere = allowed_hosts("0.0.0.0")
    assert {"localhost", "127.0.0.1", "::1", "0.0.0.0"} <= everywhere
    assert socket.gethostname().lower() in everywhere
    assert allowed_hosts("127.0.0.1") == {"localhost", "127.0.0.1", "::1"}
    assert "::" in allowed_hosts("::")
    assert allowed_hosts("localhost") >= {"localhost", "127.0.0.1"}


@pytest.mark.parametrize(
    "header, parts",
    [
        ("[::1]:8000", ("::1", "8000")),
        ("Example.COM.:80", ("example.com", "80")),
        ("localhost", ("localhost", "")),
        ("::1", ("::1", "")),
    ],
)
def test_host_headers_are_split_into_name_and_port(header, parts):
    assert split_host(header) == parts

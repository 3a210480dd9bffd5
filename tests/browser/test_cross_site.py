"""Another web site cannot drive the server, in headless Chromium: a page served from another
port of 127.0.0.1 sends the requests a browser sends cross-site without asking first (a
``no-cors`` fetch that would stop the run, a form that would import digits); the server refuses
them (403) and the run goes on, while the server's own page, at each of its loopback addresses,
still trains, stops, adds and exports."""

from __future__ import annotations

import http.server
import threading

import pytest

from browser_pages import Page, wait_until
from live_servers import start_app
from mini_mnist import write_mnist_folder
from nnscratch.datasets import load_mnist
from nnscratch.datasets.digitset import DigitSet
from nnscratch.web.app import create_app
from nnscratch.web.live import LiveTraining
from nnscratch.web.served import ServedModels
from web_models import digit_strokes

ATTACK = """<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="import" method="POST" action="{server}/api/digits/import"
      enctype="multipart/form-data" target="sink">
  <input name="file" value="not a real file, but the request is what counts">
</form>
<script>
fetch("{server}/api/training/stop", {{method: "POST", mode: "no-cors"}})
  .then(() => fetch("{server}/api/training/pause", {{method: "POST", mode: "no-cors",
        headers: {{"content-type": "text/plain"}}, body: "{{}}"}}))
  .then(() => {{ document.getElementById("import").submit(); }})
  .finally(() => {{ document.body.dataset.sent = "yes"; }});
</script></body></html>"""


class Recorded:
    """The application, with the status of every answer recorded as (method, path, origin,
    status): what the server did, not what the attacking page could see."""

    def __init__(self, app) -> None:
        self.app, self.answers = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        origin = dict(scope["headers"]).get(b"origin", b"").decode()

        async def recording_send(message):
            if message["type"] == "http.response.start":
                self.answers.append((scope["method"], scope["path"], origin, message["status"]))
            await send(message)

        return await self.app(scope, receive, recording_send)


@pytest.fixture
def server(small_models, tmp_path):
    data = write_mnist_folder(tmp_path / "data", train=1500, test=300)
    served = ServedModels.from_files([small_models["mlp"], small_models["cnn"]])
    live = LiveTraining(
        tmp_path / "runs", served, digits=DigitSet(tmp_path / "digits"), data=str(data)
    )
    recorded = Recorded(create_app(served, live=live, digits=live.digits))
    running = start_app(recorded)
    yield running, live, recorded
    live.close()
    running.stop(timeout=60)


@pytest.fixture
def attacker(server):
    """A page of another origin (another port of 127.0.0.1) aimed at the server."""
    running = server[0]
    page = ATTACK.format(server=running.url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{other.server_address[1]}"
    other.shutdown()
    other.server_close()
    thread.join(timeout=10)


def progress(page) -> int:
    return int(page.page.get_attribute("body", "data-progress") or 0)


def test_a_page_on_another_port_cannot_stop_the_run_nor_import_while_ours_can(
    browser, server, attacker
):
    running, live, recorded = server
    ours = Page(browser, running.url + "/")
    ours.page.fill("#train-epochs", "300")  # longer than the test: it is stopped
    ours.page.fill("#train-hidden", "16")
    ours.page.fill("#train-dev", "300")
    ours.page.click("#train-start")
    wait_until(lambda: progress(ours) >= 1)

    context = browser.new_context()
    other = context.new_page()
    other.goto(attacker + "/")
    other.wait_for_selector("body[data-sent='yes']", state="attached")
    wait_until(lambda: any(a[1] == "/api/digits/import" for a in recorded.answers))
    refused = {
        (method, path): status
        for method, path, origin, status in recorded.answers
        if origin == attacker
    }
    assert refused == {
        ("POST", "/api/training/stop"): 403,
        ("POST", "/api/training/pause"): 403,
        ("POST", "/api/digits/import"): 403,
    }
    context.close()
    # The run went on: it still trains, and the page saw no stop.
    assert live.status()["state"] == "running"
    seen = progress(ours)
    wait_until(lambda: progress(ours) > seen)
    assert ours.page.get_attribute("body", "data-training") not in ("stopped", "paused")

    ours.page.click("#train-stop")  # our own page's stop still works
    ours.page.wait_for_selector("body[data-training='stopped']", state="attached")
    own = {(m, p): s for m, p, origin, s in recorded.answers if origin == running.url}
    assert own[("POST", "/api/training/start")] < 400
    assert own[("POST", "/api/training/stop")] < 400
    ours.close()


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost"])
def test_our_page_adds_and_exports_digits_from_each_loopback_address(browser, server, address):
    running, live, recorded = server
    page = Page(browser, f"http://{address}:{running.port}/")
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    page.page.click("#label-buttons button[data-label='7']")
    page.page.wait_for_selector("#gallery .digit-tile")
    assert len(live.digits.arrays()[1]) == 1
    page.page.click("#digits-export")
    page.page.wait_for_selector("#export-result code")
    sent = [(m, p, origin, s) for m, p, origin, s in recorded.answers if m == "POST"]
    assert {(p, origin) for _, p, origin, _ in sent} >= {
        ("/api/digits", f"http://{address}:{running.port}"),
        ("/api/digits/export", f"http://{address}:{running.port}"),
    }
    assert all(s < 400 for *_, s in sent), sent
    page.close()

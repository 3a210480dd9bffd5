"""Headless Chromium for the page's tests: Debian's /usr/bin/chromium driven by Playwright (it
cannot download its own here), and :class:`Page`, the demo's page as a person uses it, with what
it sent to and got from /api/predict recorded. Without Chromium the browser tests fail: they are
the only check that the page works."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANSWER = re.compile(r"(\w+): (unsure, perhaps )?(\d), (\d+) %")
UNITS = 280


@contextlib.contextmanager
def chromium():
    """A headless Chromium, closed at the end; the test fails (never skips) without it."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install "
            f"chromium), as .ci/run does; the browser tests cannot run without it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def wait_until(check, timeout: float = 120, every: float = 0.1):
    """Poll ``check()`` until it is true (the page's policy forbids Playwright's evaluated
    waits): returns its value; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"still not true after {timeout} s")


class Page:
    """A page of the demo, with what it sent to and got from /api/predict recorded."""

    def __init__(self, browser, url, prepare=None, **context):
        self.context = browser.new_context(
            **{"viewport": {"width": 1280, "height": 800}, **context}
        )
        if prepare is not None:  # e.g. scripts every page of the context gets first
            prepare(self.context)
        self.page = self.context.new_page()
        self.sent, self.got, self.errors = [], [], []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", self._request)
        self.page.on("response", self._response)
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='true']")
        self.idle()

    def _request(self, request):
        if request.url.endswith("/api/predict"):
            self.sent.append(request)

    def _response(self, response):
        if response.url.endswith("/api/predict"):
            self.got.append(response)

    def idle(self, views=False):
        self.page.wait_for_selector("body[data-predict='idle']", state="attached")
        if views:
            self.page.wait_for_selector("body[data-view='idle']", state="attached")

    def last_answer(self) -> dict:
        self.idle()
        return self.got[-1].json()

    def last_drawing(self) -> dict:
        return self.sent[-1].post_data_json["drawing"]

    def announced(self) -> str:
        return self.page.inner_text("#announce")

    def to_screen(self, x, y):
        box = self.page.locator("#pad").bounding_box()
        return box["x"] + x * box["width"] / UNITS, box["y"] + y * box["height"] / UNITS

    def draw_with_mouse(self, strokes):
        self.page.locator("#pad").scroll_into_view_if_needed()  # as a person scrolls to it
        mouse = self.page.mouse
        for stroke in strokes:
            points = stroke["points"]
            mouse.move(*self.to_screen(*points[0]))
            mouse.down()
            for x, y in points[1:]:
                mouse.move(*self.to_screen(x, y), steps=3)
            mouse.up()
        self.idle()

    def draw_with_finger(self, strokes):
        cdp = self.context.new_cdp_session(self.page)
        for stroke in strokes:
            points = stroke["points"]
            x, y = self.to_screen(*points[0])
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]},
            )
            for (x0, y0), (x1, y1) in itertools.pairwise(points):
                for t in (0.5, 1.0):
                    x, y = self.to_screen(x0 + t * (x1 - x0), y0 + t * (y1 - y0))
                    cdp.send(
                        "Input.dispatchTouchEvent",
                        {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]},
                    )
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        self.idle()

    def close(self):
        assert not self.errors, self.errors
        self.context.close()

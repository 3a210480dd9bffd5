"""Take the web page's screenshots for the docs: `nnscratch serve` with the given model files,
driven by Playwright in Debian's headless Chromium (/usr/bin/chromium), as a person would.

    python docs/screenshots.py MODEL [MODEL ...] [--out FOLDER]   # e.g. mlp.npz cnn.npz
    python docs/screenshots.py MODEL --share-only                 # share-phone.png alone

Writes into FOLDER (default: this file's folder): web-desktop.png and web-phone.png (a 7 drawn
with two strokes, at 1440x900 and 390x844), web-step.png (one step of learning on it, true
label 2), web-maps.png (its maps on the logit), live-desktop.png and live-phone.png (a run of
the mlp preset with hidden sizes 64 and 6 epochs, paused after its 4th), and share-phone.png
(the last MODEL exported as a page, ``nnscratch export MODEL digit.html``, opened from file://
at 390x844 with every request but file: blocked, the 7 drawn on it). The runs and digits go to
a temporary folder. Look at every picture before committing it.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SEVEN = [[(70, 62), (150, 58), (214, 60)], [(214, 60), (170, 140), (128, 232)]]  # pad units
PAD_UNITS = 280


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check, what: str, timeout: float = 600) -> None:
    """Poll ``check()`` until it is true; RuntimeError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not after {timeout} s")
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return httpx.get(url + "/api/models", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def draw_seven(page: Page) -> None:
    """The 7 of two strokes, drawn with the mouse; returns when the answers and view are in."""
    mouse_seven(page)
    settled(page)


def mouse_seven(page: Page) -> None:
    """The 7 of two strokes, drawn with the mouse on the page's #pad."""
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    scale = box["width"] / PAD_UNITS
    for stroke in SEVEN:
        page.mouse.move(box["x"] + stroke[0][0] * scale, box["y"] + stroke[0][1] * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=12)
        page.mouse.up()


def settled(page: Page) -> None:
    time.sleep(0.5)  # let the pause after drawing pass, so the views are asked
    page.wait_for_selector("body[data-predict='idle'][data-view='idle']", state="attached")


def open_page(browser, url: str, viewport: dict) -> Page:
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']", state="attached")
    return page


def part(page: Page, selector: str, path: Path, height: int) -> None:
    """A screenshot of ``selector``'s element, its first ``height`` CSS pixels at most."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    scroll = page.evaluate("[window.scrollX, window.scrollY]")
    clip = {"x": box["x"] + scroll[0], "y": box["y"] + scroll[1], "width": box["width"]}
    page.screenshot(path=path, full_page=True, clip={**clip, "height": min(box["height"], height)})


def progress(page: Page) -> int:
    return int(page.get_attribute("body", "data-progress") or 0)


def shoot_share(browser, model: str, out: Path) -> None:
    """share-phone.png: ``model`` exported as a page, opened offline on a phone's screen."""
    with tempfile.TemporaryDirectory() as scratch:
        page_path = Path(scratch) / "digit.html"
        subprocess.run([sys.executable, "-m", "nnscratch", "export", model, page_path], check=True)
        context = browser.new_context(viewport=PHONE, has_touch=True)
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        page = context.new_page()
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready='true']", state="attached")
        draw_seven_offline(page)
        page.screenshot(path=out / "share-phone.png", full_page=True)
        context.close()


def draw_seven_offline(page: Page) -> None:
    """The 7 drawn on an exported page; returns when its answer to the whole drawing is shown."""
    mouse_seven(page)
    page.wait_for_function(
        "() => document.body.dataset.points === String(window.nnscratchShare.strokes()"
        ".reduce((n, s) => n + s.points.length, 0)) && 'digit' in document.body.dataset"
    )


def main(models: list[str], out: Path, share_only: bool = False) -> None:
    if share_only:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            shoot_share(browser, models[-1], out)
            browser.close()
        return
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "nnscratch", "serve", *models, "--port", str(port)]
        command += ["--no-open", "--runs", f"{scratch}/runs", "--digits", f"{scratch}/digits"]
        server = subprocess.Popen(command)
        try:
            wait_for(lambda: answers(url), "the server answering")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                shoot(browser, url + "/", out)
                shoot_share(browser, models[-1], out)
                browser.close()
        finally:
            server.terminate()
            server.wait(60)


def shoot(browser, url: str, out: Path) -> None:
    page = open_page(browser, url, DESKTOP)
    draw_seven(page)
    page.screenshot(path=out / "web-desktop.png")
    page.click("#tab-step")
    page.select_option("#step-label", "2")
    settled(page)
    part(page, "#views", out / "web-step.png", 1500)
    page.click("#tab-saliency")
    settled(page)
    page.locator("#views").screenshot(path=out / "web-maps.png")
    page.click("#tab-inside")
    settled(page)

    phone = open_page(browser, url, PHONE)
    draw_seven(phone)
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=out / "web-phone.png")

    page.select_option("#train-preset", "mlp")
    page.fill("#train-hidden", "64")
    page.fill("#train-epochs", "6")
    page.click("#train-start")
    wait_for(lambda: progress(page) >= 4, "the run's 4th epoch")
    page.click("#train-pause")
    page.wait_for_selector("body[data-training='paused']", state="attached", timeout=600_000)
    page.locator("#train").screenshot(path=out / "live-desktop.png")
    phone.reload()
    phone.wait_for_selector("body[data-ready='true']", state="attached")
    wait_for(lambda: progress(phone) >= 4, "the phone's page replaying the run")
    draw_seven(phone)
    time.sleep(1)  # the run scores the phone's drawing: its bars arrive on the event stream
    part(phone, "#train", out / "live-phone.png", 1700)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model files (.npz) to serve")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--share-only", action="store_true", help="take share-phone.png alone")
    arguments = parser.parse_args()
    main(arguments.models, arguments.out, arguments.share_only)

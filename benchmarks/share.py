"""The exported page of each preset (``nnscratch export MODEL digit.html``): its size, the
runtime's share of it, the time headless Chromium takes from opening it to the first answer of
a drawing, and what float16 weights would change in the probabilities.

    python -m benchmarks.share [MODEL.npz ...]

Without model files, each preset's untrained network (build_model, seeded weights) stands in:
the page's size and speed depend on the architecture, not on training. Opening is timed from
``page.goto`` to the page's first answer after a 7 of two strokes is drawn with the mouse
(benchmarks/drawing-seven.json's first points), every request but file: blocked; the page's own
share (navigation start to ready, and one answer) is read from ``performance.now()``. Not a
test: it prints a table, it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHROMIUM = "/usr/bin/chromium"
SEVEN = [[(70, 62), (150, 58), (214, 60)], [(214, 60), (170, 140), (128, 232)]]  # pad units
SETTLED = """() => document.body.dataset.points === String(window.nnscratchShare.strokes()
    .reduce((n, stroke) => n + stroke.points.length, 0)) && 'digit' in document.body.dataset"""


def float16_change(model, images) -> float:
    """The largest change of a probability on ``images`` when every array is rounded to
    float16 and back."""
    from nnscratch.model import Sequential

    expected = model.predict_proba(images)
    rounded = Sequential.from_config(model.config())
    rounded.set_weights(
        {k: v.astype(np.float16).astype(v.dtype) for k, v in model.get_weights().items()}
    )
    return float(np.abs(rounded.predict_proba(images) - expected).max())


def open_and_draw(browser, path: Path) -> dict[str, float]:
    """Seconds from opening the page to its answer to the drawn 7, and the page's own ms."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    page = context.new_page()
    start = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready='true']", state="attached")
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 280
    for stroke in SEVEN:
        page.mouse.move(box["x"] + stroke[0][0] * scale, box["y"] + stroke[0][1] * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=4)
        page.mouse.up()
    page.wait_for_function(SETTLED)
    total = time.perf_counter() - start
    ready = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
    )
    one = page.evaluate(
        """() => { const s = window.nnscratchShare.strokes(); const t = performance.now();
        const field = window.nnscratchShare.drawingToMnist(s, 280, 280);
        window.nnscratchShare.probabilities(field); return performance.now() - t; }"""
    )
    context.close()
    return {"first_answer_s": total, "ready_ms": ready, "answer_ms": one}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.share", description=__doc__)
    parser.add_argument("models", nargs="*", type=Path, help="model files (default: presets)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from nnscratch.datasets import load_mnist
    from nnscratch.model import PRESETS, Sequential, build_model
    from nnscratch.web.share import write_page

    images = load_mnist("test")[0][:1000]
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        models = args.models or []
        if not models:
            for name in PRESETS:
                build_model(name).save(Path(folder) / f"{name}.npz", preset=name)
                models.append(Path(folder) / f"{name}.npz")
        print("| model | parameters | page | runtime | first answer | ready | one answer "
              "| float16 change |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for model_path in models:
            page_path = Path(folder) / f"{model_path.stem}.html"
            size = write_page(model_path, page_path)
            text = page_path.read_text(encoding="utf-8")
            weights = re.search(r'id="weights">(.*?)</script>', text, re.DOTALL)[1]
            runtime = size - len(weights)
            assert len(base64.b64decode(weights)) % 4 == 0
            model = Sequential.load(model_path)
            timing = open_and_draw(browser, page_path)
            print(
                f"| {model_path.stem} | {model.parameter_count():,} | {size / 1e6:.2f} MB "
                f"| {runtime / 1e3:.1f} kB | {timing['first_answer_s']:.2f} s "
                f"| {timing['ready_ms']:.0f} ms | {timing['answer_ms']:.0f} ms "
                f"| {float16_change(model, images):.1e} |"
            )
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The accessibility gate: axe-core finds no violation on any view of the page, at a phone's
size (390 x 844) and a desktop's (1440 x 900): the drawing and its answers, each view of "Look
inside" (a unit's detail open), a training run's charts and results, your digits' gallery."""

from __future__ import annotations

import pytest
from accessibility import describe, violations, with_axe

from browser_pages import Page, wait_until
from live_servers import start_server
from mini_mnist import write_mnist_folder
from nnscratch.datasets import load_mnist
from web_models import digit_strokes

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


@pytest.fixture(scope="module")
def server(small_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("a11y")
    data = write_mnist_folder(root / "data", train=1500, test=300)
    served = start_server(
        [small_models["mlp"], small_models["cnn"]], root / "runs", root / "digits", str(data)
    )
    yield served
    served.stop()


def check(page, where: str, problems: list[str]) -> None:
    """axe-core over the page as it is now; what it finds is added to ``problems``."""
    found = violations(page.page)
    if found:
        problems.append(f"{where}:\n{describe(found)}")


@pytest.mark.parametrize("size", SIZES)
def test_every_view_has_no_accessibility_violation(browser, server, size):
    page = Page(browser, server.url + "/", prepare=with_axe, viewport=SIZES[size])
    problems: list[str] = []
    check(page, f"{size}: the page before any drawing", problems)
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    page.idle(views=True)
    page.page.click("#label-buttons button[data-label='7']")  # a digit in the gallery
    page.page.wait_for_selector("#gallery .digit-tile")
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][1]))
    page.idle(views=True)
    page.page.click("#steps-toggle")
    page.idle()
    page.page.locator("#network-figure .net-node >> nth=0").click()
    page.page.wait_for_selector("#network-maths table")
    check(page, f"{size}: the network at a glance, a unit's maths open", problems)
    if page.page.locator("#network-model option[value='cnn']").count():
        page.page.select_option("#network-model", "cnn")
        page.idle(views=True)
        page.page.locator("#network-figure .net-map >> nth=0").click()
        page.page.wait_for_selector("#network-maths table")
        check(page, f"{size}: a convolutional network at a glance, a map's maths", problems)
    page.page.click("#tab-inside")
    page.idle(views=True)
    page.page.locator(".unit-pick button[data-unit] >> nth=0").click()
    page.page.wait_for_selector("#unit-detail .formula")
    check(page, f"{size}: the inside view, a unit's detail open", problems)
    for view in ("saliency", "probes", "step"):
        page.page.click(f"#tab-{view}")
        page.idle(views=True)
        check(page, f"{size}: the {view} view", problems)
    page.page.fill("#train-epochs", "2")
    page.page.fill("#train-hidden", "16")
    page.page.fill("#train-dev", "300")
    page.page.click("#train-start")
    page.page.wait_for_selector(
        "body[data-training='completed']", state="attached", timeout=120_000
    )
    wait_until(lambda: page.page.locator("#loss-chart svg").count() == 1)
    check(page, f"{size}: a finished run's charts and results", problems)
    page.close()
    assert problems == [], "\n".join(problems)


def contrast(foreground: str, background: str = "rgb(255, 255, 255)") -> float:
    """WCAG's contrast ratio of two CSS colours given as rgb(...)."""

    def luminance(colour: str) -> float:
        channels = [float(v) / 255 for v in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_axe_does_not_judge_has_a_contrast_of_at_least_4_5(browser, server):
    """The pad's hint (hidden from screen readers, so axe skips it) and the text in the
    probe charts' SVG, on white."""
    page = Page(browser, server.url + "/?view=probes", viewport=SIZES["desktop"])
    colour = "el => getComputedStyle(el).color"
    assert contrast(page.page.locator("#pad-hint").evaluate(colour)) >= 4.5
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    page.idle(views=True)
    fills = page.page.locator("#probe-charts svg text").evaluate_all(
        "els => els.map(el => getComputedStyle(el).fill)"
    )
    assert fills and all(contrast(fill) >= 4.5 for fill in fills), set(fills)
    page.close()


def test_every_stop_of_the_keyboard_shows_a_focus_ring(browser, server):
    page = Page(browser, server.url + "/", viewport=SIZES["desktop"])
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    page.idle(views=True)
    ring = """() => {
        let el = document.activeElement;
        // A file input hidden for its styled label shows its focus on that label.
        if (el.classList.contains('visually-hidden')) el = el.nextElementSibling;
        const s = getComputedStyle(el);
        return [document.activeElement.id || document.activeElement.outerHTML.slice(0, 60),
                s.outlineStyle, parseFloat(s.outlineWidth)];
    }"""
    seen, missing = set(), []
    for _ in range(120):
        page.page.keyboard.press("Tab")
        name, style, width = page.page.evaluate(ring)
        if name in seen or name.startswith("<body"):  # seen, or past the last stop
            continue
        seen.add(name)
        if style == "none" or width < 2:
            missing.append(name)
    assert len(seen) > 40 and missing == [], missing
    page.close()

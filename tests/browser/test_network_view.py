"""The network at a glance (static/view-network.js) in headless Chromium, at a phone's size and a
desktop's: it is the first view, in a desktop's first screen and right under the answers on a
phone; a held stroke lights it before the pointer is released (and how long a pointer move
takes to show is measured); its layers are named as /api/unit-maths names them, not by index;
hover and focus say a unit's value; choosing a unit or an output shows its maths with the
numbers /api/unit-maths gives for the same pixels."""

from __future__ import annotations

import statistics

import pytest

from browser_pages import Page, wait_until
from nnscratch.datasets import load_mnist
from web_models import digit_strokes

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
MOVES = 30  # pointer moves timed in one held stroke
NETWORK = "async () => (await import('/static/state.js')).state.network"


@pytest.fixture(scope="module")
def digit():
    return load_mnist("test")[0][0]  # a 7


def open_page(browser, server, size, query="?models=mlp"):
    return Page(browser, server + query, viewport=SIZES[size], is_mobile=size == "phone")


def post(page, path: str, body: dict) -> dict:
    return page.page.evaluate(
        """async ([path, body]) => (await fetch(path, { method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body) })).json()""",
        [path, body],
    )


def number(text: str) -> float:
    return float(text.replace("−", "-").replace("\u00a0%", ""))


def test_it_is_the_first_view_in_a_desktop_s_first_screen(browser, server, digit):
    page = open_page(browser, server, "desktop")
    assert page.page.get_attribute("#tab-network", "aria-selected") == "true"
    page.draw_with_mouse(digit_strokes(digit))
    page.idle(views=True)
    page.page.evaluate("window.scrollTo(0, 0)")
    box = page.page.locator("#network-figure").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 900, box
    assert page.page.locator("#network-figure .net-node").count() > 10
    page.close()


def test_on_a_phone_it_is_right_under_the_answers(browser, server, digit):
    page = open_page(browser, server, "phone", "?models=mlp,cnn")
    page.draw_with_mouse(digit_strokes(digit))
    page.idle(views=True)
    answers = page.page.locator("#answers").bounding_box()
    views = page.page.locator("#views").bounding_box()
    assert 0 <= views["y"] - (answers["y"] + answers["height"]) < 30
    figure = page.page.locator("#network-figure").bounding_box()
    assert figure["x"] >= 0 and figure["x"] + figure["width"] <= 390  # no sideways scroll
    # a cnn's five columns fit too: none spills out of the figure
    page.page.select_option("#network-model", "cnn")
    page.idle(views=True)
    assert page.page.locator("#network-figure .net-layer").count() == 5
    parts = page.page.locator("#network-figure .net-layer > *")  # titles, pictures, units
    for box in (parts.nth(i).bounding_box() for i in range(parts.count())):
        assert figure["x"] <= box["x"] and box["x"] + box["width"] <= figure["x"] + figure["width"]
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_held_stroke_lights_the_network_before_the_pointer_is_released(
    browser, server, size, digit
):
    page = open_page(browser, server, size)
    page.page.locator("#pad").scroll_into_view_if_needed()
    mouse = page.page.mouse
    mouse.move(*page.to_screen(60, 60))
    mouse.down()
    latencies, drawing = [], []
    for i in range(MOVES):
        before = page.page.evaluate("performance.now()")
        x, y = 60 + 5 * i, 60 + 6 * i  # a diagonal stroke across the pad
        mouse.move(*page.to_screen(x, y))
        # the view shows this move (or a later input) while the button is still down
        wait_until(
            lambda before=before: any(
                entry["inputAt"] >= before for entry in page.page.evaluate(NETWORK)["log"]
            )
        )
        entry = next(e for e in page.page.evaluate(NETWORK)["log"] if e["inputAt"] >= before)
        latencies.append(entry["at"] - entry["inputAt"])
        drawing.append(entry["drawMs"])
    held = page.page.evaluate(NETWORK)
    assert held["updates"] >= 2 and page.page.evaluate("document.body.dataset.predict") in (
        "busy",
        "idle",
    )
    assert page.page.locator("#network-figure .net-node").count() > 10
    mouse.up()
    page.idle(views=True)
    print(
        f"\n{size}: pointer move to network update over {MOVES} moves: median "
        f"{statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms; drawing the view "
        f"took a median {statistics.median(drawing):.1f} ms, max {max(drawing):.1f} ms"
    )
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_layers_are_named_as_a_reader_would_name_them(browser, server, size, digit):
    page = open_page(browser, server, size, "?models=cnn")
    page.draw_with_mouse(digit_strokes(digit))
    page.idle(views=True)
    pixels = page.last_answer()["input"]
    maths = post(page, "/api/unit-maths", {"pixels": pixels, "model": "cnn", "layer": 1, "unit": 0})
    titles = [layer["title"].replace("->", "→") for layer in maths["layers"]]
    assert titles[0].startswith("Conv 5x5, 1→") and titles[-1].endswith("softmax")
    shown = page.page.locator("#network-figure h3").all_inner_texts()
    assert [t.replace("\n", " ") for t in shown] == ["Input 28x28 pixels", *titles]
    # the inside view names its layers the same way, not by internal index (1, 4, 8)
    page.page.click("#tab-inside")
    page.idle(views=True)
    inside = page.page.locator("#inside-layers h3").all_inner_texts()
    assert [t.split(":")[0] for t in inside] == titles[:-1]
    assert not any(t.startswith("Layer ") for t in inside)
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_choosing_a_unit_shows_its_maths_with_the_api_s_numbers(browser, server, size, digit):
    page = open_page(browser, server, size)
    page.draw_with_mouse(digit_strokes(digit))
    page.idle(views=True)
    pixels = page.last_answer()["input"]
    network = post(page, "/api/network", {"pixels": pixels, "model": "mlp"})
    hidden, output = network["layers"][0], network["layers"][-1]
    # hovering a unit says its value
    unit = hidden["shown"][0]
    node = page.page.locator(
        f"#network-figure [data-layer='{hidden['index']}'][data-unit='{unit}']"
    )
    node.hover()
    said = page.page.inner_text("#network-focus")
    assert said.startswith("Dense 784→48, ReLU: unit") and number(said.rsplit("= ", 1)[1]) == (
        pytest.approx(hidden["values"][unit], abs=5e-4)
    )
    node.click()
    page.page.wait_for_selector("#network-maths table")
    assert node.get_attribute("aria-pressed") == "true"
    expected = post(
        page,
        "/api/unit-maths",
        {"pixels": pixels, "model": "mlp", "layer": hidden["index"], "unit": unit},
    )
    cells = page.page.locator("#network-maths .lesson-sum tbody tr td").all_inner_texts()
    products = [number(t) for t in cells[2 : 3 * len(expected["terms"]) : 3]]
    assert products == pytest.approx([t["product"] for t in expected["terms"]], rel=1e-3)
    assert number(cells[-1]) == pytest.approx(expected["z"], rel=1e-3, abs=1e-6)
    assert number(cells[-2]) == pytest.approx(expected["bias"], rel=1e-3, abs=1e-6)
    # an output, chosen from the keyboard: its softmax over the actual logits
    top = max(range(10), key=lambda c: output["values"][c])
    out = page.page.locator(f"#network-figure [data-layer='{output['index']}'][data-unit='{top}']")
    out.focus()
    assert page.page.inner_text("#network-focus").startswith(f"Dense 48→10, softmax: output {top}")
    page.page.keyboard.press("Enter")
    page.page.wait_for_selector("#network-maths .lesson-softmax")
    assert out.get_attribute("aria-pressed") == "true" and node.get_attribute("aria-pressed") == (
        "false"
    )
    expected = post(
        page,
        "/api/unit-maths",
        {"pixels": pixels, "model": "mlp", "layer": output["index"], "unit": top},
    )
    logits = page.page.locator("#network-maths .lesson-softmax tbody td:nth-child(2)")
    assert [number(t) for t in logits.all_inner_texts()] == pytest.approx(
        expected["softmax"]["logits"], rel=1e-3
    )
    notations = page.page.locator("#network-maths .lesson-notation").all_inner_texts()
    # W2 with examples as columns (the tutorial) and as rows (ours)
    assert len(notations) == 2 and "W2 (10, 48)" in notations[0] and "W2 (48, 10)" in notations[1]
    page.close()


def test_the_chosen_unit_stays_marked_while_the_drawing_changes(browser, server, digit):
    page = open_page(browser, server, "desktop")
    page.draw_with_mouse(digit_strokes(digit))
    page.idle(views=True)
    layer = page.page.locator("#network-figure .net-node >> nth=0").get_attribute("data-layer")
    # the least active of the units drawn: the first to give way to others as the drawing changes
    values = page.page.evaluate(NETWORK)["answer"]["layers"][0]
    unit = min(values["shown"], key=lambda u: values["values"][u])
    node = f"#network-figure [data-layer='{layer}'][data-unit='{unit}']"
    page.page.click(node)
    page.page.wait_for_selector("#network-maths table")
    updates = page.page.evaluate(NETWORK)["updates"]
    page.page.click("#clear")
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][2]))  # a 1
    page.idle(views=True)
    assert page.page.evaluate(NETWORK)["updates"] > updates
    assert page.page.get_attribute(node, "aria-pressed") == "true"
    assert page.page.locator("#network-figure [aria-pressed='true']").count() == 1
    page.close()

"""The page's charts, status and the server's absence, in headless Chromium: chart axes come
from the data (distinct tick labels, a log scale over decades of loss, nothing before there is
data), every module of the page is served as JavaScript under the page's CSP, and a banner
says when the server is gone and goes when it is back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_pages import Page
from live_servers import start_app

STATIC = Path(__file__).resolve().parents[2] / "src" / "nnscratch" / "web" / "static"
IMPORT = re.compile(r"""^import\s[^;]*?from\s+["']\./([\w.-]+\.js)["']""", re.MULTILINE)


def imported_from(entry: str) -> set[str]:
    """``entry`` and every module it imports, directly or not."""
    found, waiting = set(), [entry]
    while waiting:
        name = waiting.pop()
        if name not in found:
            found.add(name)
            waiting += IMPORT.findall((STATIC / name).read_text(encoding="utf-8"))
    return found


# The served page's modules: app.js and all it imports. The others are the exported page's
# (share.js and what only it imports), inlined into the file `nnscratch export` writes.
MODULES = sorted(imported_from("app.js"))


@pytest.fixture(scope="module")
def server(small_models):
    from nnscratch.web.app import create_app
    from nnscratch.web.served import ServedModels

    served = start_app(create_app(ServedModels.from_files([small_models["mlp"]])))
    yield served.url + "/"
    served.stop()


@pytest.fixture
def page(browser, server):
    opened = Page(browser, server)
    yield opened
    opened.close()


def test_every_module_is_served_as_javascript_and_loads_under_the_csp(browser, server):
    assert "app.js" in MODULES and len(MODULES) > 10
    every = {path.name for path in STATIC.glob("*.js")}
    assert every == set(MODULES) | imported_from("share.js")  # no module belongs to neither
    context = browser.new_context()
    tab = context.new_page()
    loaded, refused = {}, []
    tab.on("response", lambda r: loaded.__setitem__(r.url.rsplit("/", 1)[1], r))
    tab.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    tab.goto(server)
    tab.wait_for_selector("body[data-ready='true']")
    for name in MODULES:
        assert name in loaded, f"{name} was not loaded"
        assert loaded[name].headers["content-type"].startswith("text/javascript")
        assert "default-src 'self'" in loaded[name].headers["content-security-policy"]
    assert refused == []
    context.close()


# A chart drawn by the page's own chart module, on made-up series, into a detached figure.
DRAW = """async ([what, train, dev]) => {
    const { lineChart } = await import('/static/chart.js');
    const rows = train.map((v, i) => ({ epoch: i + 1, [`train_${what}`]: v,
                                        [`dev_${what}`]: dev ? dev[i] : null }));
    const figure = document.createElement('figure');
    lineChart(figure, { what, rows, value: (p, key) => p[`${key}_${what}`], unit: 'epoch',
                        epochs: Math.max(rows.length, 1) });
    const svg = figure.querySelector('svg');
    return { svg: Boolean(svg), scale: svg && svg.dataset.scale,
             y: [...figure.querySelectorAll('text.tick.y')].map((t) => t.textContent),
             x: [...figure.querySelectorAll('text.tick.x')].map((t) => t.textContent) };
}"""


def number(label: str) -> float:
    return float(label.rstrip("%")) / (100 if label.endswith("%") else 1)


@pytest.mark.parametrize(
    ("what", "train", "dev", "scale"),
    [
        ("loss", [2.3, 0.61, 0.12, 0.031, 0.0042], [2.2, 0.7, 0.2, 0.09, 0.08], "log"),
        ("loss", [0.0049, 0.0041, 0.0036, 0.0031], [0.0047, 0.0045, 0.0044, 0.0043], "linear"),
        ("loss", [0.52, 0.31], None, "linear"),
        ("accuracy", [0.951, 0.978, 0.991, 0.999], [0.95, 0.97, 0.979, 0.981], "linear"),
        ("accuracy", [0.12], [0.11], "linear"),
    ],
)
def test_the_charts_tick_labels_are_distinct_and_span_the_data(page, what, train, dev, scale):
    drawn = page.page.evaluate(DRAW, [what, train, dev])
    assert drawn["svg"] and drawn["scale"] == scale
    labels = drawn["y"]
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    assert len(set(drawn["x"])) == len(drawn["x"]), drawn["x"]
    values = [number(label) for label in labels]
    assert all(v > 0 for v in values) or min(train + (dev or [])) < 0.1, (
        labels
    )  # no "0.00" over data
    data = train + (dev or [])
    assert min(values) <= min(data) and max(values) >= max(data)
    # From the data's range: the axis does not run far beyond it (a decade at most on a log
    # scale, two tick steps on a linear one).
    if scale == "log":
        assert min(values) > min(data) / 10 and max(values) < max(data) * 10
    else:
        step = values[1] - values[0]
        assert min(values) > min(data) - 2 * step and max(values) < max(data) + 2 * step


def test_no_axes_are_drawn_before_there_is_data(page):
    drawn = page.page.evaluate(DRAW, ["loss", [], None])
    assert drawn == {"svg": False, "scale": None, "y": [], "x": []}


def test_a_banner_says_when_the_server_is_gone_and_goes_when_it_is_back(page):
    assert page.page.is_hidden("#server-banner")
    page.page.route("**/api/**", lambda route: route.abort())  # as if the server had stopped
    page.page.click("#random")
    page.page.wait_for_selector("#server-banner", state="visible")
    assert page.page.get_attribute("#server-banner", "role") == "alert"
    assert "not answering" in page.page.inner_text("#server-banner")
    assert "Failed to fetch" not in page.page.inner_text("body")
    page.page.unroute("**/api/**")
    page.page.wait_for_selector("#server-banner", state="hidden")  # it asks again by itself
    page.draw_with_mouse(digit_strokes_of_a_one())
    assert page.announced().startswith("mlp: ")


def digit_strokes_of_a_one():
    return [{"brush": 22, "points": [[150, 40], [146, 120], [140, 240]]}]


def test_a_percentage_stays_on_one_line(page):
    page.draw_with_mouse(digit_strokes_of_a_one())
    texts = page.page.locator(".card .pct").all_text_contents()
    assert len(texts) == 10 and all(t.endswith("\u00a0%") for t in texts), texts


def in_first_screen(page, selector: str, height: int) -> bool:
    box = page.page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_desktop_s_first_screen_holds_the_drawing_the_answer_and_the_network(browser, server):
    page = Page(browser, server, viewport={"width": 1440, "height": 900})
    page.draw_with_mouse(digit_strokes_of_a_one())
    page.idle(views=True)
    page.page.evaluate("window.scrollTo(0, 0)")
    for selector in ("#pad", "#answer-cards .card", "#view-tabs", "#network-figure"):
        assert in_first_screen(page, selector, 900), selector
    page.close()


def test_on_a_phone_the_answer_is_right_under_the_pad(browser, server):
    page = Page(browser, server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page.draw_with_mouse(digit_strokes_of_a_one())
    page.page.evaluate("window.scrollTo(0, 0)")
    pad = page.page.locator("#pad").bounding_box()
    answer = page.page.locator("#quick-answer").bounding_box()
    assert 0 <= answer["y"] - (pad["y"] + pad["height"]) < 30
    assert in_first_screen(page, "#quick-answer", 844)
    assert page.page.inner_text("#quick-answer").startswith("mlp: ")
    page.close()


# A view as the architecture notes describe one: its own module and one line in the registry.
EXTRA_VIEW = """
import { el } from "./dom.js";
export default {
  label: "Extra",
  build(panel) { panel.append(el("p", { id: "extra-out", class: "note", text: "nothing yet" })); },
  setup() {},
  render(pixels, isLatest) {
    if (isLatest()) document.getElementById("extra-out").textContent = `${pixels.length} rows`;
  },
  clear() { document.getElementById("extra-out").textContent = "nothing yet"; },
};
"""


def serving(text: str):
    """A route handler that answers with ``text`` as a JavaScript module."""
    return lambda route: route.fulfill(body=text, content_type="text/javascript")


def test_a_view_is_one_module_and_one_line_in_the_registry(browser, server):
    registry = (STATIC / "views.js").read_text(encoding="utf-8")
    one_line = re.search(r"export const VIEWS = \{ (.+) \};", registry)
    assert one_line is not None
    changed = registry.replace(
        one_line[0],
        f'import extra from "./view-extra.js";\nexport const VIEWS = {{ {one_line[1]}, extra }};',
    )
    context = browser.new_context()
    tab = context.new_page()
    for name, text in (("views.js", changed), ("view-extra.js", EXTRA_VIEW)):
        tab.route(f"**/static/{name}", serving(text))
    tab.goto(server + "?view=extra")
    tab.wait_for_selector("body[data-ready='true']")
    assert tab.get_attribute("#tab-extra", "aria-selected") == "true"
    assert tab.inner_text("#tab-extra") == "Extra"
    assert tab.inner_text("#extra-out") == "nothing yet"
    tab.click("#random")
    tab.wait_for_selector("#extra-out:has-text('28 rows')")
    tab.focus("#tab-extra")
    tab.keyboard.press("Home")
    first = re.search(r"export const VIEWS = \{ (\w+)", registry)[1]
    assert tab.get_attribute(f"#tab-{first}", "aria-selected") == "true"
    assert tab.is_hidden("#panel-extra")
    context.close()

"""Watching it learn and teaching it your digits, in headless Chromium: a short run started from
the page sends progress that redraws the charts, the weights and the drawing's probabilities;
stopped, it is saved and joins the compared models; digits drawn are added under their label,
removed, and a model fine-tuned on them shows its accuracy before and after."""

from __future__ import annotations

import json

import numpy as np
import pytest

from browser_pages import Page, wait_until
from live_servers import start_server
from mini_mnist import write_mnist_folder
from nnscratch.datasets import load_mnist
from nnscratch.datasets.digitset import held_out
from nnscratch.datasets.transforms import rotate
from nnscratch.model import Sequential
from web_models import digit_strokes


@pytest.fixture
def live_page(browser, small_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("live")
    data = write_mnist_folder(root / "data", train=1500, test=300)
    server = start_server(
        [small_models["mlp"], small_models["cnn"]], root / "runs", root / "digits", str(data)
    )
    pages = []

    def open_(**context):
        pages.append(Page(browser, server.url + "/", **context))
        return pages[-1]

    yield open_, server, root
    for page in pages:
        page.close()
    server.stop()


def progress(page) -> int:
    return int(page.page.get_attribute("body", "data-progress") or 0)


def polyline(page, chart: str) -> str:
    return page.page.locator(f"#{chart} polyline[data-series='train']").get_attribute("points")


def test_a_run_started_from_the_page_is_watched_stopped_saved_and_compared(live_page):
    open_page, server, root = live_page
    page = open_page()
    assert page.page.is_visible("#train") and page.page.is_visible("#digits")
    assert page.page.locator("#loss-chart svg, #accuracy-chart svg").count() == 0  # no data yet
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    page.page.fill("#train-epochs", "1000")  # the most the form takes: longer than the test
    page.page.fill("#train-hidden", "16")
    page.page.fill("#train-dev", "300")
    page.page.click("#train-start")
    wait_until(lambda: progress(page) >= 1)
    # Epochs of this small run can come faster than the test reads: compare the chart with
    # itself at a later update, not at the second one.
    seen, first = progress(page), polyline(page, "accuracy-chart")
    wait_until(lambda: progress(page) > seen and polyline(page, "accuracy-chart") != first)
    second = polyline(page, "accuracy-chart")
    assert len(second.split()) > len(first.split())
    assert int(page.page.get_attribute("#loss-chart svg", "data-points")) >= 2
    for chart in ("loss-chart", "accuracy-chart"):
        ticks = page.page.locator(f"#{chart} text.tick.y").all_text_contents()
        assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), ticks
    assert page.page.locator("#weights canvas").count() == 16
    bars = page.page.locator("#live-bars li")
    assert bars.count() == 10  # the drawing, scored by the network as it learns
    page.page.click("#train-stop")
    page.page.wait_for_selector("body[data-training='stopped']", state="attached")
    assert page.page.inner_text("#train-status").startswith("mlp, trained from scratch: stopped")
    page.page.wait_for_selector("#save-form:not([hidden])")
    page.page.fill("#save-name", "mine")
    page.page.click("#save-button")
    page.page.wait_for_selector("#model-mine", state="attached")
    assert page.page.is_checked("#model-mine")
    page.idle()
    answer = page.last_answer()
    assert [a["model"] for a in answer["answers"]] == ["mlp", "cnn", "mine"]
    assert "mine: " in page.announced()
    saved = Sequential.load(root / "runs" / "models" / "mine.npz")
    shown = next(a for a in answer["answers"] if a["model"] == "mine")
    image = np.array(answer["input"], dtype=np.uint8)
    assert shown["probabilities"] == saved.predict_proba(image[None])[0].astype(np.float64).tolist()
    epochs = len(saved.metadata["history"]["epoch"])
    assert 2 <= epochs < 1000 and saved.metadata["history"]["stopped"] == "interrupted"


def is_status_request(request) -> bool:
    """A request of the page for the run's state (the event stream, which never ends, aside)."""
    return "/api/training" in request.url and not request.url.endswith("/events")


def live_note(page) -> str:
    return page.page.inner_text("#live-drawing-note")


def test_each_page_shows_the_runs_scores_of_its_own_drawing_never_another_pages(live_page):
    open_page, _, _ = live_page
    first = open_page()
    first.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    first.page.fill("#train-epochs", "1000")  # the most the form takes: the run outlasts the test
    first.page.fill("#train-hidden", "16")
    first.page.fill("#train-dev", "300")
    first.page.click("#train-start")
    wait_until(lambda: first.page.locator("#live-bars li").count() == 10)
    second = open_page()  # opened during the run, nothing drawn on it
    wait_until(lambda: progress(second) >= 1)
    seen = progress(second)
    wait_until(lambda: progress(second) > seen)
    assert second.page.locator("#live-bars li").count() == 0
    assert live_note(second) == "Draw a digit above: each update scores it again."
    second.draw_with_mouse(digit_strokes(load_mnist("test")[0][1]))
    wait_until(lambda: second.page.locator("#live-bars li").count() == 10)
    wait_until(lambda: first.page.locator("#live-bars li").count() == 0)
    assert "another page" in live_note(first)
    assert live_note(second).startswith("The run's network says ")
    # The run may have ended by now on a quick machine: the fixture's server stops it if not.


def test_the_training_controls_work_from_the_keyboard(live_page):
    open_page, _, _ = live_page
    page = open_page()
    page.page.focus("#train-epochs")
    page.page.keyboard.press("Tab")
    assert page.page.evaluate("document.activeElement.id") == "train-lr"
    page.page.focus("#train-start")
    outline = page.page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert outline[0] != "none" and outline[1] != "0px"
    page.page.select_option("#train-preset", "classic")
    assert page.page.input_value("#train-epochs") == "500"
    assert page.page.inner_text("#train-epochs-label") == "Iterations"
    assert page.page.input_value("#train-hidden") == "10"


def test_digits_are_added_under_their_label_removed_and_fine_tuned_on(live_page):
    open_page, server, root = live_page
    page = open_page()
    image = load_mnist("test")[0][0]  # a 7
    assert page.page.locator("#label-buttons button[disabled]").count() == 10  # no drawing
    page.draw_with_mouse(digit_strokes(image))
    drawn = page.last_answer()["input"]
    page.page.click("#label-buttons button[data-label='7']")
    page.page.wait_for_selector("#gallery .digit-tile")
    assert page.page.inner_text("#digits-status") == "Added digit #1, a 7. Your set: 1 digits."
    assert server.live.digits.arrays()[0][0].tolist() == drawn  # the input the networks saw
    assert page.announced().startswith("Added to your digits as a 7")
    page.page.click("#gallery .remove")
    page.page.wait_for_selector("#gallery .digit-tile", state="detached")
    assert page.page.inner_text("#digits-status").startswith("Removed digit #1, a 7")
    # A set to fine-tune on (added through the API, as quicker), turned by 30 degrees.
    images, labels = load_mnist("train")
    turned = [np.clip(np.round(rotate(x, 30)), 0, 255).astype(np.uint8) for x in images[:30]]
    server.live.digits.add_many(np.stack(turned), labels[:30])
    page.page.reload()
    page.page.wait_for_selector("body[data-ready='true']")
    assert page.page.locator("#gallery .digit-tile").count() == 30
    assert page.page.locator("#gallery .digit-tile.held").count() == 30 // 5  # one in five
    page.page.check("#mode-tune")
    assert page.page.get_attribute("#train-hidden", "readonly") is not None
    page.page.fill("#train-epochs", "2")
    page.page.click("#train-start")
    page.page.wait_for_selector(
        "body[data-training='completed']", state="attached", timeout=120_000
    )
    table = page.page.locator("#train-result .before-after")
    table.wait_for()
    rows = table.locator("tbody tr").all_inner_texts()
    assert rows[0].startswith("your held-out digits") and rows[1].startswith("MNIST's test set")
    assert "…" not in table.inner_text()  # both before and after are filled in
    # Saved, the fine-tuned model's card shows its MNIST test accuracy after the fine-tuning.
    page.page.wait_for_selector("#save-form:not([hidden])")
    page.page.fill("#save-name", "tuned")
    page.page.click("#save-button")
    page.page.wait_for_selector("#model-tuned", state="attached")
    after = Sequential.load(root / "runs" / "models" / "tuned.npz").metadata["fine_tuned_from"]
    about = page.page.locator('article[aria-label="tuned\'s answer"] .about')
    wait_until(lambda: "test accuracy" in about.inner_text())
    assert f"test accuracy {100 * after['after']['mnist_test']:.1f}\u00a0%" in about.inner_text()
    assert (
        f"your held-out digits {100 * after['after']['held_out']:.1f}\u00a0%" in about.inner_text()
    )
    page.page.click("#digits-export")
    page.page.wait_for_selector("#export-result code")
    command = page.page.inner_text("#export-result code")
    assert command == "nnscratch train --init-from MODEL --data digits/export/idx"


def test_the_classic_preset_shows_the_tutorials_view_every_10_iterations(live_page):
    open_page, server, root = live_page
    page = open_page()
    page.page.select_option("#train-preset", "classic")
    page.page.fill("#train-epochs", "30")
    page.page.fill("#train-dev", "300")
    page.page.click("#train-start")
    page.page.wait_for_selector(
        "body[data-training='completed']", state="attached", timeout=120_000
    )
    assert page.page.is_visible("#tutorial-log[open]")
    lines = page.page.locator("#tutorial-lines li").all_inner_texts()
    run = root / "runs" / server.live.status()["run"]["id"]
    history = Sequential.load(run / "model.npz").metadata["history"]
    assert lines == [
        f"Iteration {n:>4}: accuracy {history['train_accuracy'][n - 1]:.4f}  "
        f"(dev {history['dev_accuracy'][n - 1]:.4f})"
        for n in (10, 20, 30)
    ]
    assert int(page.page.get_attribute("#accuracy-chart svg", "data-points")) == 3


def test_the_status_line_catches_up_with_progress_faster_than_it_is_announced(live_page):
    """The line shown follows every epoch, in step with the charts; a screen reader hears the
    progress at most every 5 s, and epochs that come sooner are said when that wait is up, so
    what it hears does not stay on an early epoch. The page's clock is held still: only the
    page's own wait moves it on."""
    open_page, _, _ = live_page
    page = open_page()
    page.page.clock.install(time=1_000_000)
    page.page.clock.pause_at(1_001_000)
    page.page.fill("#train-epochs", "300")
    page.page.fill("#train-hidden", "16")
    page.page.fill("#train-dev", "300")
    # The run's state ("...: training.") is said when the page's requests for it return, which
    # on a busy machine is after the first epochs, and it replaces their line. The claim is
    # about the epochs that come after it: wait for those requests, then for two more epochs
    # (one said at once, one waiting for its turn).
    asking = set()
    page.page.on("request", lambda r: asking.add(r) if is_status_request(r) else None)
    page.page.on("requestfinished", lambda r: asking.discard(r))
    page.page.on("requestfailed", lambda r: asking.discard(r))
    page.page.click("#train-start")
    wait_until(lambda: page.page.get_attribute("body", "data-training") == "running" and not asking)
    seen = progress(page)
    wait_until(lambda: progress(page) >= max(seen + 2, 3))
    # The claim is about the epochs that arrived before the page's wait ran out: epochs that
    # arrive after it (the stream brings them in bursts, fast on a quiet machine) wait for
    # their own turn, so they are counted before the clock moves, not after.
    arrived = progress(page)
    shown = page.page.evaluate("document.getElementById('train-status').textContent")
    assert int(shown.split(" of 300")[0].split()[-1]) >= arrived  # no wait for the line shown
    page.page.clock.run_for(5000)
    said = page.page.evaluate("document.getElementById('train-announce').textContent")
    epoch = int(said.split(" of 300")[0].split()[-1])  # "epoch 3 of 300: accuracy ..."
    assert epoch >= max(arrived - 1, 2), said  # an epoch may arrive as it is read
    page.page.click("#train-stop")
    page.page.wait_for_selector("body[data-training='stopped']", state="attached")


def test_a_reload_shows_the_paused_runs_settings_and_start_asks_before_leaving_it(live_page):
    open_page, _, _ = live_page
    page = open_page()
    page.page.fill("#train-epochs", "300")  # longer than the test: it is paused, then stopped
    page.page.fill("#train-hidden", "24,12")
    page.page.fill("#train-lr", "0.07")
    page.page.fill("#train-dev", "300")
    page.page.click("#train-start")
    wait_until(lambda: progress(page) >= 1)
    page.page.click("#train-pause")
    page.page.wait_for_selector("body[data-training='paused']", state="attached")
    page.page.reload()
    page.page.wait_for_selector("body[data-ready='true']")
    assert page.page.input_value("#train-epochs") == "300"
    assert page.page.input_value("#train-hidden") == "24,12"
    assert float(page.page.input_value("#train-lr")) == 0.07
    assert page.page.input_value("#train-dev") == "300"
    # Start asks first; keeping the paused run starts nothing.
    starts = []
    page.page.on("request", lambda r: starts.append(r) if r.url.endswith("/start") else None)
    page.page.click("#train-start")
    page.page.wait_for_selector("#train-confirm", state="visible")
    assert "is paused" in page.page.inner_text("#train-confirm-text")
    assert page.page.evaluate("document.activeElement.id") == "train-confirm-keep"
    page.page.click("#train-confirm-keep")
    assert page.page.is_hidden("#train-confirm") and starts == []
    assert page.page.get_attribute("body", "data-training") == "paused"
    page.page.click("#train-start")
    page.page.click("#train-confirm-start")
    wait_until(lambda: len(starts) == 1)
    page.page.wait_for_selector("body[data-training='running']", state="attached")
    page.page.click("#train-stop")
    page.page.wait_for_selector("body[data-training='stopped']", state="attached")


def test_a_large_set_comes_in_pages_and_an_added_digit_fetches_nothing_again(live_page):
    open_page, server, _ = live_page
    images, labels = load_mnist("train")
    server.live.digits.add_many(images[:205], labels[:205])
    page = open_page()
    tiles = page.page.locator("#gallery .digit-tile")
    assert tiles.count() == 200  # the first page
    more = page.page.locator("#digits-more")
    assert more.inner_text() == "Show 5 more of 5 not shown"
    more.click()
    wait_until(lambda: tiles.count() == 205)
    assert more.is_hidden()
    fetched = []
    page.page.on("request", lambda r: fetched.append((r.method, r.url.split("?")[0])))
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    page.page.click("#label-buttons button[data-label='7']")
    wait_until(lambda: tiles.count() == 206)
    assert page.page.get_attribute("#gallery .digit-tile:last-child", "data-number") == "206"
    assert ("GET", server.url + "/api/digits") not in fetched  # the answer held the figures
    assert ("POST", server.url + "/api/digits") in fetched
    assert page.page.inner_text("#digit-counts").startswith("206 digits: ")
    shown = page.page.eval_on_selector_all(
        "#gallery .digit-tile.held", "tiles => tiles.map(t => Number(t.dataset.number))"
    )
    assert shown == held_out(server.live.digits.digits())  # marks moved with the new digit


def test_each_epoch_shows_the_dev_images_it_gets_wrong_now(live_page):
    """Item 7 of issue 26: the gallery of the dev set's current mistakes is the last progress
    event's (the surest first, each with its label and guess); a mini-batch run has no
    one-iteration button."""
    open_page, server, root = live_page
    page = open_page(viewport={"width": 1440, "height": 900})
    page.page.fill("#train-epochs", "2")
    page.page.fill("#train-hidden", "16")
    page.page.fill("#train-dev", "300")
    page.page.click("#train-start")
    page.page.wait_for_selector(
        "body[data-training='completed']", state="attached", timeout=120_000
    )
    wait_until(lambda: progress(page) == 2)
    events = [e for e in server.live.events_after(0) if e.kind == "progress"]
    mistakes = json.loads(events[-1].data)["mistakes"]
    tiles = page.page.locator("#mistakes figure")
    assert tiles.count() == len(mistakes["shown"]) > 0
    assert tiles.locator("figcaption").all_inner_texts() == [
        f"{m['label']} → {m['guess']}" for m in mistakes["shown"]
    ]
    assert [int(i) for i in tiles.evaluate_all("ts => ts.map((t) => t.dataset.index)")] == [
        m["index"] for m in mistakes["shown"]
    ]
    assert page.page.inner_text("#mistakes-note").startswith(
        f"{mistakes['count']} of 300 dev images wrong now"
    )
    assert page.page.is_hidden("#train-step-one")


def test_a_paused_full_batch_run_advances_one_iteration_from_the_page(live_page):
    """Item 7 of issue 26: pause the classic preset, press One iteration: one more point on the
    charts, one more line of the tutorial's view, paused again."""
    open_page, server, root = live_page
    # Started and paused at once through the API (its iterations are too quick to catch from
    # the page); the page opened then shows the paused run.
    http = server.client()
    start = {"preset": "classic", "epochs": 1000, "dev_size": 300}
    assert http.post("/api/training/start", json=start).status_code == 200
    assert http.post("/api/training/pause").status_code == 200
    wait_until(lambda: server.live.status()["state"] == "paused")
    page = open_page()
    wait_until(lambda: progress(page) >= 1)
    page.page.wait_for_selector("body[data-training='paused']", state="attached")
    step = page.page.locator("#train-step-one")
    wait_until(lambda: step.is_visible() and step.is_enabled())
    for _ in range(2):
        shown = progress(page)
        paused_at = int(page.page.locator("#tutorial-lines li").last.inner_text().split()[1][:-1])
        step.click()
        wait_until(lambda: progress(page) == shown + 1)  # noqa: B023 (waited on at once)
        page.page.wait_for_selector("body[data-training='paused']", state="attached")
        last = page.page.locator("#tutorial-lines li").last.inner_text()
        assert last.startswith(f"Iteration {paused_at + 1:>4}: accuracy "), last
        assert int(page.page.get_attribute("#accuracy-chart svg", "data-points")) == shown + 1
        wait_until(lambda: step.is_enabled())  # noqa: B023
    run = root / "runs" / server.live.status()["run"]["id"]
    assert Sequential.load(run / "model.npz").metadata["history"]["epoch"][-1] == paused_at + 1

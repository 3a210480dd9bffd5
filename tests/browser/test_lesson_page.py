"""One step of learning on the page (issue 26, item 4): the view's numbers are /api/one-step's
for the drawing on the pad and the chosen label (the API's own tests tie those to the engine's
backward pass), the label defaults to the model's answer, and taking steps, however large,
never changes the model the page draws for."""

from __future__ import annotations

import re

import numpy as np
import pytest

from browser_pages import Page
from nnscratch.datasets import load_mnist
from web_models import digit_strokes


def value(text: str) -> float:
    return float(text.replace("−", "-").replace("\u00a0%", ""))


def recorder(page, path):
    answers = []
    page.page.on("response", lambda r: answers.append(r) if r.url.endswith(path) else None)
    return answers


def for_input(responses, pixels):
    """The newest of ``responses`` whose request was for ``pixels`` (several may be in flight
    while drawing: the page shows the latest input's only)."""
    return next(r for r in reversed(responses) if r.request.post_data_json["pixels"] == pixels)


def shown_percentages_match(texts: list[str], probabilities: list[float]) -> None:
    for text, p in zip(texts, probabilities, strict=True):
        decimals = len(text.split("\u00a0")[0].partition(".")[2])
        assert abs(value(text) - 100 * p) <= 0.5 * 10**-decimals + 1e-9, (text, p)


def probabilities_of(page, server: str, body: dict, model: str) -> list[float]:
    """What /api/predict answers for ``body`` now, for ``model``."""
    answer = page.context.request.post(server + "api/predict", data=body).json()
    return next(a["probabilities"] for a in answer["answers"] if a["model"] == model)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_the_one_step_view_shows_the_api_s_step_and_leaves_the_model_alone(browser, server, model):
    page = Page(browser, f"{server}?view=step", viewport={"width": 1440, "height": 900})
    steps = recorder(page, "/api/one-step")
    page.page.select_option("#step-model", model)
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][0]))
    page.idle(views=True)
    drawn = page.sent[-1].post_data_json
    before = probabilities_of(page, server, drawn, model)
    answered = next(a for a in page.last_answer()["answers"] if a["model"] == model)

    # By default the true label is the model's answer, at alpha = 0.1.
    pixels = page.last_answer()["input"]
    sent = for_input(steps, pixels).request.post_data_json
    assert (sent["label"], sent["learning_rate"], sent["model"]) == (answered["label"], 0.1, model)
    assert f"({answered['label']})" in page.page.inner_text("#step-label option >> nth=0")

    # Another label and a large step: the page shows the API's numbers.
    label = (answered["label"] + 3) % 10
    page.page.select_option("#step-label", str(label))
    page.idle(views=True)
    page.page.fill("#step-rate", "2")
    page.page.press("#step-rate", "Enter")
    page.page.locator("#step-rate").blur()
    page.idle(views=True)
    sent = for_input(steps, pixels).request.post_data_json
    assert (sent["label"], sent["learning_rate"]) == (label, 2)
    result = for_input(steps, pixels).json()
    summary = page.page.inner_text("#step-result .lesson-summary")
    assert summary.startswith(f"True label {label}, α = 2:")
    losses = [value(n) for n in re.findall(r"from (\S+) to (\S+) after", summary)[0]]
    assert losses == pytest.approx([result["loss"], result["loss_after"]], rel=1e-3)
    rows = page.page.locator("#step-result table.lesson-probabilities tbody tr").all()
    assert len(rows) == 10
    shown = [row.locator("td").all_inner_texts() for row in rows]
    shown_percentages_match([b for b, _ in shown], result["before"])
    shown_percentages_match([a for _, a in shown], result["after"])
    assert result["after"][label] > result["before"][label]  # the step pushed towards the label
    # Every forward and backward quantity and every update, with its shapes (ours, the tutorial's).
    captions = page.page.locator("#step-result .lesson-quantity figcaption").all_inner_texts()
    quantities = result["forward"] + result["backward"] + result["updated"]
    assert len(captions) == len(quantities)
    for caption, quantity in zip(captions, quantities, strict=True):
        ours = ", ".join(map(str, quantity["shape"]))
        tutorial = ", ".join(map(str, quantity["tutorial_shape"]))
        assert caption.startswith(quantity["name"] + " "), caption
        assert f"Ours ({ours}), the tutorial's ({tutorial})" in caption
    assert {"dW1", "db1"} <= {q["name"] for q in result["backward"]}
    changes = page.page.locator("#step-result table.lesson-changes tbody tr").all()
    assert len(changes) == len(result["changes"]) > 0
    for row, change in zip(changes, result["changes"], strict=True):
        where = ", ".join(map(str, change["where"]))
        assert row.locator("th").inner_text() == f"{change['name']}[{where}]"
        numbers = [value(t) for t in row.locator("td").all_inner_texts()]
        wanted = [change["before"], change["gradient"], change["after"]]
        np.testing.assert_allclose(numbers, wanted, rtol=1e-3, atol=1e-12)

    # The served model is the same after both steps: the same drawing, the same answer.
    assert probabilities_of(page, server, drawn, model) == before
    np.testing.assert_allclose(result["before"], before, atol=1e-5)
    page.close()


def test_a_learning_rate_out_of_range_is_said_and_sends_nothing(browser, server):
    page = Page(browser, f"{server}?view=step")
    steps = recorder(page, "/api/one-step")
    page.draw_with_mouse(digit_strokes(load_mnist("test")[0][1]))
    page.idle(views=True)
    asked = len(steps)
    assert asked >= 1
    page.page.fill("#step-rate", "-1")
    page.page.locator("#step-rate").blur()
    page.idle(views=True)
    assert len(steps) == asked
    assert "learning rate must be a number above 0" in page.page.inner_text("#step-summary")
    assert page.page.locator("#step-result *").count() == 0
    page.close()

"""Explanations measured on the class's logit: on confident answers (p > 0.999, where the
gradient of log p fades to nothing) the maps are not negligible and those that speak of the
drawing's ink point at the ink; each is the engine's own gradient, and integrated gradients
add up to the logit's rise from blank paper."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import explain
from nnscratch.datasets import load_mnist
from nnscratch.engine.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Reshape
from nnscratch.errors import ConfigError
from nnscratch.model import Sequential

TOP = 20  # the strongest pixels looked at, about a third of a thin digit's ink
INK = 64  # a pixel a quarter inked or more counts as ink
CONFIDENT = 0.999
ON_THE_INK = ("gradient_x_input", "integrated_gradients", "occlusion")


@pytest.fixture(scope="module")
def trained():
    """A 784-64-10 network trained for seconds on 4,000 MNIST images (about 90 % right)."""
    images, labels = load_mnist("train")
    model = Sequential(
        [Flatten(), Dense(784, 64), ReLU(), Dense(64, 10)], input_scale=1 / 255, seed=0
    )
    model.fit(images[:4000], labels[:4000], epochs=4, batch_size=100, lr=3e-3, seed=0)
    return model


@pytest.fixture(scope="module")
def confident(trained):
    """Test digits the network answers right with p > 0.999: the case that went blank."""
    images, labels = load_mnist("test")
    p = trained.predict_proba(images[:200])
    chosen = np.flatnonzero((p.max(axis=1) > CONFIDENT) & (p.argmax(axis=1) == labels[:200]))
    assert len(chosen) >= 5, "the fixture model should be confident on some test digits"
    return images[chosen[:8]]


def strongest(values, count=TOP):
    return np.argsort(np.abs(values).ravel())[-count:]


def test_on_confident_digits_the_logit_maps_are_not_negligible(trained, confident):
    for image in confident:
        found = explain.attributions(trained, image)
        old_gradient, _, _ = explain.saliency(trained, image)
        # Measure: the sum of |map| over its TOP strongest pixels, in units of the logit (for
        # the gradients: the logit's first-order change if those pixels went from paper to ink).
        for name, values in found.maps().items():
            weight = np.abs(values).ravel()[strongest(values)].sum()
            assert weight > 1.0, (name, weight)
        logit_weight = np.abs(found.gradient).ravel()[strongest(found.gradient)].sum()
        log_p_weight = np.abs(old_gradient).ravel()[strongest(old_gradient)].sum()
        assert log_p_weight < 0.01 * logit_weight  # why the log-probability's map went blank


def test_on_confident_digits_the_maps_of_the_ink_point_at_the_ink(trained, confident):
    shares = {name: [] for name in ON_THE_INK}
    for image in confident:
        maps = explain.attributions(trained, image).maps()
        for name in ON_THE_INK:
            shares[name].append(np.mean(image.ravel()[strongest(maps[name])] >= INK))
    for name, share in shares.items():
        assert min(share) >= 0.6 and np.mean(share) >= 0.8, (name, share)


def test_integrated_gradients_add_up_to_the_logits_rise_from_blank_paper(trained, confident):
    for image in confident:
        found = explain.attributions(trained, image)
        rise = found.logits[found.target] - found.blank_logit
        assert found.integrated_gradients.sum() == pytest.approx(rise, rel=0.03)
        assert not found.integrated_gradients[image == 0].any()  # no ink, no share


def conv_model():
    return Sequential(
        [
            Reshape((1, 28, 28)),
            Conv2D(1, 3, 5),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(3 * 12 * 12, 10),
        ],
        input_scale=1 / 255,
        seed=2,
        dtype="float64",
    )


def dense_model():
    return Sequential(
        [Flatten(), Dense(784, 16), ReLU(), Dense(16, 10)],
        input_scale=1 / 255,
        seed=1,
        dtype="float64",
    )


@pytest.mark.parametrize("make", [dense_model, conv_model])
def test_the_logit_gradient_is_the_engines_and_matches_finite_differences(make):
    model = make()
    digit = load_mnist("test")[0][0].astype(np.float64)
    image = digit + np.random.default_rng(1).uniform(0, 20, digit.shape)  # off the ReLU kinks
    found = explain.attributions(model, image, target=4)
    assert found.target == 4
    np.testing.assert_allclose(found.gradient_x_input, found.gradient * image / 255.0)
    h = 1e-5
    for r, c in [(5, 5), (14, 14), (20, 9), *zip(*np.nonzero(digit > 200), strict=True)][:8]:
        up, down = image.copy(), image.copy()
        up[r, c] += h * 255
        down[r, c] -= h * 255
        numeric = (model.outputs(up[None])[0, 4] - model.outputs(down[None])[0, 4]) / (2 * h)
        assert found.gradient[r, c] == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    blanked = image.copy()
    blanked[12:17, 12:17] = 0  # the 5x5 square around (14, 14)
    drop = model.outputs(image[None])[0, 4] - model.outputs(blanked[None])[0, 4]
    assert found.occlusion[14, 14] == pytest.approx(drop)


def test_a_class_that_does_not_exist_is_refused_by_name():
    with pytest.raises(ConfigError, match="class 10 does not exist"):
        explain.attributions(dense_model(), load_mnist("test")[0][0], target=10)
    with pytest.raises(ConfigError, match="steps"):
        explain.attributions(dense_model(), load_mnist("test")[0][0], steps=0)


def test_every_map_comes_with_its_sentence():
    assert set(explain.MAP_SENTENCES) == set(
        explain.attributions(dense_model(), load_mnist("test")[0][0]).maps()
    )
    assert all(sentence.endswith(".") for sentence in explain.MAP_SENTENCES.values())

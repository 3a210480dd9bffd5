"""Recipes: described from their own fields, checked field by field in the caller's terms, and
read back from JSON with every field checked."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from nnscratch.errors import ConfigError
from nnscratch.model import FULL_BATCH, PRESETS, Recipe
from nnscratch.model.recipe import FIELDS


def test_the_presets_descriptions_read_as_their_readme_rows():
    assert PRESETS["mlp"].description() == (
        "784-512-256-10 ReLU network; Adam (lr 2e-3, warm-up then cosine decay), batch 128, "
        "6 epochs, 5,000 dev images."
    )
    assert PRESETS["classic"].description() == (
        "784-10-10 ReLU network, weights and biases U(-0.5, 0.5); full-batch gradient descent "
        "(lr 0.1), 500 iterations, 1,000 dev images."
    )
    assert PRESETS["cnn"].description() == (
        "convolutional network: 16 then 32 5x5 filters, each followed by ReLU and 2x2 max "
        "pooling, a 128-unit ReLU layer, then 10 logits; Adam (lr 2e-3, warm-up then cosine "
        "decay), batch 128, 4 epochs, 5,000 dev images."
    )


@pytest.mark.parametrize(
    "overrides, image_shape, expected",
    [
        (
            dict(hidden=(256,), epochs=2, dropout=0.2),
            (28, 28),
            "784-256-10 ReLU network, dropout 0.2 after each hidden layer; "
            "Adam (lr 2e-3, warm-up then cosine decay), batch 128, 2 epochs, 5,000 dev images.",
        ),
        (
            dict(
                hidden=(),
                activation="tanh",
                optimizer="nesterov",
                lr=0.05,
                schedule="constant",
                weight_decay=1e-4,
                epochs=1,
                dev_size=0,
                batch_size=64,
            ),
            (14, 14),
            "196-10 tanh network; SGD with Nesterov momentum 0.9 (lr 0.05, weight decay 1e-4), "
            "batch 64, 1 epoch, no dev set.",
        ),
        (
            dict(hidden=(64, 32, 16), stratify=True, early_stopping=3, optimizer="adamw"),
            (28, 28),
            "784-64-32-16-10 ReLU network; AdamW (lr 2e-3, warm-up then cosine decay), batch 128, "
            "6 epochs, 5,000 dev images (stratified), "
            "early stopping after 3 epochs without a better dev loss.",
        ),
        (
            dict(ema=0.9995, dev_size=0),
            (28, 28),
            "784-512-256-10 ReLU network; Adam (lr 2e-3, warm-up then cosine decay), batch 128, "
            "6 epochs, the weights' moving average (decay 0.9995) kept as the network, "
            "no dev set.",
        ),
    ],
    ids=["cli-overrides", "no-hidden-layer", "early-stopping", "weight-averaging"],
)
def test_a_description_follows_every_override(overrides, image_shape, expected):
    assert PRESETS["mlp"].with_overrides(**overrides).description(image_shape) == expected


def test_a_full_batch_adam_run_says_full_batch_and_iterations():
    recipe = dataclasses.replace(PRESETS["mlp"], batch_size=FULL_BATCH, epochs=1)
    assert recipe.description().endswith(
        "Adam (lr 2e-3, warm-up then cosine decay), full batch, 1 iteration, 5,000 dev images."
    )


def test_a_convolutional_description_counts_its_blocks_and_layers():
    recipe = PRESETS["cnn"].with_overrides(conv=(8,), hidden=(64, 32))
    assert recipe.description().startswith(
        "convolutional network: 8 5x5 filters followed by ReLU and 2x2 max pooling, 64- and "
        "32-unit ReLU layers, then 10 logits; "
    )


def test_the_json_form_records_the_description_and_reads_back():
    recipe = PRESETS["mlp"].with_overrides(hidden=(32,), epochs=2)
    fields = recipe.to_json((28, 28))
    assert fields["summary"] == recipe.description()
    assert set(fields) == {*FIELDS, "summary"}  # the keys files have
    assert Recipe.from_json(fields) == recipe


@pytest.mark.parametrize(
    "field, value",
    [("lr", -1.0), ("hidden", ["8"]), ("batch_size", 0), ("stratify", 1), ("dropout", 1.0)],
)
def test_a_recorded_recipe_is_checked_field_by_field(field, value):
    fields = {**PRESETS["mlp"].to_json(), field: value}
    with pytest.raises(ConfigError, match=f"the recipe's {field} .* is not valid"):
        Recipe.from_json(fields)
    with pytest.raises(ConfigError, match="no complete nnscratch train recipe"):
        Recipe.from_json({k: v for k, v in fields.items() if k != "conv"})


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(lr=math.nan), "lr must be a positive number, got nan"),
        (dict(lr=0.0), "lr must be a positive number, got 0.0"),
        (dict(epochs=0), "epochs must be a positive whole number, got 0"),
        (dict(early_stopping=0), "early_stopping must be a positive whole number, got 0"),
        (dict(dev_size=-1), "dev_size must be zero or more, got -1"),
        (dict(seed=-1), "seed must be zero or more, got -1"),
        (dict(dropout=1.0), r"dropout must be in \[0, 1\), got 1.0"),
        (dict(activation="swish"), "unknown activation 'swish'; choose one of: relu, leaky_relu"),
        (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'; choose one of: sgd, momentum"),
        (dict(hidden=(8, 0)), "hidden takes positive sizes, got 8,0"),
        (
            dict(dev_size=0, early_stopping=2),
            "early_stopping watches the dev set, but dev_size is 0",
        ),
        (dict(ema=1.0), r"ema must be in \[0, 1\), got 1.0"),
        (dict(ema=-0.5), r"ema must be in \[0, 1\), got -0.5"),
        (
            dict(early_stopping=2, ema=0.999),
            "early_stopping keeps one epoch's weights and ema their average over many steps",
        ),
    ],
)
def test_a_recipe_checks_its_fields_naming_them_as_the_caller_does(overrides, message):
    with pytest.raises(ConfigError, match=message):
        PRESETS["mlp"].with_overrides(**overrides)
    with pytest.raises(ConfigError, match=message):
        Recipe(**{**PRESETS["mlp"].__dict__, **overrides})
    as_options = re.sub(NAMED, lambda m: f"--{m[0].replace('_', '-')}", message)
    with pytest.raises(ConfigError, match=as_options):
        PRESETS["mlp"].with_overrides(overrides, name=lambda field: f"--{field.replace('_', '-')}")


NAMED = r"\b(lr|epochs|early_stopping|dev_size|seed|dropout|activation|optimizer|hidden|ema)\b"


def test_every_preset_passes_its_own_check():
    for preset in PRESETS.values():
        assert Recipe(**preset.__dict__) == preset


def test_full_batch_is_a_value_of_its_own_and_files_keep_null():
    classic = PRESETS["classic"]
    assert classic.batch_size == FULL_BATCH and classic.full_batch and classic.unit == "iteration"
    assert classic.fit_batch_size is None and classic.steps_per_epoch(59_000) == 1
    assert classic.to_json()["batch_size"] is None
    assert Recipe.from_json(classic.to_json()) == classic
    mlp = PRESETS["mlp"]
    assert mlp.unit == "epoch" and mlp.steps_per_epoch(55_000) == 430
    with pytest.raises(ConfigError, match="batch_size must be a positive whole number or 'full'"):
        mlp.with_overrides(batch_size=None)  # None is not a batch size, nor "not given"

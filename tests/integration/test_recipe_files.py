"""The recipe's new fields (batch_norm, augment, padding, recurrent, cell, layers): checked,
described, built, read from older files as their defaults; networks written layer by layer;
TOML recipe files; and the train options that set the new fields."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mini_mnist import write_mnist_folder
from nnscratch.engine.layers import (
    GRU,
    LSTM,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    LayerNorm,
    MaxPool2D,
    Reshape,
)
from nnscratch.errors import ConfigError
from nnscratch.model import PRESETS, Recipe, Sequential, build_model
from nnscratch.model.recipe import FIELDS, FIRST_FIELDS
from nnscratch.model.recipefile import read_recipe_file

NEW_FIELDS = {
    "padding": "valid",
    "batch_norm": False,
    "augment": "none",
    "recurrent": (),
    "cell": "lstm",
    "layers": (),
    "freeze": 0,
    "ema": 0.0,
    "label_smoothing": 0.0,
}


def test_new_fields_have_defaults_and_are_not_required_in_files():
    assert set(NEW_FIELDS) == set(FIELDS) - FIRST_FIELDS
    # A recipe as files recorded it before these fields existed reads as their defaults.
    old = {k: v for k, v in PRESETS["cnn"].to_json().items() if k not in NEW_FIELDS}
    recipe = Recipe.from_json(old)
    assert recipe == PRESETS["cnn"]
    for field, default in NEW_FIELDS.items():
        assert getattr(recipe, field) == default


def test_the_new_presets_read_as_their_readme_rows():
    assert PRESETS["cnn-bn"].description() == (
        "convolutional network: 32 then 64 5x5 filters, each followed by batch normalisation, "
        "ReLU and 2x2 max pooling, a 128-unit ReLU layer (batch-normalised), then 10 logits, "
        "dropout 0.3 after each hidden layer; Adam (lr 5e-3, warm-up then cosine decay), batch "
        "64, 6 epochs, training images augmented by shifts, rotations and scalings, 1,000 "
        "dev images."
    )
    assert PRESETS["lstm"].description() == (
        "recurrent network: each image read as 28 rows of 28 pixels by an LSTM of 128 units, "
        "then 10 logits; Adam (lr 2e-3, warm-up then cosine decay), batch 128, 8 epochs, "
        "5,000 dev images."
    )


def test_batch_norm_goes_between_each_layer_and_its_activation():
    model = build_model(PRESETS["cnn"].with_overrides(batch_norm=True, conv=(4, 6), hidden=(16,)))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Reshape",
        "Conv2D",
        "BatchNorm",
        "ReLU",
        "MaxPool2D",
        "Conv2D",
        "BatchNorm",
        "ReLU",
        "MaxPool2D",
        "Flatten",
        "Dense",
        "BatchNorm",
        "ReLU",
        "Dense",
    ]
    assert [layer.features for layer in model.layers if isinstance(layer, BatchNorm)] == [4, 6, 16]


def test_same_padding_keeps_each_blocks_size_before_its_pooling():
    model = build_model(PRESETS["cnn"].with_overrides(conv=(4, 8), kernel_size=3, padding="same"))
    shapes = [row["output_shape"] for row in model.architecture((28, 28))]
    assert [4, 28, 28] in shapes and [8, 14, 14] in shapes and [8 * 7 * 7] in shapes
    with pytest.raises(ConfigError, match="padding 'same' needs an odd kernel_size, got 4"):
        PRESETS["cnn"].with_overrides(kernel_size=4, padding="same")


def test_recurrent_networks_read_rows_as_steps():
    model = build_model(PRESETS["lstm"].with_overrides(recurrent=(12, 8), cell="gru", hidden=(5,)))
    assert [type(layer) for layer in model.layers] == [
        Reshape,
        GRU,
        GRU,
        Flatten,
        Dense,
        type(model.layers[5]),
        Dense,
    ]
    assert model.layers[1].return_sequences and not model.layers[2].return_sequences
    assert (model.layers[1].input_size, model.layers[2].input_size) == (28, 12)
    assert model.input_size == 784  # the Reshape fixes what predict checks
    assert isinstance(build_model("lstm").layers[1], LSTM)
    with pytest.raises(ConfigError, match="conv and recurrent cannot be combined"):
        PRESETS["cnn"].with_overrides(recurrent=(8,))
    with pytest.raises(ConfigError, match="unknown cell 'rnn'; choose one of: lstm, gru"):
        PRESETS["lstm"].with_overrides(cell="rnn")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "augment",
            "rotate",
            "unknown augment 'rotate'; choose one of: none, shift, affine, strong, elastic",
        ),
        ("batch_norm", 1, "batch_norm must be true or false, got 1"),
        ("padding", "full", "unknown padding 'full'; choose one of: valid, same"),
        ("recurrent", (0,), "recurrent takes positive sizes, got 0"),
    ],
)
def test_new_fields_are_checked_in_the_callers_terms(field, value, message):
    with pytest.raises(ConfigError, match=message):
        PRESETS["mlp"].with_overrides({field: value})
    options = message.replace(field, f"--{field.replace('_', '-')}", 1)
    with pytest.raises(ConfigError, match=options):
        PRESETS["mlp"].with_overrides({field: value}, name=lambda f: f"--{f.replace('_', '-')}")


# --- networks layer by layer -------------------------------------------------------------------

LAYERS = (
    {"type": "Conv2D", "out_channels": 4, "kernel_size": 3, "padding": "same"},
    {"type": "BatchNorm"},
    {"type": "ReLU"},
    {"type": "MaxPool2D"},
    {"type": "Dense", "out_features": 16},
    {"type": "LayerNorm"},
    {"type": "ReLU"},
)


def test_a_network_written_layer_by_layer_gets_its_sizes_from_the_shapes():
    recipe = Recipe(name="net", hidden=(), layers=LAYERS)
    model = build_model(recipe)
    assert [type(layer) for layer in model.layers] == [
        Reshape,
        Conv2D,
        BatchNorm,
        type(model.layers[3]),
        MaxPool2D,
        Flatten,
        Dense,
        LayerNorm,
        type(model.layers[8]),
        Dense,
    ]
    assert model.layers[1].in_channels == 1 and model.layers[2].features == 4
    assert model.layers[6].in_features == 4 * 14 * 14 and model.layers[7].shape == (16,)
    assert model.layers[-1].out_features == 10
    assert recipe.description().startswith(
        "network of layers Conv2D(out_channels=4, kernel_size=3, padding=same), BatchNorm, "
        "ReLU, MaxPool2D, Dense(out_features=16), LayerNorm, ReLU, then 10 logits; "
    )
    assert Recipe.from_json(json.loads(json.dumps(recipe.to_json()))) == recipe
    x = np.random.default_rng(0).integers(0, 256, (3, 28, 28))
    assert model.predict_proba(x).shape == (3, 10)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (({"type": "Conv2d"},), r"layers\[0\]: unknown layer type 'Conv2d'; choose one of: Dense"),
        (
            ({"type": "Conv2D", "kernel_size": 3},),
            r"layers\[0\] \(Conv2D\) needs option\(s\) "
            "out_channels",
        ),
        (
            ({"type": "LSTM", "hidden_size": 4, "units": 3},),
            r"layers\[0\] \(LSTM\) does not take "
            r"option\(s\) units",
        ),
        (
            ({"type": "Dense", "out_features": -1},),
            r"layers\[0\] \(Dense\): Dense needs positive "
            "sizes",
        ),
        (({"type": "Dropout", "rate": 1.5},), r"layers\[0\] \(Dropout\): Dropout rate must be in"),
        ("Dense", "layers must be a list of layers"),
        ((["Dense"],), r"layers\[0\] must be a table with a layer type"),
    ],
)
def test_layer_specs_are_checked_when_the_recipe_is_made(layers, message):
    with pytest.raises(ConfigError, match=message):
        Recipe(name="net", hidden=(), layers=layers)


def test_a_spec_that_does_not_fit_its_input_is_named():
    recipe = Recipe(
        name="net",
        hidden=(),
        layers=(
            {"type": "Dense", "out_features": 8},
            {"type": "Conv2D", "out_channels": 2, "kernel_size": 3},
        ),
    )
    with pytest.raises(
        ConfigError,
        match=r"layers\[1\] \(Conv2D\) takes images \(channels, "
        r"height, width\), but rows of 8 values reach it",
    ):
        build_model(recipe)
    with pytest.raises(
        ConfigError, match="describes the whole network; hidden, batch_norm cannot be given with it"
    ):
        Recipe(name="net", hidden=(8,), batch_norm=True, layers=LAYERS)


# --- TOML recipe files ------------------------------------------------------------------------

TOML = """# a small network, layer by layer
preset = "cnn"
epochs = 1
augment = "shift"
dev_size = 100

[[layers]]
type = "Conv2D"
out_channels = 4
kernel_size = 3
padding = "same"

[[layers]]
type = "BatchNorm"

[[layers]]
type = "ReLU"

[[layers]]
type = "MaxPool2D"
pool_size = 4
"""


def test_a_recipe_file_starts_from_its_preset_and_is_named_after_the_file(tmp_path):
    path = tmp_path / "my-net.toml"
    path.write_text(TOML, encoding="utf-8")
    recipe = read_recipe_file(path)
    assert recipe.name == "my-net"
    assert (recipe.epochs, recipe.augment, recipe.lr) == (1, "shift", PRESETS["cnn"].lr)
    assert recipe.conv == () and recipe.hidden == ()  # the preset's network is replaced
    assert [spec["type"] for spec in recipe.layers] == ["Conv2D", "BatchNorm", "ReLU", "MaxPool2D"]
    fields = tmp_path / "fields.toml"
    fields.write_text(
        'preset = "mlp"\nhidden = [64]\nbatch_norm = true\nbatch_size = "full"\nname = "wide"\n',
        encoding="utf-8",
    )
    wide = read_recipe_file(fields)
    assert (wide.name, wide.hidden, wide.batch_norm, wide.full_batch) == ("wide", (64,), True, True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr = -1\n", "lr must be a positive number, got -1"),
        ("lr = \n", r"not a valid TOML file \(.*line 1"),
        ("lrr = 1\n", "unknown key lrr; a recipe file takes preset and the recipe's fields: name,"),
        ('preset = "cnm"\n', "unknown preset 'cnm'; choose one of: classic, cnn"),
        (
            'hidden = [8]\n[[layers]]\ntype = "ReLU"\n',
            "layers describes the whole network; hidden cannot be given with it",
        ),
    ],
)
def test_a_recipe_file_says_what_is_wrong_and_where(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"--recipe {path}: {message}"):
        read_recipe_file(path)
    with pytest.raises(ConfigError, match="cannot read the recipe file"):
        read_recipe_file(tmp_path / "missing.toml")


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return write_mnist_folder(tmp_path_factory.mktemp("mini"), 400, 100)


def nnscratch(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "nnscratch", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_train_takes_a_recipe_file_and_its_options_change_it(mini, tmp_path):
    (tmp_path / "my-net.toml").write_text(TOML, encoding="utf-8")
    run = nnscratch(
        "train",
        "--recipe",
        "my-net.toml",
        "--data",
        mini,
        "--seed",
        "3",
        "--json",
        "--quiet",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["preset"] == "my-net" and summary["seed"] == 3
    model = Sequential.load(tmp_path / "my-net.npz")
    assert model.recipe.layers == read_recipe_file(tmp_path / "my-net.toml").layers
    assert isinstance(model.layers[2], BatchNorm)
    refused = nnscratch("train", "--recipe", "my-net.toml", "--preset", "cnn", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "nnscratch: error: --recipe and --preset cannot be "
        "combined: name the preset in the recipe file "
        '(preset = "cnn")'
    )


def test_train_options_set_the_new_fields(mini, tmp_path):
    run = nnscratch(
        "train",
        "--preset",
        "mlp",
        "--data",
        mini,
        "--dev-size",
        "50",
        "--conv",
        "4",
        "--batch-norm",
        "--augment",
        "--weight-decay",
        "1e-4",
        "--schedule",
        "constant",
        "--ema",
        "0.99",
        "--label-smoothing",
        "0.1",
        "--epochs",
        "1",
        "--hidden",
        "16",
        "--quiet",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    recipe = Sequential.load(tmp_path / "mlp.npz").recipe
    assert (
        recipe.conv,
        recipe.batch_norm,
        recipe.augment,
        recipe.weight_decay,
        recipe.schedule,
        recipe.ema,
        recipe.label_smoothing,
    ) == ((4,), True, "elastic", 1e-4, "constant", 0.99, 0.1)
    run = nnscratch(
        "train",
        "--preset",
        "cnn",
        "--data",
        mini,
        "--dev-size",
        "50",
        "--conv",
        "none",
        "--no-batch-norm",
        "--augment",
        "affine",
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--out",
        "flat.npz",
        "--quiet",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    recipe = Sequential.load(tmp_path / "flat.npz").recipe
    assert (recipe.conv, recipe.batch_norm, recipe.augment) == ((), False, "affine")
    for args, message in [
        (
            ("--augment", "rotate"),
            "unknown --augment 'rotate'; choose one of: none, shift, affine, strong, elastic",
        ),
        (
            ("--schedule", "cyclic"),
            "unknown --schedule 'cyclic'; choose one of: constant, warmup_cosine",
        ),
        (("--conv", "32,x"), "--conv takes sizes separated by commas, like 32,64, or none"),
        (("--weight-decay", "-1"), "--weight-decay must be zero or more, got -1.0"),
        (("--ema", "1"), r"--ema must be in [0, 1), got 1.0"),
        (("--label-smoothing", "-0.1"), r"--label-smoothing must be in [0, 1), got -0.1"),
    ]:
        refused = nnscratch("train", "--data", mini, *args, cwd=tmp_path)
        assert refused.returncode == 2
        assert refused.stderr.strip().startswith(f"nnscratch: error: {message}"), refused.stderr


def test_the_docs_recipe_file_reads_as_it_says(tmp_path):
    page = (Path(__file__).resolve().parents[2] / "docs" / "training.md").read_text("utf-8")
    text = re.search(r"```toml\n(# my-net.toml.*?)```", page, flags=re.S).group(1)
    (tmp_path / "my-net.toml").write_text(text, encoding="utf-8")
    recipe = read_recipe_file(tmp_path / "my-net.toml")
    assert (recipe.name, recipe.epochs, recipe.augment) == ("my-net", 6, "affine")
    assert recipe.lr == PRESETS["cnn"].lr and recipe.schedule == PRESETS["cnn"].schedule
    model = build_model(recipe)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Reshape",
        "Conv2D",
        "BatchNorm",
        "ReLU",
        "MaxPool2D",
        "Flatten",
        "Dense",
        "ReLU",
        "Dense",
    ]
    assert model.layers[6].in_features == 32 * 14 * 14

"""The exported page (nnscratch export MODEL digit.html): the network it holds, its provenance,
its size, the layers it refuses, and the bundler that inlines the page's modules."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import numpy as np
import pytest

from nnscratch import Dense, Flatten, Sequential
from nnscratch.engine.layers import LAYER_TYPES, Layer
from nnscratch.errors import ConfigError
from nnscratch.model import build_model
from nnscratch.web.share import Provenance, render_page, write_page
from nnscratch.web.share.bundle import BundleError, bundle
from nnscratch.web.share.network import JS_LAYERS, check_shareable, describe
from nnscratch.web.share.page import STATIC

RUNTIME_LIMIT = 60_000  # bytes: the page without its weights (issue 27)


def page_parts(page: str) -> dict[str, str]:
    """The page's network JSON, weights (base64) and script, by their elements."""
    found = {}
    for key, pattern in {
        "network": r'<script type="application/json" id="network">(.*?)</script>',
        "weights": r'<script type="text/plain" id="weights">(.*?)</script>',
        "script": r"<script>\n(.*?)</script>",
    }.items():
        match = re.search(pattern, page, re.DOTALL)
        assert match, f"no {key} in the page"
        found[key] = match[1]
    return found


@pytest.fixture(scope="module")
def saved_cnn(tmp_path_factory):
    path = tmp_path_factory.mktemp("share") / "cnn.npz"
    model = build_model("cnn")
    model.save(path, preset="cnn", metrics={"test_accuracy": 0.9876})
    return path


def test_the_javascript_computes_every_layer_type_the_engine_has():
    forward = (STATIC / "forward.js").read_text(encoding="utf-8")
    block = re.search(r"export const LAYERS = \{(.*?)\n\};", forward, re.DOTALL)
    assert block, "forward.js has no LAYERS table"
    in_javascript = set(re.findall(r"^\s*(\w+):", block[1], re.MULTILINE))
    assert in_javascript == set(LAYER_TYPES) == JS_LAYERS


class Doubling(Layer):
    """A layer the page's JavaScript has never heard of."""

    def forward(self, x, training=False, rng=None):
        return 2 * x


def test_a_layer_the_javascript_does_not_know_is_refused_naming_it():
    model = Sequential([Flatten(), Doubling(), Dense(784, 10)], input_scale=1 / 255)
    with pytest.raises(ConfigError, match=r"no forward pass for layer 1 \(Doubling\)"):
        check_shareable(model)
    with pytest.raises(ConfigError, match=r"layer 1 \(Doubling\)"):
        render_page(model, Provenance("m.npz", "0" * 64, None, None))


def test_the_page_holds_the_network_its_numbers_and_where_it_came_from(saved_cnn, tmp_path):
    output = tmp_path / "digit.html"
    size = write_page(saved_cnn, output)
    page = output.read_text(encoding="utf-8")
    assert size == len(page.encode("utf-8"))
    parts = page_parts(page)
    shared = json.loads(parts["network"])
    model = Sequential.load(saved_cnn)
    assert [layer["type"] for layer in shared["network"]["layers"]] == [
        layer.name for layer in model.layers
    ]
    numbers = np.frombuffer(base64.b64decode(parts["weights"]), dtype="<f4")
    for spec, layer in zip(shared["network"]["layers"], model.layers, strict=True):
        for name, where in spec["arrays"].items():
            array = {**layer.params, **layer.buffers}[name]
            start = where["offset"]
            held = numbers[start : start + array.size].reshape(where["shape"])
            np.testing.assert_array_equal(held, array)  # float32 kept exactly
    digest = hashlib.sha256(saved_cnn.read_bytes()).hexdigest()
    assert shared["provenance"] == {
        "name": "cnn.npz",
        "sha256": digest,
        "preset": "cnn",
        "test_accuracy": 0.9876,
    }
    assert f"cnn.npz (preset cnn, test accuracy 98.76 %), SHA-256 {digest}" in page
    assert [step["title"] for step in shared["glance"]] == [
        "Conv 5x5, 1->16 maps, ReLU",
        "Conv 5x5, 16->32 maps, ReLU",
        "Dense 512->128, ReLU",
        "Dense 128->10, softmax",
    ]


def test_a_file_name_that_looks_like_a_slot_of_the_template_stays_a_name(saved_cnn):
    model = Sequential.load(saved_cnn)
    page = render_page(model, Provenance("{{SCRIPT}}{{WEIGHTS}}.npz", "0" * 64, None, None))
    assert "<title>nnscratch: draw a digit ({{SCRIPT}}{{WEIGHTS}}.npz)</title>" in page
    assert page.count("modules[") == render_page(
        model, Provenance("m.npz", "0" * 64, None, None)
    ).count("modules[")  # the script is in the page once


def test_the_page_asks_for_nothing_outside_itself(saved_cnn, tmp_path):
    output = tmp_path / "digit.html"
    write_page(saved_cnn, output)
    page = output.read_text(encoding="utf-8")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert csp, "no Content-Security-Policy"
    rules = dict(rule.strip().split(" ", 1) for rule in csp[1].split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'unsafe-inline'"
    assert rules["style-src"] == "'unsafe-inline'"
    assert rules["img-src"] == "data:"
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)
    # the one address in it is SVG's namespace, a name that is never fetched
    assert set(re.findall(r"https?://[^\s\"')]+", page)) == {"http://www.w3.org/2000/svg"}


def test_the_runtime_without_the_weights_is_at_most_60_kb(saved_cnn):
    model = Sequential.load(saved_cnn)
    page = render_page(model, Provenance.of(saved_cnn, model))
    weights = page_parts(page)["weights"]
    runtime = len(page.encode("utf-8")) - len(weights)
    assert 20_000 < runtime <= RUNTIME_LIMIT, runtime


def test_a_page_is_written_atomically_and_a_folder_that_does_not_exist_named(saved_cnn, tmp_path):
    with pytest.raises(ConfigError, match="cannot write .*missing"):
        write_page(saved_cnn, tmp_path / "missing" / "digit.html")
    output = tmp_path / "digit.html"
    output.write_text("before")
    model = Sequential([Flatten(), Doubling(), Dense(784, 10)])
    with pytest.raises(ConfigError):
        render_page(model, Provenance("m", "0" * 64, None, None))
    assert output.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["digit.html"]


def test_every_preset_is_described_with_all_its_arrays():
    for preset in ("classic", "mlp", "cnn", "cnn-bn", "lstm"):
        model = build_model(preset)
        description, numbers = describe(model)
        assert numbers.dtype == np.dtype("<f4")
        expected = sum(
            a.size
            for layer in model.layers
            for a in [*layer.params.values(), *layer.buffers.values()]
        )
        assert len(numbers) == expected


# --- the bundler --------------------------------------------------------------------------------


def write_modules(folder, modules: dict[str, str]):
    for name, text in modules.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_modules_are_bundled_once_each_after_those_they_import(tmp_path):
    folder = write_modules(
        tmp_path,
        {
            "main.js": 'import { twice as double } from "./maths.js";\n'
            'import { NAME } from "./names.js";\nconsole.log(NAME, double(2));\n',
            "maths.js": 'import { NAME } from "./names.js";\n'
            "// a comment\nexport function twice(x) {\n  return 2 * x;\n}\n"
            "export const unused = NAME;\n",
            "names.js": 'export const NAME = "n";\n',
        },
    )
    script = bundle(folder, "main.js")
    order = [m[1] for m in re.finditer(r'modules\["([\w.]+)"\] = ', script)]
    assert order == ["names.js", "maths.js", "main.js"]
    assert 'const { twice: double } = modules["maths.js"];' in script
    assert "return { twice, unused };" in script and "return { NAME };" in script
    assert "export" not in script and "import" not in script
    assert "// a comment" not in script  # whole-line comments left out
    assert script.startswith('(() => {\n"use strict";')


@pytest.mark.parametrize(
    "text, line",
    [
        ("const a = 1;\nexport default a;\n", 2),
        ("const a = 1;\nexport { a };\n", 2),
        ('import * as all from "./b.js";\n', 1),
        ('import b from "./b.js";\n', 1),
        ('import "./b.js";\n', 1),
        ('import { x } from "https://example.org/x.js";\n', 1),
        ('export * from "./b.js";\n', 1),
        ('const late = () => import("./b.js");\n', 1),
        ("const here = import.meta.url;\n", 1),
    ],
)
def test_syntax_the_bundler_does_not_handle_is_refused_naming_the_module_and_line(
    tmp_path, text, line
):
    folder = write_modules(tmp_path, {"a.js": text, "b.js": "export const x = 1;\n"})
    with pytest.raises(BundleError, match=rf"^a\.js:{line}: the bundler does not handle"):
        bundle(folder, "a.js")


def test_a_cycle_or_a_missing_module_is_refused(tmp_path):
    folder = write_modules(
        tmp_path,
        {
            "a.js": 'import { b } from "./b.js";\nexport const a = 1;\n',
            "b.js": 'import { a } from "./a.js";\nexport const b = 2;\n',
            "c.js": 'import { d } from "./d.js";\n',
        },
    )
    with pytest.raises(BundleError, match=r"cycle: a\.js -> b\.js -> a\.js"):
        bundle(folder, "a.js")
    with pytest.raises(BundleError, match=r"no module d\.js .*\(imported by c\.js\)"):
        bundle(folder, "c.js")


def test_a_module_that_would_end_the_script_element_is_refused(tmp_path):
    folder = write_modules(tmp_path, {"a.js": 'const html = "</script>";\n'})
    with pytest.raises(BundleError, match="</script"):
        bundle(folder, "a.js")


def test_the_page_s_own_modules_bundle(tmp_path):
    script = bundle(STATIC, "share.js")
    for name in ("forward.js", "preprocess.js", "glance.js", "network-figure.js", "share.js"):
        assert f'modules["{name}"]' in script
    assert "api.js" not in script  # nothing that asks a server

"""The layer test harness: every class in ``LAYERS``, on each of the examples it declares
(``Layer.examples``: constructor options and one example's shape), goes through the same checks,
so a new layer is checked as soon as it is in the list, and fails here until it declares one.

For each example: input and parameter gradients against central finite differences in float64,
in evaluation and in training; ``backward(input_grad=False)``; the ``config()`` round trip,
through JSON too; ``array_shapes()`` against the parameters, buffers and gradients, and the
``size_options`` against the arrays' sizes; ``infer`` against ``forward`` without training; the
declared ``output_shape`` against forward's; float32 in, float32 out; the model-file round
trip; and the ONNX export against onnxruntime. What is particular to one layer (its maths by
hand, its memory layouts, its errors) stays in that layer's test file.

Arrays are drawn from seeded generators, and every parameter and buffer is moved off its
initial value (zero biases, unit scales, zero running means would hide a wrong gradient or a
converter that forgets them).
"""

from __future__ import annotations

import json

import numpy as np
import onnxruntime
import pytest

from nnscratch.engine.gradcheck import Repeating, check_layer
from nnscratch.engine.layers import LAYERS, Flatten, Layer
from nnscratch.engine.layers.base import Example
from nnscratch.model.sequential import Sequential
from nnscratch.onnx import CONVERTERS

BATCH = 4
# Float64 central differences give ~1e-9 on these sizes; a wrong rule gives > 1e-2. Relative
# errors over whole arrays, so no tolerance depends on how a BLAS kernel sums.
GRADIENT_TOLERANCE = 1e-6
# infer and forward may order a sum differently: a few float64 ulps.
SAME_PATH_TOLERANCE = 1e-12
# onnxruntime computes in float32 as our float32 model does, summing in its own order.
ONNX_TOLERANCE = 1e-5

CASES = [
    pytest.param(cls, example, id=f"{cls.__name__}-{i}")
    for cls in LAYERS
    for i, example in enumerate(cls.examples)
]


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |v| in [0.1, 2]: no ReLU kink within a finite difference's step of any."""
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def moved_off_initial_values(layer: Layer, rng: np.random.Generator) -> None:
    """Scale and shift every parameter; scale and raise every buffer (statistics such as a
    running variance stay positive)."""
    for array in layer.params.values():
        array[...] = array * rng.uniform(0.5, 2.0, array.shape) + rng.uniform(
            -0.5, 0.5, array.shape
        )
    for array in layer.buffers.values():
        array[...] = array * rng.uniform(0.5, 2.0, array.shape) + rng.uniform(0.0, 0.5, array.shape)


def make(cls: type[Layer], example: Example, dtype: type = np.float64) -> Layer:
    layer = cls(**example.options)
    layer.initialize(np.random.default_rng(0), np.dtype(dtype))
    moved_off_initial_values(layer, np.random.default_rng(1))
    return layer


def inputs(example: Example, dtype: type = np.float64, seed: int = 2) -> np.ndarray:
    return away_from_zero(np.random.default_rng(seed), (BATCH, *example.input_shape)).astype(dtype)


@pytest.mark.parametrize("cls", LAYERS, ids=[cls.__name__ for cls in LAYERS])
def test_every_layer_declares_examples_and_has_an_onnx_form(cls):
    assert cls.examples, f"{cls.__name__} declares no examples for the layer test harness"
    for example in cls.examples:
        assert isinstance(example, Example) and isinstance(example.input_shape, tuple)
    assert cls in CONVERTERS, f"{cls.__name__} has no converter in nnscratch.onnx.layers"


@pytest.mark.parametrize("training", [False, True], ids=["evaluation", "training"])
@pytest.mark.parametrize(("cls", "example"), CASES)
def test_gradients_match_finite_differences(cls, example, training):
    layer = make(cls, example)
    x = inputs(example)
    # in training, a random layer (dropout) draws the same mask on every pass
    errors = check_layer(
        layer, x, np.random.default_rng(3), training=training, layer_rng=Repeating(4)
    )
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < GRADIENT_TOLERANCE, errors


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_backward_without_the_input_gradient_fills_the_same_gradients(cls, example):
    layer = make(cls, example)
    x = inputs(example)
    masks = Repeating(4)
    y = layer.forward(x, training=True, rng=masks)
    grad_y = np.random.default_rng(5).standard_normal(y.shape)
    layer.backward(grad_y.copy())
    full = {key: value.copy() for key, value in layer.grads.items()}
    layer.forward(x, training=True, rng=masks)
    if layer.params:  # a layer without parameters always returns dx
        assert layer.backward(grad_y.copy(), input_grad=False) is None
    for key, value in full.items():
        np.testing.assert_allclose(layer.grads[key], value, rtol=SAME_PATH_TOLERANCE, err_msg=key)


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_config_rebuilds_the_layer_through_json(cls, example):
    layer = cls(**example.options)
    config = layer.config()
    rebuilt = cls(**json.loads(json.dumps(config)))
    assert rebuilt.config() == config
    assert repr(rebuilt) == repr(layer)


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_array_shapes_name_every_parameter_buffer_and_size(cls, example):
    layer = make(cls, example)
    arrays = {**layer.params, **layer.buffers}
    assert {name: array.shape for name, array in arrays.items()} == layer.array_shapes()
    assert set(layer.buffers) == set(cls.buffer_names)
    assert {name: grad.shape for name, grad in layer.grads.items()} == {
        name: param.shape for name, param in layer.params.items()
    }
    # resuming checks a recipe's sizes against the arrays: each size option sizes one
    dimensions = {d for array in arrays.values() for d in array.shape}
    for option in cls.size_options:
        value = layer.config()[option]
        for size in value if isinstance(value, list) else [value]:
            assert size in dimensions, (option, size)


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_infer_is_forward_without_training(cls, example):
    layer = make(cls, example)
    x = inputs(example)
    expected = layer.forward(x, training=False).copy()
    np.testing.assert_allclose(layer.infer(x), expected, rtol=SAME_PATH_TOLERANCE, atol=0)


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_the_declared_output_shape_is_forwards(cls, example):
    layer = make(cls, example)
    x = inputs(example)
    declared = layer.output_shape(example.input_shape)
    assert isinstance(declared, tuple)
    assert layer.forward(x).shape == (BATCH, *declared)
    assert layer.forward(x, training=True, rng=np.random.default_rng(6)).shape == (BATCH, *declared)


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_float32_in_float32_out(cls, example):
    layer = make(cls, example, np.float32)
    x = inputs(example, np.float32)
    y = layer.forward(x, training=True, rng=np.random.default_rng(7))
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32
    for key, value in {**layer.params, **layer.grads, **layer.buffers}.items():
        assert value.dtype == np.float32, key


def model_of(layer: Layer, example: Example, dtype: str) -> Sequential:
    """A Sequential holding ``layer`` (then a Flatten, when its output is not rows), the
    layer's arrays moved off their initial values."""
    flat = len(layer.output_shape(example.input_shape)) == 1
    model = Sequential([layer] if flat else [layer, Flatten()], dtype=dtype, seed=8)
    moved_off_initial_values(layer, np.random.default_rng(9))
    return model


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_a_model_file_holds_the_layer(cls, example, tmp_path):
    model = model_of(cls(**example.options), example, "float64")
    model.save(tmp_path / "m.npz", preprocessing={"image_shape": list(example.input_shape)})
    loaded = Sequential.load(tmp_path / "m.npz")
    assert loaded.config() == model.config()
    weights, loaded_weights = model.get_weights(), loaded.get_weights()
    assert weights.keys() == loaded_weights.keys()
    for name, array in weights.items():
        assert np.array_equal(loaded_weights[name], array), name
    x = inputs(example)
    assert np.array_equal(loaded.outputs(x), model.outputs(x))


@pytest.mark.parametrize(("cls", "example"), CASES)
def test_the_onnx_export_computes_what_the_layer_does(cls, example):
    model = model_of(cls(**example.options), example, "float32")
    proto = model.to_onnx(input_shape=example.input_shape)
    session = onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    x = inputs(example, np.float32)
    (theirs,) = session.run(["logits"], {"input": x})
    ours = model.outputs(x)
    assert theirs.shape == ours.shape
    scale = max(1.0, float(np.abs(ours).max()))
    assert np.abs(theirs - ours).max() <= ONNX_TOLERANCE * scale

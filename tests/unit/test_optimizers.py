"""Optimizers against hand-worked steps, a plain float64 reference, and their contracts.

The reference implementations below are written independently of nnscratch.optimizers, the
textbook way (temporaries, float64, bias-corrected moments spelled out), so the in-place
float32 code is checked against the formulas rather than against itself.
"""

import io
import json
import math

import numpy as np
import pytest

from nnscratch.engine.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamW,
    flush_period,
    get_optimizer,
    optimizer_from_config,
)
from nnscratch.engine.schedules import ExponentialDecay, StepDecay
from nnscratch.errors import ConfigError


def run(optimizer, params, grads_per_step, decay=None):
    """Step ``optimizer`` once per gradient list; copies the gradients (step consumes them)."""
    for grads in grads_per_step:
        optimizer.step(
            params, [np.array(g, dtype=p.dtype) for p, g in zip(params, grads, strict=True)], decay
        )
    return params


# --- hand-worked steps ----------------------------------------------------------------------


def test_sgd_steps_by_hand():
    p = np.array([1.0, -2.0])
    opt = SGD(lr=0.1)
    run(opt, [p], [[np.array([0.5, 0.25])]])
    # 1 - 0.1*0.5 = 0.95;  -2 - 0.1*0.25 = -2.025
    np.testing.assert_allclose(p, [0.95, -2.025], rtol=0, atol=1e-15)
    run(opt, [p], [[np.array([1.0, -1.0])]])
    # 0.95 - 0.1 = 0.85;  -2.025 + 0.1 = -1.925
    np.testing.assert_allclose(p, [0.85, -1.925], rtol=0, atol=1e-15)
    assert opt.t == 2


def test_momentum_steps_by_hand():
    p = np.array([1.0])
    opt = SGD(lr=0.1, momentum=0.9)
    expected = []
    # g = 1 every step.  v: 1, 0.9*1 + 1 = 1.9, 0.9*1.9 + 1 = 2.71
    # p: 1 - 0.1*1 = 0.9, 0.9 - 0.19 = 0.71, 0.71 - 0.271 = 0.439
    for _ in range(3):
        run(opt, [p], [[np.array([1.0])]])
        expected.append(p[0])
    assert expected == pytest.approx([0.9, 0.71, 0.439], abs=1e-15)


def test_nesterov_steps_by_hand():
    p = np.array([1.0])
    opt = SGD(lr=0.1, momentum=0.9, nesterov=True)
    # step 1: v = 1;   p = 1 - 0.1*(1 + 0.9*1) = 0.81
    run(opt, [p], [[np.array([1.0])]])
    assert p[0] == pytest.approx(0.81, abs=1e-15)
    # step 2: v = 1.9; p = 0.81 - 0.1*(1 + 0.9*1.9) = 0.81 - 0.271 = 0.539
    run(opt, [p], [[np.array([1.0])]])
    assert p[0] == pytest.approx(0.539, abs=1e-15)


def test_adam_steps_by_hand():
    p = np.array([1.0])
    opt = Adam(lr=0.1, beta1=0.5, beta2=0.75, eps=1e-12)
    # step 1, g = 2: m = 0.5*2 = 1, v = 0.25*4 = 1
    #   m_hat = 1/(1 - 0.5) = 2, v_hat = 1/(1 - 0.75) = 4, p = 1 - 0.1*2/2 = 0.9
    run(opt, [p], [[np.array([2.0])]])
    assert p[0] == pytest.approx(0.9, abs=1e-12)
    # step 2, g = 1: m = 0.5*1 + 0.5*1 = 1, v = 0.75*1 + 0.25*1 = 1
    #   m_hat = 1/(1 - 0.25) = 4/3, v_hat = 1/(1 - 0.5625) = 16/7, sqrt(v_hat) = 4/sqrt(7)
    #   p = 0.9 - 0.1*(4/3)/(4/sqrt(7)) = 0.9 - 0.1*sqrt(7)/3
    run(opt, [p], [[np.array([1.0])]])
    assert p[0] == pytest.approx(0.9 - 0.1 * math.sqrt(7) / 3, abs=1e-12)


def test_first_adam_step_moves_each_parameter_by_lr_against_the_gradient_sign():
    # At t = 1, m_hat = g and v_hat = g², so the step is lr*g/(|g| + eps) ~ lr*sign(g),
    # whatever the gradient's scale.
    g = np.array([1e3, -2.0, 1e-3, -1e-4])
    p = np.zeros(4)
    run(Adam(lr=0.01), [p], [[g]])
    # |g| >= 1e-4 and eps = 1e-8, so the step is off lr*sign(g) by at most lr*1e-4
    np.testing.assert_allclose(p, -0.01 * np.sign(g), rtol=0, atol=0.01 * 1e-4)


# --- against a plain float64 reference ------------------------------------------------------


def reference_sgd(params, grads_per_step, decay, lr_at, momentum, nesterov, l2, weight_decay):
    params = [p.astype(np.float64) for p in params]
    velocity = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step):
        lr = lr_at(t)
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            g = g.astype(np.float64)
            if decay[i]:
                g = g + l2 * p
                decayed = p - lr * weight_decay * p
            else:
                decayed = p
            if momentum:
                velocity[i] = momentum * velocity[i] + g
                direction = g + momentum * velocity[i] if nesterov else velocity[i]
            else:
                direction = g
            params[i] = decayed - lr * direction
    return params


def reference_adam(params, grads_per_step, decay, lr_at, beta1, beta2, eps, l2, weight_decay):
    params = [p.astype(np.float64) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step, grads in enumerate(grads_per_step):
        lr, t = lr_at(step), step + 1
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            g = g.astype(np.float64)
            if decay[i]:
                g = g + l2 * p
                decayed = p - lr * weight_decay * p
            else:
                decayed = p
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g**2
            m_hat = m[i] / (1 - beta1**t)
            v_hat = v[i] / (1 - beta2**t)
            params[i] = decayed - lr * m_hat / (np.sqrt(v_hat) + eps)
    return params


def random_problem(dtype, steps=20, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(7, 5), (5,), (5, 3), (3,)]
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    return params, grads, [True, False, True, False]


# float32 keeps ~7 significant digits; 20 steps of a dozen roundings each stay far below 1e-5
# relative, while any slip in the formulas (a factor, a missing correction) is far above it.
F32 = dict(rtol=1e-5, atol=1e-6)


def lr_halving_every_7(lr):
    return lambda t: lr * 0.5 ** (t // 7)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.8, True)])
@pytest.mark.parametrize("l2, weight_decay", [(0.0, 0.0), (0.05, 0.0), (0.0, 0.1), (0.03, 0.2)])
def test_sgd_matches_reference(momentum, nesterov, l2, weight_decay):
    params, grads, decay = random_problem(np.float32)
    expected = reference_sgd(
        params, grads, decay, lr_halving_every_7(0.05), momentum, nesterov, l2, weight_decay
    )
    opt = SGD(
        lr=0.05,
        momentum=momentum,
        nesterov=nesterov,
        l2=l2,
        weight_decay=weight_decay,
        schedule=StepDecay(7, 0.5),
    )
    run(opt, params, grads, decay)
    for p, e in zip(params, expected, strict=True):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, e, **F32)


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("l2, weight_decay", [(0.0, 0.0), (0.05, 0.0), (0.0, 0.1), (0.03, 0.2)])
def test_adam_matches_reference(cls, l2, weight_decay):
    params, grads, decay = random_problem(np.float32)
    expected = reference_adam(
        params, grads, decay, lr_halving_every_7(0.01), 0.8, 0.99, 1e-7, l2, weight_decay
    )
    opt = cls(
        lr=0.01,
        beta1=0.8,
        beta2=0.99,
        eps=1e-7,
        l2=l2,
        weight_decay=weight_decay,
        schedule=StepDecay(7, 0.5),
    )
    run(opt, params, grads, decay)
    for p, e in zip(params, expected, strict=True):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, e, **F32)


def test_float64_parameters_match_the_reference_to_float64_precision():
    params, grads, decay = random_problem(np.float64)
    expected = reference_adam(params, grads, decay, lambda t: 0.01, 0.9, 0.999, 1e-8, 0.01, 0.1)
    run(Adam(lr=0.01, l2=0.01, weight_decay=0.1), params, grads, decay)
    for p, e in zip(params, expected, strict=True):
        np.testing.assert_allclose(p, e, rtol=1e-12, atol=1e-14)


# --- penalties and the decay mask -----------------------------------------------------------


def test_l2_and_decoupled_decay_coincide_for_plain_sgd():
    # p - lr(g + wd p) = (1 - lr wd) p - lr g
    params, grads, decay = random_problem(np.float64)
    coupled = [p.copy() for p in params]
    run(SGD(lr=0.1, l2=0.3), coupled, grads, decay)
    decoupled = [p.copy() for p in params]
    run(SGD(lr=0.1, weight_decay=0.3), decoupled, grads, decay)
    for a, b in zip(coupled, decoupled, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_l2_and_decoupled_decay_differ_for_adam():
    # With no gradient, the only pull is the penalty.
    p0 = np.array([2.0, -0.5])
    # AdamW: the Adam update is zero (m = v = 0), the decay shrinks p by lr*wd = 0.001 of itself.
    p = p0.copy()
    run(AdamW(lr=0.1, weight_decay=0.01), [p], [[np.zeros(2)]])
    np.testing.assert_allclose(p, [2.0 * 0.999, -0.5 * 0.999], rtol=1e-12)
    # L2: g = 0.01 p is fed to Adam, whose first step is lr*sign(g) = 0.1 whatever its scale.
    p = p0.copy()
    run(Adam(lr=0.1, l2=0.01), [p], [[np.zeros(2)]])
    np.testing.assert_allclose(p, [2.0 - 0.1, -0.5 + 0.1], rtol=1e-6)


def test_adam_weight_decay_is_decoupled_as_torch_adamw_and_shrinks_p_by_1_minus_lr_wd():
    # The docstrings say Adam(weight_decay=x) == torch.optim.AdamW(weight_decay=x): with no
    # gradient the moments stay 0 and each step multiplies p by exactly float32(1 - lr·wd).
    p = np.array([2.0, -0.5, 3e-3], dtype=np.float32)
    opt = Adam(lr=0.01, weight_decay=0.1)
    shrink = np.float32(1 - 0.01 * 0.1)
    for _ in range(5):
        expected = p * shrink
        opt.step([p], [np.zeros(3, dtype=np.float32)])
        assert p.tobytes() == expected.tobytes()
    assert not opt._state[0]["m"].any() and not opt._state[0]["v"].any()


def test_sgd_with_momentum_decoupled_decay_is_not_l2():
    # torch.optim.SGD(momentum=0.9, weight_decay=x) is ours SGD(momentum=0.9, l2=x): the
    # penalty accumulates in the velocity. Ours weight_decay=x never reaches the velocity.
    def three_steps(**penalty):
        p = np.array([2.0])
        opt = SGD(lr=0.1, momentum=0.9, **penalty)
        run(opt, [p], [[np.zeros(1)]] * 3)
        return p[0], opt._state[0]["v"][0]

    p, v = three_steps(weight_decay=0.5)
    assert (p, v) == (pytest.approx(2.0 * 0.95**3, abs=1e-15), 0.0)
    # v: 0.5·2 = 1, 0.9·1 + 0.5·1.9 = 1.85, 0.9·1.85 + 0.5·1.715 = 2.5225
    # p: 2 - 0.1·1 = 1.9, 1.9 - 0.185 = 1.715, 1.715 - 0.25225 = 1.46275
    p, v = three_steps(l2=0.5)
    assert (p, v) == (pytest.approx(1.46275, abs=1e-14), pytest.approx(2.5225, abs=1e-14))


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("penalty", ["l2", "weight_decay"])
def test_decay_mask_exempts_biases(name, penalty):
    W, b = np.full((3, 2), 2.0), np.full(2, 2.0)
    opt = get_optimizer(name, lr=0.1, **{penalty: 0.5})
    run(opt, [W, b], [[np.zeros((3, 2)), np.zeros(2)]] * 3, decay=[True, False])
    assert np.all(b == 2.0)  # zero gradient and no penalty: exactly untouched
    assert np.all(W < 2.0)
    if penalty == "weight_decay":
        # the Adam/SGD update is exactly zero, so only (1 - lr*wd)^3 = 0.95^3 remains
        np.testing.assert_allclose(W, 2.0 * 0.95**3, rtol=1e-12)


def test_decay_none_means_every_parameter_decays():
    W, b = np.full((3, 2), 2.0), np.full(2, 2.0)
    run(SGD(lr=0.1, weight_decay=0.5), [W, b], [[np.zeros((3, 2)), np.zeros(2)]])
    np.testing.assert_allclose(b, 2.0 * 0.95, rtol=1e-12)


def test_schedule_scales_the_step_and_current_lr_follows_t():
    opt = SGD(lr=0.2, schedule=ExponentialDecay(0.5))
    p = np.array([0.0])
    assert opt.current_lr == 0.2
    run(opt, [p], [[np.array([1.0])]])  # lr 0.2
    assert opt.current_lr == pytest.approx(0.1)
    run(opt, [p], [[np.array([1.0])]])  # lr 0.1
    assert p[0] == pytest.approx(-0.3, abs=1e-15)


# --- memory: dtype, in place, no allocation per step ----------------------------------------


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_float32_stays_float32_and_updates_happen_in_place(name):
    params, grads, decay = random_problem(np.float32, steps=3)
    before = [(id(p), p.ctypes.data) for p in params]
    opt = get_optimizer(name, l2=0.01, weight_decay=0.01)
    run(opt, params, grads, decay)
    assert [(id(p), p.ctypes.data) for p in params] == before
    assert all(p.dtype == np.float32 for p in params)
    assert all(a.dtype == np.float32 for k, a in opt.state_dict().items() if k != "t")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_arrays_are_made_once(name):
    params, grads, decay = random_problem(np.float32, steps=6)
    opt = get_optimizer(name, l2=0.01)
    run(opt, params, grads[:1], decay)
    arrays = [a for state in opt._state for a in state.values()]
    run(opt, params, grads[1:], decay)
    assert [a for state in opt._state for a in state.values()] == arrays  # same objects...
    assert all(
        x is y
        for x, y in zip(arrays, [a for state in opt._state for a in state.values()], strict=True)
    )


PEAK_OF_FIVE_STEPS = """
import sys, tracemalloc
import numpy as np
from nnscratch.engine.optimizers import get_optimizer

rng = np.random.default_rng(3)
shapes = [(256, 128), (4096,)]  # smallest 16 KiB: any temporary would show
params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
opt = get_optimizer(sys.argv[1], l2=0.01, weight_decay=0.01)
opt.step(params, [g.copy() for g in grads], [True, False])  # state is made here
consumed = [[g.copy() for g in grads] for _ in range(5)]
tracemalloc.start()
start = tracemalloc.get_traced_memory()[0]
for g in consumed:
    opt.step(params, g, [True, False])
print(tracemalloc.get_traced_memory()[1] - start)
"""


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_steps_allocate_no_array(name):
    peak = peak_in_a_process_of_its_own(PEAK_OF_FIVE_STEPS, name)
    assert peak < 4096, f"{name}.step allocated {peak} bytes"


# --- saving and resuming --------------------------------------------------------------------


def npz_round_trip(state):
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resuming_from_state_dict_is_bit_identical(name):
    params, grads, decay = random_problem(np.float32, steps=10)

    def make():
        return get_optimizer(
            name,
            lr=0.01,
            l2=0.01,
            weight_decay=0.02,
            schedule={"name": "step_decay", "step_size": 3, "gamma": 0.7},
        )

    original = make()
    run(original, params, grads[:5], decay)
    saved = original.state_dict()
    resumed_params = [p.copy() for p in params]
    run(original, params, grads[5:], decay)

    resumed = make()
    resumed.load_state_dict(npz_round_trip(saved))
    assert resumed.t == 5
    run(resumed, resumed_params, grads[5:], decay)
    for a, b in zip(params, resumed_params, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert original.t == resumed.t == 10


def test_state_dict_is_flat_and_a_snapshot():
    params, grads, decay = random_problem(np.float32, steps=2)
    opt = Adam()
    assert opt.state_dict() == {"t": 0}
    run(opt, params, grads[:1], decay)
    saved = opt.state_dict()
    assert sorted(saved) == sorted(["t"] + [f"{k}.{i}" for k in "mv" for i in range(4)])
    m0 = saved["m.0"].copy()
    run(opt, params, grads[1:], decay)
    assert np.array_equal(saved["m.0"], m0)  # later steps do not change a saved state


def test_loading_state_of_another_optimizer_fails():
    params, grads, decay = random_problem(np.float32, steps=1)
    adam = Adam()
    run(adam, params, grads, decay)
    with pytest.raises(ConfigError, match="m.0"):
        SGD(momentum=0.9).load_state_dict(adam.state_dict())
    with pytest.raises(ConfigError, match="'t'"):
        Adam().load_state_dict({"m.0": np.zeros(2), "v.0": np.zeros(2)})
    with pytest.raises(ConfigError, match="v"):
        Adam().load_state_dict({"t": 1, "m.0": np.zeros(2)})


def test_loaded_state_must_fit_the_parameters():
    params, grads, decay = random_problem(np.float32, steps=1)
    adam = Adam()
    run(adam, params, grads, decay)
    other = Adam()
    other.load_state_dict(adam.state_dict())
    with pytest.raises(ConfigError, match="shape"):
        other.step(
            [np.zeros((2, 2), np.float32)] + params[1:],
            [np.zeros((2, 2), np.float32)] + grads[0][1:],
        )


# --- misuse ---------------------------------------------------------------------------------


def test_changing_shapes_or_count_between_steps_fails():
    opt = Adam()
    opt.step([np.zeros(3)], [np.ones(3)])
    with pytest.raises(ConfigError, match="shape"):
        opt.step([np.zeros(4)], [np.ones(4)])
    with pytest.raises(ConfigError, match="2 parameters"):
        opt.step([np.zeros(3), np.zeros(3)], [np.ones(3), np.ones(3)])
    with pytest.raises(ConfigError, match="shape"):
        opt.step([np.zeros(3)], [np.ones(4)])
    with pytest.raises(ConfigError, match="gradients"):
        opt.step([np.zeros(3)], [])
    with pytest.raises(ConfigError, match="decay"):
        opt.step([np.zeros(3)], [np.ones(3)], [True, False])


def test_integer_parameters_are_refused():
    with pytest.raises(ConfigError, match="float"):
        SGD().step([np.zeros(3, dtype=np.int64)], [np.ones(3)])


@pytest.mark.parametrize(
    "build, argument, allowed",
    [
        (lambda: SGD(lr=-0.1), "lr", "a positive number"),
        (lambda: SGD(lr=0), "lr", "a positive number"),
        (lambda: SGD(lr=float("inf")), "lr", "a positive number"),
        (lambda: SGD(momentum=1.0), "momentum", "[0, 1)"),
        (lambda: SGD(momentum=-0.1), "momentum", "[0, 1)"),
        (lambda: SGD(nesterov=True), "momentum", "(0, 1)"),
        (lambda: SGD(nesterov="yes"), "nesterov", "true or false"),
        (lambda: Adam(beta1=1.0), "beta1", "[0, 1)"),
        (lambda: Adam(beta2=-0.5), "beta2", "[0, 1)"),
        (lambda: Adam(eps=0), "eps", "a positive number"),
        (lambda: Adam(weight_decay=-1), "weight_decay", "zero or more"),
        (lambda: SGD(l2=-1e-4), "l2", "zero or more"),
        (lambda: Adam(lr="fast"), "lr", "a positive number"),
    ],
)
def test_bad_hyperparameters_name_the_argument_and_its_range(build, argument, allowed):
    with pytest.raises(ConfigError) as info:
        build()
    assert argument in str(info.value)
    assert allowed in str(info.value)


# --- names and configs ----------------------------------------------------------------------


def test_named_presets():
    assert type(get_optimizer("sgd")) is SGD and get_optimizer("sgd").momentum == 0.0
    momentum = get_optimizer("momentum")
    assert (momentum.momentum, momentum.nesterov) == (0.9, False)
    nesterov = get_optimizer("nesterov")
    assert (nesterov.momentum, nesterov.nesterov) == (0.9, True)
    assert get_optimizer("momentum", momentum=0.5).momentum == 0.5
    assert type(get_optimizer("Adam")) is Adam
    adamw = get_optimizer("adamw")
    assert type(adamw) is AdamW and adamw.weight_decay == 0.01
    assert Adam().weight_decay == 0.0


def test_unknown_name_or_option_is_reported():
    with pytest.raises(ConfigError, match="rmsprop") as info:
        get_optimizer("rmsprop")
    assert all(name in str(info.value) for name in OPTIMIZERS)
    with pytest.raises(ConfigError, match="betas"):
        get_optimizer("adam", betas=(0.9, 0.99))
    with pytest.raises(ConfigError, match="name"):
        optimizer_from_config({"lr": 0.1})


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_config_round_trips_through_json(name):
    opt = get_optimizer(
        name,
        lr=0.05,
        l2=1e-4,
        schedule={"name": "warmup_cosine", "total_steps": 100, "warmup_steps": 5},
    )
    config = opt.config()
    rebuilt = optimizer_from_config(json.loads(json.dumps(config)))
    assert type(rebuilt) is type(opt)
    assert rebuilt.config() == config
    assert config["schedule"]["name"] == "warmup_cosine"
    assert config["lr"] == 0.05 and config["l2"] == 1e-4


# --- convergence on a convex quadratic ------------------------------------------------------


def quadratic(seed=1):
    """f(p) = ½‖A p - b‖² with A (8, 4) of singular values 2, 1.7, 1.3, 1, and its minimiser.

    The Hessian AᵀA has eigenvalues in [μ, L] = [1, 4].
    """
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((8, 4)))
    V, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    s = np.array([2.0, 1.7, 1.3, 1.0])
    A, b = (U * s) @ V.T, rng.standard_normal(8)
    exact = V @ ((U.T @ b) / s)  # A⁺ b, from the SVD
    return A, b, exact


def minimise(opt, A, b, steps):
    p = np.zeros(A.shape[1])
    for _ in range(steps):
        opt.step([p], [A.T @ (A @ p - b)])
    return p


def test_gradient_descent_converges_at_the_textbook_rate():
    A, b, exact = quadratic()
    # With lr = 1/L the error contracts by at most 1 - μ/L = 3/4 per step (the eigenvalues of
    # I - AᵀA/L lie in [0, 3/4]): after k steps ‖p - p*‖ <= (3/4)^k ‖p0 - p*‖, p0 = 0.
    for k in (10, 60):
        p = minimise(SGD(lr=0.25), A, b, k)
        assert np.linalg.norm(p - exact) <= 0.75**k * np.linalg.norm(exact) + 1e-12


def test_heavy_ball_momentum_converges():
    A, b, exact = quadratic()
    # Polyak's tuning for κ = L/μ = 4: lr = 4/(√L + √μ)² = 4/9, momentum = ((√κ-1)/(√κ+1))² = 1/9
    # gives spectral radius 1/3, so 200 steps leave ~200·(1/3)^199 of the initial error.
    p = minimise(SGD(lr=4 / 9, momentum=1 / 9), A, b, 200)
    assert np.linalg.norm(p - exact) <= 1e-10 * np.linalg.norm(exact)


def test_adam_converges():
    A, b, exact = quadratic()
    # Adam moves each coordinate by about lr per step, so once the rate has decayed to
    # 0.05·0.997^2000 ≈ 1.2e-4 it cannot wander further than a few such steps from p*:
    # allow 1e-3 (‖p*‖ ≈ 1.3, so a 0.1% error).
    opt = Adam(lr=0.05, schedule=ExponentialDecay(0.997))
    p = minimise(opt, A, b, 2000)
    assert opt.current_lr < 1.3e-4
    assert np.linalg.norm(p - exact) <= 1e-3


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_updates_large_parameters_block_by_block_exactly(cls, monkeypatch):
    # Parameters larger than a block (and not a multiple of it) are updated in slices; every
    # element must get the same update as in one pass, including the last partial block.
    import nnscratch.engine.elementwise as elementwise

    params, grads, decay = random_problem(np.float32, steps=5, seed=3)
    whole = [p.copy() for p in params]
    run(cls(lr=0.01, l2=0.01), whole, [[g.copy() for g in gs] for gs in grads], decay)
    monkeypatch.setattr(elementwise, "BLOCK", 4)  # (7, 5) -> 9 blocks, the last of 3
    blocked = [p.copy() for p in params]
    run(cls(lr=0.01, l2=0.01), blocked, grads, decay)
    for b, w in zip(blocked, whole, strict=True):
        np.testing.assert_array_equal(b, w)
    assert not np.array_equal(blocked[0], params[0])


def test_adam_updates_a_non_contiguous_parameter_in_place():
    # A flat view of a non-contiguous array would be a copy: such a parameter is updated whole.
    base = np.ones((6, 4), dtype=np.float32)
    p = base[:, ::2]
    opt = Adam(lr=0.1)
    opt.step([p], [np.full(p.shape, 2.0, dtype=np.float32)])
    np.testing.assert_allclose(p, 0.9, rtol=1e-6)
    np.testing.assert_array_equal(base[:, 1::2], 1.0)


def test_adam_flushes_float32_moments_that_decay_below_the_normal_range():
    # A gradient that stops: m decays by beta1 each step. Without the flush it would pass below
    # float32's smallest normal number (1.2e-38) into slow subnormal arithmetic.
    tiny = np.finfo(np.float32).tiny
    p = np.ones(3, dtype=np.float32)
    opt = Adam(lr=1e-3, beta1=0.5)
    opt.step([p], [np.array([1e-30, 1.0, 0.0], dtype=np.float32)])
    for _ in range(40):  # 0.5^40 · 5e-31 ≈ 5e-43: would be subnormal without the flush
        opt.step([p], [np.zeros(3, dtype=np.float32)])
        m = opt.state_dict()["m.0"]
        assert not np.any((np.abs(m) < tiny) & (m != 0)), "a subnormal m survived"
    assert m[0] == 0 and m[2] == 0
    # Moments at or above 2^-100 are left exactly as Adam computes them: m[1] = 0.5^41.
    assert m[1] == np.float32(0.5**41)


def subnormal(a):
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


@pytest.mark.parametrize("beta1", [0.5, 0.9, 0.99])
def test_a_parameter_whose_gradient_stops_gets_m_exactly_0_and_stops_moving(beta1):
    # Adding and removing a tiny constant (the flush before this one) rounded m to multiples
    # of 2^-123: a decaying m stuck near 3.8e-37 and p kept drifting by ~1e-32 per step.
    rng = np.random.default_rng(0)
    p = rng.standard_normal(64).astype(np.float32)
    opt = Adam(lr=1e-3, beta1=beta1)
    for _ in range(30):
        opt.step([p], [rng.standard_normal(64).astype(np.float32)])
    # 2^-100 is reached from |m| ~ 1 within ln(2^100) / -ln(beta1) steps, and flushed at the
    # next multiple of the period; then the parameter must not move any more.
    steps = math.ceil(100 * math.log(2) / -math.log(beta1)) + 2 * flush_period(beta1)
    frozen_at = None
    for step in range(steps):
        before = p.copy()
        opt.step([p], [np.zeros(64, dtype=np.float32)])
        m = opt._state[0]["m"]
        assert not subnormal(m).any(), f"a subnormal m at step {step}"
        if frozen_at is not None:
            assert p.tobytes() == before.tobytes(), f"p moved at step {step}, after m was 0"
        elif not m.any():
            frozen_at = step
    assert frozen_at is not None, f"m never became exactly 0: |m| up to {np.abs(m).max():g}"
    assert frozen_at < steps - flush_period(beta1)


def test_flushes_fall_on_the_same_steps_after_a_resume():
    # The flush period counts the optimizer's steps, t, which state_dict saves.
    params, grads, decay = random_problem(np.float32, steps=160, seed=5)
    for gs in grads[10:]:
        gs[0][:2] = 0  # two weights whose gradient stops: their m decays to the flush
    assert flush_period(0.5) == 25  # 0.5^25 · 2^-100 = 2^-125: six flushes in 160 steps

    def make():
        return Adam(lr=0.01, beta1=0.5)

    original = make()
    run(original, params, grads[:13], decay)
    saved = original.state_dict()
    resumed_params = [p.copy() for p in params]
    run(original, params, grads[13:], decay)
    resumed = make()
    resumed.load_state_dict(npz_round_trip(saved))
    run(resumed, resumed_params, grads[13:], decay)
    for a, b in zip(params, resumed_params, strict=True):
        assert a.tobytes() == b.tobytes()
    assert (original.state_dict()["m.0"].reshape(-1)[:2] == 0).all()


FLUSH_STEP_PEAK = """
import tracemalloc
import numpy as np
from nnscratch.engine.optimizers import Adam, flush_period

rng = np.random.default_rng(3)
params = [rng.standard_normal((256, 128)).astype(np.float32)]
opt = Adam(beta1=0.5)
for _ in range(flush_period(0.5) - 1):
    opt.step(params, [rng.standard_normal((256, 128)).astype(np.float32)])
g = [rng.standard_normal((256, 128)).astype(np.float32)]
tracemalloc.start()
start = tracemalloc.get_traced_memory()[0]
opt.step(params, g)  # the flush step
peak = tracemalloc.get_traced_memory()[1] - start
assert opt.t % flush_period(0.5) == 0, opt.t
print(peak)
"""


def peak_in_a_process_of_its_own(code: str, *args: str) -> int:
    """What ``code`` prints, run by a new interpreter: tracemalloc counts every thread's
    allocations, and a thread another test left in this worker (a server, a Dask client)
    would count against the step measured."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_a_flush_step_allocates_no_array():
    peak = peak_in_a_process_of_its_own(FLUSH_STEP_PEAK)
    assert peak < 4096, f"the flush step allocated {peak} bytes"

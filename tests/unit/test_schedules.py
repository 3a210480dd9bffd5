"""Schedules against values worked out by hand, their configs, and their argument checks."""

import itertools
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnscratch.engine.schedules import (
    SCHEDULES,
    Constant,
    ExponentialDecay,
    Schedule,
    StepDecay,
    WarmupCosine,
    get_schedule,
)
from nnscratch.errors import ConfigError


def test_constant_is_one_at_every_step():
    assert [Constant()(t) for t in (0, 1, 10**6)] == [1.0, 1.0, 1.0]


def test_step_decay_drops_by_gamma_at_each_boundary():
    s = StepDecay(step_size=3, gamma=0.5)
    # t // 3 = 0 for t = 0, 1, 2; 1 for 3, 4, 5; 2 for 6.
    assert [s(t) for t in range(7)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_step_decay_default_gamma_is_a_tenth():
    s = StepDecay(step_size=10)
    assert s(9) == 1.0
    assert s(10) == pytest.approx(0.1)
    assert s(25) == pytest.approx(0.01)


def test_exponential_decay_multiplies_by_gamma_every_step():
    s = ExponentialDecay(gamma=0.9)
    assert s(0) == 1.0
    assert s(1) == pytest.approx(0.9)
    assert s(2) == pytest.approx(0.81)
    expected = 1.0
    for _ in range(10):
        expected *= 0.9
    assert s(10) == pytest.approx(expected)


def test_warmup_ramp_is_linear_from_one_over_warmup_to_one():
    s = WarmupCosine(total_steps=13, warmup_steps=4)
    # (t + 1) / 4 for t = 0..3
    assert [s(t) for t in range(4)] == [0.25, 0.5, 0.75, 1.0]


def test_cosine_phase_start_quarter_midpoint_and_end():
    m = 0.2
    s = WarmupCosine(total_steps=13, warmup_steps=4, min_factor=m)
    # The cosine runs over t = 4..12, progress (t - 4) / 8.
    assert s(4) == pytest.approx(1.0)
    # progress 1/4: m + (1 - m)(1 + cos(pi/4))/2, cos(pi/4) = 1/sqrt(2)
    assert s(6) == pytest.approx(m + (1 - m) * (1 + 1 / math.sqrt(2)) / 2)
    # progress 1/2: cos(pi/2) = 0, so half-way between 1 and m
    assert s(8) == pytest.approx((1 + m) / 2)
    assert s(12) == pytest.approx(m)


def test_cosine_without_warmup_starts_at_one_and_ends_at_min():
    s = WarmupCosine(total_steps=11)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.5)  # progress 5/10
    assert s(10) == pytest.approx(0.0, abs=1e-15)


def test_min_factor_is_held_after_total_steps():
    s = WarmupCosine(total_steps=11, warmup_steps=2, min_factor=0.05)
    assert [s(t) for t in (11, 12, 1000)] == [0.05, 0.05, 0.05]


def test_single_step_runs_use_the_full_rate():
    # total_steps 1: the only step is both start and end of the cosine; it gets the peak.
    s = WarmupCosine(total_steps=1)
    assert s(0) == 1.0
    assert s(1) == 0.0
    # warmup_steps = total_steps - 1: the ramp, then one step at the peak, then the minimum.
    s = WarmupCosine(total_steps=3, warmup_steps=2, min_factor=0.1)
    assert [s(t) for t in range(5)] == [0.5, 1.0, 1.0, 0.1, 0.1]


@given(total=st.integers(1, 300), warmup_fraction=st.floats(0, 0.99), min_factor=st.floats(0, 1))
def test_warmup_cosine_rises_then_falls_within_its_bounds(total, warmup_fraction, min_factor):
    warmup = int(warmup_fraction * total)
    s = WarmupCosine(total, warmup, min_factor)
    values = [s(t) for t in range(total + 3)]
    ramp, rest = values[:warmup], values[warmup:]
    # the ramp starts at 1/warmup whatever min_factor; the cosine stays in [min_factor, 1]
    assert all(0 < x <= 1.0 for x in ramp)
    assert all(min_factor - 1e-12 <= x <= 1.0 + 1e-12 for x in rest)
    assert all(a < b for a, b in itertools.pairwise(ramp))
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(rest))
    assert rest[0] == pytest.approx(1.0)
    assert values[-1] == pytest.approx(min_factor)


SAMPLES = [Constant(), StepDecay(7, 0.3), ExponentialDecay(0.99), WarmupCosine(100, 10, 0.01)]


@pytest.mark.parametrize("schedule", SAMPLES, ids=lambda s: s.name)
def test_config_round_trips_through_json(schedule):
    config = schedule.config()
    rebuilt = get_schedule(json.loads(json.dumps(config)))
    assert type(rebuilt) is type(schedule)
    assert rebuilt.config() == config
    assert [rebuilt(t) for t in range(0, 120, 7)] == [schedule(t) for t in range(0, 120, 7)]


def test_every_schedule_is_registered_under_its_config_name():
    assert {type(s) for s in SAMPLES} == set(SCHEDULES.values())
    assert all(SCHEDULES[s.config()["name"]] is type(s) for s in SAMPLES)


def test_get_schedule_from_names_none_and_instances():
    assert isinstance(get_schedule("constant"), Constant)
    assert isinstance(get_schedule(None), Constant)
    s = StepDecay(5)
    assert get_schedule(s) is s
    assert get_schedule({"name": "warmup_cosine", "total_steps": 50}).config() == {
        "name": "warmup_cosine",
        "total_steps": 50,
        "warmup_steps": 0,
        "min_factor": 0.0,
    }


def test_get_schedule_needs_required_arguments():
    with pytest.raises(ConfigError, match="step_size"):
        get_schedule("step_decay")
    with pytest.raises(ConfigError, match="gamma"):
        get_schedule("exponential_decay")


def test_unknown_schedule_lists_the_valid_names():
    with pytest.raises(ConfigError, match="cosine_annealing") as info:
        get_schedule("cosine_annealing")
    assert all(name in str(info.value) for name in SCHEDULES)
    with pytest.raises(ConfigError, match="name"):
        get_schedule({"gamma": 0.5})


def test_unknown_option_is_named():
    with pytest.raises(ConfigError, match="step_sise"):
        get_schedule({"name": "step_decay", "step_sise": 3})


@pytest.mark.parametrize(
    "build, argument, allowed",
    [
        (lambda: StepDecay(0), "step_size", "a positive whole number"),
        (lambda: StepDecay(2.5), "step_size", "a positive whole number"),
        (lambda: StepDecay(True), "step_size", "a positive whole number"),
        (lambda: StepDecay(3, gamma=0), "gamma", "(0, 1]"),
        (lambda: StepDecay(3, gamma=1.5), "gamma", "(0, 1]"),
        (lambda: ExponentialDecay(-0.5), "gamma", "(0, 1]"),
        (lambda: ExponentialDecay(float("nan")), "gamma", "(0, 1]"),
        (lambda: ExponentialDecay("0.9"), "gamma", "(0, 1]"),
        (lambda: WarmupCosine(0), "total_steps", "a positive whole number"),
        (lambda: WarmupCosine(10, warmup_steps=-1), "warmup_steps", "zero or more"),
        (lambda: WarmupCosine(10, warmup_steps=10), "warmup_steps", "[0, 9]"),
        (lambda: WarmupCosine(10, min_factor=1.5), "min_factor", "[0, 1]"),
        (lambda: WarmupCosine(10, min_factor=-0.1), "min_factor", "[0, 1]"),
    ],
)
def test_bad_arguments_name_the_argument_and_its_range(build, argument, allowed):
    with pytest.raises(ConfigError) as info:
        build()
    assert argument in str(info.value)
    assert allowed in str(info.value)


def test_whole_floats_are_accepted_as_step_counts():
    assert StepDecay(1e1).step_size == 10  # as a JSON file or a command line may write it


@pytest.mark.parametrize("schedule", SAMPLES, ids=lambda s: s.name)
def test_negative_steps_are_a_caller_bug(schedule):
    with pytest.raises(ValueError, match="t >= 0"):
        schedule(-1)


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        Schedule()(0)

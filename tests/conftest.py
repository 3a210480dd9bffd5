"""Test-wide settings.

Under CI (``CI`` set in the environment) hypothesis draws the same examples on every run
(``derandomize``) with no per-example deadline: a landing must not hang on a random draw, nor
on a busy machine's slow example. New inputs are explored by local
runs, which draw fresh examples each time, and by the long fuzzing run (tests/test_fuzz.py).

``small_models``: the web tests' two small trained networks, trained once per session.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def small_models(tmp_path_factory):
    """Paths of two small trained models (mlp.npz, cnn.npz), made once per test session."""
    from web_models import train_small_models
    return train_small_models(tmp_path_factory.mktemp("small-models"))

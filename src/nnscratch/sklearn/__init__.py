"""nnscratch as a scikit-learn estimator: :class:`NNClassifier` fits pipelines, grid searches
and cross-validation like any classifier of scikit-learn's.

Needs scikit-learn (``pip install "nnscratch[sklearn]"``); ``import nnscratch`` never imports
this package, nor scikit-learn. Without scikit-learn importing it says what to install.
"""

from ..environment import require

require("sklearn", "nnscratch.sklearn")

# After the check: the estimator's module imports scikit-learn as it loads.
from .classifier import EXPECTED_FAILED_CHECKS, NNClassifier, expected_failed_checks  # noqa: E402

__all__ = ["EXPECTED_FAILED_CHECKS", "NNClassifier", "expected_failed_checks"]

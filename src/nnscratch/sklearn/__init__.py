"""nnscratch as a scikit-learn estimator: :class:`NNClassifier` fits pipelines, grid searches
and cross-validation like any classifier of scikit-learn's.

Needs scikit-learn (``pip install "nnscratch[sklearn]"``); ``import nnscratch`` never imports
this package, nor scikit-learn.
"""

from .classifier import EXPECTED_FAILED_CHECKS, NNClassifier, expected_failed_checks

__all__ = ["EXPECTED_FAILED_CHECKS", "NNClassifier", "expected_failed_checks"]

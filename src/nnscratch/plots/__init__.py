"""The matplotlib face: charts (:mod:`.charts`, re-exported here, so ``nnscratch.plots`` draws),
the one-file HTML report (:mod:`.report`) and one image's view (:mod:`.show`).
Without matplotlib (the ``plots`` extra) importing this package says what to install."""

from ..environment import require
from .charts import *  # noqa: F401,F403
from .charts import __all__  # noqa: F401

# The modules above import matplotlib only when they draw: the check is said here, at once.
require("plots", "charts, reports and show (nnscratch.plots)")

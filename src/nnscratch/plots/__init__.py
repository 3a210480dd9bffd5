"""The matplotlib face: charts (:mod:`.charts`, re-exported here, so ``nnscratch.plots`` draws),
the one-file HTML report (:mod:`.report`) and one image's view (:mod:`.show`)."""

from .charts import *  # noqa: F401,F403
from .charts import __all__  # noqa: F401

"""Sweeps: one recipe trained at every setting of a grid (or at settings drawn at random
from ranges), over several seeds, in worker processes or on a Dask cluster, and the tables of
what each setting and each run scored, the settings ranked by dev accuracy.

:mod:`.grid` reads a grid and ranges and names their settings; :mod:`.sweep` plans and runs a
sweep; :mod:`.tables` ranks and writes the results; :mod:`.workers` runs tasks on local
processes or Dask workers.
"""

from .sweep import SweepOptions, SweepPlan, SweepResult, SweepRow, plan_sweep, run_sweep

__all__ = ["SweepOptions", "SweepPlan", "SweepResult", "SweepRow", "plan_sweep", "run_sweep"]

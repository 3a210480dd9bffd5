"""Sweeps: one recipe trained at every setting of a grid, over several seeds, in worker
processes or on a Dask cluster, and the table of what each setting scored.

:mod:`.grid` reads a grid and names its settings; :mod:`.sweep` plans and runs a sweep;
:mod:`.workers` runs tasks on local processes or Dask workers.
"""

from .sweep import SweepOptions, SweepPlan, SweepResult, SweepRow, plan_sweep, run_sweep

__all__ = ["SweepOptions", "SweepPlan", "SweepResult", "SweepRow", "plan_sweep", "run_sweep"]

"""Sweeps: a grid of options x seeds expanded into runs, run in parallel, resumable, indexed.

``spec.py`` (what a sweep is, from a JSON file or ``--sweep`` flags, checked before any run),
``plan.py`` (its folder, file names, index, what is done), ``slots.py`` and ``worker.py``
(worker processes or threads), ``runner.py`` (parallel execution and Ctrl-C), ``cli.py``
(``run.sh sweep``). The best step size per method is ``results/tuning.py``. See
docs/sweeps.md.
"""

from ..results.selection import INDEX_CSV, INDEX_JSON, read_index
from ..results.tuning import best_choices, format_choices, varying_keys
from .plan import SweepPlan, sweep_folder
from .spec import SEED_KEY, SweepRun, SweepSpec, load_sweep_file, make_spec, split_values

__all__ = ["INDEX_CSV", "INDEX_JSON", "SEED_KEY", "SweepPlan", "SweepRun", "SweepSpec",
           "best_choices", "format_choices", "load_sweep_file", "make_spec", "read_index",
           "split_values", "sweep_folder", "varying_keys"]

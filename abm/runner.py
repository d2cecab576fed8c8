"""One scenario run, from a validated scenario to a results folder.

:func:`simulate` runs the model and returns the tidy monthly table and the
summary outcomes; :func:`run_to_folder` also writes them (atomically, with a
manifest) and draws the dashboard from the written files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abm import metrics
from abm.config import Scenario
from abm.model import CapexModel
from abm.plotting import dashboard
from abm.results import write_run


def simulate(scenario: Scenario, seed: int | None = None) -> tuple[pd.DataFrame, dict]:
    """Run one scenario; return the monthly table and the summary outcomes.

    Parameters
    ----------
    scenario : Scenario
    seed : int, optional
        Overrides ``scenario.run.seed``.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per month (``month``, ``date``, the model's measures,
        ``phantom_ratio``, ``phantom_excess``), and the DESIGN §7 outcomes.
    """
    model = CapexModel(scenario, rng=seed)
    measures = model.run()
    months = len(measures["backlog"])
    frame = pd.DataFrame({"month": np.arange(months), "date": model.dates(months), **measures})
    window = scenario.metrics.window_months
    frame["phantom_ratio"] = metrics.phantom_ratio(frame["backlog"], frame["unfilled_need"],
                                                   frame["true_need"], window)
    frame["phantom_excess"] = metrics.phantom_excess(frame["backlog"], frame["unfilled_need"])
    summary = metrics.summarise(frame, collapse_share=scenario.metrics.collapse_share,
                                window_months=window)
    summary.update(metrics.money_summary(frame))
    return frame, summary


def run_to_folder(scenario: Scenario, out_dir: str | Path, seed: int | None = None, *,
                  plots: bool = True) -> tuple[Path, dict]:
    """Run a scenario and write its results folder; return the folder and the summary."""
    seed = scenario.run.seed if seed is None else seed
    frame, summary = simulate(scenario, seed)
    resolved = scenario.to_dict()
    resolved["run"]["seed"] = seed
    folder = write_run(out_dir, frame, summary, resolved, seed)
    if plots:
        dashboard(folder)
    return folder, summary

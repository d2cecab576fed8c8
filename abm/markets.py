"""The environment the agents face (not agents): end demand for AI compute.

End demand is the installed fleet (H100-equivalent units) that the world's AI
work needs in a month: an adoption curve for the work, times the compute one
unit of work takes (falling by ``efficiency_gain_per_year``), less the share of
work that moves to devices (edge inference), times seeded noise. The rental
and secondary markets come with the finance issue.
"""

from __future__ import annotations

import numpy as np

from abm.config import DemandParams


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def end_demand_path(params: DemandParams, months: int, noise: np.ndarray) -> np.ndarray:
    """End demand for each month, in units of installed fleet.

    Parameters
    ----------
    params : DemandParams
    months : int
        Length of the path.
    noise : float64[months]
        Standard normal draws (from the run's seed); scaled by ``noise_sd``.

    Returns
    -------
    numpy.ndarray
        Units of fleet needed in months 0 … months − 1; month 0 equals
        ``initial_units`` when the noise is zero.

    Examples
    --------
    >>> p = DemandParams(efficiency_gain_per_year=0.0, edge_share_final=0.0)
    >>> path = end_demand_path(p, 121, np.zeros(121))
    >>> round(path[0]), bool(path[-1] > 0.95 * p.saturation_units)
    (1000000, True)
    """
    t = np.arange(months, dtype=float)
    k, mid = params.steepness_per_month, params.midpoint_month
    start = _logistic(-k * mid)
    adoption = (_logistic(k * (t - mid)) - start) / (1.0 - start)
    work = params.initial_units + (params.saturation_units - params.initial_units) * adoption
    per_work = (1.0 - params.efficiency_gain_per_year) ** (t / 12.0)
    edge = params.edge_share_final * t / (t + params.edge_midpoint_month)
    return work * per_work * (1.0 - edge) * np.exp(params.noise_sd * noise[:months])

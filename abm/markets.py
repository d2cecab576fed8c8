"""The environment the agents face (not agents): end demand for AI compute.

End demand is the installed fleet (H100-equivalent units) that the world's AI
work needs in a month: an adoption curve for the work, times the compute one
unit of work takes (falling by ``efficiency_gain_per_year``), less the share of
work that moves to devices (edge inference), times seeded noise.

The compute rental market clears the installed fleet against price-elastic
demand; the secondary GPU market values a used unit by its remaining earning
power, capped by the replacement cost of the newest generation, less a
discount that forced sales (defaults) push up and that fades over time.
"""

from __future__ import annotations

import numpy as np

from abm.config import DemandParams, MarketParams


def monthly_rate(annual: float) -> float:
    """The monthly rate that compounds to ``annual`` over 12 months (both as fractions).

    >>> round(monthly_rate(0.12682503013196977), 12)
    0.01
    """
    return (1.0 + annual) ** (1.0 / 12.0) - 1.0


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


def clear_rental_market(demand_units: float, fleet_units: float,
                        params: MarketParams) -> tuple[float, float]:
    """Rental price and utilisation that clear the compute market this month.

    Demand for compute is price-elastic around the reference price r_ref:
    D(r) = demand_units · (r / r_ref)^(−ε) (a cheaper rent draws more work:
    Jevons). The installed fleet rents at any price above its operating cost,
    so the price rises until demand fits the fleet, and floors at the
    operating cost in a glut.

    Parameters
    ----------
    demand_units : float
        End demand at the reference rental price (units of fleet).
    fleet_units : float
        Installed fleet offered for rent (units).
    params : MarketParams

    Returns
    -------
    (price, utilisation)
        US$ per unit-month, and the share of the fleet rented (0–1).

    Examples
    --------
    >>> p = MarketParams(rental_price_usd=2000.0, price_elasticity=1.0, operating_cost_usd=500.0)
    >>> clear_rental_market(100.0, 50.0, p)  # scarce compute: the price doubles
    (4000.0, 1.0)
    >>> clear_rental_market(100.0, 1000.0, p)  # glut: the price floors at the cost
    (500.0, 0.4)
    """
    r_ref = params.rental_price_usd
    floor = params.operating_cost_usd
    if fleet_units <= 0.0:
        return r_ref, 0.0
    eps = params.price_elasticity
    clearing = r_ref * (demand_units / fleet_units) ** (1.0 / eps) if demand_units > 0 else 0.0
    if clearing >= floor:
        return clearing, 1.0
    wanted = demand_units * (floor / r_ref) ** (-eps) if floor > 0 else fleet_units
    return floor, min(1.0, wanted / fleet_units)


def generation_performance(month: int, params: MarketParams) -> float:
    """H100-equivalents per physical unit of the newest generation in ``month``."""
    return params.generation_speedup ** (month // params.generation_months)


def earning_value(rental_price: float, operating_cost: float, params: MarketParams) -> float:
    """Value in use of an H100-equivalent: its rental margin over half an economic life (US$).

    The average unit of a fleet has half its economic life left; its margin is
    discounted at the market's rate.

    Examples
    --------
    >>> p = MarketParams(discount_rate_annual=0.0, economic_life_months=48.0)
    >>> earning_value(1000.0, 0.0, p)   # 24 months × $1000 of margin
    24000.0
    """
    margin = max(0.0, rental_price - operating_cost)
    months = params.economic_life_months / 2.0
    monthly = monthly_rate(params.discount_rate_annual)
    annuity = months if monthly == 0.0 else (1.0 - (1.0 + monthly) ** -months) / monthly
    return margin * annuity


def secondary_price(earning: float, replacement: float, fire_sale_discount: float) -> float:
    """Market price of a used H100-equivalent (US$).

    The lesser of its earning value and its replacement cost (the newest
    generation's price per H100-equivalent, which drops at each generation),
    less the current fire-sale discount.

    >>> secondary_price(24000.0, 30000.0, 0.5)
    12000.0
    """
    return min(replacement, earning) * (1.0 - fire_sale_discount)


def faded_discount(previous: float, params: MarketParams) -> float:
    """Last month's fire-sale discount after a month of recovery."""
    return previous * (1.0 - 1.0 / params.fire_sale_recovery_months)


def add_fire_sales(discount: float, units_sold: float, fleet_units: float,
                   params: MarketParams) -> float:
    """The secondary-price discount (0–0.95) after ``units_sold`` more forced sales.

    Every forced sale pushes the discount up, in proportion to its size against the
    market's depth (``depth_share`` of the fleet): one sale of ``depth`` units divides the
    price by 1 + ``fire_sale_impact``, and sales in the same month compound.

    Examples
    --------
    >>> p = MarketParams(fire_sale_impact=1.0, depth_share=0.01)
    >>> add_fire_sales(0.0, 10.0, 1000.0, p)  # a month's depth sold: half off
    0.5
    """
    depth = max(params.depth_share * fleet_units, 1.0)
    shock = params.fire_sale_impact * units_sold / depth
    return min(0.95, 1.0 - (1.0 - discount) / (1.0 + shock))

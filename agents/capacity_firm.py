"""The capacity rule shared by fabs and HBM suppliers.

A capacity firm produces up to its capacity each month (the model rations that
output among the vendor's order lines with the kernel) and decides how much new
capacity to start. It wants capacity K* equal to the demand it perceives, by
``planning_signal``:

``backlog``
    smoothed order intake plus the backlog it holds spread over
    ``backlog_clear_months`` — so duplicate and inflated orders upstream read as
    demand (Armony & Plambeck 2005);
``intake``
    smoothed order intake alone;
``true_need``
    the buyers' true monthly need (trailing mean), converted to its units — the
    ablation in which suppliers see through the order book.

Each month it starts 1/``adjustment_months`` of the gap between K* and the
capacity it has *plus what is already under construction* (forgetting the
latter makes capacity overshoot several-fold even without gaming, DESIGN §11).
New capacity is usable after ``lead_time_months`` and never goes away, so an
overbuild shows as idle capacity.

References
----------
Armony, M. & Plambeck, E. (2005) The impact of duplicate orders on demand
estimation and capacity investment. Management Science 51(10):1505–1518.
doi:10.1287/mnsc.1050.0371
"""

from __future__ import annotations

from collections import deque

import mesa

from abm.config import CapacityParams
from agents.asset_book import AssetBook


def utilisation(output: float, capacity: float) -> float:
    """Output ÷ capacity in [0, 1] (rounding can put a full allocation a hair above 1)."""
    return min(1.0, output / capacity) if capacity > 0.0 else 0.0


class CapacityFirm(mesa.Agent):
    """A supplier with capacity that takes years to build."""

    kind = "capacity_firm"

    def __init__(self, model: mesa.Model, node: str, params: CapacityParams,
                 capacity: float) -> None:
        super().__init__(model)
        self.node = node
        self.params = params
        self.capacity = capacity
        """Output per month it can make now (its own units)."""
        self.under_construction: deque[float] = deque([0.0] * params.lead_time_months)
        self.intake_smoothed = capacity
        """Smoothed order intake (own units/month); starts in steady state at capacity."""
        self.output = 0.0
        self.started = 0.0
        self.cash_cents = 0
        self.book = AssetBook()
        """Net book value of its capacity (US$)."""
        self.idle_cost = 0.0
        """This month's depreciation of capacity it did not use (US$)."""

    def perceived_demand(self, backlog: float, true_need: float) -> float:
        """Demand per month its planners believe in (own units), by ``planning_signal``."""
        signal = self.params.planning_signal
        if signal == "backlog":
            return self.intake_smoothed + backlog / self.params.backlog_clear_months
        if signal == "intake":
            return self.intake_smoothed
        return true_need

    def plan(self, intake: float, backlog: float, true_need: float) -> None:
        """Update the intake estimate and start new capacity against the perceived gap.

        Parameters
        ----------
        intake : float
            Units ordered from it this month (own units).
        backlog : float
            Units on order with it, not yet produced (own units).
        true_need : float
            The buyers' true monthly need, converted to its units and its share.
        """
        smoothing = self.params.intake_smoothing_months
        self.intake_smoothed += (intake - self.intake_smoothed) / smoothing
        wanted = self.perceived_demand(backlog, true_need)
        gap = wanted - self.capacity - sum(self.under_construction)
        self.started = max(0.0, gap) / self.params.adjustment_months
        self.under_construction.append(self.started)
        arrived = self.under_construction.popleft()
        self.capacity += arrived
        p = self.params
        self.model.ledger.pay(self, None, self.started * p.capex_per_capacity_usd, "capex")
        self.book.add(arrived * p.capex_per_capacity_usd, p.asset_life_months)

    def record_output(self, units: float) -> None:
        """What it produced this month (allocated to the vendor's order lines)."""
        self.output = units

    def open_books(self, cash: float) -> None:
        """Opening balance sheet: cash, and capacity half way through its asset life."""
        p = self.params
        self.model.ledger.open(self, self.kind, cash)
        self.book.add(0.5 * self.capacity * p.capex_per_capacity_usd, p.asset_life_months,
                      months_left=p.asset_life_months / 2)

    def sell(self, revenue: float) -> None:
        """Pay the variable cost of output the vendor bought for ``revenue`` US$."""
        self.model.ledger.pay(self, None, revenue * self.params.variable_cost_share, "opex")

    def close_month(self) -> None:
        """Depreciate its capacity, used or idle; the idle share is a cost of overbuilding."""
        charge = self.book.depreciate()
        self.model.ledger.book(self, charge, "depreciation")
        self.idle_cost = charge * (1.0 - utilisation(self.output, self.capacity))

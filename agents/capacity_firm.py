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
        self.intake_smoothed = 0.0
        self.output = 0.0
        self.started = 0.0

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
        self.capacity += self.under_construction.popleft()

    def record_output(self, units: float) -> None:
        """What it produced this month (allocated to the vendor's order lines)."""
        self.output = units

"""Distributor (server OEM): forwards buyers' orders to the vendor, ships what it gets.

Rule: pass-through. Its order with the vendor is what its buyers have on order
with it, less the units it holds. It rations what it holds among its buyers'
open orders with the scenario's rule (units a buyer declines go back to the
vendor, which offers them again). Because every buyer line is forwarded,
a buyer's duplicate orders on several distributors all reach the vendor: this
is where duplicates multiply.
"""

from __future__ import annotations

import mesa


class Distributor(mesa.Agent):
    """A server OEM between the chip vendor and the buyers."""

    kind = "distributor"

    def __init__(self, model: mesa.Model, node: str) -> None:
        super().__init__(model)
        self.node = node
        self.inventory = 0.0
        """Units held, received from the vendor and not yet shipped."""
        self.past_sales = 0.0
        """Smoothed units per month received from the vendor (turn-and-earn weight)."""

    def order_with_vendor(self, buyers_outstanding: float) -> float:
        """Units on order with the vendor: its buyers' open orders, net of units held."""
        return max(0.0, buyers_outstanding - self.inventory)

    def receive(self, units: float) -> None:
        """Units arrive from the vendor."""
        self.inventory += units

    def record_sales(self, units: float) -> None:
        """Remember what the vendor allocated this month (12-month smoothing)."""
        self.past_sales += (units - self.past_sales) / 12.0

    def ship(self, units: float) -> None:
        """Units leave for a buyer."""
        self.inventory -= units

"""Chip vendor (fabless designer): builds accelerators from dies and HBM, rations them.

Rules, each month:

* **Upstream orders.** It wants components for its order book plus
  ``cover_months`` of smoothed order intake, less the accelerators it holds;
  it orders the dies and stacks (``stacks_per_unit`` per accelerator) this
  coverage lacks after its component inventory and what is already in the
  pipeline, splitting them over suppliers by their edge ``share``; it closes
  1/``adjustment_months`` of the gap between its open orders and that target
  each month (anchoring and adjustment, Sterman 1989), cancelling when above.
  With ``vendor.inflation`` it inflates them by 1 ÷ its own fill rate, as
  buyers do. It cannot tell a duplicate from
  a real order: its order book is the sum of its distributors' forwarded lines.
* **Production.** It builds min(dies, stacks ÷ stacks per unit) accelerators
  from the components it holds.
* **Rationing.** Its finished units go to distributors' due orders by the
  scenario's rule (the model calls the kernel); units a distributor does not
  take stay in stock and are offered again.
* **Price.** The price of a new unit rises with the months of capacity its
  order book represents beyond a normal book.

It holds little fixed capital: inventory is what it can lose when orders vanish
(valued in the finance issue).
"""

from __future__ import annotations

from collections import deque

import mesa

from abm.config import VendorParams


class UpstreamLines:
    """The vendor's open orders with the suppliers of one component."""

    def __init__(self, shares: list[float], cycle_time_months: int, monthly_output: float) -> None:
        self.shares = shares
        self.monthly_output = monthly_output
        """The suppliers' output rate at step 0 (units/month)."""
        self.outstanding = [0.0] * len(shares)
        self.placed = [0.0] * len(shares)
        self.pipeline: deque[float] = deque([monthly_output] * cycle_time_months)
        """Batches in production, oldest first; starts full at the suppliers' output rate."""
        self.arriving = 0.0
        self.inventory = 0.0
        self.fill = 1.0

    def reorder(self, target: float, adjustment_months: float) -> None:
        """Move the open orders 1/``adjustment_months`` of the way to ``target``, split by share."""
        for i, share in enumerate(self.shares):
            change = (target * share - self.outstanding[i]) / adjustment_months
            self.outstanding[i] += change
            self.placed[i] = max(0.0, change)

    def ship(self, line: int, units: float) -> None:
        """A supplier ships ``units`` on a line: they enter the production pipeline."""
        self.outstanding[line] -= units
        self.arriving += units

    def advance(self, shipped: float, ordered: float) -> None:
        """This month's batch starts its cycle time; the batch that has done it arrives."""
        self.pipeline.append(self.arriving)
        self.arriving = 0.0
        self.inventory += self.pipeline.popleft()
        observed = min(1.0, shipped / ordered) if ordered > 0.0 else 1.0
        self.fill += (observed - self.fill) / 3.0


class Vendor(mesa.Agent):
    """The fabless accelerator designer (NVIDIA)."""

    kind = "vendor"

    def __init__(self, model: mesa.Model, node: str, params: VendorParams,
                 dies: UpstreamLines, stacks: UpstreamLines, max_inflation: float) -> None:
        super().__init__(model)
        self.node = node
        self.params = params
        self.max_inflation = max_inflation
        self.dies = dies
        self.stacks = stacks
        self.finished = 0.0
        """Accelerators built and not yet shipped."""
        self.produced_total = 0.0
        self.output = 0.0
        self.intake_smoothed = dies.monthly_output
        """Smoothed order intake (units/month); starts at the steady-state output rate."""
        self.backlog = 0.0
        self.price = params.base_price_usd
        self.cash_cents = 0
        self.inventory_book = 0.0
        """What its unsold dies, stacks and accelerators cost it, less write-downs (US$)."""

    def _inflation(self, lines: UpstreamLines) -> float:
        if not self.params.inflation:
            return 1.0
        return min(self.max_inflation, 1.0 / max(lines.fill, 1e-9))

    def plan_upstream(self, backlog: float, intake: float, capacity: float) -> None:
        """Order dies and stacks for the order book; set the price.

        Parameters
        ----------
        backlog : float
            Accelerators on order with it (units).
        intake : float
            New orders this month (units).
        capacity : float
            Accelerators per month its suppliers can make now (units/month).
        """
        self.backlog = backlog
        self.intake_smoothed += (intake - self.intake_smoothed) / 3.0
        coverage = max(0.0, backlog + self.params.cover_months * self.intake_smoothed
                       - self.finished)
        spu = self.params.stacks_per_unit
        dies = coverage - self.dies.inventory - sum(self.dies.pipeline)
        stacks = coverage * spu - self.stacks.inventory - sum(self.stacks.pipeline)
        adjust = self.params.adjustment_months
        self.dies.reorder(max(0.0, dies) * self._inflation(self.dies), adjust)
        self.stacks.reorder(max(0.0, stacks) * self._inflation(self.stacks), adjust)
        book_months = backlog / capacity if capacity > 0.0 else self.params.normal_backlog_months
        excess = max(0.0, book_months - self.params.normal_backlog_months)
        markup = min(1.0 + self.params.price_sensitivity * excess, self.params.max_price_multiple)
        self.price = self.params.base_price_usd * markup

    def produce(self) -> None:
        """Build accelerators from the components on hand."""
        spu = self.params.stacks_per_unit
        units = max(0.0, min(self.dies.inventory, self.stacks.inventory / spu))
        self.dies.inventory -= units
        self.stacks.inventory -= units * spu
        self.finished += units
        self.produced_total += units
        self.output = units

    def ship(self, units: float) -> None:
        """Finished units leave for a distributor."""
        self.finished -= units

    def take_back(self, units: float) -> None:
        """Units a buyer declined come back to stock, to be offered again next month."""
        self.finished += units

    # ---- money --------------------------------------------------------------------
    def open_books(self, cash: float, die_price: float, stack_price: float) -> None:
        """Opening balance sheet: cash, and the components in production at cost (US$ each).

        Fabless: it has no fixed capital to speak of.
        """
        self.model.ledger.open(self, self.kind, cash)
        self.inventory_book = (sum(self.dies.pipeline) * die_price
                               + sum(self.stacks.pipeline) * stack_price)

    def pay_supplier(self, supplier: mesa.Agent, cost: float) -> None:
        """Pay for components a supplier shipped; they join its inventory at cost."""
        self.model.ledger.pay(self, supplier, cost, "component_sales")
        self.inventory_book += cost

    def cost_of_sales(self, units: float, unit_cost: float) -> None:
        """Units a buyer paid for leave the inventory at cost."""
        self.inventory_book = max(0.0, self.inventory_book - units * unit_cost)

    def write_down_inventory(self, units_held: float, unit_cost: float, unit_value: float,
                             spares_cost: float) -> float:
        """Quarter end: value units nobody has ordered at the market; return the write-down.

        Units covered by its order book keep their cost; the excess is worth at
        most the secondary market's price for a unit. Components not yet matched
        into a unit (``spares_cost``, US$) keep their cost.
        """
        excess = max(0.0, units_held - self.backlog)
        worth = (units_held - excess) * unit_cost + excess * min(unit_cost, unit_value)
        worth += spares_cost
        loss = max(0.0, self.inventory_book - worth)
        self.inventory_book -= loss
        self.model.ledger.book(self, loss, "inventory_writedown")
        return loss

"""The ordering rule shared by every buyer of accelerators (hyperscalers and neoclouds).

Each month a buyer

1. retires a 1/life share of its installed fleet;
2. forecasts end demand by anchoring and adjustment (Sterman 1989): an
   exponentially smoothed level plus its smoothed trend over a horizon, and
   wants a fleet of its share of that forecast, blended with a defensive term
   that keeps pace with the industry fleet's growth;
3. adds the gap between that desired fleet and what it has (installed, in
   transit, still on order *truly*) to its true unfilled need ``requirement``;
4. places orders. A truthful buyer orders exactly its requirement on its first
   channel. With ``ordering.inflation`` it orders requirement ÷ expected fill
   rate (capped by its ``max_inflation``); while it perceives a shortage
   (expected fill rate below its threshold) it places that same order on
   ``ordering.duplicate_channels`` distributors. It keeps its main order at
   the target (a truthful buyer's order is its need); a duplicate above its
   target is cancelled once the surplus has lasted
   ``ordering.cancellation_lag_months`` (newest orders first; DESIGN §4);
5. on delivery, accepts units up to its requirement and declines the rest (the
   vendor takes them back and offers them again; the order stays open until it
   is cancelled), and updates its expected fill rate from what
   it received against what was *due* — orders older than the quoted lead time
   (``ordering.requested_lead_months``) — not against its whole order book,
   which never fills in a healthy queue (DESIGN §11).

Buyers' parameters are spread around the scenario's values by draws from the
run's seed, so they do not move in lock-step.

References
----------
Sterman, J. (1989) Modeling managerial behavior: misperceptions of feedback in a
dynamic decision making experiment. Management Science 35(3):321–339.
doi:10.1287/mnsc.35.3.321

Cachon, G. & Lariviere, M. (1999) Capacity choice and allocation: strategic
behavior and supply chain performance. Management Science 45(8):1091–1108.
doi:10.1287/mnsc.45.8.1091
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import mesa

from abm.config import BuyerParams, OrderingParams
from agents.asset_book import AssetBook


@dataclass(frozen=True)
class BuyerTraits:
    """One buyer's own parameters, drawn around the scenario's values."""

    share: float
    """Share of end demand this buyer serves (fraction)."""
    max_inflation: float
    """Cap on its order inflation factor (ratio ≥ 1)."""
    shortage_threshold: float
    """Expected fill rate below which it perceives a shortage (fraction)."""
    fill_smoothing_months: float
    forecast_smoothing_months: float


class Buyer(mesa.Agent):
    """A buyer of accelerators with an order line on each of its distributors."""

    def __init__(self, model: mesa.Model, node: str, traits: BuyerTraits, channels: list[str],
                 buyers: BuyerParams, ordering: OrderingParams, demand_now: float) -> None:
        super().__init__(model)
        self.node = node
        self.traits = traits
        self.channels = channels
        self.params = buyers
        self.ordering = ordering
        self.installed = traits.share * demand_now * buyers.initial_fleet_ratio
        self.in_transit: deque[float] = deque([0.0] * buyers.install_lag_months)
        self.requirement = max(0.0, traits.share * demand_now - self.installed)
        """True unfilled need (units); at step 0 the gap left from before the run."""
        self.retired = 0.0
        self.expected_fill = 1.0
        self.level = demand_now
        self.trend = 0.0
        k = len(channels)
        self.outstanding = [self.requirement] + [0.0] * (k - 1)
        """Open orders per channel (units); at step 0 the pre-run gap, ordered truthfully."""
        lead = ordering.requested_lead_months
        self.recent: list[deque[float]] = [deque([0.0] * lead, maxlen=lead) for _ in range(k)]
        lag = ordering.cancellation_lag_months + 1
        self.surplus: list[deque[float]] = [deque(maxlen=lag) for _ in range(k)]
        self.past_sales = [0.0] * k
        self.received = [0.0] * k
        self.new_need = self.placed = self.cancelled = 0.0
        self.due_total = self.received_total = self.accepted = 0.0
        self.cash_cents = 0
        self.book = AssetBook()
        """Net book value of its fleet (US$)."""
        self.capex_month = self.revenue_month = 0.0
        self.frozen_until = -1
        """Month from which a board freeze no longer applies (hyperscalers)."""

    # ---- planning -----------------------------------------------------------------
    @property
    def owned(self) -> float:
        """Units installed or in transit."""
        return self.installed + sum(self.in_transit)

    @property
    def position(self) -> float:
        """Units installed, in transit or truly still to come."""
        return self.owned + self.requirement

    def desired_fleet(self, demand: float, industry_projection: float) -> float:
        """Share of forecast demand, blended with keeping pace with the industry fleet."""
        tau = self.traits.forecast_smoothing_months
        previous = self.level
        self.level += (demand - self.level) / tau
        self.trend += ((self.level - previous) - self.trend) / self.params.trend_smoothing_months
        forecast = max(0.0, self.level + self.trend * self.params.trend_horizon_months)
        weight = self.params.defensive_weight
        return self.traits.share * ((1.0 - weight) * forecast + weight * industry_projection)

    def plan(self, demand: float, industry_projection: float) -> None:
        """Retire, forecast, update the true need, then place and cancel orders."""
        retiring = self.installed / self.params.fleet_life_months
        owned = self.owned
        if owned > 0.0:
            self.model.ledger.book(self, self.book.scale(1.0 - retiring / owned), "depreciation")
        self.installed -= retiring
        self.retired += retiring
        gap = self.desired_fleet(demand, industry_projection) - self.position
        self.new_need = max(0.0, gap)
        self.requirement = max(0.0, self.requirement + gap)
        self._place_orders()

    def order_multiplier(self) -> float:
        """Order ÷ need: 1 ÷ expected fill rate under inflation, capped; else 1."""
        if not self.ordering.inflation:
            return 1.0
        return min(self.traits.max_inflation, 1.0 / max(self.expected_fill, 1e-9))

    def active_channels(self) -> int:
        """How many channels carry the order: all duplicates only in a perceived shortage."""
        if self.expected_fill < self.traits.shortage_threshold:
            return min(self.ordering.duplicate_channels, len(self.channels))
        return 1

    @property
    def frozen(self) -> bool:
        """Whether its board has frozen uncommitted orders this month."""
        return self.model.month < self.frozen_until

    def _place_orders(self) -> None:
        self.placed = self.cancelled = 0.0
        if self.frozen:
            for c in range(len(self.channels)):
                self._cancel(c, sum(self.recent[c]))
        else:
            self._revise_orders()
        self.due_total = sum(self.due(c) for c in range(len(self.channels)))

    def _revise_orders(self) -> None:
        """Move each channel's open order to the inflated requirement (0 on idle channels)."""
        target = self.requirement * self.order_multiplier()
        active = self.active_channels()
        for c in range(len(self.channels)):
            wanted = target if c < active else 0.0
            gap = wanted - self.outstanding[c]
            self.surplus[c].append(max(0.0, -gap))
            if gap > 0.0:
                self.outstanding[c] += gap
                self.placed += gap
                if self.recent[c].maxlen:
                    self.recent[c][-1] += gap
            elif gap < 0.0 and c == 0:
                self._cancel(c, -gap)
            elif gap < 0.0 and len(self.surplus[c]) == self.surplus[c].maxlen:
                self._cancel(c, min(self.surplus[c]))

    def _cancel(self, c: int, amount: float) -> None:
        """Cancel ``amount`` units (at most what is open) on channel c, newest orders first."""
        amount = min(amount, self.outstanding[c])
        if amount <= 0.0:
            return
        self.outstanding[c] -= amount
        self.cancelled += amount
        recent = self.recent[c]
        left = amount
        for i in range(len(recent) - 1, -1, -1):
            take = min(left, recent[i])
            recent[i] -= take
            left -= take
            if left <= 0.0:
                break

    def due(self, c: int) -> float:
        """Units on channel c that were ordered at least the quoted lead time ago."""
        return max(0.0, self.outstanding[c] - sum(self.recent[c]))

    # ---- delivery -----------------------------------------------------------------
    def receive(self, c: int, units: float) -> None:
        """A distributor ships ``units`` against the order on channel c."""
        self.outstanding[c] -= units
        self.received[c] += units

    def settle(self, price: float, unit_value: float) -> list[float]:
        """Accept and pay for deliveries up to its need and its means; return the declines.

        Parameters
        ----------
        price : float
            US$ per unit charged by the vendor.
        unit_value : float
            Market value of a unit (US$), the collateral value for lenders.

        Declines come off the last channels first (the duplicates).
        """
        received_total = sum(self.received)
        accepted = min(received_total, self.requirement,
                       self.affordable_units(price, unit_value))
        if accepted > 0.0:
            self.pay_for(accepted, price, unit_value)
        self.requirement -= accepted
        self.in_transit.append(accepted)
        if len(self.in_transit) > self.params.install_lag_months:
            self.installed += self.in_transit.popleft()
        excess = received_total - accepted
        declined = [0.0] * len(self.channels)
        for c in range(len(self.channels) - 1, -1, -1):
            back = min(excess, self.received[c])
            declined[c] = back
            excess -= back
        for c in range(len(self.channels)):
            self.outstanding[c] += declined[c]  # a declined delivery leaves the order open
            kept = self.received[c] - declined[c]
            self.past_sales[c] += (kept - self.past_sales[c]) / 12.0
            self.received[c] = 0.0
            self.recent[c].append(0.0)
        due = self.due_total
        observed = min(1.0, received_total / due) if due > 0.0 else 1.0
        self.expected_fill += (observed - self.expected_fill) / self.traits.fill_smoothing_months
        self.received_total, self.accepted = received_total, accepted
        return declined

    # ---- money --------------------------------------------------------------------
    def open_books(self, price: float, cash: float, life_months: float) -> None:
        """Opening balance sheet: cash, and the fleet half way through its accounting life."""
        self.model.ledger.open(self, self.kind, cash)
        self.book.add(0.5 * self.installed * price, life_months, months_left=life_months / 2)

    def spendable(self) -> float:
        """What it can spend on accelerators now (US$): its cash (subclasses add credit)."""
        return max(0.0, self.cash_cents / 100.0)

    def affordable_units(self, price: float, unit_value: float) -> float:
        """Units it can pay for now at ``price`` (US$ each)."""
        return self.spendable() / price if price > 0.0 else float("inf")

    def raise_funds(self, cost: float, collateral_value: float) -> None:
        """Borrow what a purchase needs beyond its cash (subclasses)."""

    def pay_for(self, units: float, price: float, unit_value: float) -> None:
        """Pay the vendor for ``units`` and put them on the books."""
        cost = units * price
        self.raise_funds(cost, units * unit_value)
        self.model.ledger.pay(self, self.model.vendor, cost, "gpu_sales")
        self.book.add(cost, self.model.config.finance.accounting_life_years * 12.0)
        self.capex_month += cost

    def earn(self, rental_price: float, utilisation: float, operating_cost: float) -> None:
        """Rent out the installed fleet at the market price; pay to run it."""
        ledger = self.model.ledger
        self.revenue_month = rental_price * utilisation * self.installed
        ledger.pay(None, self, self.revenue_month, "compute_revenue")
        ledger.pay(self, None, operating_cost * self.installed, "opex")

    def close_month(self, unit_value: float, quarter_end: bool) -> None:
        """Depreciate; at a quarter end impair the fleet to its recoverable value.

        ``unit_value`` is the value in use of a unit (its discounted earning
        power, US$); the fleet is written down when its book value is higher.
        """
        ledger = self.model.ledger
        ledger.book(self, self.book.depreciate(), "depreciation")
        self.capex_month = 0.0
        if quarter_end:
            owned = self.owned
            ledger.book(self, self.book.write_down_to(owned * unit_value), "impairment")

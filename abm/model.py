"""The capex-abm model: agents wired on the supply graph, and the monthly schedule.

The model is wiring. :meth:`CapexModel.step` is the schedule of DESIGN §5 as a
list of phases; the rules live in the agents (``agents/``), the rationing in
the kernel (:mod:`abm.allocation`), end demand in :mod:`abm.markets`.
Every tier's allocation goes through the kernel bound to the tier's layout
(:meth:`abm.graph.Tier.kernel`, :class:`abm.allocation_bound.BoundKernel`).
"""

from __future__ import annotations

import datetime
from collections import deque
from dataclasses import dataclass
from functools import partial
from typing import Any

import mesa
import numpy as np

from abm.config import Scenario, build_scenario, nest_overrides
from abm.graph import BUYER_KINDS, CompiledTiers, Tier, build_graph, nodes_of_kind
from abm.ledger import Ledger
from abm.markets import (
    add_fire_sales,
    clear_rental_market,
    earning_value,
    end_demand_path,
    faded_discount,
    generation_performance,
    secondary_price,
)
from abm.metrics import trailing_need
from abm.seeding import run_streams
from agents.buyer import Buyer, BuyerTraits
from agents.capacity_firm import CapacityFirm, utilisation
from agents.distributor import Distributor
from agents.fab import Fab
from agents.hbm import HbmSupplier
from agents.hyperscaler import Hyperscaler
from agents.lender import Lender
from agents.neocloud import Neocloud
from agents.vendor import UpstreamLines, Vendor

WRITEDOWN_KINDS = ("hyperscaler", "neocloud", "vendor", "fab", "hbm", "lender")
"""Agent kinds whose write-downs are reported."""

MEASURES = (
    "end_demand", "true_need", "unfilled_need", "orders_placed", "backlog", "cancellations",
    "shipments", "declined", "output", "capacity_fab", "capacity_hbm", "utilisation_fab",
    "utilisation_hbm", "fill_rate", "price_new", "installed_fleet", "vendor_backlog",
    "fab_backlog", "inventory", "mean_expected_fill", "share_duplicating",
    "need_fill_rate", "price_rental", "rental_utilisation", "price_secondary", "capex",
    "capex_suppliers", "revenue", "revenue_gap", "depreciation", "idle_capacity_cost",
    *(f"writedowns_{kind}" for kind in WRITEDOWN_KINDS),
    "defaults", "lender_losses", "loans_made", "neocloud_debt", "fire_sale_units", "freezes",
)
"""Columns measured each month (units: accelerators, or per month for flows; money in
US$, flows per month)."""


MAX_SHORTAGE_THRESHOLD = 0.99
"""Cap on a buyer's drawn shortage threshold (expected fill rates never quite reach 1)."""


def measurement(model: CapexModel, name: str) -> float:
    """Reporter for Mesa's DataCollector: this month's value of one measure."""
    return model.measures[name]


@dataclass(frozen=True)
class LineMap:
    """The agents behind each order line of the two downstream tiers, for one topology.

    Built once per compilation of the tiers (a new :class:`Tier` object comes only
    with a new topology), so that a step never searches a list or a dict for them.
    """

    tier: Tier
    """The distributor → buyer tier the map was built from."""
    buyer_lines: list[tuple[Buyer, int]]
    """(buyer, index of the channel) of each distributor → buyer line, in CSR order."""
    line_distributors: list[Distributor]
    """The distributor of each distributor → buyer line."""
    suppliers: list[Distributor]
    """The distributors of that tier, in CSR (supplier) order."""
    vendor_customers: list[Distributor]
    """The distributor of each vendor → distributor line."""
    vendor_books: list[tuple[int, int]]
    """The buyer lines ``a:b`` that each vendor → distributor line forwards."""

    @classmethod
    def build(cls, model: CapexModel, tier: Tier, vendor_tier: Tier) -> LineMap:
        """Look up every line's agents once."""
        buyers, distributors = model.buyers, model.distributors
        supplier = {d: s for s, d in enumerate(tier.suppliers)}
        return cls(
            tier=tier,
            buyer_lines=[(buyers[b], buyers[b].channels.index(d)) for d, b in tier.lines],
            line_distributors=[distributors[d] for d, _ in tier.lines],
            suppliers=[distributors[d] for d in tier.suppliers],
            vendor_customers=[distributors[d] for _, d in vendor_tier.lines],
            vendor_books=[(int(tier.indptr[supplier[d]]), int(tier.indptr[supplier[d] + 1]))
                          for _, d in vendor_tier.lines],
        )


class CapexModel(mesa.Model):
    """The AI-accelerator supply chain of one scenario.

    Parameters
    ----------
    scenario : Scenario, optional
        Defaults to ``Scenario()`` (the baseline).
    rng : int, optional
        Seed of the run (Mesa's ``batch_run`` passes it); default ``scenario.run.seed``.
    **overrides
        ``section__key=value`` (or ``"section.key": value``) changes to the scenario,
        validated like a scenario file.

    Examples
    --------
    >>> model = CapexModel(run__months=3)
    >>> model.run()["backlog"].size
    3
    """

    def __init__(self, scenario: Scenario | None = None, *, rng: int | None = None,
                 **overrides: Any) -> None:
        scenario = scenario or Scenario()
        if overrides:
            scenario = build_scenario(nest_overrides(overrides), base=scenario)
        self.seed = scenario.run.seed if rng is None else int(rng)
        streams = run_streams(self.seed)
        super().__init__(rng=streams["mesa"])
        self.config = scenario
        self.rule = scenario.allocation.rule
        self.graph = build_graph(scenario, streams["graph"])
        self.tiers = CompiledTiers(self.graph)
        months = scenario.run.months
        self.demand = end_demand_path(scenario.demand, months,
                                      streams["demand"].standard_normal(months))
        self._make_agents(streams["buyers"])
        self.ledger = Ledger()
        self._open_books()
        self.initial_fleet = sum(b.installed for b in self.buyers.values())
        self.units_sold_outside = 0.0
        """Seized units sold out of the modelled fleet (units)."""
        self.fire_discount = 0.0
        self.rental_price = scenario.market.rental_price_usd
        self.unit_value = 0.0
        self.performance = 1.0
        self.utilisation = 1.0
        self.operating_cost = scenario.market.operating_cost_usd
        self.earning_value = 0.0
        self.departed: list[Buyer] = []
        """Buyers that defaulted and left the graph (kept for the unit and cash accounts)."""

        self.industry_fleet: list[float] = []
        self.true_need_history: list[float] = []
        self.fab_output_total = sum(self.vendor.dies.pipeline)
        self.stacks_output_total = sum(self.vendor.stacks.pipeline)
        self.measures: dict[str, float] = {}
        self._line_map: LineMap | None = None
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(measurement, name=name) for name in MEASURES}
        )

    # ---- construction ---------------------------------------------------------------
    def _make_agents(self, rng: np.random.Generator) -> None:
        s = self.config
        g = self.graph
        fab_nodes = nodes_of_kind(g, "fab")
        hbm_nodes = nodes_of_kind(g, "hbm")
        # Steady state at step 0: components are in production at the suppliers' rate.
        dies = UpstreamLines([g.edges[n, "vendor"]["share"] for n in fab_nodes],
                             s.fab.cycle_time_months, s.fab.initial_capacity)
        stacks = UpstreamLines([g.edges[n, "vendor"]["share"] for n in hbm_nodes],
                               s.hbm.cycle_time_months, s.hbm.initial_capacity)
        self.vendor = Vendor(self, "vendor", s.vendor, dies, stacks,
                             max_inflation=s.ordering.max_inflation)
        self.fabs = [Fab(self, n, s.fab, s.fab.initial_capacity * g.edges[n, "vendor"]["share"])
                     for n in fab_nodes]
        self.hbm_suppliers = [
            HbmSupplier(self, n, s.hbm, s.hbm.initial_capacity * g.edges[n, "vendor"]["share"])
            for n in hbm_nodes
        ]
        self.distributors = {n: Distributor(self, n) for n in nodes_of_kind(g, "distributor")}
        buyer_nodes = nodes_of_kind(g, BUYER_KINDS)
        traits = self._draw_traits(rng, [g.nodes[n]["kind"] for n in buyer_nodes])
        classes = {"hyperscaler": Hyperscaler, "neocloud": Neocloud}
        self.buyers: dict[str, Buyer] = {}
        for node, trait in zip(buyer_nodes, traits, strict=True):
            channels = sorted((d for d in g.predecessors(node)
                               if g.nodes[d]["kind"] == "distributor"),
                              key=lambda d: g.edges[d, node]["channel"])
            self.buyers[node] = classes[g.nodes[node]["kind"]](
                self, node, trait, channels, s.buyers, s.ordering, float(self.demand[0])
            )
        self.lenders = {n: Lender(self, n, s.credit) for n in nodes_of_kind(g, "lender")}
        for node, buyer in self.buyers.items():
            if isinstance(buyer, Neocloud):
                (lender,) = (d for d in g.predecessors(node) if g.nodes[d]["kind"] == "lender")
                buyer.lender = self.lenders[lender]

    def _open_books(self) -> None:
        """Opening balance sheets: every firm's cash, fleets and capacity on the books."""
        f = self.config.finance
        life = f.accounting_life_years * 12.0
        price = self.config.vendor.base_price_usd
        for buyer in self.buyers.values():
            cash = f.hyperscaler_cash_usd if buyer.kind == "hyperscaler" else f.neocloud_cash_usd
            buyer.open_books(price, cash, life)
        self.vendor.open_books(f.supplier_cash_usd, self.config.fab.unit_price_usd,
                               self.config.hbm.unit_price_usd)
        for firm in self.fabs + self.hbm_suppliers:
            firm.open_books(f.supplier_cash_usd)
        for lender in self.lenders.values():
            self.ledger.open(lender, lender.kind, self.config.credit.lender_capital_usd)

    def _draw_traits(self, rng: np.random.Generator, kinds: list[str]) -> list[BuyerTraits]:
        """Buyer-level parameters spread around the scenario's (lognormal, seeded)."""
        s = self.config
        n = len(kinds)
        spread = s.buyers.heterogeneity

        def factor(scale: float = 1.0) -> np.ndarray:
            return np.exp(rng.normal(0.0, spread * scale, n))

        size = np.array([1.0 if k == "hyperscaler" else s.topology.neocloud_size for k in kinds])
        share = size * factor()
        share /= share.sum()
        # Within [1, cap]: no buyer inflates beyond ordering.max_inflation.
        inflation = 1.0 + (s.ordering.max_inflation - 1.0) * np.exp(-np.abs(
            rng.normal(0.0, spread, n)))
        # Below 1: a buyer whose threshold is 1 would perceive a shortage for ever.
        threshold = np.minimum(MAX_SHORTAGE_THRESHOLD,
                               s.ordering.shortage_threshold * factor(0.25))
        fill_tau = np.maximum(1.0, s.buyers.fill_smoothing_months * factor())
        forecast_tau = np.maximum(1.0, s.buyers.forecast_smoothing_months * factor())
        return [BuyerTraits(float(share[i]), float(inflation[i]), float(threshold[i]),
                            float(fill_tau[i]), float(forecast_tau[i])) for i in range(n)]

    # ---- the schedule -------------------------------------------------------------
    @property
    def month(self) -> int:
        """Index of the month being simulated (0 in the first step)."""
        return self.steps - 1

    def step(self) -> None:
        """One month, in the order of DESIGN §5 (money phases come with the finance issue)."""
        if self.month >= self.config.run.months:
            raise RuntimeError(f"the run has {self.config.run.months} months (run.months); "
                               "no demand is defined beyond them")
        self.ledger.start_month()
        self.update_demand()
        self.clear_markets()
        self.finance()
        self.buyers_plan()
        self.upstream_plans()
        self.measure_order_book()
        self.produce_and_allocate()
        self.account()
        self.datacollector.collect(self)
        self.running = self.month + 1 < self.config.run.months

    def update_demand(self) -> None:
        """Phase 1: this month's end demand."""
        self.measures = {"end_demand": float(self.demand[self.month]), "defaults": 0.0,
                         "fire_sale_units": 0.0, "lender_losses": 0.0, "cancellations": 0.0}

    @property
    def quarter_end(self) -> bool:
        """Whether this month closes a quarter of the run: quarters are counted from the
        start month, so that every quarter the boards compare is three months long."""
        return self.month % 3 == 2

    @property
    def price_per_unit(self) -> float:
        """What a buyer pays the vendor per H100-equivalent now (US$)."""
        return self.vendor.price / self.performance

    def components_cost(self, dies: float, stacks: float) -> float:
        """What ``dies`` and ``stacks`` cost the vendor now (US$; a new generation makes the
        components of an H100-equivalent cheaper)."""
        return (dies * self.config.fab.unit_price_usd
                + stacks * self.config.hbm.unit_price_usd) / self.performance

    @property
    def unit_cost(self) -> float:
        """What the components of one H100-equivalent cost the vendor now (US$)."""
        return self.components_cost(1.0, self.config.vendor.stacks_per_unit)

    def _revalue_units(self) -> None:
        self.unit_value = secondary_price(self.earning_value, self.price_per_unit,
                                          self.fire_discount)
        self.measures["price_secondary"] = self.unit_value

    def clear_markets(self) -> None:
        """Phase 1: the rental market clears; the secondary market values used units."""
        market = self.config.market
        fleet = sum(b.installed for b in self.buyers.values())
        self.performance = generation_performance(self.month, market)
        self.rental_price, self.utilisation = clear_rental_market(
            self.measures["end_demand"], fleet, market)
        self.earning_value = earning_value(self.rental_price, self.operating_cost, market)
        self.fire_discount = faded_discount(self.fire_discount, market)
        self._revalue_units()
        self.measures["price_rental"] = self.rental_price
        self.measures["rental_utilisation"] = self.utilisation

    def finance(self) -> None:
        """Phase 2: revenue, running costs, debt service; covenants, defaults, fire sales."""
        for lender in self.lenders.values():
            lender.rate = lender.monthly_rate()
        for buyer in self.buyers.values():
            buyer.earn(self.rental_price, self.utilisation, self.operating_cost)
        failed = [n for n in self.neoclouds() if not n.service_debt()]
        self._fire_sale(failed)
        if not self.quarter_end:
            return
        while True:  # a covenant call's fire sale can push others past their covenants
            called = []
            for neocloud in self.neoclouds():
                collateral = neocloud.owned * self.unit_value
                call = neocloud.lender.covenant_call(neocloud.node, collateral)
                if call > 0.0 and neocloud.cash_cents / 100.0 >= call:
                    neocloud.repay(call)
                elif call > 0.0:
                    called.append(neocloud)
            if not called:
                break
            self._fire_sale(called)

    def neoclouds(self) -> list[Neocloud]:
        """The neoclouds still in business."""
        return [b for b in self.buyers.values() if isinstance(b, Neocloud)]

    def _fire_sale(self, defaulted: list[Neocloud]) -> None:
        """Seize and sell the defaulters' GPUs; the sales depress the secondary price."""
        if not defaulted:
            return
        fleet = sum(b.installed for b in self.buyers.values())
        units = sum(self._default(neocloud) for neocloud in defaulted)
        self.fire_discount = add_fire_sales(self.fire_discount, units, fleet, self.config.market)
        self._revalue_units()
        self.measures["fire_sale_units"] += units

    def _default(self, neocloud: Neocloud) -> float:
        """A neocloud defaults: its lender sells its GPUs; it leaves the graph. Units sold."""
        ledger, lender = self.ledger, neocloud.lender
        units = neocloud.owned
        proceeds = units * self.unit_value
        principal = neocloud.debt
        ledger.pay(None, lender, proceeds, "collateral_sale")
        loss = lender.write_off(neocloud.node, proceeds)
        ledger.book(lender, loss, "loan_loss")
        if proceeds > principal:
            ledger.pay(lender, neocloud, proceeds - principal, "collateral_sale")
        # The GPUs are impaired to what they fetch; the rest of their book value leaves with
        # them as a sale, not a loss.
        ledger.book(neocloud, neocloud.book.write_down_to(proceeds), "impairment")
        neocloud.book.scale(0.0)
        neocloud.installed = 0.0
        neocloud.in_transit = deque([0.0] * len(neocloud.in_transit))
        self.units_sold_outside += units
        self.measures["cancellations"] += sum(neocloud.outstanding)  # orders that vanish
        self.departed.append(neocloud)
        del self.buyers[neocloud.node]
        self.graph.remove_node(neocloud.node)
        self.graph.graph["topology_version"] += 1
        neocloud.remove()
        self.measures["defaults"] += 1.0
        self.measures["lender_losses"] += loss
        return units

    def industry_projection(self) -> float:
        """The industry fleet extrapolated over the buyers' horizon (defensive term)."""
        if not self.industry_fleet:
            return self.measures["end_demand"]
        now = self.industry_fleet[-1]
        months = min(12, len(self.industry_fleet) - 1)
        past = self.industry_fleet[-1 - months]
        growth = (now / past) ** (1.0 / months) if past > 0.0 and months > 0 else 1.0
        cap = (1.0 + self.config.buyers.defensive_growth_cap_per_year) ** (1.0 / 12.0)
        return now * min(growth, cap) ** self.config.buyers.trend_horizon_months

    def buyers_plan(self) -> None:
        """Phase 3: buyers forecast, update their true need, order and cancel."""
        demand, projection = self.measures["end_demand"], self.industry_projection()
        # Counted as the buyers order: a board that freezes at this quarter's close froze
        # none of this month's orders.
        self.measures["freezes"] = float(sum(b.frozen for b in self.buyers.values()))
        for kind in (Hyperscaler, Neocloud):
            if kind in self.agents_by_type:
                self.agents_by_type[kind].shuffle_do("plan", demand, projection)
        new_need = sum(b.new_need for b in self.buyers.values())
        self.true_need_history.append(new_need)

    def lines(self) -> LineMap:
        """The agents behind each order line, looked up again only after a topology change."""
        tier = self.tiers["distributor"]
        if self._line_map is None or self._line_map.tier is not tier:
            self._line_map = LineMap.build(self, tier, self.tiers["vendor"])
        return self._line_map

    def upstream_plans(self) -> None:
        """Phase 4: distributors forward, the vendor orders components, suppliers invest."""
        lines = self.lines()
        orders = self.buyer_orders = np.array([b.outstanding[c] for b, c in lines.buyer_lines])
        self.distributor_orders = np.array(
            [d.order_with_vendor(orders[a:b].sum())
             for d, (a, b) in zip(lines.vendor_customers, lines.vendor_books, strict=True)],
            dtype=float)
        vendor_backlog = float(self.distributor_orders.sum())
        intake = sum(b.placed for b in self.buyers.values())
        self.vendor.plan_upstream(vendor_backlog, intake, self.binding_capacity())
        window = self.config.metrics.window_months
        # N̄ now needs only the last window of the history: O(window) a month, not O(months).
        recent_need = np.array(self.true_need_history[-window:])
        need_rate = float(trailing_need(recent_need, window)[-1])
        spu = self.config.vendor.stacks_per_unit
        self._plan_tier(self.fabs, self.vendor.dies, need_rate)
        self._plan_tier(self.hbm_suppliers, self.vendor.stacks, need_rate * spu)

    @staticmethod
    def _plan_tier(firms: list[CapacityFirm], lines: UpstreamLines, need_rate: float) -> None:
        for i, firm in enumerate(firms):
            firm.plan(lines.placed[i], lines.outstanding[i], need_rate * lines.shares[i])

    def binding_capacity(self) -> float:
        """Accelerators per month the component suppliers can support now."""
        spu = self.config.vendor.stacks_per_unit
        return min(sum(f.capacity for f in self.fabs),
                   sum(h.capacity for h in self.hbm_suppliers) / spu)

    def measure_order_book(self) -> None:
        """Backlog and need, both measured here: after ordering, before allocation."""
        buyers = self.buyers.values()
        m = self.measures
        m["true_need"] = self.true_need_history[-1]
        m["unfilled_need"] = sum(b.requirement for b in buyers)
        m["orders_placed"] = sum(b.placed for b in buyers)
        m["cancellations"] += sum(b.cancelled for b in buyers)
        m["backlog"] = sum(sum(b.outstanding) for b in buyers)
        m["vendor_backlog"] = self.vendor.backlog
        m["fab_backlog"] = sum(self.vendor.dies.outstanding)
        m["price_new"] = self.price_per_unit
        m["mean_expected_fill"] = float(np.mean([b.expected_fill for b in buyers]))
        m["share_duplicating"] = float(np.mean([b.active_channels() > 1 for b in buyers]))

    @property
    def _weighted(self) -> bool:
        """Whether the rule reads past-sales weights (only then are they gathered)."""
        return self.rule == "turn_and_earn"

    def _allocate(self, tier: Tier, capacity: np.ndarray, quantity: np.ndarray,
                  weight: np.ndarray | None) -> np.ndarray:
        """Units allocated to each of ``tier``'s order lines: the tier's kernel's ``out``,
        valid until the tier's next allocation."""
        kernel = tier.kernel(self.rule)
        # Stocks drawn down to zero can end a rounding error below it; the kernel needs >= 0.
        np.maximum(capacity, 0.0, out=kernel.capacity)
        kernel.quantity[:] = quantity
        if weight is not None:
            kernel.weight[:] = weight
        kernel()
        return kernel.out

    def _supply_components(self, firms: list[CapacityFirm], lines: UpstreamLines,
                           tier: Tier) -> float:
        capacity = np.array([f.capacity for f in firms])
        ordered = np.array(lines.outstanding)
        weight = np.array(lines.shares) + 1e-9 if self._weighted else None
        shipped = self._allocate(tier, capacity, ordered, weight)
        for i, (firm, units) in enumerate(zip(firms, shipped.tolist(), strict=True)):
            lines.ship(i, units)
            firm.record_output(units)
            cost = units * firm.params.unit_price_usd / self.performance
            self.vendor.pay_supplier(firm, cost)
            firm.sell(cost)
        lines.advance(float(shipped.sum()), float(ordered.sum()))
        return float(shipped.sum())

    def produce_and_allocate(self) -> None:
        """Phase 5: production and allocation, tier by tier, through the kernel."""
        self.fab_output_total += self._supply_components(self.fabs, self.vendor.dies,
                                                         self.tiers["fab"])
        self.stacks_output_total += self._supply_components(self.hbm_suppliers,
                                                            self.vendor.stacks, self.tiers["hbm"])
        self.vendor.produce()
        lines = self.lines()
        distributors = lines.vendor_customers
        weight = (np.array([d.past_sales for d in distributors]) + 1.0 if self._weighted
                  else None)
        to_distributors = self._allocate(self.tiers["vendor"], np.array([self.vendor.finished]),
                                         self.distributor_orders, weight)
        for distributor, units in zip(distributors, to_distributors.tolist(), strict=True):
            self.vendor.ship(units)
            distributor.receive(units)
            distributor.record_sales(units)
        inventory = np.array([d.inventory for d in lines.suppliers])
        weight = (np.array([b.past_sales[c] for b, c in lines.buyer_lines]) + 1.0
                  if self._weighted else None)
        to_buyers = self._allocate(lines.tier, inventory, self.buyer_orders, weight)
        for (buyer, c), units, distributor in zip(lines.buyer_lines, to_buyers.tolist(),
                                                  lines.line_distributors, strict=True):
            buyer.receive(c, units)
            distributor.ship(units)
        declined = 0.0
        price, unit_cost = self.price_per_unit, self.unit_cost
        for buyer in self.buyers.values():
            back = sum(buyer.settle(price, self.unit_value))
            self.vendor.take_back(back)
            declined += back
            self.vendor.cost_of_sales(buyer.accepted, unit_cost)
        m = self.measures
        m["declined"] = declined
        m["shipments"] = sum(b.accepted for b in self.buyers.values())
        m["output"] = self.vendor.output
        due = sum(b.due_total for b in self.buyers.values())
        on_time = sum(min(b.received_total, b.due_total) for b in self.buyers.values())
        m["fill_rate"] = on_time / due if due > 0.0 else 1.0
        need = m["unfilled_need"]
        m["need_fill_rate"] = min(1.0, m["shipments"] / need) if need > 0.0 else 1.0

    def account(self) -> None:
        """Phase 6: depreciation, impairments, inventory valuation; the month's measures."""
        self.close_books()
        buyers = self.buyers.values()
        fleet = sum(b.owned for b in buyers)
        self.industry_fleet.append(fleet)
        spu = self.config.vendor.stacks_per_unit
        fab_cap = sum(f.capacity for f in self.fabs)
        hbm_cap = sum(h.capacity for h in self.hbm_suppliers)
        m = self.measures
        m["installed_fleet"] = sum(b.installed for b in buyers)
        m["capacity_fab"] = fab_cap
        m["capacity_hbm"] = hbm_cap / spu
        m["utilisation_fab"] = utilisation(sum(f.output for f in self.fabs), fab_cap)
        m["utilisation_hbm"] = utilisation(sum(h.output for h in self.hbm_suppliers), hbm_cap)
        m["inventory"] = self.vendor.finished + sum(d.inventory for d in self.distributors.values())
        m["neocloud_debt"] = sum(n.debt for n in self.neoclouds())

    def close_books(self) -> None:
        """Month-end accounts of every firm, and the money measures of the month."""
        quarter_end, ledger, m = self.quarter_end, self.ledger, self.measures
        capex = sum(b.capex_month for b in self.buyers.values())
        for buyer in self.buyers.values():
            buyer.close_month(self.earning_value, quarter_end)
        for firm in self.fabs + self.hbm_suppliers:
            firm.close_month()
        if quarter_end:
            v, spu = self.vendor, self.config.vendor.stacks_per_unit
            dies = v.dies.inventory + sum(v.dies.pipeline)
            stacks = v.stacks.inventory + sum(v.stacks.pipeline)
            kits = min(dies, stacks / spu)
            held = v.finished + sum(d.inventory for d in self.distributors.values()) + kits
            # Components not yet matched into a unit keep their cost.
            spares = self.components_cost(dies - kits, stacks - kits * spu)
            v.write_down_inventory(held, self.unit_cost, self.unit_value, spares)
        for lender in self.lenders.values():
            lender.close_month()
        m["capex"] = capex
        # From the ledger: a neocloud that defaulted this month earned before it left.
        m["revenue"] = revenue = ledger.month_total("compute_revenue")
        m["revenue_gap"] = self.config.finance.required_revenue_multiple * capex - revenue
        m["capex_suppliers"] = -ledger.month_total("capex")
        m["loans_made"] = ledger.month_total("loan_drawn", "neocloud")
        m["depreciation"] = ledger.month_total("depreciation")
        m["idle_capacity_cost"] = sum(f.idle_cost for f in self.fabs + self.hbm_suppliers)
        for kind in WRITEDOWN_KINDS:
            m[f"writedowns_{kind}"] = sum(ledger.month_total(account, kind) for account in
                                          ("impairment", "inventory_writedown", "loan_loss"))

    # ---- checks and results ---------------------------------------------------------
    def cash_holders(self) -> list[Any]:
        """Every firm that holds cash, including buyers that defaulted and left."""
        return [*self.buyers.values(), *self.departed, self.vendor, *self.fabs,
                *self.hbm_suppliers, *self.lenders.values()]

    def unit_balance(self) -> dict[str, float]:
        """Residuals of the unit accounts (zero up to rounding when units are conserved).

        ``dies``: fab output = dies in the pipeline and in stock + dies built into units;
        ``stacks``: the same for HBM stacks; ``accelerators``: units built + the fleet at
        step 0 = vendor stock + distributor stock + buyers' fleets, in transit and retired.
        """
        v = self.vendor
        spu = self.config.vendor.stacks_per_unit
        everyone = [*self.buyers.values(), *self.departed]
        held = sum(b.owned + b.retired for b in everyone)
        held += self.units_sold_outside
        return {
            "dies": self.fab_output_total - (v.dies.inventory + sum(v.dies.pipeline)
                                             + v.produced_total),
            "stacks": self.stacks_output_total - (v.stacks.inventory + sum(v.stacks.pipeline)
                                                  + v.produced_total * spu),
            "accelerators": v.produced_total + self.initial_fleet - (v.finished + held + sum(
                d.inventory for d in self.distributors.values())),
        }

    def run(self, months: int | None = None) -> dict[str, np.ndarray]:
        """Step through the run; return each measure as an array over months."""
        for _ in range(self.config.run.months if months is None else months):
            self.step()
        frame = self.datacollector.model_vars
        return {name: np.asarray(frame[name], dtype=float) for name in MEASURES}

    def dates(self, months: int) -> list[str]:
        """Calendar month ("YYYY-MM") of each step."""
        start = datetime.date.fromisoformat(self.config.run.start_date + "-01")
        index = [start.year * 12 + start.month - 1 + i for i in range(months)]
        return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in index]

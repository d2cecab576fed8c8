"""The capex-abm model: agents wired on the supply graph, and the monthly schedule.

The model is wiring. :meth:`CapexModel.step` is the schedule of DESIGN §5 as a
list of phases; the rules live in the agents (``agents/``), the rationing in
the kernel (:mod:`abm.allocation`), end demand in :mod:`abm.markets`.
Every tier's allocation goes through :func:`abm.allocation.allocate_unchecked`
on arrays laid out by :mod:`abm.graph`.
"""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

import mesa
import numpy as np

from abm.allocation import RULES, allocate_unchecked
from abm.config import Scenario, build_scenario, nest_overrides
from abm.graph import BUYER_KINDS, CompiledTiers, Tier, build_graph, nodes_of_kind
from abm.markets import end_demand_path
from abm.metrics import trailing_need
from abm.seeding import run_streams
from agents.buyer import Buyer, BuyerTraits
from agents.capacity_firm import CapacityFirm
from agents.distributor import Distributor
from agents.fab import Fab
from agents.hbm import HbmSupplier
from agents.hyperscaler import Hyperscaler
from agents.neocloud import Neocloud
from agents.vendor import UpstreamLines, Vendor

MEASURES = (
    "end_demand", "true_need", "unfilled_need", "orders_placed", "backlog", "cancellations",
    "shipments", "declined", "output", "capacity_fab", "capacity_hbm", "utilisation_fab",
    "utilisation_hbm", "fill_rate", "price_new", "installed_fleet", "vendor_backlog",
    "fab_backlog", "inventory", "mean_expected_fill", "share_duplicating",
)
"""Columns measured each month (units: accelerators, or per month for flows)."""


def measurement(model: CapexModel, name: str) -> float:
    """Reporter for Mesa's DataCollector: this month's value of one measure."""
    return model.measures[name]


def utilisation(output: float, capacity: float) -> float:
    """Output ÷ capacity in [0, 1] (rounding can put a full allocation a hair above 1)."""
    return min(1.0, output / capacity) if capacity > 0.0 else 0.0


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
        self.rule = RULES[scenario.allocation.rule]
        self.graph = build_graph(scenario, streams["graph"])
        self.tiers = CompiledTiers(self.graph)
        months = scenario.run.months
        self.demand = end_demand_path(scenario.demand, months,
                                      streams["demand"].standard_normal(months))
        self._make_agents(streams["buyers"])
        self.initial_fleet = sum(b.installed for b in self.buyers.values())
        self.industry_fleet: list[float] = []
        self.true_need_history: list[float] = []
        self.fab_output_total = 0.0
        self.stacks_output_total = 0.0
        self.measures: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(measurement, name=name) for name in MEASURES}
        )

    # ---- construction ---------------------------------------------------------------
    def _make_agents(self, rng: np.random.Generator) -> None:
        s = self.config
        g = self.graph
        fab_nodes = nodes_of_kind(g, "fab")
        hbm_nodes = nodes_of_kind(g, "hbm")
        self.vendor = Vendor(
            self, "vendor", s.vendor,
            fab_shares=[g.edges[n, "vendor"]["share"] for n in fab_nodes],
            hbm_shares=[g.edges[n, "vendor"]["share"] for n in hbm_nodes],
            fab_cycle=s.fab.cycle_time_months, hbm_cycle=s.hbm.cycle_time_months,
            max_inflation=s.ordering.max_inflation,
        )
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
            channels = sorted(g.predecessors(node), key=lambda d: g.edges[d, node]["channel"])
            self.buyers[node] = classes[g.nodes[node]["kind"]](
                self, node, trait, channels, s.buyers, s.ordering, float(self.demand[0])
            )

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
        inflation = 1.0 + (s.ordering.max_inflation - 1.0) * factor()
        threshold = np.minimum(1.0, s.ordering.shortage_threshold * factor(0.25))
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
        self.update_demand()
        self.buyers_plan()
        self.upstream_plans()
        self.measure_order_book()
        self.produce_and_allocate()
        self.account()
        self.datacollector.collect(self)
        self.running = self.month + 1 < self.config.run.months

    def update_demand(self) -> None:
        """Phase 1: this month's end demand."""
        self.measures = {"end_demand": float(self.demand[self.month])}

    def industry_projection(self) -> float:
        """The industry fleet extrapolated over the buyers' horizon (defensive term)."""
        if not self.industry_fleet:
            return self.measures["end_demand"]
        now = self.industry_fleet[-1]
        past = self.industry_fleet[max(0, len(self.industry_fleet) - 12)]
        months = min(12, len(self.industry_fleet))
        growth = (now / past) ** (1.0 / months) if past > 0.0 else 1.0
        return now * min(growth, 1.2) ** self.config.buyers.trend_horizon_months

    def buyers_plan(self) -> None:
        """Phase 3: buyers forecast, update their true need, order and cancel."""
        demand, projection = self.measures["end_demand"], self.industry_projection()
        for kind in (Hyperscaler, Neocloud):
            if kind in self.agents_by_type:
                self.agents_by_type[kind].shuffle_do("plan", demand, projection)
        new_need = sum(b.new_need for b in self.buyers.values())
        self.true_need_history.append(new_need)

    def _buyer_lines(self, tier: Tier) -> list[tuple[Buyer, int]]:
        return [(self.buyers[b], self.buyers[b].channels.index(d)) for d, b in tier.lines]

    def upstream_plans(self) -> None:
        """Phase 4: distributors forward, the vendor orders components, suppliers invest."""
        tier = self.tiers["distributor"]
        self.buyer_orders = np.array([b.outstanding[c] for b, c in self._buyer_lines(tier)])
        vendor_tier = self.tiers["vendor"]
        self.distributor_orders = np.empty(len(vendor_tier.lines))
        for e, (_, d) in enumerate(vendor_tier.lines):
            s = tier.suppliers.index(d)
            book = self.buyer_orders[tier.indptr[s]:tier.indptr[s + 1]].sum()
            self.distributor_orders[e] = self.distributors[d].order_with_vendor(book)
        vendor_backlog = float(self.distributor_orders.sum())
        intake = sum(b.placed for b in self.buyers.values())
        self.vendor.plan_upstream(vendor_backlog, intake, self.binding_capacity())
        window = self.config.metrics.window_months
        need_rate = float(trailing_need(np.array(self.true_need_history), window)[-1])
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
        m["cancellations"] = sum(b.cancelled for b in buyers)
        m["backlog"] = sum(sum(b.outstanding) for b in buyers)
        m["vendor_backlog"] = self.vendor.backlog
        m["fab_backlog"] = sum(self.vendor.dies.outstanding)
        m["price_new"] = self.vendor.price
        m["mean_expected_fill"] = float(np.mean([b.expected_fill for b in buyers]))
        m["share_duplicating"] = float(np.mean([b.active_channels() > 1 for b in buyers]))

    def _allocate(self, tier: Tier, capacity: np.ndarray, quantity: np.ndarray,
                  weight: np.ndarray) -> np.ndarray:
        out = np.empty_like(quantity)
        allocate_unchecked(capacity, tier.indptr, quantity, self.rule, tier.priority, weight, out)
        return out

    def _supply_components(self, firms: list[CapacityFirm], lines: UpstreamLines,
                           tier: Tier) -> float:
        capacity = np.array([f.capacity for f in firms])
        ordered = np.array(lines.outstanding)
        shipped = self._allocate(tier, capacity, ordered, np.array(lines.shares) + 1e-9)
        for i, firm in enumerate(firms):
            lines.ship(i, float(shipped[i]))
            firm.record_output(float(shipped[i]))
        lines.advance(float(shipped.sum()), float(ordered.sum()))
        return float(shipped.sum())

    def produce_and_allocate(self) -> None:
        """Phase 5: production and allocation, tier by tier, through the kernel."""
        self.fab_output_total += self._supply_components(self.fabs, self.vendor.dies,
                                                         self.tiers["fab"])
        self.stacks_output_total += self._supply_components(self.hbm_suppliers,
                                                            self.vendor.stacks, self.tiers["hbm"])
        self.vendor.produce()
        vendor_tier = self.tiers["vendor"]
        distributors = [self.distributors[d] for _, d in vendor_tier.lines]
        weight = np.array([d.past_sales for d in distributors]) + 1.0
        to_distributors = self._allocate(vendor_tier, np.array([self.vendor.finished]),
                                         self.distributor_orders, weight)
        for distributor, units in zip(distributors, to_distributors, strict=True):
            self.vendor.ship(float(units))
            distributor.receive(float(units))
            distributor.record_sales(float(units))
        tier = self.tiers["distributor"]
        lines = self._buyer_lines(tier)
        inventory = np.array([self.distributors[d].inventory for d in tier.suppliers])
        weight = np.array([b.past_sales[c] for b, c in lines]) + 1.0
        to_buyers = self._allocate(tier, inventory, self.buyer_orders, weight)
        for (buyer, c), units, (d, _) in zip(lines, to_buyers, tier.lines, strict=True):
            buyer.receive(c, float(units))
            self.distributors[d].ship(float(units))
        declined = 0.0
        for buyer in self.buyers.values():
            for c, back in enumerate(buyer.settle()):
                if back > 0.0:
                    self.distributors[buyer.channels[c]].receive(back)
                    declined += back
        m = self.measures
        m["declined"] = declined
        m["shipments"] = sum(b.accepted for b in self.buyers.values())
        m["output"] = self.vendor.output
        due = sum(b.due_total for b in self.buyers.values())
        on_time = sum(min(b.received_total, b.due_total) for b in self.buyers.values())
        m["fill_rate"] = on_time / due if due > 0.0 else 1.0

    def account(self) -> None:
        """Phase 6: fleets and capacity of the month (money comes with the finance issue)."""
        buyers = self.buyers.values()
        fleet = sum(b.installed + sum(b.in_transit) for b in buyers)
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

    # ---- checks and results ---------------------------------------------------------
    def unit_balance(self) -> dict[str, float]:
        """Residuals of the unit accounts (zero up to rounding when units are conserved).

        ``dies``: fab output = dies in the pipeline and in stock + dies built into units;
        ``stacks``: the same for HBM stacks; ``accelerators``: units built + the fleet at
        step 0 = vendor stock + distributor stock + buyers' fleets, in transit and retired.
        """
        v = self.vendor
        spu = self.config.vendor.stacks_per_unit
        held = sum(b.installed + sum(b.in_transit) + b.retired for b in self.buyers.values())
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

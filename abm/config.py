"""The scenario: every parameter of capex-abm with its name, unit, default and source.

A scenario is a tree of frozen dataclasses, one per TOML section; each field is
declared with :func:`param`, which records its unit, its source (a citation or
the word "assumption") and its allowed values. :func:`load_scenario` reads a
TOML file, :func:`build_scenario` a nested mapping; both reject unknown keys,
wrong types, out-of-range values, NaN and impossible combinations with a
:class:`ScenarioError` naming the key, the value and what was expected, before
anything runs. :func:`parameter_reference` generates the documentation from the
same declarations, so it cannot drift.

Sources marked [S] are secondary (press, trade research), [C] company filings
or papers, [A] assumptions of the thesis; see ``shared/FACTS.md``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"


class ScenarioError(ValueError):
    """A scenario key has a value the model cannot run with."""


def param(default: Any, unit: str, source: str, doc: str, *, ge: float | None = None,
          gt: float | None = None, le: float | None = None,
          choices: tuple[str, ...] | None = None) -> Any:
    """Declare one parameter: default, unit, source, meaning and allowed range."""
    meta = {"unit": unit, "source": source, "doc": doc, "ge": ge, "gt": gt, "le": le,
            "choices": choices}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RunParams:
    """Time frame of a run."""

    start_date: str = param("2023-01", "YYYY-MM", "DESIGN §2", "calendar month of step 0")
    months: int = param(120, "months", "DESIGN §2", "number of monthly steps", ge=1)
    seed: int = param(1, "-", "assumption", "root seed of the run (numpy SeedSequence)", ge=0)


@dataclass(frozen=True)
class TopologyParams:
    """Who is in the supply graph and which links exist."""

    hyperscalers: int = param(4, "firms", "[S] the four largest (MSFT, GOOGL, AMZN, META)",
                              "cash-rich buyers", ge=0)
    neoclouds: int = param(6, "firms", "assumption", "debt-financed buyers", ge=0)
    neocloud_size: float = param(0.1, "ratio", "assumption",
                                 "a neocloud's demand share relative to a hyperscaler's", gt=0)
    distributors: int = param(3, "firms", "assumption", "server OEMs between vendor and buyers",
                              ge=1)
    channels_per_buyer: int = param(2, "distributors", "assumption",
                                    "distributors each buyer can order through", ge=1)
    fabs: int = param(1, "firms", "[S] TSMC makes the dies and CoWoS packaging", "foundries",
                      ge=1)
    hbm_suppliers: int = param(3, "firms", "[S] SK hynix, Samsung, Micron", "HBM makers", ge=1)
    hbm_shares: list = param([0.5, 0.4, 0.1], "share", "[S] HBM market shares 2022",
                             "share of the vendor's HBM orders placed with each supplier")


@dataclass(frozen=True)
class DemandParams:
    """End demand for AI compute, in installed H100-equivalent units it needs."""

    initial_units: float = param(1.0e6, "units", "assumption (order of the 2023 installed base)",
                                 "AI work at step 0, as the fleet that serves it", gt=0)
    saturation_units: float = param(2.0e7, "units", "assumption",
                                    "AI work when adoption saturates (before efficiency)", gt=0)
    midpoint_month: float = param(48.0, "months", "assumption",
                                  "month of fastest adoption (logistic midpoint)")
    steepness_per_month: float = param(0.06, "1/month", "assumption",
                                       "logistic adoption rate", gt=0)
    efficiency_gain_per_year: float = param(0.1, "share/year", "assumption (Q5)",
                                            "fall of compute per unit of AI work each year",
                                            ge=0, le=0.9)
    edge_share_final: float = param(0.2, "share", "assumption (Q5)",
                                    "share of AI work that moves to devices in the long run",
                                    ge=0, le=1)
    edge_midpoint_month: float = param(60.0, "months", "assumption",
                                       "month at which half of the final edge share has moved",
                                       gt=0)
    noise_sd: float = param(0.01, "log-units", "assumption",
                            "monthly multiplicative noise on end demand", ge=0)


@dataclass(frozen=True)
class BuyerParams:
    """Forecasting and fleet rules shared by hyperscalers and neoclouds."""

    initial_fleet_ratio: float = param(0.7, "ratio", "assumption (the 2023 shortage)",
                                       "installed fleet at step 0 ÷ end demand", ge=0)
    forecast_smoothing_months: float = param(3.0, "months", "Sterman (1989) anchoring",
                                             "exponential smoothing time of demand", ge=1)
    trend_smoothing_months: float = param(12.0, "months", "assumption (Sterman 1987: trends "
                                          "are perceived slowly)",
                                          "smoothing time of the perceived demand trend", ge=1)
    trend_horizon_months: float = param(12.0, "months", "assumption (data-centre planning)",
                                        "how far ahead buyers extrapolate the demand trend",
                                        ge=0)
    defensive_weight: float = param(0.3, "share", "assumption",
                                    "weight on matching the industry fleet's growth", ge=0,
                                    le=1)
    defensive_growth_cap_per_year: float = param(2.0, "1/year", "assumption",
                                                 "cap on the industry fleet growth buyers "
                                                 "extrapolate in the defensive term", ge=0)
    fleet_life_months: float = param(60.0, "months", "[S] accounting lives 4–6 years",
                                     "mean service life of an installed unit", gt=0)
    install_lag_months: int = param(1, "months", "assumption",
                                    "delivery to installation", ge=0)
    fill_smoothing_months: float = param(3.0, "months", "assumption",
                                         "smoothing time of the expected fill rate", ge=1)
    heterogeneity: float = param(0.2, "log-sd", "assumption",
                                 "spread of buyer-level parameters drawn from the seed", ge=0)


@dataclass(frozen=True)
class OrderingParams:
    """How buyers game a shortage (Q1)."""

    inflation: bool = param(True, "switch", "[A] thesis; Cachon & Lariviere (1999)",
                            "order need ÷ expected fill rate under rationing")
    max_inflation: float = param(2.0, "ratio", "[A] a 20k need ordered as 40k",
                                 "cap on the inflation factor", ge=1)
    duplicate_channels: int = param(2, "distributors", "[A] thesis",
                                    "channels a buyer places its need on in a shortage", ge=1)
    shortage_threshold: float = param(0.9, "fill rate", "assumption",
                                      "expected fill rate below which a shortage is perceived",
                                      gt=0, le=1)
    cancellation_lag_months: int = param(1, "months", "assumption",
                                         "how long a surplus order persists before cancelling",
                                         ge=0)
    requested_lead_months: int = param(3, "months", "[S] 8–12 week lead times in 2024",
                                       "quoted lead time: an order is due this long after it "
                                       "was placed", ge=0)


@dataclass(frozen=True)
class AllocationParams:
    """The rationing rule every supplier applies (Q2)."""

    rule: str = param("proportional", "-", "Cachon & Lariviere (1999)",
                      "how a short supplier shares its output among orders",
                      choices=("proportional", "uniform", "lexicographic", "turn_and_earn"))


@dataclass(frozen=True)
class VendorParams:
    """The fabless chip vendor."""

    stacks_per_unit: float = param(6.0, "stacks/unit", "[S] H100 carries 5–6 HBM stacks",
                                   "HBM stacks in one accelerator", gt=0)
    cover_months: float = param(2.0, "months", "assumption",
                                "component orders cover the backlog plus this much intake",
                                ge=0)
    adjustment_months: float = param(2.0, "months", "Sterman (1989) anchoring",
                                     "time to close the gap to its component order target",
                                     ge=1)
    inflation: bool = param(False, "switch", "assumption",
                            "the vendor inflates its own upstream orders by 1 ÷ fill rate")
    base_price_usd: float = param(30000.0, "US$/unit", "[S] H100 ≈ $25–40k",
                                  "price of a new unit with a normal order book", gt=0)
    price_sensitivity: float = param(0.3, "-", "assumption",
                                     "price rise per month of backlog above normal", ge=0)
    max_price_multiple: float = param(1.5, "ratio", "[S] H100 ≈ $25k list, up to ≈ $40k",
                                      "cap on the price ÷ base price in a shortage", ge=1)
    normal_backlog_months: float = param(3.0, "months", "[S] 8–12 week lead times",
                                         "order book the vendor considers normal", gt=0)


@dataclass(frozen=True)
class CapacityParams:
    """A capacity tier (fab, HBM) that invests from the demand signal it sees (Q3)."""

    initial_capacity: float = param(1.0e5, "units/month", "assumption",
                                    "capacity at step 0, the tier's firms together", ge=0)
    lead_time_months: int = param(24, "months", "Armony & Plambeck (2005); [S]",
                                  "from investment decision to usable capacity", ge=0)
    cycle_time_months: int = param(3, "months", "assumption",
                                   "from start of production to delivery to the vendor", ge=0)
    planning_signal: str = param("backlog", "-", "Armony & Plambeck (2005)",
                                 "what capacity is planned on: the order backlog seen, order "
                                 "intake only, or the buyers' true need",
                                 choices=("backlog", "intake", "true_need"))
    backlog_clear_months: float = param(6.0, "months", "assumption",
                                        "the backlog counts as demand spread over this time",
                                        gt=0)
    intake_smoothing_months: float = param(3.0, "months", "assumption",
                                           "smoothing time of the order intake rate", ge=1)
    adjustment_months: float = param(6.0, "months", "assumption",
                                     "share of the capacity gap started each month = 1 ÷ this",
                                     ge=1)
    unit_price_usd: float = param(4000.0, "US$/unit", "assumption",
                                  "price the vendor pays per unit of output", ge=0)
    capex_per_capacity_usd: float = param(1.5e5, "US$ per unit/month", "assumption",
                                          "cost of one unit per month of new capacity", ge=0)
    asset_life_months: float = param(60.0, "months", "assumption",
                                     "depreciation life of capacity (idle or not)", gt=0)
    variable_cost_share: float = param(0.3, "share", "assumption",
                                       "variable cost of output as a share of its price",
                                       ge=0, le=1)


@dataclass(frozen=True)
class FabParams(CapacityParams):
    """Foundry tier: logic dies and advanced packaging (CoWoS), in accelerators per month."""

    initial_capacity: float = param(1.2e5, "units/month", "[S] ≈0.5M units shipped in Q3 2023",
                                    "capacity at step 0, all fabs together", ge=0)
    lead_time_months: int = param(18, "months", "assumption; [S] CoWoS doubled in 2024 and 2025",
                                  "from investment decision to usable capacity", ge=0)
    cycle_time_months: int = param(3, "months", "assumption",
                                   "from wafer start to packaged die at the vendor", ge=0)
    unit_price_usd: float = param(4000.0, "US$/unit", "assumption (die + CoWoS per GPU)",
                                  "price the vendor pays per packaged die", ge=0)
    capex_per_capacity_usd: float = param(1.5e5, "US$ per unit/month", "assumption",
                                          "cost of one packaged die per month of new capacity",
                                          ge=0)


@dataclass(frozen=True)
class HbmParams(CapacityParams):
    """HBM tier: memory stacks, split among suppliers by ``topology.hbm_shares``."""

    initial_capacity: float = param(7.2e5, "stacks/month", "assumption (6 stacks × fab output)",
                                    "capacity at step 0, all HBM suppliers together", ge=0)
    lead_time_months: int = param(15, "months", "assumption",
                                  "from investment decision to usable capacity", ge=0)
    cycle_time_months: int = param(2, "months", "assumption",
                                   "from wafer start to stack at the vendor", ge=0)
    unit_price_usd: float = param(1200.0, "US$/stack", "[S] HBM3 ≈ $1–1.5k per stack",
                                  "price the vendor pays per HBM stack", ge=0)
    capex_per_capacity_usd: float = param(2.5e4, "US$ per stack/month", "assumption",
                                          "cost of one stack per month of new capacity", ge=0)


@dataclass(frozen=True)
class MarketParams:
    """Compute rental market and secondary GPU market (environment)."""

    rental_price_usd: float = param(2000.0, "US$/unit-month", "[S] H100 ≈ $2–4 per GPU-hour",
                                    "rental price of an H100-equivalent when demand equals "
                                    "the fleet", gt=0)
    price_elasticity: float = param(1.0, "-", "assumption (Q5, Jevons)",
                                    "elasticity of compute demand to the rental price", gt=0)
    operating_cost_usd: float = param(300.0, "US$/unit-month", "assumption (power, hosting)",
                                      "cash cost of running one unit; the rental price floor",
                                      ge=0)
    generation_months: int = param(24, "months", "DESIGN §2",
                                   "a new accelerator generation arrives this often", ge=1)
    generation_speedup: float = param(2.0, "ratio", "assumption (H100 → B200)",
                                      "H100-equivalents per unit of a new generation ÷ previous",
                                      ge=1)
    economic_life_months: float = param(48.0, "months", "[A] 3–4 years (the thesis)",
                                        "earning life of a unit the secondary market prices",
                                        gt=0)
    discount_rate_annual: float = param(0.10, "1/year", "assumption",
                                        "discount rate of the secondary market", ge=0, le=1)
    fire_sale_impact: float = param(2.0, "-", "assumption",
                                    "fall of the secondary price per fire-sold unit, relative "
                                    "to the market's depth", ge=0)
    depth_share: float = param(0.02, "share of fleet/month", "assumption",
                               "depth of the secondary market: one fire sale of this share of "
                               "the fleet divides the price by 1 + fire_sale_impact (sales "
                               "compound)",
                               gt=0)
    fire_sale_recovery_months: float = param(6.0, "months", "assumption",
                                             "time for a fire-sale discount to fade", ge=1)


@dataclass(frozen=True)
class FinanceParams:
    """Accounting and corporate finance of the buyers (Q4, Q7)."""

    accounting_life_years: float = param(6.0, "years", "[S] MSFT, GOOGL, AMZN: 6 years",
                                         "straight-line depreciation life of GPUs", gt=0)
    required_revenue_multiple: float = param(2.0, "ratio", "[A] thesis: revenue ≈ 2 × capex",
                                             "revenue needed per dollar of capex", ge=0)
    hyperscaler_cash_usd: float = param(5.0e10, "US$/firm", "assumption",
                                        "cash of each hyperscaler at step 0", ge=0)
    hyperscaler_other_cash_flow_usd: float = param(4.0e9, "US$/firm-month", "assumption",
                                                   "cash flow from businesses other than AI "
                                                   "compute", ge=0)
    hyperscaler_credit_line_usd: float = param(5.0e10, "US$/firm", "assumption",
                                               "unsecured borrowing available to a "
                                               "hyperscaler", ge=0)
    corporate_rate_annual: float = param(0.05, "1/year", "assumption",
                                         "interest on hyperscalers' borrowing", ge=0, le=1)
    neocloud_cash_usd: float = param(1.0e9, "US$/firm", "assumption",
                                     "cash of each neocloud at step 0", ge=0)
    supplier_cash_usd: float = param(2.0e10, "US$/firm", "assumption",
                                     "cash of the vendor, each fab and each HBM maker at step 0",
                                     ge=0)


@dataclass(frozen=True)
class CreditParams:
    """Lenders to neoclouds and their GPU collateral (Q8)."""

    lenders: int = param(2, "firms", "assumption", "lenders to neoclouds", ge=1)
    max_ltv: float = param(0.7, "ratio", "assumption ([C] CoreWeave delayed-draw facilities)",
                           "loan ÷ market value of the GPUs it is secured on", ge=0, le=1)
    covenant_ltv: float = param(0.85, "ratio", "assumption",
                                "LTV above which a quarterly test calls for repayment",
                                ge=0, le=1)
    base_rate_annual: float = param(0.08, "1/year", "[C] CoreWeave ≈ 11–15 % effective",
                                    "lenders' funding rate", ge=0, le=1)
    spread_annual: float = param(0.04, "1/year", "[C] CoreWeave ≈ 11–15 % effective",
                                 "spread over the base rate with no default experience",
                                 ge=0, le=1)
    spread_sensitivity: float = param(1.0, "-", "assumption",
                                      "spread increase per unit of trailing 12-month loss rate",
                                      ge=0)
    loan_term_months: int = param(48, "months", "assumption",
                                  "straight amortisation of each loan", ge=1)
    lender_capital_usd: float = param(2.0e10, "US$/firm", "assumption",
                                      "cash each lender can lend at step 0", ge=0)


@dataclass(frozen=True)
class DisciplineParams:
    """Capital-market discipline on hyperscalers (Q6)."""

    enabled: bool = param(True, "switch", "[A] thesis", "boards may freeze uncommitted orders")
    quarters: int = param(2, "quarters", "[A] two quarters of rising capex",
                          "consecutive quarters of rising capex with decelerating revenue "
                          "growth that trigger a freeze", ge=1)
    freeze_quarters: int = param(2, "quarters", "assumption",
                                 "how long a freeze lasts", ge=1)


@dataclass(frozen=True)
class MetricsParams:
    """Definitions of the run's summary outcomes (DESIGN §7)."""

    window_months: int = param(12, "months", "DESIGN §7", "trailing window of the need N̄", ge=1)
    collapse_share: float = param(0.25, "share", "assumption",
                                  "fall of the phantom excess within 3 months, as a share of "
                                  "the peak backlog, that counts as a collapse", gt=0, le=1)


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario (every field defaulted: ``Scenario()`` runs)."""

    name: str = "baseline"
    description: str = ""
    run: RunParams = field(default_factory=RunParams)
    topology: TopologyParams = field(default_factory=TopologyParams)
    demand: DemandParams = field(default_factory=DemandParams)
    buyers: BuyerParams = field(default_factory=BuyerParams)
    ordering: OrderingParams = field(default_factory=OrderingParams)
    allocation: AllocationParams = field(default_factory=AllocationParams)
    vendor: VendorParams = field(default_factory=VendorParams)
    fab: FabParams = field(default_factory=FabParams)
    hbm: HbmParams = field(default_factory=HbmParams)
    market: MarketParams = field(default_factory=MarketParams)
    finance: FinanceParams = field(default_factory=FinanceParams)
    credit: CreditParams = field(default_factory=CreditParams)
    discipline: DisciplineParams = field(default_factory=DisciplineParams)
    metrics: MetricsParams = field(default_factory=MetricsParams)

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (for manifests and TOML round trips)."""
        return dataclasses.asdict(self)


SECTIONS: dict[str, type] = {f.name: f.default_factory().__class__ for f in fields(Scenario)
                             if f.default_factory is not dataclasses.MISSING}


def _expected(meta: Mapping[str, Any], kind: type) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
             list: "a list of numbers"}[kind]
    bounds = [f">= {meta['ge']}" if meta.get("ge") is not None else "",
              f"> {meta['gt']}" if meta.get("gt") is not None else "",
              f"<= {meta['le']}" if meta.get("le") is not None else ""]
    return " ".join([words, " and ".join(b for b in bounds if b)]).strip()


def _check_value(key: str, value: Any, kind: type, meta: Mapping[str, Any]) -> Any:
    def fail() -> ScenarioError:
        return ScenarioError(f"{key} = {value!r}: expected {_expected(meta, kind)}")

    if kind is bool:
        if not isinstance(value, bool):
            raise fail()
        return value
    if kind is str:
        if not isinstance(value, str) or (meta.get("choices") and value not in meta["choices"]):
            raise fail()
        return value
    if kind is list:
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            and v >= 0 for v in value
        ):
            raise ScenarioError(f"{key} = {value!r}: expected a list of finite numbers >= 0")
        return [float(v) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail()
    if kind is int and not float(value).is_integer():
        raise fail()
    if not math.isfinite(value):
        raise fail()
    if meta.get("ge") is not None and value < meta["ge"]:
        raise fail()
    if meta.get("gt") is not None and value <= meta["gt"]:
        raise fail()
    if meta.get("le") is not None and value > meta["le"]:
        raise fail()
    return int(value) if kind is int else float(value)


_KINDS = {"bool": bool, "int": int, "float": float, "str": str, "list": list}


def _build_section(section: str, cls: type, values: Mapping[str, Any], base: Any) -> Any:
    declared = {f.name: f for f in fields(cls)}
    checked = {}
    for key, value in values.items():
        if key not in declared:
            raise ScenarioError(
                f"{section}.{key}: unknown key; expected one of {', '.join(sorted(declared))}"
            )
        f = declared[key]
        checked[key] = _check_value(f"{section}.{key}", value, _KINDS[f.type], f.metadata)
    return dataclasses.replace(base, **checked)


def build_scenario(data: Mapping[str, Any], *, base: Scenario | None = None) -> Scenario:
    """Validate a nested mapping (as read from TOML) into a :class:`Scenario`.

    Keys missing from ``data`` keep their value in ``base`` (default: the defaults).

    Raises
    ------
    ScenarioError
        Naming the key, the value and what was expected.
    """
    scenario = base or Scenario()
    updates: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("name", "description"):
            if not isinstance(value, str):
                raise ScenarioError(f"{key} = {value!r}: expected a string")
            updates[key] = value
        elif key in SECTIONS:
            if not isinstance(value, Mapping):
                raise ScenarioError(f"{key} = {value!r}: expected a table of parameters")
            updates[key] = _build_section(key, SECTIONS[key], value, getattr(scenario, key))
        else:
            raise ScenarioError(
                f"{key}: unknown section; expected one of name, description, "
                f"{', '.join(SECTIONS)}"
            )
    scenario = dataclasses.replace(scenario, **updates)
    check_combinations(scenario)
    return scenario


def check_combinations(s: Scenario) -> None:
    """Refuse combinations of individually valid values that cannot run together."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", s.run.start_date):
        raise ScenarioError(f"run.start_date = {s.run.start_date!r}: expected YYYY-MM")
    t = s.topology
    if t.hyperscalers + t.neoclouds < 1:
        raise ScenarioError(
            f"topology.hyperscalers + topology.neoclouds = {t.hyperscalers + t.neoclouds}: "
            "expected at least one buyer"
        )
    if t.channels_per_buyer > t.distributors:
        raise ScenarioError(
            f"topology.channels_per_buyer = {t.channels_per_buyer}: expected <= "
            f"topology.distributors = {t.distributors} (a buyer cannot use a channel that "
            "does not exist)"
        )
    if s.ordering.duplicate_channels > t.channels_per_buyer:
        raise ScenarioError(
            f"ordering.duplicate_channels = {s.ordering.duplicate_channels}: expected <= "
            f"topology.channels_per_buyer = {t.channels_per_buyer}"
        )
    if len(t.hbm_shares) != t.hbm_suppliers:
        raise ScenarioError(
            f"topology.hbm_shares = {t.hbm_shares}: expected one share per HBM supplier "
            f"(topology.hbm_suppliers = {t.hbm_suppliers})"
        )
    if not math.isclose(sum(t.hbm_shares), 1.0, rel_tol=1e-9) or min(t.hbm_shares) <= 0:
        raise ScenarioError(
            f"topology.hbm_shares = {t.hbm_shares}: expected positive shares summing to 1"
        )
    if s.credit.covenant_ltv < s.credit.max_ltv:
        raise ScenarioError(
            f"credit.covenant_ltv = {s.credit.covenant_ltv}: expected >= credit.max_ltv = "
            f"{s.credit.max_ltv} (a loan would breach its covenant the day it is made)"
        )
    if s.demand.saturation_units < s.demand.initial_units:
        raise ScenarioError(
            f"demand.saturation_units = {s.demand.saturation_units}: expected >= "
            f"demand.initial_units = {s.demand.initial_units}"
        )


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file: a path, or a name under ``experiments/`` (``baseline``)."""
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.is_file():
        path = EXPERIMENTS_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ScenarioError(f"scenario {str(name_or_path)!r}: no such file ({path})")
    return path


def parse_override(assignment: str) -> tuple[str, Any]:
    """``"ordering.max_inflation=1.5"`` → ``("ordering.max_inflation", 1.5)`` (TOML values)."""
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(
            f"--set {assignment!r}: expected key=value, e.g. ordering.inflation=false"
        )
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    return key.strip(), value


def nest_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"ordering.inflation": False}`` → ``{"ordering": {"inflation": False}}``."""
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = key.replace("__", ".").split(".")
        if len(parts) == 1:
            nested[parts[0]] = value
        elif len(parts) == 2:
            nested.setdefault(parts[0], {})[parts[1]] = value
        else:
            raise ScenarioError(f"{key}: unknown key; expected section.parameter")
    return nested


def load_scenario(name_or_path: str | Path = "baseline",
                  overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario TOML file, then apply ``section.key`` overrides."""
    path = resolve_scenario_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc})") from exc
    data.setdefault("name", path.stem)
    scenario = build_scenario(data)
    if overrides:
        scenario = build_scenario(nest_overrides(overrides), base=scenario)
    return scenario


def parameter_reference() -> str:
    """The parameter reference as a Markdown table, generated from the declarations."""
    lines = ["| key | default | unit | meaning | source |", "|---|---|---|---|---|"]
    defaults = Scenario()
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            default = getattr(getattr(defaults, section), f.name)
            text = str(default).lower() if isinstance(default, bool) else repr(default)
            allowed = f" ({_expected(f.metadata, _KINDS[f.type])})"
            lines.append(
                f"| `{section}.{f.name}` | {text} | {f.metadata['unit']} | "
                f"{f.metadata['doc']}{allowed} | {f.metadata['source']} |"
            )
    return "\n".join(lines)

"""The simulator at the level a researcher sees it: scenarios, mechanisms on and off."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from abm.config import Scenario, build_scenario, load_scenario
from abm.model import CapexModel
from abm.runner import simulate

AMPLE = {"fab": {"initial_capacity": 5e6}, "hbm": {"initial_capacity": 3e7}}
TRUTHFUL = {"ordering": {"inflation": False, "duplicate_channels": 1}}


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple]:
    """Full 120-month runs of the declared scenarios and the ablations the tests compare."""
    baseline = load_scenario("baseline")
    return {
        "baseline": simulate(baseline),
        "truthful": simulate(load_scenario("truthful")),
        "no_bubble": simulate(load_scenario("no_bubble")),
        "inflation_only": simulate(build_scenario({"ordering": {"duplicate_channels": 1}},
                                                  base=baseline)),
        "duplication_only": simulate(build_scenario({"ordering": {"inflation": False}},
                                                    base=baseline)),
        "ample": simulate(build_scenario(AMPLE, base=baseline)),
    }


def test_baseline_bubble_emerges_and_collapses(runs):
    frame, summary = runs["baseline"]
    assert summary["phantom_drop_1q"] >= 0.25
    assert summary["backlog_drop_1q"] >= 0.30
    assert summary["collapse_month"] is not None
    assert summary["phantom_ratio_shortage"] > 1.5
    peak = summary["peak_phantom_month"]
    assert frame["share_duplicating"].iloc[peak] > 0.5
    assert frame["cancellations"].iloc[summary["collapse_month"]:].sum() > 0


def test_gaming_overbuilds_capacity(runs):
    gamed = runs["baseline"][1]["capacity_overbuild"]
    truthful = runs["truthful"][1]["capacity_overbuild"]
    assert gamed >= 1.5 * truthful


@pytest.mark.parametrize("name", ["inflation_only", "duplication_only"])
def test_each_gaming_mechanism_alone_builds_and_collapses_a_phantom_excess(runs, name):
    frame, summary = runs[name]
    excess = frame["phantom_excess"]
    assert excess.max() > 0.5 * frame["unfilled_need"].max()
    assert summary["phantom_drop_1q"] >= 0.1
    assert excess.iloc[-12:].max() <= 0.01 * excess.max()


def test_truthful_ordering_has_no_phantom_even_in_shortage(runs):
    frame, summary = runs["truthful"]
    assert summary["shortage_months"] > 12
    assert frame["fill_rate"].min() < 0.5
    assert summary["phantom_ratio_shortage"] <= 1.1
    assert summary["phantom_drop_1q"] <= 0.05


def test_no_bubble_scenario(runs):
    _, summary = runs["no_bubble"]
    assert summary["phantom_drop_1q"] <= 0.05
    assert summary["collapse_month"] is None


def test_ample_capacity_rations_nothing_and_nobody_games(runs):
    frame, _ = runs["ample"]
    assert frame["fill_rate"].min() > 0.99
    assert frame["share_duplicating"].max() == 0.0
    assert frame["phantom_ratio"].max() <= 1.05


@pytest.mark.parametrize("rule", ["proportional", "uniform", "lexicographic", "turn_and_earn"])
@pytest.mark.parametrize("extra", [{}, TRUTHFUL, AMPLE])
def test_units_are_conserved_every_month(rule, extra):
    scenario = build_scenario({"allocation": {"rule": rule}, "run": {"months": 48}, **extra})
    model = CapexModel(scenario)
    for _ in range(scenario.run.months):
        model.step()
        scale = max(1.0, model.vendor.produced_total + model.initial_fleet)
        for account, residual in model.unit_balance().items():
            assert abs(residual) <= 1e-9 * scale, (model.month, account, residual)


def test_a_fleet_above_demand_at_the_start_is_no_negative_order():
    model = CapexModel(buyers__initial_fleet_ratio=1.3, run__months=24)
    measures = model.run()
    assert measures["backlog"].min() >= 0.0 and measures["unfilled_need"][0] == 0.0
    assert max(abs(r) for r in model.unit_balance().values()) < 1e-3


def test_buyers_are_heterogeneous_and_drawn_from_the_seed():
    first = [b.traits for b in CapexModel(rng=3).buyers.values()]
    again = [b.traits for b in CapexModel(rng=3).buyers.values()]
    other = [b.traits for b in CapexModel(rng=4).buyers.values()]
    assert first == again
    assert first != other
    assert len({t.max_inflation for t in first}) == len(first)
    assert len({t.shortage_threshold for t in first}) == len(first)


def test_same_seed_same_series_other_seed_differs():
    short = build_scenario({"run": {"months": 36}})
    a, _ = simulate(short, seed=5)
    b, _ = simulate(short, seed=5)
    c, _ = simulate(short, seed=6)
    assert a.equals(b)
    assert not np.array_equal(a["end_demand"], c["end_demand"])


def test_default_model_runs_with_defaults_alone():
    model = CapexModel(run__months=2)
    measures = model.run()
    assert measures["backlog"].shape == (2,)
    assert model.config == build_scenario({"run": {"months": 2}})
    assert Scenario().run.months == 120


def test_mesa_batch_run_drives_the_model():
    results = mesa.batch_run(CapexModel, parameters={"run__months": 6,
                                                     "ordering__inflation": [True, False]},
                             max_steps=6, display_progress=False, rng=[7])
    assert len(results) == 2
    assert {r["ordering__inflation"] for r in results} == {True, False}
    assert all("backlog" in r and r["Step"] == 6 for r in results)


def test_graph_is_compiled_once_until_the_topology_changes():
    model = CapexModel(run__months=3)
    model.run(2)
    assert model.tiers.compilations == 1
    model.graph.graph["topology_version"] += 1
    model.step()
    assert model.tiers.compilations == 2
    assert not model.running
    with pytest.raises(RuntimeError, match="run.months"):
        model.step()

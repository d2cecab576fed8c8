"""Smoke test of the model benchmark: it runs, prints and writes the table (no timing checks)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from abm.bench_model import BUCKETS, COLUMNS, QUICK_SIZES, charge_to_buckets, main

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_writes_the_table(tmp_path, capsys):
    out = tmp_path / "bench" / "model.csv"
    assert main(["--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[scaling]" in printed and "top 15 by own time" in printed

    table = pd.read_csv(out)
    assert tuple(table.columns) == COLUMNS
    assert list(table["section"].unique()) == ["baseline", "scaling", "profile", "phase"]

    baseline = table[table["section"] == "baseline"].iloc[0]
    assert (baseline["buyers"], baseline["order_lines"], baseline["months"]) == (10, 20, 120)
    assert baseline["repeats"] == 1 and baseline["run_s"] > 0 and baseline["construct_s"] > 0

    scaling = table[table["section"] == "scaling"]
    assert scaling["buyers"].tolist() == list(QUICK_SIZES)
    assert scaling["order_lines"].tolist() == [2 * n for n in QUICK_SIZES]
    assert (scaling[["ms_per_step", "us_per_line", "run_cpu_s"]] > 0).all(axis=None)
    for column in ("growth_exponent", "cpu_growth_exponent"):
        assert math.isnan(scaling[column].iloc[0])
        assert math.isfinite(scaling[column].iloc[1])

    profile = table[table["section"] == "profile"].set_index("item")
    assert profile.index.tolist() == [*BUCKETS, "total"]
    assert profile.loc[list(BUCKETS), "profile_s"].sum() == pytest.approx(
        profile.loc["total", "profile_s"])
    assert profile.loc[list(BUCKETS), "share"].sum() == pytest.approx(1.0)
    assert profile.loc["agents", "share"] > 0 and profile.loc["kernel", "share"] > 0

    phases = table[table["section"] == "phase"]["item"].tolist()
    assert any("produce_and_allocate" in p for p in phases)


def test_library_time_is_charged_to_its_callers():
    """A numpy call made half from the agents, half from the model, splits its own time;
    library time no project code called is "other"."""
    agents = (str(ROOT / "agents" / "buyer.py"), 1, "plan")
    model = (str(ROOT / "abm" / "model.py"), 1, "step")
    numpy = ("~", 0, "<built-in method numpy.array>")
    lonely = ("/elsewhere/lib.py", 1, "f")
    stats = {
        model: (1, 1, 1.0, 4.0, {}),
        agents: (1, 1, 2.0, 2.5, {model: (1, 1, 2.0, 2.5)}),
        numpy: (2, 2, 1.0, 1.0, {agents: (1, 1, 0.5, 0.5), model: (1, 1, 0.5, 0.5)}),
        lonely: (1, 1, 0.25, 0.25, {}),
    }
    seconds = charge_to_buckets(stats, reporters=set())
    assert seconds["model wiring"] == pytest.approx(1.5)
    assert seconds["agents"] == pytest.approx(2.5)
    assert seconds["other"] == pytest.approx(0.25)
    assert seconds["kernel"] == seconds["data collection"] == 0.0


def test_recursive_library_time_goes_to_the_project_code_that_called_it():
    """A library function that also calls itself is still charged to its outside caller."""
    agents = (str(ROOT / "agents" / "buyer.py"), 1, "plan")
    recursive = ("/elsewhere/lib.py", 1, "walk")
    stats = {
        agents: (1, 1, 1.0, 3.0, {}),
        recursive: (1, 3, 2.0, 2.0, {agents: (1, 1, 1.0, 2.0), recursive: (2, 2, 1.0, 1.0)}),
    }
    seconds = charge_to_buckets(stats, reporters=set())
    assert seconds["agents"] == pytest.approx(3.0)
    assert seconds["other"] == 0.0

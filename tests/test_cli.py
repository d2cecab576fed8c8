"""The command line as a user calls it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from abm.cli import main
from abm.results import verify_run

SUMMARY_KEYS = {"peak_phantom_ratio", "peak_phantom_month", "phantom_ratio_shortage",
                "backlog_drop_1q", "phantom_drop_1q", "collapse_month", "capacity_overbuild",
                "trough_utilisation", "writedowns_by_kind", "lender_loss_rate", "defaults",
                "freeze_months", "cumulative_capex", "cumulative_revenue"}
COLUMNS = {"month", "date", "end_demand", "true_need", "orders_placed", "backlog",
           "cancellations", "shipments", "phantom_ratio", "capacity_fab", "capacity_hbm",
           "utilisation_fab", "utilisation_hbm", "fill_rate", "price_new", "price_rental",
           "price_secondary", "capex", "revenue", "revenue_gap", "writedowns_hyperscaler",
           "writedowns_neocloud", "writedowns_vendor", "defaults", "lender_losses", "freezes"}


def test_run_writes_a_complete_results_folder(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(["run", "baseline", "--seed", "3", "--months", "24", "--set",
                   "ordering.max_inflation=1.5", "--out", str(out)])
    assert status == 0
    assert f"results: {out}" in capsys.readouterr().out
    frame = pd.read_parquet(out / "timeseries.parquet")
    assert COLUMNS <= set(frame.columns) and len(frame) == 24
    assert frame["date"].iloc[0] == "2023-01" and frame["date"].iloc[-1] == "2024-12"
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["scenario"]["ordering"]["max_inflation"] == 1.5
    assert manifest["scenario"]["run"]["months"] == 24
    assert {"dashboard.png", "dashboard.pdf", "timeseries.csv"} <= set(manifest["files"])
    assert verify_run(out) == []


def test_same_seed_gives_byte_identical_parquet(tmp_path):
    for name in ("a", "b"):
        assert main(["run", "--seed", "11", "--months", "30", "--no-plots",
                     "--out", str(tmp_path / name)]) == 0
    first = (tmp_path / "a" / "timeseries.parquet").read_bytes()
    assert first == (tmp_path / "b" / "timeseries.parquet").read_bytes()
    assert main(["run", "--seed", "12", "--months", "30", "--no-plots",
                 "--out", str(tmp_path / "c")]) == 0
    assert first != (tmp_path / "c" / "timeseries.parquet").read_bytes()


def test_refused_run_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "never"
    status = main(["run", "--set", "fab.initial_capacity=-5", "--out", str(out)])
    assert status != 0
    assert "fab.initial_capacity = -5: expected a number >= 0" in capsys.readouterr().err
    assert not out.exists()


def test_params_prints_the_generated_reference(capsys):
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert "`ordering.max_inflation`" in text and "`allocation.rule`" in text


def test_fresh_processes_with_other_hash_seeds_write_identical_parquet(tmp_path):
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "abm.cli", "run", "--months", "24", "--no-plots",
                        "--seed", "4", "--out", str(out)], check=True, env=env,
                       capture_output=True)
        outputs.append((out / "timeseries.parquet").read_bytes())
    assert outputs[0] == outputs[1]

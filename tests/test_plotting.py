"""Tests for abm.plotting: the dashboard is drawn from a results folder.

All data here is made up for the tests (see ``tests.test_results.synthetic_timeseries``).
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.plotting import PANELS, Line, Panel, dashboard
from abm.results import read_run, verify_run, write_run
from tests.test_results import SCENARIO, synthetic_summary, synthetic_timeseries


@pytest.fixture(scope="module")
def drawn_run(tmp_path_factory):
    """One synthetic run with its dashboard drawn (shared: drawing takes ~1 s)."""
    out = write_run(
        tmp_path_factory.mktemp("plot") / "run",
        synthetic_timeseries(),
        synthetic_summary(),
        SCENARIO,
        7,
    )
    return out, dashboard(out)


def test_dashboard_writes_png_and_pdf_and_hashes_them(drawn_run):
    out, paths = drawn_run
    assert [p.name for p in paths] == ["dashboard.png", "dashboard.pdf"]
    assert paths[0].read_bytes().startswith(b"\x89PNG")
    assert paths[1].read_bytes().startswith(b"%PDF")
    files = read_run(out)[2]["files"]
    assert {"dashboard.png", "dashboard.pdf"} <= set(files)
    assert verify_run(out) == []


def test_redrawing_gives_the_same_bytes(tmp_path):
    # One panel keeps this fast; the bytes depend on the renderer, not the panels.
    out = write_run(tmp_path / "run", synthetic_timeseries(24), {}, SCENARIO, 3)
    first = [p.read_bytes() for p in dashboard(out, panels=PANELS[:1])]
    second = [p.read_bytes() for p in dashboard(out, panels=PANELS[:1])]
    assert first == second


def test_missing_columns_nan_null_collapse_and_new_panels_still_plot(tmp_path):
    frame = synthetic_timeseries(30).drop(
        columns=["capacity_hbm", "utilisation_hbm", "cancellations", "fill_rate", "date"]
    )
    frame.loc[5:8, "phantom_ratio"] = np.nan
    frame.loc[:, "price_new"] = np.nan
    summary = {**synthetic_summary(), "collapse_month": None}
    del summary["capacity_overbuild"]
    out = write_run(tmp_path / "run", frame, summary, {}, 0)
    # A panel declared for a column the model does not write yet draws as "no data".
    money = Panel("Revenue gap", "US$ per month", (Line("revenue_gap", "revenue gap"),))

    paths = dashboard(out, panels=(*PANELS, money))

    assert all(p.stat().st_size > 0 for p in paths)
    assert verify_run(out) == []


def test_no_x_column_is_a_clear_error(tmp_path):
    frame = synthetic_timeseries(12).drop(columns=["month", "date"])
    out = write_run(tmp_path / "run", frame, {}, SCENARIO, 1)
    with pytest.raises(ValueError, match="'date' column"):
        dashboard(out)

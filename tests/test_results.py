"""Tests for abm.results: atomic, hashed, reproducible results folders.

All data here is made up for the tests (:func:`synthetic_timeseries`); it is
not model output.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from abm import results
from abm.results import add_files, read_run, verify_run, write_run

SCENARIO = {"name": "synthetic-test", "months": 96, "buyers": {"hyperscalers": 4}}


def synthetic_timeseries(months: int = 96) -> pd.DataFrame:
    """A made-up boom-and-bust series with the model's column names (TEST DATA).

    Need rises along a logistic curve; orders are inflated while capacity lags,
    so a phantom backlog builds and collapses around month 40. The shapes are
    only plausible enough to exercise the results and plotting code.
    """
    t = np.arange(months, dtype=float)
    true_need = 20_000 + 180_000 / (1 + np.exp(-(t - 24) / 6))
    capacity = 30_000 + 230_000 / (1 + np.exp(-(t - 38) / 5))
    shipments = np.minimum(true_need, capacity)
    unfilled = true_need - shipments
    inflation = 1 + 0.8 * np.clip(unfilled / true_need, 0, 1) * (t < 40)
    orders = true_need * inflation
    backlog = np.maximum(0.0, np.cumsum(orders - shipments) * np.exp(-np.clip(t - 38, 0, None) / 3))
    trailing = pd.Series(true_need).rolling(12, min_periods=1).mean().to_numpy()
    phantom_ratio = backlog / np.maximum(unfilled, trailing)
    dates = pd.period_range("2023-01", periods=months, freq="M").strftime("%Y-%m")
    return pd.DataFrame(
        {
            "month": np.arange(months, dtype=np.int64),
            "date": list(dates),
            "end_demand": true_need * 1.04,
            "true_need": true_need,
            "unfilled_need": unfilled,
            "orders_placed": orders,
            "backlog": backlog,
            "cancellations": np.where((t >= 38) & (t < 46), backlog * 0.3, 0.0),
            "shipments": shipments,
            "output": shipments,
            "phantom_ratio": phantom_ratio,
            "phantom_excess": np.maximum(0.0, backlog - unfilled),
            "capacity_fab": capacity,
            "capacity_hbm": capacity * 0.9 + 10_000,
            "utilisation_fab": shipments / capacity,
            "utilisation_hbm": np.minimum(1.0, shipments / (capacity * 0.9 + 10_000)),
            "fill_rate": shipments / true_need,
            "price_new": 25_000 + 15_000 * np.clip(unfilled / true_need, 0, 1),
        }
    )


def synthetic_summary() -> dict:
    """Made-up summary outcomes (TEST DATA), with a null like the model's.

    The peak matches :func:`synthetic_timeseries`; the rest are plausible numbers.
    """
    ratio = synthetic_timeseries()["phantom_ratio"]
    return {
        "peak_phantom_ratio": round(float(ratio.max()), 6),
        "peak_phantom_month": int(ratio.idxmax()),
        "phantom_ratio_shortage": 2.4,
        "backlog_drop_1q": 0.61,
        "phantom_drop_1q": 0.72,
        "collapse_month": 39,
        "capacity_overbuild": 1.35,
        "trough_utilisation": None,
    }


def _write(path, **kwargs):
    return write_run(path, synthetic_timeseries(), synthetic_summary(), SCENARIO, 7, **kwargs)


def _leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_write_run_writes_all_files_and_a_manifest(tmp_path):
    out = _write(tmp_path / "run", extra_files={"notes.txt": b"made-up test data\n"})

    names = {p.name for p in out.iterdir()}
    assert names == {
        "timeseries.parquet",
        "timeseries.csv",
        "summary.json",
        "manifest.json",
        "notes.txt",
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert manifest["scenario"] == SCENARIO
    assert manifest["seed"] == 7
    assert manifest["created_by"].startswith("capex-abm ")
    assert set(manifest["versions"]) == set(results.DEPENDENCIES)
    assert manifest["git_commit"] is None or len(manifest["git_commit"]) == 40
    assert manifest["git_dirty"] in (True, False, None)
    assert verify_run(out) == []
    assert _leftovers(tmp_path) == []


def test_read_run_round_trips(tmp_path):
    frame = synthetic_timeseries()
    out = write_run(tmp_path / "run", frame, synthetic_summary(), SCENARIO, 0)

    table, summary, manifest = read_run(out)

    pd.testing.assert_frame_equal(table, frame)
    assert summary == synthetic_summary()
    assert manifest["seed"] == 0
    assert pd.read_csv(out / "timeseries.csv").shape == frame.shape


def test_json_is_sorted_and_indented(tmp_path):
    out = _write(tmp_path / "run")
    text = (out / "summary.json").read_text()
    assert text == json.dumps(synthetic_summary(), sort_keys=True, indent=2) + "\n"


def test_tampered_and_missing_files_are_reported(tmp_path):
    out = _write(tmp_path / "run")
    with open(out / "timeseries.csv", "ab") as f:
        f.write(b"1,2,3\n")
    (out / "summary.json").unlink()

    assert verify_run(out) == ["summary.json", "timeseries.csv"]


def test_identical_frames_give_identical_bytes(tmp_path):
    # Two writes (also with the index shuffled, which is not written).
    frame = synthetic_timeseries()
    shifted = frame.set_axis(frame.index + 100)
    a = write_run(tmp_path / "a", frame, synthetic_summary(), SCENARIO, 7)
    b = write_run(tmp_path / "b", shifted, synthetic_summary(), SCENARIO, 7)

    for name in ("timeseries.parquet", "timeseries.csv", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (
        json.loads((a / "manifest.json").read_text())["files"]
        == json.loads((b / "manifest.json").read_text())["files"]
    )
    assert "__index_level_0__" not in pq.read_schema(a / "timeseries.parquet").names


@pytest.mark.parametrize(
    ("summary", "where"),
    [
        ({"peak_phantom_ratio": math.nan}, "summary['peak_phantom_ratio']"),
        ({"nested": {"x": [1.0, np.float64(np.inf)]}}, "summary['nested']['x'][1]"),
    ],
)
def test_nan_in_summary_is_refused(tmp_path, summary, where):
    with pytest.raises(ValueError, match="use None") as info:
        write_run(tmp_path / "run", synthetic_timeseries(), summary, SCENARIO, 1)
    assert where in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_numpy_scalars_in_summary_are_written_as_json(tmp_path):
    summary = {"collapse_month": np.int64(39), "capacity_overbuild": np.float64(1.5)}
    out = write_run(tmp_path / "run", synthetic_timeseries(), summary, SCENARIO, 1)
    assert read_run(out)[1] == {"collapse_month": 39, "capacity_overbuild": 1.5}


def test_named_index_is_refused(tmp_path):
    frame = synthetic_timeseries().set_index("month")
    with pytest.raises(ValueError, match="reset_index"):
        write_run(tmp_path / "run", frame, {}, SCENARIO, 1)


def test_rewrite_replaces_the_old_run_and_leaves_no_temp_dirs(tmp_path):
    out = _write(tmp_path / "run", extra_files={"old.txt": b"old"})
    write_run(tmp_path / "run", synthetic_timeseries(24), {"x": 1}, SCENARIO, 8)

    assert not (out / "old.txt").exists()
    assert read_run(out)[1] == {"x": 1}
    assert verify_run(out) == []
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_interrupted_write_keeps_the_previous_run(tmp_path, monkeypatch):
    out = _write(tmp_path / "run")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def write_half_then_fail(table, where, **kwargs):
        where.write(b"PAR1 half a file")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(results.pq, "write_table", write_half_then_fail)
    with pytest.raises(OSError, match="simulated"):
        write_run(out, synthetic_timeseries(12), {"x": 2}, SCENARIO, 9)

    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert verify_run(out) == []
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_interrupted_first_write_leaves_no_folder(tmp_path, monkeypatch):
    def fail(table, where, **kwargs):
        where.write(b"PAR1")
        raise OSError("killed (simulated)")

    monkeypatch.setattr(results.pq, "write_table", fail)
    with pytest.raises(OSError, match="simulated"):
        _write(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_a_run_is_not_replaced(tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("do not delete")
    with pytest.raises(FileExistsError, match="not replaced"):
        _write(precious)
    assert (precious / "chapter1.tex").read_text() == "do not delete"
    assert [p.name for p in tmp_path.iterdir()] == ["thesis"]


def test_add_files_hashes_new_files_and_replaces_them(tmp_path):
    out = _write(tmp_path / "run")
    add_files(out, {"figure.png": b"first"})
    add_files(out, {"figure.png": b"second", "figure.pdf": b"pdf"})

    files = read_run(out)[2]["files"]
    assert (out / "figure.png").read_bytes() == b"second"
    assert {"figure.png", "figure.pdf"} <= set(files)
    assert verify_run(out) == []
    assert _leftovers(out) == []

    (out / "figure.pdf").write_bytes(b"tampered")
    assert verify_run(out) == ["figure.pdf"]


@pytest.mark.parametrize("name", ["summary.json", "manifest.json", "../escape.txt", ".hidden", ""])
def test_add_files_refuses_core_and_unsafe_names(tmp_path, name):
    out = _write(tmp_path / "run")
    with pytest.raises(ValueError, match="file name"):
        add_files(out, {name: b"x"})
    assert verify_run(out) == []


def test_without_git_the_commit_is_null(tmp_path, monkeypatch):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(results.subprocess, "run", no_git)
    manifest = read_run(_write(tmp_path / "run"))[2]
    assert manifest["git_commit"] is None
    assert manifest["git_dirty"] is None


@pytest.mark.parametrize("seed", [True, 1.0, "7"])
def test_seed_must_be_an_int(tmp_path, seed):
    with pytest.raises(TypeError, match="seed"):
        write_run(tmp_path / "run", synthetic_timeseries(), {}, SCENARIO, seed)

"""Smoke test of ``capex-abm bench kernel`` at a tiny size (no timing assertions)."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from abm import bench, bench_cut, bench_floor, bench_probe
from abm import model as model_module
from abm.cli import main
from abm.config import load_scenario
from abm.graph import Tier


def test_bench_kernel_writes_every_section(tmp_path, capsys):
    out = tmp_path / "kernel.csv"
    status = main(["bench", "kernel", "--small", "--sizes", "300", "--suppliers", "1,10",
                   "--repeat", "1", "--replicas", "2", "--out", str(out)])
    assert status == 0
    text = capsys.readouterr().out
    for title in ("kernel:", "per call", "lexicographic cut", "batch over R replicas",
                  "start-up", "memory copy", "the issue's probe, run here", "targets"):
        assert title in text

    with out.open() as handle:
        table = list(csv.DictReader(handle))
    assert tuple(table[0]) == bench.COLUMNS
    kernel = {(r["rule"], r["instance"], r["n_orders"], r["n_suppliers"], r["implementation"])
              for r in table if r["section"] == "kernel"}
    for rule in bench.RULES:
        for suppliers in ("1", "10"):
            for implementation in ("numba", "numpy", "python"):
                assert (rule, "random", "300", suppliers, implementation) in kernel
    for instance in ("geometric", "newton"):
        assert ("uniform", instance, "300", "10", "numba") in kernel
    sections = {r["section"] for r in table}
    assert sections == {"kernel", "copy", "per_call", "batch", "start_up", "floor", "cut",
                        "probe"}
    probes = {(r["rule"], r["n_orders"], r["n_suppliers"], r["implementation"])
              for r in table if r["section"] == "probe"}
    assert probes == {(rule, "1000000", "100", name)
                      for name, (rule, _) in bench_probe.LOOPS.items()}
    searched = {(int(r["n_orders"]), int(r["n_suppliers"]), r["implementation"])
                for r in table if r["section"] == "cut"}
    assert searched == {(n, s, name) for n, s in bench.CALL_SIZES
                        if bench_cut.has_cuts(bench._even_indptr(n, s))
                        for name in ("kernel", "best_case", "bound")}
    assert (1_000, 100, "best_case") in searched and (1_000, 1_000, "kernel") not in searched
    assert {r["implementation"] for r in table if r["section"] == "start_up"} == {
        "warm", "warm_process"}
    assert {r["implementation"] for r in table if r["section"] == "floor"} == {
        "bound_call", "dispatch", "start_up", "start_up_numba_loader"}
    assert len([r for r in table if r["section"] == "per_call"]) == 3 * 4 * len(bench.CALL_SIZES)
    assert all(float(r["seconds"]) > 0 for r in table if r["status"] == "ok")
    for r in table:  # the median and the range of the samples it is the median of
        if r["section"] == "per_call":
            assert float(r["seconds_min"]) <= float(r["seconds"]) <= float(r["seconds_max"])
        else:
            assert r["seconds_min"] == r["seconds_max"] == "nan"
    for n, s in bench.CALL_SIZES:
        assert f"bound call (the model's path) at E={n} S={s}: <= 5 us" in text
    assert "; its samples " in text
    assert "numba alone, warm (empty function, loaded as the kernel is)" in text
    assert "the call alone" in text


@pytest.mark.parametrize("loader", bench_floor.LOADERS)
def test_the_start_up_floor_loads_numba_alone(loader):
    """The floor's fresh process must not load the kernel, or it would time the kernel too;
    only numba's own loader sets up numba's compiler."""
    code = bench_floor.start_up_code(loader) + (
        "import sys\nprint(sorted(m for m in sys.modules if m.startswith('abm')))\n"
        "print('numba.np.arraymath' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    lines = done.stdout.splitlines()
    assert lines[-2] == "['abm', 'abm.bench_floor', 'abm.jit_cache']"
    assert lines[-1] == str(loader == "numba")
    assert float(lines[-3]) > 0


def test_the_start_up_floor_refuses_an_unknown_loader():
    with pytest.raises(ValueError, match="loader: expected one of .* got 'fast'"):
        bench_floor.start_up_code("fast")


def test_model_sized_call_is_the_baseline_models_largest(monkeypatch):
    """CALL_SIZES says (20, 3) is the size of the baseline model's largest call."""
    sizes = []
    kernel = Tier.kernel

    def recording(tier, rule):
        sizes.append((int(tier.indptr[-1]), tier.indptr.size - 1))
        return kernel(tier, rule)

    monkeypatch.setattr(Tier, "kernel", recording)
    model_module.CapexModel(load_scenario("baseline"), rng=1).run()
    assert max(n for n, _ in sizes) == 20
    assert max(s for _, s in sizes) == 3


def test_worst_case_books_are_what_they_claim():
    np.testing.assert_array_equal(bench.geometric_book(5), np.array([1, 2, 4, 8, 16]) * 1e6 / 16)
    book = bench.newton_book(700, bench.run_streams(0)["demand"])
    # Newton's iteration from level 1 (capacity = number of orders) settles a seventh a step
    capacity, settled_units, active, level, steps = float(book.size), 0.0, book, 1.0, 0
    while (below := active < level).any():
        assert below.sum() == active.size // 7
        settled_units += active[below].sum()
        active = active[~below]
        level = (capacity - settled_units) / active.size
        steps += 1
    assert steps >= 10


def test_a_call_that_fills_a_sample_is_not_run_again(monkeypatch):
    """The plain-Python reference is timed once, not once to size a sample and again."""
    monkeypatch.setattr(bench, "SAMPLE_S", 0.0)
    calls = []
    bench.median_seconds(lambda: calls.append(1), 1, warm_up=False)
    assert len(calls) == 1
    bench.median_seconds(lambda: calls.append(1), 3, warm_up=False)
    assert len(calls) == 1 + 3


def test_a_large_first_size_is_sized_by_a_small_reference_call_first(monkeypatch):
    """With no smaller size to extrapolate from, the slow reference is timed at
    CALIBRATION_ORDERS first and skipped where that predicts more than the budget."""
    sizes = []

    def slow_reference(problem, rule):
        sizes.append(problem.quantity.size)
        return 10.0 * bench.PYTHON_BUDGET_S * problem.quantity.size / bench.CALIBRATION_ORDERS

    monkeypatch.setattr(bench, "time_reference", slow_reference)
    rows = bench.kernel_rows([20_000], [10], 1, bench.run_streams(0)["bench"], lambda _: None)
    assert set(sizes) == {bench.CALIBRATION_ORDERS}
    assert {r.status for r in rows if r.implementation == "python"} == {"skipped"}


def test_per_call_timings_take_the_books_in_turn():
    seen = []
    call = bench.in_turn([lambda: seen.append(1), lambda: seen.append(2)])
    for _ in range(5):
        call()
    assert seen == [1, 2, 1, 2, 1]

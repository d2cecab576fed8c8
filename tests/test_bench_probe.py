"""The issue's probe loops (abm.bench_probe): each allocates its rule, and the L3 reading."""

from __future__ import annotations

import numpy as np
import pytest

from abm import bench_probe
from abm.allocation import allocate


def _problem(rng: np.random.Generator, books: int, shortage: float):
    sizes = rng.integers(1, 40, books)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    quantity = rng.exponential(1.0, indptr[-1]) * (rng.random(indptr[-1]) < 0.9)
    totals = np.add.reduceat(quantity, indptr[:-1])
    return shortage * totals, indptr, quantity


@pytest.mark.parametrize("name", sorted(bench_probe.LOOPS))
@pytest.mark.parametrize("shortage", [0.0, 0.3, 0.999, 1.0, 1.7])
@pytest.mark.parametrize("seed", range(4))
def test_each_probe_loop_allocates_its_rule(name, shortage, seed):
    rule, loop = bench_probe.LOOPS[name]
    capacity, indptr, quantity = _problem(np.random.default_rng(seed), 30, shortage)
    out = np.full(quantity.size, np.nan)
    loop(capacity, indptr, quantity, out)
    expected = allocate(capacity, indptr, quantity, rule=rule)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(bench_probe.LOOPS))
def test_a_book_with_no_units_gets_nothing(name):
    rule, loop = bench_probe.LOOPS[name]
    capacity, indptr = np.array([0.0, 2.0, 1.0]), np.array([0, 2, 3, 6])
    quantity = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 3.0])
    out = np.full(quantity.size, np.nan)
    loop(capacity, indptr, quantity, out)
    np.testing.assert_allclose(out, allocate(capacity, indptr, quantity, rule=rule), atol=1e-15)


def test_a_wrong_rule_differs_so_the_check_can_fail():
    capacity, indptr, quantity = _problem(np.random.default_rng(9), 30, 0.5)
    out = np.empty(quantity.size)
    bench_probe.numba_sort(capacity, indptr, quantity, out)
    assert not np.allclose(out, allocate(capacity, indptr, quantity, rule="proportional"))


def test_every_loop_has_the_issues_figure():
    assert set(bench_probe.ISSUE_SECONDS) == set(bench_probe.LOOPS)


def _cache(root, index: int, level: str, size: str) -> None:
    folder = root / f"index{index}"
    folder.mkdir()
    (folder / "level").write_text(level + "\n")
    (folder / "size").write_text(size + "\n")


def test_l3_bytes_reads_the_level_3_cache(tmp_path):
    _cache(tmp_path, 0, "1", "32K")
    _cache(tmp_path, 2, "2", "512K")
    _cache(tmp_path, 3, "3", "8192K")
    assert bench_probe.l3_bytes(tmp_path) == 8192 * 2**10


def test_l3_bytes_is_none_without_a_readable_level_3(tmp_path):
    assert bench_probe.l3_bytes(tmp_path) is None
    _cache(tmp_path, 0, "1", "32K")
    _cache(tmp_path, 3, "3", "lots")
    assert bench_probe.l3_bytes(tmp_path) is None
    assert bench_probe.l3_bytes(tmp_path / "missing") is None

"""The cut's best case (abm.bench_cut) must do the kernel's work: the same allocation."""

from __future__ import annotations

import numpy as np
import pytest

from abm import bench_cut
from abm.allocation import _PACKED_BELOW, allocate


def _problems(rng: np.random.Generator, n_problems: int, longest: int) -> tuple:
    """Problems on one random layout of books of 0 to ``longest`` orders: few or many
    priority classes, whole or fractional units, zero orders, capacity from none to more
    than is ordered."""
    sizes = rng.integers(0, longest + 1, rng.integers(1, 12))
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(indptr[-1])
    classes = int(rng.choice([1, 3, 5, 40]))
    quantity = rng.exponential(1.0, (n_problems, n)) * (rng.random((n_problems, n)) < 0.9)
    if rng.random() < 0.3:
        quantity = np.round(quantity * 4)
    priority = rng.integers(0, classes, (n_problems, n)).astype(float)
    ordered = np.add.reduceat(np.append(quantity, np.zeros((n_problems, 1)), axis=1),
                              indptr[:-1], axis=1)
    capacity = rng.uniform(0.0, 1.2, ordered.shape) * ordered
    return capacity, indptr, quantity, priority


def _both(capacity, indptr, quantity, priority) -> tuple[np.ndarray, np.ndarray, tuple]:
    """The best case's allocation and the kernel loop's, each problem also checked against
    the public kernel."""
    args = bench_cut.stacked(capacity, indptr, quantity, priority)
    capacity, indptr, quantity, priority, cut, out, scratch = args
    bench_cut.best_case_books(capacity, indptr, quantity, priority, cut, out, scratch)
    kernel_out = np.full_like(out, np.nan)
    bench_cut.kernel_books(capacity, indptr, quantity, priority, kernel_out, scratch)
    bound_out = np.full_like(out, np.nan)
    bench_cut.bound_books(capacity, indptr, quantity, priority,
                          bench_cut.class_tables(indptr, priority), bound_out, scratch)
    for r in range(capacity.shape[0]):
        np.testing.assert_array_equal(
            kernel_out[r], allocate(capacity[r], indptr, quantity[r], rule="lexicographic",
                                    priority=priority[r]))
    assert bound_out.tobytes() == kernel_out.tobytes()  # the class table's cut is the walk's
    return out, kernel_out, args


@pytest.mark.parametrize("seed", range(30))
def test_the_best_case_allocates_short_books_as_the_kernel_does(seed):
    """Books the walk takes (under _PACKED_BELOW orders): bit for bit."""
    out, kernel_out, _ = _both(*_problems(np.random.default_rng(seed), 4, _PACKED_BELOW - 1))
    np.testing.assert_array_equal(out, kernel_out)


@pytest.mark.parametrize("seed", range(10))
def test_the_best_case_allocates_long_books_as_the_kernel_does(seed):
    """Books of up to 400 orders: the same allocation, up to the rounding of the units left
    where the kernel found the cut among packed orders."""
    out, kernel_out, args = _both(*_problems(np.random.default_rng(100 + seed), 3, 400))
    np.testing.assert_allclose(out, kernel_out, rtol=1e-12, atol=1e-12 * args[2].max(initial=1))
    assert (out == kernel_out).mean() > 0.9


def test_a_wrong_cut_gives_another_allocation():
    """The best case allocates from the cut it is given: the checks above can fail."""
    args = list(bench_cut.stacked(np.array([[3.0]]), np.array([0, 3]),
                                  np.array([[2.0, 2.0, 2.0]]), np.array([[0.0, 1.0, 2.0]])))
    assert args[4].tolist() == [[1.0]]  # the cut: priority 1 gets 1 of its 2 units
    bench_cut.best_case_books(*args)
    assert args[5].tolist() == [[2.0, 1.0, 0.0]]
    args[4][:] = 2.0
    bench_cut.best_case_books(*args)
    assert args[5].tolist() != [[2.0, 1.0, 0.0]]


@pytest.mark.parametrize(("indptr", "has"), [
    ([0, 10, 20], True), ([0, 2], True), ([0, 1, 1000], True), ([0, 1, 2], False), ([0, 0], False)])
def test_layouts_with_books_to_search(indptr, has):
    assert bench_cut.has_cuts(np.array(indptr)) is has


def test_the_loops_are_compiled_afresh_not_loaded_from_the_cache():
    """Numba's cache checks only the file of the function it holds: a cached loop here would
    keep the kernel's code of the day it was cached after abm/allocation.py changed."""
    from numba.core.caching import NullCache

    for loop in (bench_cut.find_cuts, bench_cut.best_case_books, bench_cut.kernel_books,
                 bench_cut.bound_books):
        assert isinstance(loop._cache, NullCache), loop.__name__

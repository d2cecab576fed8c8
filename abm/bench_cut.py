"""The lexicographic cut's best case: what a call would cost if each book's first try were its cut.

The kernel allocates a lexicographic book in two parts: it searches for the cut, the priority
served in part, trying a priority in a pass over the book each time, and then writes the
allocation in an output pass (``_serve_priority``). A book of 2 to _PACKED_BELOW - 1 orders
walks from the median of three priorities, one priority a try (``_short_cut``; 1.8-1.9 passes
on the benchmark's books); a longer one first sums its units, then tries a sample's guesses
before it packs the orders still in question (``_priority_cut``). The best case of either is a
first try that hits the cut: for a short book one pass of the walk and the output pass, for a
longer one the sum, one pass and the output pass. That is the least a design which checks a
guessed cut in a pass and then writes the allocation can do.

The benchmark times the kernel and that best case the same way, in one jitted loop over the
problems that pays no call, so that a reader can tell whether better guesses could meet the
per-call target, or whether the passes themselves cost too much. Beside them it times the
bound kernel's path (``bound_books``): a short book of at most CLASS_SLOTS priority classes,
known from the layout, cut in one pass over all of them (``_class_cut``), then the output
pass; the other books as the kernel takes them. The best case gives the kernel's allocation
bit for bit, except on a long book whose cut the kernel found among packed orders, where it
differs by rounding (the units left are summed over other orders).

It runs the kernel's own private functions (its passes, its output pass), not a copy that could
drift from them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from abm import allocation
from abm.allocation import RULES, allocate_unchecked, class_table, scratch_size

__all__ = ["LEXICOGRAPHIC", "best_case_books", "bound_books", "class_tables", "find_cuts",
           "has_cuts", "kernel_books", "stacked"]

LEXICOGRAPHIC = RULES["lexicographic"]
_SHORT = allocation._PACKED_BELOW
_OPTIONS = dict(allocation._HELPER, cache=False)
"""The kernel's own options, so that its helpers inline as they do there, but not cached: numba's
cache checks only the file of the function it holds, and these loops carry compiled copies of the
kernel's functions, so a cached loop would time the kernel as it was when it was cached, not as
abm/allocation.py now has it (seen: an edited output pass, which allocate gave, the cached loop
did not)."""


def has_cuts(indptr: np.ndarray) -> bool:
    """Whether the layout ``indptr`` has a book of two orders or more (books of one order
    take no search)."""
    return int(np.diff(indptr).max(initial=0)) >= 2


@njit(**_OPTIONS)
def find_cuts(capacity, indptr, quantity, priority, cut, scratch):
    """The kernel's cut for each book of two orders or more of each problem (rows): the
    priority served in part, inf when all are met; books of one order are left as they are.
    ``scratch`` has :func:`abm.allocation.scratch_size` elements."""
    sq, sp, below, at, _ = allocation._scratch_parts(scratch,
                                                     allocation._scratch_layout(indptr)[0])
    for r in range(capacity.shape[0]):
        for s in range(capacity.shape[1]):
            a = indptr[s]
            b = indptr[s + 1]
            if b - a > 1:
                cut[r, s] = allocation._book_cut(quantity[r, a:b], priority[r, a:b],
                                                 capacity[r, s], sq, sp, below, at)[0]


@njit(**_OPTIONS)
def best_case_books(capacity, indptr, quantity, priority, cut, out, scratch):
    """Allocate each problem (rows) in turn as the kernel would if each book's first try were
    its cut (``cut``, from :func:`find_cuts`): a short book in one pass of the walk at the
    cut, a longer one in its sum and one pass at the cut, then the output pass, from the
    units below and at the cut that pass found. Books of one order as the kernel does."""
    _, _, below_lanes, at_lanes, _ = allocation._scratch_parts(scratch, 0)  # lanes alone
    for r in range(capacity.shape[0]):
        q_row = quantity[r]
        p_row = priority[r]
        o_row = out[r]
        for s in range(capacity.shape[1]):
            a = indptr[s]
            b = indptr[s + 1]
            if b - a <= 1:
                if a < b:
                    o_row[a] = allocation._one_order(q_row[a], capacity[r, s], 1.0, LEXICOGRAPHIC)
                continue
            q = q_row[a:b]
            p = p_row[a:b]
            pivot = cut[r, s]
            below = at = 0.0
            if b - a < _SHORT:  # the walk's pass; the cut's units as the walk finds them
                below, upto, _, _, _ = allocation._cut_pass(q, p, pivot)
                at = upto - below
            elif allocation._ordered_sum(q) > capacity[r, s] and pivot != np.inf:
                below, at = allocation._cut_sums(q, p, b - a, pivot, below_lanes, at_lanes)
            if pivot == np.inf:  # all met: what the search hands the output pass then
                allocation._serve_priority(q, p, pivot, 0.0, 1.0, o_row[a:b])
            else:
                allocation._serve_priority(q, p, pivot, capacity[r, s] - below, at, o_row[a:b])


@njit(**_OPTIONS)
def kernel_books(capacity, indptr, quantity, priority, out, scratch):
    """The kernel (:func:`abm.allocation.allocate_unchecked`, lexicographic) on each problem
    (rows) in turn, called from this loop: its work without a call from Python."""
    for r in range(capacity.shape[0]):
        allocate_unchecked(capacity[r], indptr, quantity[r], LEXICOGRAPHIC, priority[r],
                           quantity[r], out[r], scratch)


@njit(**_OPTIONS)
def bound_books(capacity, indptr, quantity, priority, tables, out, scratch):
    """The kernel as a bound kernel runs it (lexicographic, with each problem's class table,
    ``tables``, from :func:`class_tables`) on each problem (rows) in turn: its work without a
    call from Python."""
    for r in range(capacity.shape[0]):
        allocation._allocate(capacity[r], indptr, quantity[r], LEXICOGRAPHIC, priority[r],
                             quantity[r], out[r], scratch, tables[r])


def class_tables(indptr: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """The class table (:func:`abm.allocation.class_table`) of each row of ``priority``."""
    return np.array([class_table(indptr, row) for row in priority], ndmin=2)


def stacked(capacities: Sequence[np.ndarray], indptr: np.ndarray,
            quantities: Sequence[np.ndarray], priorities: Sequence[np.ndarray]) -> tuple:
    """The arguments the loops here share, for problems on one layout: capacity, indptr,
    quantity, priority (a row a problem), the cuts (:func:`find_cuts`), out and scratch."""
    capacity = np.array(capacities, dtype=float, ndmin=2)
    quantity = np.array(quantities, dtype=float, ndmin=2)
    priority = np.array(priorities, dtype=float, ndmin=2)
    indptr = np.asarray(indptr, dtype=np.int64)
    scratch = np.empty(scratch_size(indptr))
    cut = np.full(capacity.shape, np.inf)
    find_cuts(capacity, indptr, quantity, priority, cut, scratch)
    return capacity, indptr, quantity, priority, cut, np.zeros_like(quantity), scratch

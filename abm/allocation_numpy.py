"""Vectorised NumPy versions of the allocation rules: the baseline the kernel is timed against.

Same signature and contract as :func:`abm.allocation.allocate`; the tests hold
it equal to :mod:`abm.allocation_reference`. Every rule runs as a handful of
whole-array operations, without a Python loop over suppliers (but for running
sums on a skewed layout, below):

* proportional: per-supplier totals by ``np.add.reduceat``, one scale;
* uniform and turn-and-earn: one sort of the orders by (supplier, q / w) (for
  uniform, of complex numbers supplier + i·q, which sort by real part first),
  then segment cumulative sums find, for each supplier, how many of its
  smallest orders are met in full, which fixes its water level;
* lexicographic: one sort by (supplier, priority), sums per priority group and
  a cumulative sum of the groups within each supplier.

A sort "by (supplier, key)" is an argsort of the key followed by a stable
argsort of the supplier numbers (a radix sort when they fit in 16 bits).
Running sums go supplier by supplier (the rows of a padded grid; a loop where
the grid would be mostly padding), so that no
supplier's sums lose precision to the suppliers before it, and what is left to
the orders from j on is a suffix sum, never a total less a running sum (which
cancels when capacity is within rounding of the total). Results agree with the
reference to rounding, not bit for bit.
"""

from __future__ import annotations

import numpy as np

from abm.allocation_inputs import RULES, check_inputs

__all__ = ["allocate", "allocate_unchecked"]


def _segment_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each CSR segment; 0 for an empty segment."""
    starts = indptr[:-1]
    nonempty = starts < indptr[1:]
    sums = np.zeros(starts.size)
    if values.size:
        # reduceat over empty segments would return the next value, not 0: skip them.
        sums[nonempty] = np.add.reduceat(values, starts[nonempty])
    return sums


def _supplier_ids(indptr: np.ndarray) -> np.ndarray:
    """Supplier number of every order: uint16 when it fits (NumPy radix-sorts it), else int64."""
    n_suppliers = indptr.size - 1
    dtype = np.uint16 if n_suppliers <= np.iinfo(np.uint16).max + 1 else np.int64
    return np.repeat(np.arange(n_suppliers, dtype=dtype), np.diff(indptr))


def _order_by_supplier_then(key: np.ndarray, supplier: np.ndarray) -> np.ndarray:
    """Permutation sorting the orders by supplier, then by ``key`` within a supplier."""
    by_key = np.argsort(key)
    return by_key[np.argsort(supplier[by_key], kind="stable")]


def _grid(indptr: np.ndarray) -> np.ndarray | None:
    """Where each order sits in a (supplier, position) grid, as a boolean mask; None
    when the grid would be much larger than the orders (a few long books, many short)."""
    counts = np.diff(indptr)
    width = int(counts.max(initial=0))
    if counts.size * width > 4 * int(indptr[-1]) + 1024:
        return None
    return np.arange(width) < counts[:, None]


def _running_sums(values: np.ndarray, indptr: np.ndarray, backwards: bool) -> np.ndarray:
    """For each position, the sum of the earlier values of its CSR segment (exclusive),
    or of its own and the later ones (``backwards``): segment by segment, as the rows
    of a grid, so that no segment's sums lose precision to another's."""
    mask = _grid(indptr)
    if mask is None:  # a loop over segments rather than a grid mostly of padding
        out = np.zeros_like(values)
        for a, b in zip(indptr[:-1], indptr[1:], strict=True):
            if backwards:
                out[a:b] = np.cumsum(values[a:b][::-1])[::-1]
            elif b - a > 1:
                out[a + 1:b] = np.cumsum(values[a:b - 1])
        return out
    table = np.zeros(mask.shape)
    table[mask] = values
    if backwards:
        return np.cumsum(table[:, ::-1], axis=1)[:, ::-1][mask]
    before = np.zeros(mask.shape)
    before[:, 1:] = np.cumsum(table[:, :-1], axis=1)
    return before[mask]


def _proportional(capacity, indptr, quantity):
    total = _segment_sums(quantity, indptr)
    fraction = np.ones_like(total)
    short = total > capacity
    fraction[short] = capacity[short] / total[short]
    return quantity * np.repeat(fraction, np.diff(indptr))


def _water_fill(capacity, indptr, quantity, weight):
    """min(q, level · w) per order; ``weight`` is None for the uniform rule."""
    supplier = _supplier_ids(indptr)
    if weight is None:
        # values sorted by (supplier, q) in one sort: complex numbers sort by real part first
        q = r = np.sort(supplier + 1j * quantity).imag
        from_here = (indptr[1:][supplier] - np.arange(q.size)).astype(float)
    else:
        ratio = quantity / weight
        order = _order_by_supplier_then(ratio, supplier)
        q, r, w = quantity[order], ratio[order], weight[order]
        from_here = _running_sums(w, indptr, backwards=True)
    before = _running_sums(q, indptr, backwards=False)
    # Sorted order j is met in full iff the fill at level r_j, before_j + r_j · from_here_j,
    # fits; the met orders are a prefix of the supplier's sorted orders.
    met = before + r * from_here <= capacity[supplier]
    n_met = _segment_sums(met.astype(float), indptr).astype(np.int64)
    counts = np.diff(indptr)
    partial = n_met < counts
    first = indptr[:-1][partial] + n_met[partial]
    level = np.full(capacity.size, np.inf)
    level[partial] = (capacity[partial] - before[first]) / from_here[first]
    cap = level[supplier] if weight is None else level[supplier] * weight
    return np.minimum(quantity, cap)


def _lexicographic(capacity, indptr, quantity, priority):
    supplier = _supplier_ids(indptr)
    order = _order_by_supplier_then(priority, supplier)
    s = supplier[order]
    p = priority[order]
    new_group = np.ones(p.size, dtype=bool)
    new_group[1:] = (s[1:] != s[:-1]) | (p[1:] != p[:-1])
    group_start = np.flatnonzero(new_group)
    group_sum = np.add.reduceat(quantity[order], group_start)
    group_supplier = s[group_start]
    group_ptr = np.searchsorted(group_supplier, np.arange(indptr.size), side="left")
    left = np.maximum(
        capacity[group_supplier] - _running_sums(group_sum, group_ptr, backwards=False), 0.0
    )
    share = np.ones_like(group_sum)
    short = group_sum > left
    share[short] = left[short] / group_sum[short]
    out = np.empty_like(quantity)
    out[order] = quantity[order] * share[np.cumsum(new_group) - 1]
    return out


def allocate_unchecked(capacity, indptr, quantity, rule, priority, weight) -> np.ndarray:
    """The rules on arrays that :func:`abm.allocation_inputs.check_inputs` returned.

    Arguments as for :func:`abm.allocation.allocate_unchecked` (``rule`` is the
    integer code), without ``out``: returns the allocations (units).
    """
    if quantity.size == 0:
        return np.zeros(0)
    if rule == RULES["proportional"]:
        return _proportional(capacity, indptr, quantity)
    if rule == RULES["uniform"]:
        return _water_fill(capacity, indptr, quantity, None)
    if rule == RULES["turn_and_earn"]:
        return _water_fill(capacity, indptr, quantity, weight)
    return _lexicographic(capacity, indptr, quantity, priority)


def allocate(capacity, indptr, quantity, *, rule, priority=None, weight=None) -> np.ndarray:
    """NumPy version of :func:`abm.allocation.allocate` (same arguments, same result).

    Examples
    --------
    >>> cap, ptr, q = [6.0], [0, 3], [1.0, 4.0, 7.0]
    >>> allocate(cap, ptr, q, rule="uniform")
    array([1. , 2.5, 2.5])
    >>> allocate(cap, ptr, q, rule="lexicographic", priority=[2, 0, 1])
    array([0., 4., 2.])
    """
    return allocate_unchecked(*check_inputs(capacity, indptr, quantity, rule, priority, weight))

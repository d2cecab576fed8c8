"""The allocation kernel bound once to one CSR layout, for a caller that allocates on it every step.

A call of a jitted function from Python goes through numba's dispatcher, which works out the
type of every argument and looks up the version compiled for those types: about half a
microsecond for :func:`abm.allocation.allocate_unchecked`'s eight arguments on the machine the
benchmark ran on, as much as the kernel's own work on a small book. The model allocates on the
same layouts, with arrays of the same types, every month, so it can look the compiled version up
once. A :class:`BoundKernel` owns the arrays of one layout, finds the kernel compiled for their
types when it is made (numba's ``Dispatcher.get_overload``), and then calls that directly.

The compiled version trusts its arguments' types (an array of another dtype or layout would be
misread), so a bound kernel passes only the arrays it made: they cannot be replaced, only written
in place.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import typeof

from abm.allocation import allocate_unchecked, scratch_size
from abm.allocation_inputs import RULES, check_inputs

__all__ = ["BoundKernel", "compiled_for"]


def _argument(index: int, doc: str) -> property:
    """A read-only property: argument ``index`` of the bound call (an array, written in place)."""
    return property(lambda kernel: kernel.args[index], doc=doc)


class BoundKernel(functools.partial):
    """:func:`~abm.allocation.allocate_unchecked` bound to one layout, rule and priority.

    Each step, write the step's ``capacity`` (units per supplier), ``quantity`` (units per
    order) and, under turn_and_earn, ``weight`` in place (``kernel.quantity[:] = ...``), call
    the kernel, and read the allocations from ``out`` (overwritten by the next call). Nothing
    is checked per call, as with ``allocate_unchecked``: capacities and quantities must be
    finite and ≥ 0, weights finite and > 0; :meth:`check` validates the arrays as they stand.

    A bound kernel is a :class:`functools.partial` of the compiled kernel and its arrays, so a
    call runs no Python code at all.

    >>> kernel = BoundKernel([0, 2], "uniform")
    >>> kernel.capacity[:] = 6.0
    >>> kernel.quantity[:] = [2.0, 9.0]
    >>> kernel()
    >>> kernel.out.tolist()
    [2.0, 4.0]
    """

    def __new__(cls, indptr, rule: str, priority=None) -> BoundKernel:
        arrays = _arrays(indptr, rule, priority)
        return super().__new__(cls, compiled_for(allocate_unchecked, arrays), *arrays)

    def __init__(self, indptr, rule: str, priority=None) -> None:
        self.rule = rule

    capacity = _argument(0, "float64[S]: units each supplier can ship this step; write in place.")
    indptr = _argument(1, "int64[S + 1]: the layout; supplier s owns orders indptr[s]:indptr[s+1].")
    quantity = _argument(2, "float64[E]: units ordered; write in place.")
    priority = _argument(4, "float64[E]: priority numbers (lexicographic; zeros for other rules).")
    weight = _argument(5, "float64[E]: past-sales weights (turn_and_earn; > 0, ones at first).")
    out = _argument(6, "float64[E]: the last call's allocations (units).")

    def check(self) -> None:
        """Raise ``ValueError``, as :func:`~abm.allocation.allocate` would, if the arrays as
        they stand are not a valid problem for the rule."""
        capacity, indptr, quantity, _, priority, weight, _, _ = self.args
        check_inputs(capacity, indptr, quantity, self.rule, priority, weight)


def _arrays(indptr, rule: str, priority) -> tuple:
    """Checked, zeroed arguments of ``allocate_unchecked`` for the layout ``indptr``: capacity,
    indptr, quantity, the rule's code, priority, weight (ones), out, scratch."""
    indptr = np.asarray(indptr)
    try:  # the sizes to check against; check_inputs then names whatever is wrong
        n_orders = max(0, int(indptr.ravel()[-1]))
    except (IndexError, TypeError, ValueError, OverflowError):
        n_orders = 0
    n_suppliers = max(0, indptr.size - 1)
    weight = np.ones(n_orders)
    _, ptr, _, code, pri, _ = check_inputs(np.zeros(n_suppliers), indptr, np.zeros(n_orders),
                                           rule, priority, weight)
    priority = pri.copy() if code == RULES["lexicographic"] else np.zeros(n_orders)
    return (np.zeros(n_suppliers), ptr.copy(), np.zeros(n_orders), code, priority, weight,
            np.zeros(n_orders), np.empty(scratch_size(ptr)))


def compiled_for(dispatcher, arguments: tuple):
    """The version of the jitted ``dispatcher`` compiled for the types of ``arguments``
    (loaded from numba's cache, or compiled, when it has none yet)."""
    signature = tuple(typeof(a) for a in arguments)
    dispatcher.compile(signature)
    return dispatcher.get_overload(signature)

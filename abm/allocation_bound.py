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

    @property
    def capacity(self) -> np.ndarray:
        """float64[S]: units each supplier can ship this step; write in place."""
        return self.args[0]

    @property
    def indptr(self) -> np.ndarray:
        """int64[S + 1]: the CSR layout (supplier ``s`` owns orders ``indptr[s]:indptr[s+1]``)."""
        return self.args[1]

    @property
    def quantity(self) -> np.ndarray:
        """float64[E]: units ordered; write in place."""
        return self.args[2]

    @property
    def priority(self) -> np.ndarray:
        """float64[E]: the priority numbers (lexicographic; zeros under the other rules)."""
        return self.args[4]

    @property
    def weight(self) -> np.ndarray:
        """float64[E]: past-sales weights (turn_and_earn, > 0); ones until written."""
        return self.args[5]

    @property
    def out(self) -> np.ndarray:
        """float64[E]: the last call's allocations (units)."""
        return self.args[6]

    def check(self) -> None:
        """Raise ``ValueError``, as :func:`~abm.allocation.allocate` would, if the arrays as
        they stand are not a valid problem for the rule."""
        capacity, indptr, quantity, _, priority, weight, _, _ = self.args
        check_inputs(capacity, indptr, quantity, self.rule, priority, weight)


def _arrays(indptr, rule: str, priority) -> tuple:
    """Checked, zeroed arguments of ``allocate_unchecked`` for the layout ``indptr``: capacity,
    indptr, quantity, the rule's code, priority, weight (ones), out, scratch."""
    indptr = np.asarray(indptr)
    n_suppliers, n_orders = indptr.size - 1, int(indptr[-1]) if indptr.size else 0
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

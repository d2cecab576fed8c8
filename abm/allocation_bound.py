"""The allocation kernel bound once to one CSR layout, for a caller that allocates on it every step.

A call of a jitted function from Python goes through numba's dispatcher, which works out the
type of every argument and looks up the version compiled for those types: about half a
microsecond for :func:`abm.allocation.allocate_unchecked`'s eight arguments on the machine the
benchmark ran on, as much as the kernel's own work on a small book. The model allocates on the
same layouts, with arrays of the same types, every month, so it can look the compiled version up
once. A :class:`BoundKernel` owns the arrays of one layout, finds the kernel compiled for their
types when it is made (numba's ``Dispatcher.get_overload``), and then calls that directly.

Even then the call unboxes each array it passes, so the arrays live end to end in one work array
and the call passes that, the layout and the rule: :func:`abm.allocation.allocate_packed`, which
also keeps the GIL (releasing it costs about as much as a small call's work).

The priorities are bound with the layout, so a lexicographic kernel works out each book's
priority classes once (:func:`abm.allocation.class_table`, in the work array too): the kernel
then cuts a short book of a few classes in one pass, with the walk's result bit for bit. Its
``priority`` is read-only, as a priority written in place would leave that table stale.

The compiled version trusts its arguments' types (an array of another dtype or layout would be
misread), so a bound kernel passes only the arrays it made: they cannot be replaced, only written
in place.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import typeof

from abm.allocation import allocate_packed, class_table, packed_size
from abm.allocation_inputs import RULES, check_inputs

__all__ = ["BoundKernel", "compiled_for"]

_PACKED = ("capacity", "quantity", "priority", "weight", "out")
"""The arrays of :func:`~abm.allocation.allocate_packed`'s work array, in its order."""


def _view(name: str, doc: str) -> property:
    """A read-only property: the bound kernel's array ``name``, a view of its work array."""
    return property(lambda kernel: kernel._views[name], doc=doc)


class BoundKernel(functools.partial):
    """The allocation kernel bound to one layout, rule and priority.

    Each step, write the step's ``capacity`` (units per supplier), ``quantity`` (units per
    order) and, under turn_and_earn, ``weight`` in place (``kernel.quantity[:] = ...``), call
    the kernel, and read the allocations from ``out`` (overwritten by the next call). Nothing
    is checked per call, as with ``allocate_unchecked``: capacities and quantities must be
    finite and ≥ 0, weights finite and > 0; :meth:`check` validates the arrays as they stand.

    A bound kernel is a :class:`functools.partial` of the compiled
    :func:`~abm.allocation.allocate_packed` and its work array, layout and rule code, so a
    call runs no Python code at all.

    >>> kernel = BoundKernel([0, 2], "uniform")
    >>> kernel.capacity[:] = 6.0
    >>> kernel.quantity[:] = [2.0, 9.0]
    >>> kernel()
    >>> kernel.out.tolist()
    [2.0, 4.0]
    """

    def __new__(cls, indptr, rule: str, priority=None) -> BoundKernel:
        arena, ptr, code, views = _arrays(indptr, rule, priority)
        kernel = super().__new__(cls, compiled_for(allocate_packed, (arena, ptr, code)),
                                 arena, ptr, code)
        kernel._views = views
        return kernel

    def __init__(self, indptr, rule: str, priority=None) -> None:
        self.rule = rule

    capacity = _view("capacity", "float64[S]: units each supplier can ship this step; write "
                                 "in place.")
    quantity = _view("quantity", "float64[E]: units ordered; write in place.")
    priority = _view("priority", "float64[E]: priority numbers (lexicographic; zeros for "
                                 "other rules); read-only, bound with the layout.")
    weight = _view("weight", "float64[E]: past-sales weights (turn_and_earn; > 0, ones at "
                             "first).")
    out = _view("out", "float64[E]: the last call's allocations (units).")

    @property
    def indptr(self) -> np.ndarray:
        """int64[S + 1]: the layout; supplier s owns orders indptr[s]:indptr[s+1]."""
        return self.args[1]

    def check(self) -> None:
        """Raise ``ValueError``, as :func:`~abm.allocation.allocate` would, if the arrays as
        they stand are not a valid problem for the rule."""
        check_inputs(self.capacity, self.indptr, self.quantity, self.rule, self.priority,
                     self.weight)


def _arrays(indptr, rule: str, priority) -> tuple:
    """Checked arguments of ``allocate_packed`` for the layout ``indptr`` (the work array,
    indptr, the rule's code) and the named views of the work array: capacity and quantity
    zeroed, priority (read-only; and, for lexicographic, its class table), weight ones,
    out."""
    indptr = np.asarray(indptr)
    try:  # the sizes to check against; check_inputs then names whatever is wrong
        n_orders = max(0, int(indptr.ravel()[-1]))
    except (IndexError, TypeError, ValueError, OverflowError):
        n_orders = 0
    n_suppliers = max(0, indptr.size - 1)
    _, ptr, _, code, pri, _ = check_inputs(np.zeros(n_suppliers), indptr, np.zeros(n_orders),
                                           rule, priority, np.ones(n_orders))
    arena = np.zeros(packed_size(ptr))
    ends = np.cumsum([n_suppliers] + [n_orders] * len(_PACKED[1:]))
    views = dict(zip(_PACKED, np.split(arena[:ends[-1]], ends[:-1]), strict=True))
    views["weight"][:] = 1.0
    if code == RULES["lexicographic"]:
        views["priority"][:] = pri
        table = class_table(ptr, pri)
        arena[ends[-1]:ends[-1] + table.size] = table
    views["priority"].flags.writeable = False
    return arena, ptr.copy(), code, views


def compiled_for(dispatcher, arguments: tuple):
    """The version of the jitted ``dispatcher`` compiled for the types of ``arguments``
    (loaded from numba's cache, or compiled, when it has none yet)."""
    signature = tuple(typeof(a) for a in arguments)
    dispatcher.compile(signature)
    return dispatcher.get_overload(signature)

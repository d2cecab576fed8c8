"""Numba's own costs on this machine: the floors under the kernel's per-call and start-up times.

The benchmark times these beside the kernel so that a reader can tell the kernel's work from
what any jitted function pays here:

* a call of :func:`empty_call`, which takes the arguments of
  :func:`abm.allocation.allocate_unchecked` and does nothing, costs numba's dispatch of those
  arguments (finding the compiled version for their types and unboxing each array);
* a call of :func:`empty_packed_call`, which takes those of
  :func:`abm.allocation.allocate_packed`, bound to them (:func:`bound_empty_call`, as
  :class:`abm.allocation_bound.BoundKernel` binds the kernel), costs the call and the unboxing
  alone;
* a fresh process that imports numba and makes a first call of :func:`empty_call` from a warm
  cache costs numba's own start-up. Numba's first call sets up its compiler's registries and,
  when SciPy is installed (Mesa needs it), imports ``scipy.linalg.cython_blas`` to look for
  BLAS; :data:`START_UP` times that import apart.

This module imports only numba and NumPy, so that its start-up time is numba's alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numba import njit

START_UP = (
    "import time\n"
    "start = time.perf_counter()\n"
    "import numpy as np\n"
    "import numba\n"
    "scipy_start = time.perf_counter()\n"
    "try:\n"
    "    import scipy.linalg.cython_blas\n"
    "except ImportError:\n"
    "    pass\n"
    "scipy_end = time.perf_counter()\n"
    "from abm.bench_floor import call_once\n"
    "call_once()\n"
    "print(time.perf_counter() - start, scipy_end - scipy_start)\n"
)
"""A fresh process's code: import numba, import SciPy's BLAS as numba's first call would, then
make that call. Prints the seconds of it all and of the SciPy import (a part of the first)."""


@njit(cache=True, nogil=True, _nrt=False)
def empty_call(capacity, indptr, quantity, rule, priority, weight, out, scratch):
    """Nothing, with :func:`abm.allocation.allocate_unchecked`'s arguments and options (no
    runtime): its time is the dispatch of those arguments."""
    return None


@njit(cache=True, _nrt=False)
def empty_packed_call(arena, indptr, rule):
    """Nothing, with :func:`abm.allocation.allocate_packed`'s arguments and options (no
    runtime; it keeps the GIL)."""
    return None


def bound_empty_call(arguments: tuple) -> Callable[[], None]:
    """:func:`empty_packed_call` compiled for the types of ``arguments`` (a bound kernel's
    ``args``) and bound to them, as :class:`abm.allocation_bound.BoundKernel` binds the
    kernel."""
    from abm.allocation_bound import compiled_for  # here: the start-up timing imports numba alone

    return functools.partial(compiled_for(empty_packed_call, arguments), *arguments)


def call_once() -> None:
    """One call of :func:`empty_call` on arrays of the kernel's types (3 orders, 1 supplier)."""
    orders = np.zeros(3)
    empty_call(np.zeros(1), np.array([0, 3], dtype=np.int64), orders, 1, orders, orders,
               np.empty(3), np.empty(3))

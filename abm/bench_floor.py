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
  cache costs numba's own start-up, loading as the kernel does, without setting up numba's
  compiler (:mod:`abm.jit_cache`). The same with numba's own loader shows what that saves:
  numba's loader first sets up its compiler's registries and, when SciPy is installed (Mesa
  needs it), imports ``scipy.linalg.cython_blas`` to look for BLAS.

This module imports only numba, NumPy and :mod:`abm.jit_cache` (which imports numba), so that
its start-up time is numba's alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numba import njit

from abm.jit_cache import load_without_compiler

LOADERS = ("without_compiler", "numba")
"""How the start-up floor's fresh process loads its empty function from the cache: as the
kernel's entry points do (:func:`abm.jit_cache.load_without_compiler`), or with numba's own
loader, which first sets up numba's compiler (and imports SciPy's BLAS when SciPy is there)."""


def start_up_code(loader: str) -> str:
    """A fresh process's code: import numba, then call :func:`empty_call` (loaded by
    ``loader``, one of :data:`LOADERS`) once. Prints the seconds of it all."""
    if loader not in LOADERS:
        raise ValueError(f"loader: expected one of {LOADERS}, got {loader!r}")
    return ("import time\n"
            "start = time.perf_counter()\n"
            "import numpy as np\n"
            "import numba\n"
            "from abm.bench_floor import call_once\n"
            f"call_once({loader!r})\n"
            "print(time.perf_counter() - start)\n")


@load_without_compiler
@njit(cache=True, nogil=True, _nrt=False)
def empty_call(capacity, indptr, quantity, rule, priority, weight, out, scratch):
    """Nothing, with :func:`abm.allocation.allocate_unchecked`'s arguments and options (no
    runtime; loaded without the compiler): its time is the dispatch of those arguments."""
    return None


@njit(cache=True, nogil=True, _nrt=False)
def empty_call_numba_loader(capacity, indptr, quantity, rule, priority, weight, out, scratch):
    """:func:`empty_call` again, but loaded from the cache by numba's own loader."""
    return None


@load_without_compiler
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


def call_once(loader: str) -> None:
    """One call of :func:`empty_call` on arrays of the kernel's types (3 orders, 1 supplier),
    loaded from the cache by ``loader`` (one of :data:`LOADERS`)."""
    orders = np.zeros(3)
    empty = empty_call if loader == "without_compiler" else empty_call_numba_loader
    empty(np.zeros(1), np.array([0, 3], dtype=np.int64), orders, 1, orders, orders, np.empty(3),
          np.empty(3))

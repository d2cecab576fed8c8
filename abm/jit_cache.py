"""Load a kernel from numba's cache without first setting up numba's compiler.

Before numba loads a function from its on-disk cache, it "refreshes" its compiler: it imports
and registers every typing and lowering rule it has, and with them SciPy's BLAS bindings (to
learn whether ``np.dot`` can compile). On the benchmark's machine that is about half of a fresh
process's import and first call: 0.30 s for the rules and 0.21 s for SciPy, of 1.0 s. Code
loaded from the cache needs none of it. It is machine code, linked against symbols numba
registers when it creates its compiler's context: C maths, numba's C helpers and Python's
exceptions. Two kinds of code need more, and the refresh provides it: code that uses numba's
runtime (reference-counted arrays), whose symbols the refresh registers, and ``parallel`` code,
which starts a thread pool.

:func:`load_without_compiler` gives a jitted function a cache that loads without that refresh.
It takes only functions jitted with ``_nrt=False`` and without ``parallel``, which makes this
safe. On a cache miss it refreshes, and numba compiles as usual. Any later compilation in the
process sets the compiler up itself: numba's compiler refreshes at its start.

This relies on numba's ``FunctionCache`` (its ``_load_overload`` and
``_guard_against_spurious_io_errors``) and on ``Dispatcher._cache``, which are not public API.
When any of them is missing, the function is left as it is: it still loads and calls, only
more slowly. :func:`loads_without_compiler` reports whether the faster path is in place, and
the tests check that it is.
"""

from __future__ import annotations

from numba.core.dispatcher import Dispatcher

try:
    from numba.core.caching import FunctionCache
except ImportError:  # a numba without it: every function keeps numba's own loader
    FunctionCache = None

_INTERNALS = ("_load_overload", "_guard_against_spurious_io_errors")
"""The private methods of numba's ``FunctionCache`` that the compiler-free loader calls."""


def _numba_has_internals() -> bool:
    """Whether this numba has the internals the compiler-free loader relies on."""
    return FunctionCache is not None and all(hasattr(FunctionCache, name) for name in _INTERNALS)


class _CompilerFreeCache(FunctionCache or object):
    """Numba's cache of one function; loading from it skips the compiler's refresh."""

    def load_overload(self, sig, target_context):
        """The compiled function for ``sig`` from the cache, or ``None`` on a miss, after
        which numba compiles it (refreshing the compiler first, as its own loader does)."""
        with self._guard_against_spurious_io_errors():
            compiled = self._load_overload(sig, target_context)
            if compiled is not None:
                return compiled
        target_context.refresh()
        return None


def load_without_compiler(dispatcher):
    """Make the jitted ``dispatcher`` load from its cache without setting up numba's compiler
    (see the module's docstring); return it, so this can decorate an ``@njit`` function.

    Raises ``ValueError`` for a function that uses numba's runtime or ``parallel``, whose
    cached code needs the compiler set up. Functions left plain Python (``NUMBA_DISABLE_JIT``)
    or jitted without ``cache=True``, and every function under a numba without the internals
    this relies on, are returned unchanged.
    """
    if not isinstance(dispatcher, Dispatcher):
        return dispatcher
    options = dispatcher.targetoptions
    runtime, parallel = options.get("_nrt", True), options.get("parallel", False)
    if runtime or parallel:
        raise ValueError(
            f"load_without_compiler({dispatcher.py_func.__qualname__}): expected a function "
            f"jitted with _nrt=False and without parallel, got _nrt={runtime!r}, "
            f"parallel={parallel!r}")
    if _numba_has_internals() and isinstance(getattr(dispatcher, "_cache", None), FunctionCache):
        dispatcher._cache = _CompilerFreeCache(dispatcher.py_func)
    return dispatcher


def loads_without_compiler(dispatcher) -> bool:
    """Whether ``dispatcher`` loads from its cache without setting up numba's compiler."""
    return isinstance(getattr(dispatcher, "_cache", None), _CompilerFreeCache)

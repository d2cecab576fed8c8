"""Kernels load from numba's cache without numba setting up its compiler, and nothing breaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numba import njit

from abm import allocation, jit_cache
from abm.allocation import RULES, allocate
from abm.allocation_bound import BoundKernel
from abm.jit_cache import load_without_compiler, loads_without_compiler

_COMPILER_MODULE = "numba.np.arraymath"
"""A module of typing and lowering rules that numba imports only when it sets up its compiler."""

_TINY = textwrap.dedent("""
    from numba import njit
    from abm.jit_cache import load_without_compiler

    @load_without_compiler
    @njit(cache=True, _nrt=False)
    def doubled(x, out):
        for i in range(x.size):
            out[i] = 2.0 * x[i]
""")


def _run(code: str, **env: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object, returned here."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})
    return json.loads(done.stdout.splitlines()[-1])


def test_entry_points_called_from_python_load_without_compiler():
    for name in ("_scratch_layout", "allocate_unchecked", "allocate_packed"):
        assert loads_without_compiler(getattr(allocation, name)), name
    assert not loads_without_compiler(allocation.allocate_batch_unchecked)  # parallel


@pytest.mark.parametrize(("options", "named"), [({"cache": True}, "_nrt=True"),
                                                ({"_nrt": True}, "_nrt=True"),
                                                ({"_nrt": False, "parallel": True},
                                                 "parallel=True")])
def test_refuses_functions_whose_cached_code_needs_the_compiler(options, named):
    def needs_compiler(x):
        return x

    with pytest.raises(ValueError, match=f"needs_compiler.*expected .*_nrt=False.*{named}"):
        load_without_compiler(njit(**options)(needs_compiler))


def test_a_numba_without_the_internals_keeps_its_own_loader(monkeypatch):
    """Should a numba release drop what the loader relies on, functions keep numba's own
    loader (slower, not broken) instead of failing at their first call."""
    monkeypatch.setattr(jit_cache, "_INTERNALS", ("_a_method_numba_does_not_have",))

    def kept(x, out):
        out[0] = x[0]

    dispatcher = load_without_compiler(njit(cache=True, _nrt=False)(kept))
    assert not loads_without_compiler(dispatcher)
    out = np.zeros(1)
    dispatcher(np.array([3.0]), out)
    assert out[0] == 3.0


def test_cache_miss_compiles_then_a_fresh_process_loads_without_compiler(tmp_path):
    (tmp_path / "tiny.py").write_text(_TINY)
    code = f"""
        import json, sys
        import numpy as np
        from tiny import doubled
        out = np.zeros(3)
        doubled(np.array([1.0, 2.5, -4.0]), out)
        print(json.dumps({{"out": out.tolist(), "compiler": {_COMPILER_MODULE!r} in sys.modules,
                          "hits": sum(doubled.stats.cache_hits.values())}}))
    """
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path)}
    cold = _run(code, **env)
    warm = _run(code, **env)
    assert cold == {"out": [2.0, 5.0, -8.0], "compiler": True, "hits": 0}
    assert warm == {"out": [2.0, 5.0, -8.0], "compiler": False, "hits": 1}


def test_fresh_process_allocates_without_compiler_then_still_compiles_new_code():
    """The public wrapper and the model's bound kernel, from the warm cache, and the
    kernel's own error; then a new function that needs numba's runtime and BLAS compiles
    in the same process."""
    capacity, indptr, quantity = [6.0, 2.0], [0, 3, 5], [1.0, 4.0, 7.0, 2.0, 2.0]
    priority = [2.0, 1.0, 0.0, 0.0, 1.0]
    expected = {rule: allocate(capacity, indptr, quantity, rule=rule, priority=priority,
                               weight=np.ones(5)).tolist() for rule in RULES}
    bound = BoundKernel(indptr, "lexicographic", np.array(priority))  # warms its cache too
    bound.capacity[:], bound.quantity[:] = capacity, quantity
    bound()
    got = _run(f"""
        import json, sys
        import numpy as np
        from abm.allocation import RULES, allocate
        from abm.allocation_bound import BoundKernel
        args = {capacity!r}, {indptr!r}, {quantity!r}
        out = {{rule: allocate(*args, rule=rule, priority={priority!r},
                               weight=np.ones(5)).tolist() for rule in RULES}}
        bound = BoundKernel({indptr!r}, "lexicographic", np.array({priority!r}))
        bound.capacity[:], bound.quantity[:] = args[0], args[2]
        bound()
        from abm.allocation import allocate_packed
        try:
            allocate_packed(bound.args[0][:-1], bound.args[1], bound.args[2])
            error = None
        except ValueError as raised:
            error = str(raised)
        compiler = {_COMPILER_MODULE!r} in sys.modules or "scipy.linalg" in sys.modules
        from numba import njit

        @njit
        def norm2(n):
            x = np.ones(n)
            return np.dot(x, x)

        print(json.dumps({{"out": out, "bound": bound.out.tolist(), "error": error,
                          "compiler": compiler, "norm2": norm2(4)}}))
    """)
    assert got == {"out": expected, "bound": bound.out.tolist(), "compiler": False,
                   "error": "scratch holds fewer than scratch_size(indptr) elements",
                   "norm2": 4.0}

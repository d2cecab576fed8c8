"""The issue's probe, run again: how fast this machine is beside the one the targets were set on.

Issue 2 set the kernel's speed targets after a probe "on this machine (2 cores; 43 GB/s DRAM
copy; 16 MB fits in L3)", which timed simple allocation loops at E = 10⁶ orders on S = 100
suppliers (:data:`ISSUE_SECONDS`). The benchmark runs those loops again, written as the issue
describes them, beside the kernel, so that a reader can tell a target missed because the
kernel is slow from one missed because the machine is: the ratio of this machine's time to
the probe's, loop by loop.

* ``numpy_reduceat`` — proportional in NumPy: ``np.add.reduceat`` for each supplier's units,
  then each order times its supplier's fraction;
* ``numba_naive`` — proportional in one numba loop over global indices, one sum after another
  (a chain of dependent additions: its time follows the processor's clock and latency);
* ``numba_views`` — the same loop over each supplier's 0-based slice views;
* ``numba_sort`` — uniform (water-filling) by sorting each supplier's orders, then scanning
  them for the level (work in cache: its time follows the processor, not memory).

The loops are measuring sticks, not alternatives to the kernel: they allocate correctly
(the tests hold them to :func:`abm.allocation.allocate`) but take no shortcuts and no care
over rounding beyond a plain sum.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

__all__ = ["ISSUE_COPY_GB_S", "ISSUE_L3_BYTES", "ISSUE_SECONDS", "LOOPS", "PROBE_SIZE",
           "l3_bytes", "numba_naive", "numba_sort", "numba_views", "numpy_reduceat"]

PROBE_SIZE = (1_000_000, 100)
"""(orders, suppliers) of the issue's probe."""
ISSUE_SECONDS = {"numpy_reduceat": 0.47e-3, "numba_naive": 1.1e-3, "numba_views": 0.55e-3,
                 "numba_sort": 30e-3}
"""Each loop's time on the issue's machine (seconds; issue 2, "Targets": "≈ 0.47 ms",
"≈ 1.1 ms", "≈ 0.55 ms", "≈ 30 ms in numba")."""
ISSUE_COPY_GB_S = 43.0
"""The issue's machine's memory copy (GB/s; issue 2, "Targets")."""
ISSUE_L3_BYTES = 16 * 10**6
"""What the issue says fits in its machine's L3 cache (bytes; issue 2, "16 MB fits in L3")."""
_OPTIONS = {"cache": True, "nogil": True}


def numpy_reduceat(capacity: np.ndarray, indptr: np.ndarray, quantity: np.ndarray,
                   out: np.ndarray) -> None:
    """Proportional in NumPy: Σ q per supplier by ``np.add.reduceat``, then q · min(1, c / Σ q)
    (0 where Σ q = 0). Expects every supplier to hold an order (``reduceat`` reads an empty
    slice as the next order)."""
    total = np.add.reduceat(quantity, indptr[:-1])
    fraction = np.divide(capacity, total, out=np.zeros_like(capacity), where=total > 0.0)
    np.multiply(quantity, np.repeat(np.minimum(1.0, fraction), np.diff(indptr)), out=out)


@njit(**_OPTIONS)
def numba_naive(capacity: np.ndarray, indptr: np.ndarray, quantity: np.ndarray,
                out: np.ndarray) -> None:
    """Proportional over global indices: a sum, then the scaled orders, supplier by supplier."""
    for s in range(capacity.size):
        total = 0.0
        for i in range(indptr[s], indptr[s + 1]):
            total += quantity[i]
        fraction = min(1.0, capacity[s] / total) if total > 0.0 else 0.0
        for i in range(indptr[s], indptr[s + 1]):
            out[i] = quantity[i] * fraction


@njit(**_OPTIONS)
def numba_views(capacity: np.ndarray, indptr: np.ndarray, quantity: np.ndarray,
                out: np.ndarray) -> None:
    """:func:`numba_naive` over each supplier's 0-based slices of ``quantity`` and ``out``."""
    for s in range(capacity.size):
        q = quantity[indptr[s]:indptr[s + 1]]
        o = out[indptr[s]:indptr[s + 1]]
        total = 0.0
        for i in range(q.size):
            total += q[i]
        fraction = min(1.0, capacity[s] / total) if total > 0.0 else 0.0
        for i in range(q.size):
            o[i] = q[i] * fraction


@njit(**_OPTIONS)
def numba_sort(capacity: np.ndarray, indptr: np.ndarray, quantity: np.ndarray,
               out: np.ndarray) -> None:
    """Uniform by sorting: each supplier's orders ascending, met one by one until the next
    order reaches an even share of what is left (left ÷ orders not yet met), which is the
    level (inf if none does); each order gets min(q, level)."""
    for s in range(capacity.size):
        q = quantity[indptr[s]:indptr[s + 1]]
        ascending = np.sort(q)
        left = capacity[s]
        level = np.inf
        for k in range(ascending.size):
            share = left / (ascending.size - k)
            if ascending[k] >= share:
                level = share
                break
            left -= ascending[k]
        o = out[indptr[s]:indptr[s + 1]]
        for i in range(q.size):
            o[i] = min(q[i], level)


LOOPS: dict[str, tuple[str, Callable[..., None]]] = {
    "numpy_reduceat": ("proportional", numpy_reduceat),
    "numba_naive": ("proportional", numba_naive),
    "numba_views": ("proportional", numba_views),
    "numba_sort": ("uniform", numba_sort),
}
"""The probe's loops by name: the rule each allocates and the function, called with
(capacity, indptr, quantity, out)."""


def l3_bytes(cpu: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> int | None:
    """The largest level-3 cache the kernel's sysfs reports for CPU 0 (bytes), or None."""
    sizes = []
    for index in sorted(cpu.glob("index*")):
        try:
            if (index / "level").read_text().strip() != "3":
                continue
            text = (index / "size").read_text().strip().upper()
        except OSError:
            continue
        scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            sizes.append(int(digits) * scale)
    return max(sizes, default=None)

"""The one invariant checker every allocation implementation is held to."""

from __future__ import annotations

import numpy as np


def check_allocation_contract(capacity, indptr, quantity, alloc, *, rtol: float = 1e-9) -> None:
    """Assert DESIGN §6's contract for one allocation.

    0 ≤ alloc ≤ quantity; zero orders get nothing; each supplier ships
    min(capacity, total ordered) to relative tolerance ``rtol``.
    """
    capacity = np.asarray(capacity, dtype=float)
    indptr = np.asarray(indptr)
    quantity = np.asarray(quantity, dtype=float)
    assert alloc.shape == quantity.shape
    assert np.all(np.isfinite(alloc))
    assert np.all(alloc >= 0.0), alloc.min()
    assert np.all(alloc <= quantity), np.max(alloc - quantity)
    assert np.all(alloc[quantity == 0.0] == 0.0)
    for s in range(capacity.size):
        a, b = indptr[s], indptr[s + 1]
        ordered = quantity[a:b].sum()
        due = min(capacity[s], ordered)
        shipped = alloc[a:b].sum()
        assert abs(shipped - due) <= rtol * max(1.0, due) + 1e-12, (s, shipped, due)

"""Plain-Python reference for the allocation rules: slow, readable, obviously right.

Same signature and same contract as :func:`abm.allocation.allocate`; the tests
hold the two equal. Water-filling here sorts the orders and walks up the
levels, the textbook construction, rather than the kernel's fixed point.
"""

from __future__ import annotations

import numpy as np

from abm.allocation_inputs import check_inputs


def _proportional(q: list[float], capacity: float) -> list[float]:
    total = sum(q)
    if total <= capacity:
        return list(q)
    return [x * capacity / total for x in q]


def _water_fill(q: list[float], w: list[float], capacity: float) -> list[float]:
    """min(q, level · w) with the level that ships exactly min(capacity, Σ q)."""
    if sum(q) <= capacity:
        return list(q)
    left, weight_left = capacity, sum(wi for qi, wi in zip(q, w, strict=True) if qi > 0)
    in_play = [(qi, wi) for qi, wi in zip(q, w, strict=True) if qi > 0]
    for qi, wi in sorted(in_play, key=lambda order: order[0] / order[1]):
        if qi / wi > left / weight_left:
            break
        left -= qi
        weight_left -= wi
    level = left / weight_left
    return [min(qi, level * wi) for qi, wi in zip(q, w, strict=True)]


def _lexicographic(q: list[float], p: list[float], capacity: float) -> list[float]:
    out = [0.0] * len(q)
    left = capacity
    for level in sorted(set(p)):
        members = [i for i in range(len(q)) if p[i] == level]
        group = sum(q[i] for i in members)
        for i in members:
            if group <= left:
                out[i] = q[i]
            elif len(members) == 1:
                out[i] = left  # exact: the last order served takes what is left
            else:
                out[i] = q[i] * left / group
        left = max(0.0, left - group)
    return out


def allocate(capacity, indptr, quantity, *, rule, priority=None, weight=None) -> np.ndarray:
    """Reference implementation of :func:`abm.allocation.allocate` (same arguments)."""
    cap, ptr, qty, _, pri, wt = check_inputs(capacity, indptr, quantity, rule, priority, weight)
    out = np.zeros_like(qty)
    for s in range(cap.size):
        a, b = int(ptr[s]), int(ptr[s + 1])
        q = [float(x) for x in qty[a:b]]
        if rule == "proportional":
            alloc = _proportional(q, float(cap[s]))
        elif rule == "uniform":
            alloc = _water_fill(q, [1.0] * len(q), float(cap[s]))
        elif rule == "turn_and_earn":
            alloc = _water_fill(q, [float(x) for x in wt[a:b]], float(cap[s]))
        else:
            alloc = _lexicographic(q, [float(x) for x in pri[a:b]], float(cap[s]))
        out[a:b] = alloc
    return out

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
    """min(q, level · w) with the level that ships exactly min(capacity, Σ q).

    Walk up the orders by q / w: order j is met in full while it fits under the
    level that what is left would give the orders from j on.
    """
    if sum(q) <= capacity:
        return list(q)
    in_play = sorted(((qi, wi) for qi, wi in zip(q, w, strict=True) if qi > 0),
                     key=lambda order: order[0] / order[1])
    # The weight still in play, summed from the end rather than by subtraction, so it
    # cannot round to zero when the capacity is within rounding of the total ordered.
    weight_left = [0.0] * (len(in_play) + 1)
    for j in range(len(in_play) - 1, -1, -1):
        weight_left[j] = weight_left[j + 1] + in_play[j][1]
    level = float("inf")
    met = 0.0
    for j, (qj, wj) in enumerate(in_play):
        candidate = (capacity - met) / weight_left[j]
        if qj / wj > candidate:
            level = candidate
            break
        met += qj
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

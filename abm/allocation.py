"""Rationing kernels: share each supplier's capacity among the orders placed on it.

Every tier of the supply chain (fab → vendor, HBM → vendor, vendor → distributor,
distributor → buyer) allocates scarce output with one of four rules, and the rule
decides whether a buyer gains by inflating its order (Cachon & Lariviere 1999):

``proportional``
    every order at a supplier gets the same fraction min(1, capacity / total ordered);
``uniform``
    max-min fair water-filling: each order gets min(quantity, level), the level
    chosen so the supplier ships min(capacity, total ordered);
``lexicographic``
    strict priority: orders with a smaller ``priority`` number are filled first,
    orders of equal priority share what is left proportionally;
``turn_and_earn``
    weighted water-filling on ``weight`` (past sales, > 0): each order gets
    min(quantity, level · weight).

Orders are laid out CSR-style by supplier: supplier ``s`` owns the orders
``indptr[s]:indptr[s+1]`` of ``quantity`` (and of ``priority`` and ``weight``).

Contract, for every rule: 0 ≤ allocation ≤ quantity; each supplier ships exactly
min(capacity, total ordered) up to floating-point rounding (exactly when the
input is integer-valued and the rule gives whole orders); a zero order gets
nothing; the result is a deterministic function of the input.

Two entry points:

* :func:`allocate` validates its input and raises ``ValueError`` naming the
  argument, the offending index and the value; use it from user code.
* :func:`allocate_unchecked` is the jitted kernel itself, for a caller (the
  model's step) that built and checked its arrays once and calls it every month.

:func:`allocate_batch` allocates many independent replicas that share one CSR
layout (one row per replica) in a single call, in parallel over replicas.

Sums run in a fixed order (eight interleaved partial sums, then a fixed tree),
and ``fastmath`` is never used, so results are bit-identical across runs,
machines and thread counts.

References
----------
Cachon, G. & Lariviere, M. (1999) Capacity choice and allocation: strategic
behavior and supply chain performance. Management Science 45(8):1091–1108.
doi:10.1287/mnsc.45.8.1091

Cachon, G. & Lariviere, M. (1999) Capacity allocation using past sales: when to
turn-and-earn. Management Science 45(5):685–703. doi:10.1287/mnsc.45.5.685
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from abm.allocation_inputs import RULES, check_batch_inputs, check_inputs

__all__ = ["RULES", "allocate", "allocate_batch", "allocate_unchecked"]

PROPORTIONAL, UNIFORM, LEXICOGRAPHIC, TURN_AND_EARN = (RULES[name] for name in RULES)

# Water-filling switches from the sort-free fixed point to a sort of the orders
# still in play when an iteration settles fewer than 1/_SLOW_SHRINK of them, so
# no input can make it quadratic.
_SLOW_SHRINK = 8
_FAST_ITERATIONS = 4


@njit(cache=True, nogil=True)
def _ordered_sum(x: np.ndarray) -> float:
    """Sum in a fixed order: eight interleaved partial sums, a fixed tree, a tail."""
    n = x.size
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    i = 0
    while i + 8 <= n:
        a0 += x[i]
        a1 += x[i + 1]
        a2 += x[i + 2]
        a3 += x[i + 3]
        a4 += x[i + 4]
        a5 += x[i + 5]
        a6 += x[i + 6]
        a7 += x[i + 7]
        i += 8
    total = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    while i < n:
        total += x[i]
        i += 1
    return total


@njit(cache=True, nogil=True)
def _proportional(q: np.ndarray, capacity: float, out: np.ndarray) -> None:
    total = _ordered_sum(q)
    if total <= capacity:
        out[:] = q
        return
    fraction = capacity / total
    for i in range(q.size):
        out[i] = q[i] * fraction


@njit(cache=True, nogil=True)
def _sorted_level(sq, sw, m, weighted, left, weight_left):
    """Water level over the m orders still in play, by sorting their ratios q / w."""
    if weighted:
        ratio = sq[:m] / sw[:m]
        order = np.argsort(ratio, kind="mergesort")
        for j in range(m):
            k = order[j]
            if ratio[k] * weight_left > left:
                break
            left -= sq[k]
            weight_left -= sw[k]
    else:
        ordered = np.sort(sq[:m])
        for j in range(m):
            if ordered[j] * weight_left > left:
                break
            left -= ordered[j]
            weight_left -= 1.0
    if weight_left <= 0.0:
        return np.inf
    return left / weight_left


@njit(cache=True, nogil=True)
def _water_fill(q, w, weighted, capacity, out, sq, sw):
    """Allocate min(q, level · w), level solving Σ min(q, level · w) = capacity.

    Newton's iteration on the piecewise-linear fill curve: orders below the level
    are settled for good (the level only rises), the rest are compacted into the
    scratch arrays ``sq``/``sw`` and the level recomputed from them.
    """
    n = q.size
    total = _ordered_sum(q)
    if total <= capacity:
        out[:] = q
        return
    if capacity <= 0.0:
        out[:] = 0.0
        return
    m = 0
    weight_total = 0.0
    for i in range(n):
        if q[i] > 0.0:
            sq[m] = q[i]
            if weighted:
                sw[m] = w[i]
                weight_total += w[i]
            else:
                weight_total += 1.0
            m += 1
    settled = 0.0
    level = capacity / weight_total
    iteration = 0
    while True:
        below = 0.0
        weight_above = 0.0
        k = 0
        for j in range(m):
            qj = sq[j]
            wj = sw[j] if weighted else 1.0
            if qj < level * wj:
                below += qj
            else:
                sq[k] = qj
                if weighted:
                    sw[k] = wj
                k += 1
                weight_above += wj
        if k == m:
            break
        settled += below
        if k == 0:
            level = np.inf
            break
        iteration += 1
        if iteration >= _FAST_ITERATIONS and (m - k) * _SLOW_SHRINK < m:
            level = _sorted_level(sq, sw, k, weighted, capacity - settled, weight_above)
            break
        m = k
        level = (capacity - settled) / weight_above
    for i in range(n):
        cap_i = level * w[i] if weighted else level
        out[i] = q[i] if q[i] < cap_i else cap_i


@njit(cache=True, nogil=True)
def _lexicographic(q, p, capacity, out):
    n = q.size
    in_order = True
    for i in range(1, n):
        if p[i] < p[i - 1]:
            in_order = False
            break
    if in_order:
        order = np.arange(n)
    else:
        order = np.argsort(p, kind="mergesort")
    left = capacity
    i = 0
    while i < n:
        j = i
        group = 0.0
        while j < n and p[order[j]] == p[order[i]]:
            group += q[order[j]]
            j += 1
        if group <= left:
            for k in range(i, j):
                out[order[k]] = q[order[k]]
            left -= group
        elif j - i == 1:
            out[order[i]] = left
            left = 0.0
        else:
            fraction = left / group
            for k in range(i, j):
                out[order[k]] = q[order[k]] * fraction
            left = 0.0
        i = j


@njit(cache=True, nogil=True)
def allocate_unchecked(capacity, indptr, quantity, rule, priority, weight, out):
    """The allocation kernel, without input checks: write each order's allocation to ``out``.

    Parameters
    ----------
    capacity : float64[S]
        Units each supplier can ship this step (≥ 0).
    indptr : int64[S + 1]
        CSR offsets: supplier ``s`` owns orders ``indptr[s]:indptr[s + 1]``.
    quantity : float64[E]
        Units ordered (≥ 0).
    rule : int
        Code of the rule, ``RULES[name]``.
    priority, weight : float64[E]
        Priority numbers (lexicographic) and past-sales weights (turn-and-earn);
        any float64[E] array (``quantity`` itself, say) when the rule ignores them.
    out : float64[E]
        Receives the allocations (units).

    The caller guarantees what :func:`allocate` checks; nothing is checked here.
    """
    longest = 0
    for s in range(capacity.size):
        longest = max(longest, indptr[s + 1] - indptr[s])
    water = rule == UNIFORM or rule == TURN_AND_EARN
    sq = np.empty(longest if water else 0)
    sw = np.empty(longest if rule == TURN_AND_EARN else 0)
    for s in range(capacity.size):
        a = indptr[s]
        b = indptr[s + 1]
        if a == b:
            continue
        q = quantity[a:b]
        o = out[a:b]
        if rule == PROPORTIONAL:
            _proportional(q, capacity[s], o)
        elif rule == UNIFORM:
            _water_fill(q, q, False, capacity[s], o, sq, sw)
        elif rule == TURN_AND_EARN:
            _water_fill(q, weight[a:b], True, capacity[s], o, sq, sw)
        else:
            _lexicographic(q, priority[a:b], capacity[s], o)


@njit(cache=True, parallel=True)
def _allocate_rows(capacity, indptr, quantity, rule, priority, weight, out):
    for r in prange(capacity.shape[0]):
        allocate_unchecked(capacity[r], indptr, quantity[r], rule, priority[r], weight[r], out[r])


def allocate(capacity, indptr, quantity, *, rule, priority=None, weight=None) -> np.ndarray:
    """Ration each supplier's capacity among its orders by ``rule``.

    Parameters
    ----------
    capacity : array_like, shape (S,)
        Units each supplier can ship (≥ 0, finite).
    indptr : array_like of int, shape (S + 1,)
        CSR offsets of each supplier's orders: 0, non-decreasing, ending at E.
    quantity : array_like, shape (E,)
        Units ordered (≥ 0, finite).
    rule : {"proportional", "uniform", "lexicographic", "turn_and_earn"}
        The rationing rule.
    priority : array_like, shape (E,), optional
        Priority number of each order (smaller is served first); required by
        ``"lexicographic"``.
    weight : array_like, shape (E,), optional
        Past-sales weight of each order (> 0); required by ``"turn_and_earn"``.

    Returns
    -------
    numpy.ndarray of float64, shape (E,)
        Units allocated to each order.

    Raises
    ------
    ValueError
        Naming the argument, the offending index and value, for any bad input.

    Examples
    --------
    One supplier with 6 units and orders of 1, 4 and 7 units:

    >>> cap, ptr, q = [6.0], [0, 3], [1.0, 4.0, 7.0]
    >>> allocate(cap, ptr, q, rule="proportional")  # 6/12 of each order
    array([0.5, 2. , 3.5])
    >>> allocate(cap, ptr, q, rule="uniform")  # the 1 is met, 4 and 7 share 5
    array([1. , 2.5, 2.5])
    >>> allocate(cap, ptr, q, rule="lexicographic", priority=[2, 0, 1])
    array([0., 4., 2.])
    >>> allocate(cap, ptr, q, rule="turn_and_earn", weight=[1.0, 1.0, 3.0])
    array([1.  , 1.25, 3.75])
    """
    cap, ptr, qty, code, pri, wt = check_inputs(capacity, indptr, quantity, rule, priority, weight)
    out = np.empty_like(qty)
    allocate_unchecked(cap, ptr, qty, code, pri, wt, out)
    return out


def allocate_batch(capacity, indptr, quantity, *, rule, priority=None, weight=None) -> np.ndarray:
    """Allocate R independent replicas that share one CSR layout, in parallel.

    Parameters
    ----------
    capacity : array_like, shape (R, S)
    indptr : array_like of int, shape (S + 1,)
        One layout for all replicas (the same supply graph).
    quantity : array_like, shape (R, E)
    rule : str
        As for :func:`allocate`.
    priority, weight : array_like, shape (E,) or (R, E), optional
        As for :func:`allocate`; a 1-D array applies to every replica.

    Returns
    -------
    numpy.ndarray of float64, shape (R, E)
        Row r equals ``allocate(capacity[r], indptr, quantity[r], ...)`` bit for bit.

    Examples
    --------
    >>> allocate_batch([[6.0], [12.0]], [0, 3], [[1.0, 4.0, 7.0]] * 2, rule="uniform")
    array([[1. , 2.5, 2.5],
           [1. , 4. , 7. ]])
    """
    cap, ptr, qty, code, pri, wt = check_batch_inputs(
        capacity, indptr, quantity, rule, priority, weight
    )
    out = np.empty_like(qty)
    _allocate_rows(cap, ptr, qty, code, pri, wt, out)
    return out

"""Checks and conversions shared by the allocation kernel and its reference.

Bad input must never reach a jitted function (a numba typing traceback tells a
researcher nothing): every check here raises ``ValueError`` naming the argument,
the offending index and its value, and what was expected.
"""

from __future__ import annotations

import numpy as np

RULES: dict[str, int] = {"proportional": 0, "uniform": 1, "lexicographic": 2, "turn_and_earn": 3}
"""Rationing rules and the integer codes the kernel uses for them."""


def _as_float_array(name: str, value, ndim: int) -> np.ndarray:
    try:
        array = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an array of numbers, got {value!r:.80}") from exc
    if array.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {array.shape}")
    return array


def _first_bad(name: str, array: np.ndarray, bad: np.ndarray, expected: str) -> None:
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), bad.shape)
        where = ", ".join(str(int(i)) for i in index)
        raise ValueError(f"{name}[{where}] = {array[index].item()!r}: expected {expected}")


def _check_nonnegative(name: str, array: np.ndarray) -> None:
    _first_bad(name, array, ~(np.isfinite(array) & (array >= 0)), "a finite number >= 0")


def _check_indptr(indptr, n_suppliers: int, n_orders: int) -> np.ndarray:
    raw = np.asarray(indptr)
    if raw.ndim != 1 or raw.size != n_suppliers + 1:
        raise ValueError(
            f"indptr: expected a 1-D array of length len(capacity) + 1 = {n_suppliers + 1}, "
            f"got shape {raw.shape}"
        )
    if raw.size and not (np.issubdtype(raw.dtype, np.integer) or raw.dtype == bool):
        as_float = _as_float_array("indptr", raw, 1)
        _first_bad("indptr", as_float, as_float != np.floor(as_float), "an integer offset")
    ptr = np.ascontiguousarray(raw, dtype=np.int64)
    if ptr[0] != 0:
        raise ValueError(f"indptr[0] = {int(ptr[0])}: expected 0")
    steps = np.diff(ptr)
    if (steps < 0).any():
        i = int(np.argmax(steps < 0)) + 1
        raise ValueError(
            f"indptr[{i}] = {ptr[i]}: expected non-decreasing offsets "
            f"(indptr[{i - 1}] = {ptr[i - 1]})"
        )
    if ptr[-1] != n_orders:
        raise ValueError(
            f"indptr[{n_suppliers}] = {ptr[-1]}: expected the number of orders, len(quantity) = "
            f"{n_orders}"
        )
    return ptr


def _rule_code(rule) -> int:
    if rule not in RULES:
        raise ValueError(f"rule: got {rule!r}, expected one of {', '.join(RULES)}")
    return RULES[rule]


def _order_attribute(name: str, value, shape: tuple[int, ...], required: bool, rule: str):
    """The priority or weight array, or None when the rule does not use it."""
    if value is None:
        if required:
            raise ValueError(f"{name}: rule {rule!r} needs a {name} for every order, got None")
        return None
    array = _as_float_array(name, value, 1 if np.ndim(value) == 1 else len(shape))
    if array.shape not in (shape, shape[-1:]):
        raise ValueError(f"{name}: expected shape {shape}, got {array.shape}")
    if name == "weight":
        _first_bad(name, array, ~(np.isfinite(array) & (array > 0)), "a finite number > 0")
    else:
        _first_bad(name, array, ~np.isfinite(array), "a finite number")
    return array


def check_inputs(capacity, indptr, quantity, rule, priority=None, weight=None):
    """Validate one allocation problem and return kernel-ready arrays.

    Returns
    -------
    tuple
        ``(capacity, indptr, quantity, rule_code, priority, weight)`` as
        contiguous float64/int64 arrays; an unused priority or weight is
        replaced by ``quantity`` (the kernel ignores it).
    """
    code = _rule_code(rule)
    cap = _as_float_array("capacity", capacity, 1)
    qty = _as_float_array("quantity", quantity, 1)
    _check_nonnegative("capacity", cap)
    _check_nonnegative("quantity", qty)
    ptr = _check_indptr(indptr, cap.size, qty.size)
    pri = _order_attribute("priority", priority, qty.shape, code == RULES["lexicographic"], rule)
    wt = _order_attribute("weight", weight, qty.shape, code == RULES["turn_and_earn"], rule)
    return cap, ptr, qty, code, qty if pri is None else pri, qty if wt is None else wt


def check_batch_inputs(capacity, indptr, quantity, rule, priority=None, weight=None):
    """Validate R replicas sharing one CSR layout; 1-D priority/weight are broadcast."""
    code = _rule_code(rule)
    cap = _as_float_array("capacity", capacity, 2)
    qty = _as_float_array("quantity", quantity, 2)
    if cap.shape[0] != qty.shape[0]:
        raise ValueError(
            f"quantity: expected {cap.shape[0]} replica rows like capacity, got {qty.shape[0]}"
        )
    _check_nonnegative("capacity", cap)
    _check_nonnegative("quantity", qty)
    ptr = _check_indptr(indptr, cap.shape[1], qty.shape[1])

    def rows(name, value, required):
        array = _order_attribute(name, value, qty.shape, required, rule)
        if array is None:
            return qty
        return np.ascontiguousarray(np.broadcast_to(array, qty.shape))

    pri = rows("priority", priority, code == RULES["lexicographic"])
    wt = rows("weight", weight, code == RULES["turn_and_earn"])
    return cap, ptr, qty, code, pri, wt

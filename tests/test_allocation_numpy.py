"""The NumPy baseline of the allocation rules equals the plain-Python reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm import allocation_numpy, allocation_reference
from abm.allocation_inputs import RULES, check_inputs
from tests.allocation_contract import check_allocation_contract
from tests.test_allocation import CAP, HAND_WORKED, PTR, Q, _extra


@st.composite
def problems(draw):
    """CSR problems with empty suppliers, zero orders, ties, zero capacity, shortage and slack."""
    sizes = draw(st.lists(st.integers(0, 10), min_size=1, max_size=6))
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(indptr[-1])
    amount = st.one_of(st.just(0.0), st.integers(0, 20).map(float), st.floats(1e-3, 1e4))
    quantity = np.array(draw(st.lists(amount, min_size=n, max_size=n)), dtype=float)
    totals = np.array([quantity[a:b].sum() for a, b in zip(indptr[:-1], indptr[1:], strict=True)])
    # capacity as a share of the supplier's orders (0: none, 2: slack); a share within
    # rounding of 1 would leave shortage or slack to the order of summation (the integer
    # test covers exactly enough capacity)
    share = st.one_of(st.just(0.0), st.just(2.0), st.floats(0.0, 0.999), st.floats(1.001, 1.5))
    capacity = totals * np.array(draw(st.lists(share, min_size=len(sizes), max_size=len(sizes))))
    priority = np.array(draw(st.lists(st.integers(-2, 3), min_size=n, max_size=n)), dtype=float)
    weight = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=n, max_size=n)), dtype=float)
    return capacity, indptr, quantity, priority, weight


@pytest.mark.parametrize(("rule", "extra", "expected"), HAND_WORKED)
def test_hand_worked_example(rule, extra, expected):
    alloc = allocation_numpy.allocate(CAP, PTR, Q, rule=rule, **extra)
    np.testing.assert_allclose(alloc, expected, rtol=1e-12)


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=200, deadline=None)
@given(problem=problems())
def test_numpy_equals_reference_and_keeps_the_contract(rule, problem):
    capacity, indptr, quantity, priority, weight = problem
    extra = _extra(rule, priority, weight)
    fast = allocation_numpy.allocate(capacity, indptr, quantity, rule=rule, **extra)
    slow = allocation_reference.allocate(capacity, indptr, quantity, rule=rule, **extra)
    scale = max(1.0, float(quantity.max(initial=0.0)))
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9 * scale)
    check_allocation_contract(capacity, indptr, quantity, fast)


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=100, deadline=None)
@given(sizes=st.lists(st.integers(0, 8), min_size=1, max_size=5), data=st.data())
def test_integer_orders_with_exactly_enough_capacity_are_met_in_full(rule, sizes, data):
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(indptr[-1])
    quantity = np.array(data.draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)), float)
    capacity = np.add.reduceat(np.append(quantity, 0.0), indptr[:-1])
    capacity[np.diff(indptr) == 0] = data.draw(st.floats(0.0, 10.0))
    extra = _extra(rule, np.zeros(n), np.ones(n))
    alloc = allocation_numpy.allocate(capacity, indptr, quantity, rule=rule, **extra)
    np.testing.assert_array_equal(alloc, quantity)


@pytest.mark.parametrize("rule", RULES)
def test_empty_suppliers_anywhere_get_their_own_totals(rule):
    """Empty suppliers first, between and last: np.add.reduceat must not leak sums."""
    capacity = np.array([5.0, 2.0, 9.0, 0.0, 3.0, 7.0])
    indptr = np.array([0, 0, 3, 3, 5, 7, 7])
    quantity = np.array([1.0, 2.0, 3.0, 4.0, 0.0, 2.0, 2.0])
    priority = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 2.0, 1.0])
    weight = np.array([1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 0.5])
    extra = _extra(rule, priority, weight)
    fast = allocation_numpy.allocate(capacity, indptr, quantity, rule=rule, **extra)
    slow = allocation_reference.allocate(capacity, indptr, quantity, rule=rule, **extra)
    np.testing.assert_allclose(fast, slow, rtol=1e-12)
    check_allocation_contract(capacity, indptr, quantity, fast)


@pytest.mark.parametrize("rule", RULES)
def test_no_orders_at_all(rule):
    extra = _extra(rule, [], [])
    alloc = allocation_numpy.allocate([1.0, 0.0], [0, 0, 0], [], rule=rule, **extra)
    assert alloc.shape == (0,)


@pytest.mark.parametrize("rule", RULES)
def test_unchecked_path_equals_the_wrapper(rule):
    rng = np.random.default_rng(5)
    indptr = np.array([0, 40, 40, 100])
    quantity = rng.exponential(3.0, 100)
    capacity = np.array([30.0, 1.0, 500.0])
    extra = _extra(rule, rng.integers(0, 4, 100).astype(float), rng.uniform(0.5, 2.0, 100))
    arrays = check_inputs(capacity, indptr, quantity, rule, extra.get("priority"),
                          extra.get("weight"))
    np.testing.assert_array_equal(
        allocation_numpy.allocate_unchecked(*arrays),
        allocation_numpy.allocate(capacity, indptr, quantity, rule=rule, **extra))

"""NumPy-specific cases of the allocation baseline (tests/test_allocation.py runs the shared
property tests over it too)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm import allocation_numpy, allocation_reference
from abm.allocation_inputs import RULES
from tests.allocation_contract import check_allocation_contract
from tests.test_allocation import _extra


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

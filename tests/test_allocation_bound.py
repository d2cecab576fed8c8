"""The kernel bound to a layout (the model's path): the wrapper's results, its arrays' guard."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from abm.allocation import RULES, allocate, allocate_packed, packed_size
from abm.allocation_bound import BoundKernel
from tests.test_allocation import _extra, problems


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=60, deadline=None)
@given(problem=problems())
def test_bound_kernel_gives_the_wrappers_allocations_bit_for_bit(rule, problem):
    capacity, indptr, quantity, priority, weight = problem
    kernel = BoundKernel(indptr, rule, priority)
    kernel.capacity[:] = capacity
    kernel.quantity[:] = quantity
    kernel.weight[:] = weight
    kernel.check()
    kernel()
    expected = allocate(capacity, indptr, quantity, rule=rule, **_extra(rule, priority, weight))
    assert kernel.out.tobytes() == expected.tobytes()


@pytest.mark.parametrize("rule", RULES)
def test_bound_kernel_reused_step_after_step(rule):
    """Each call allocates the arrays as they stand now, whatever the last call left."""
    rng = np.random.default_rng(4)
    indptr = np.array([0, 40, 40, 340, 345])
    priority = rng.integers(0, 5, 345).astype(float)
    kernel = BoundKernel(indptr, rule, priority)
    for _ in range(3):
        quantity = rng.exponential(1.0, 345)
        capacity = 0.6 * np.add.reduceat(quantity, [0, 40, 40, 340])
        weight = rng.uniform(0.5, 2.0, 345)
        kernel.capacity[:] = capacity
        kernel.quantity[:] = quantity
        kernel.weight[:] = weight
        assert kernel() is None
        expected = allocate(capacity, indptr, quantity, rule=rule,
                            **_extra(rule, priority, weight))
        assert kernel.out.tobytes() == expected.tobytes()


def test_bound_kernel_keeps_its_own_copies_of_layout_and_priority():
    indptr = np.array([0, 2])
    priority = np.array([1.0, 0.0])
    kernel = BoundKernel(indptr, "lexicographic", priority)
    indptr[1] = 1
    priority[:] = [0.0, 1.0]
    kernel.capacity[:] = 1.0
    kernel.quantity[:] = [1.0, 1.0]
    kernel()
    assert kernel.out.tolist() == [0.0, 1.0]


def test_bound_kernels_arrays_cannot_be_replaced():
    """The compiled kernel trusts their types: an array of another dtype would be misread."""
    kernel = BoundKernel([0, 3], "uniform")
    for name in ("capacity", "indptr", "quantity", "priority", "weight", "out"):
        with pytest.raises(AttributeError):
            setattr(kernel, name, np.zeros(3, dtype=np.int64))


@pytest.mark.parametrize(("args", "message"), [
    (([0, 3, 2], "uniform"), r"indptr\[2\] = 2: expected non-decreasing"),
    (([], "uniform"), r"indptr: expected a 1-D array of length len\(capacity\) \+ 1 = 1"),
    (([[0, 2]], "uniform"), r"indptr: expected a 1-D array"),
    (([0, np.nan], "uniform"), r"indptr\[1\] = nan: expected an integer offset"),
    (([0, 2], "fair"), r"rule: got 'fair'"),
    (([0, 2], "lexicographic"), r"priority: rule 'lexicographic' needs a priority"),
    (([0, 2], "lexicographic", [0.0, np.nan]), r"priority\[1\] = nan: expected a finite number"),
])
def test_bound_kernel_refuses_a_bad_layout_rule_or_priority(args, message):
    with pytest.raises(ValueError, match=message):
        BoundKernel(*args)


@pytest.mark.parametrize(("array", "value", "message"), [
    ("capacity", -1.0, r"capacity\[0\] = -1\.0: expected a finite number >= 0"),
    ("quantity", np.nan, r"quantity\[0\] = nan"),
    ("weight", 0.0, r"weight\[0\] = 0\.0: expected a finite number > 0"),
])
def test_check_names_a_bad_value_written_in_place(array, value, message):
    kernel = BoundKernel([0, 2], "turn_and_earn")
    kernel.check()
    getattr(kernel, array)[0] = value
    with pytest.raises(ValueError, match=message):
        kernel.check()


@pytest.mark.parametrize("rule", RULES)
def test_packed_kernel_refuses_a_work_array_too_short_for_the_layout(rule):
    """allocate_packed checks nothing but what would be written past the end of its array:
    one element short of its arrays, or (for the rules that use one) of the scratch."""
    indptr = np.array([0, 40, 340], dtype=np.int64)
    with pytest.raises(ValueError, match="arena holds fewer than S"):
        allocate_packed(np.zeros(2 + 4 * 340 - 1), indptr, RULES[rule])
    with pytest.raises(ValueError, match="indptr is empty"):
        allocate_packed(np.zeros(2 + 4 * 340), np.zeros(0, dtype=np.int64), RULES[rule])
    arena = np.zeros(packed_size(indptr) - 1)
    if rule == "proportional":  # works in place: no scratch
        allocate_packed(arena, indptr, RULES[rule])
    else:
        with pytest.raises(ValueError, match="scratch holds fewer than scratch_size"):
            allocate_packed(arena, indptr, RULES[rule])


def test_bound_kernels_arrays_are_views_of_one_work_array():
    """What the kernel is passed: the arrays written in place, end to end in its work array."""
    kernel = BoundKernel([0, 2, 5], "turn_and_earn")
    arena = kernel.args[0]
    assert arena.size == packed_size([0, 2, 5])
    for name in ("capacity", "quantity", "priority", "weight", "out"):
        assert np.shares_memory(getattr(kernel, name), arena), name
    assert kernel.capacity.size == 2 and kernel.out.size == 5

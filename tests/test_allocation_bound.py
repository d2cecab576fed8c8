"""The kernel bound to a layout (the model's path): the wrapper's results, its arrays' guard."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.allocation import (
    _PACKED_BELOW,
    CLASS_SLOTS,
    RULES,
    allocate,
    allocate_packed,
    class_table,
    packed_size,
)
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


@st.composite
def books_in_classes(draw):
    """Lexicographic books of 0 to _PACKED_BELOW + 1 orders in 1 to CLASS_SLOTS + 2 priority
    classes (both sides of what the class table takes), with zero orders, and capacities
    drawn at, an ulp either side of, or between the units at most each class."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = draw(st.lists(st.integers(0, _PACKED_BELOW + 1), min_size=1, max_size=5))
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(indptr[-1])
    n_classes = draw(st.integers(1, CLASS_SLOTS + 2))
    classes = rng.choice([-1.5, 0.0, 0.5, 2.0, 3.0, 7.0, 1e9], n_classes, replace=False)
    priority = rng.choice(classes, n)
    quantity = rng.exponential(1.0, n) * (rng.random(n) < 0.85)
    if draw(st.booleans()):
        quantity = np.round(quantity * 4)
    capacity = np.empty(len(sizes))
    for s, (a, b) in enumerate(zip(indptr[:-1], indptr[1:], strict=True)):
        at_most = [quantity[a:b][priority[a:b] <= c].sum() for c in classes]
        units = float(rng.choice(at_most)) if at_most else 0.0
        capacity[s] = max(0.0, rng.choice([units, np.nextafter(units, np.inf),
                                           np.nextafter(units, -np.inf),
                                           rng.uniform(0.0, 1.1) * quantity[a:b].sum()]))
    return capacity, indptr, quantity, priority


@settings(max_examples=150, deadline=None)
@given(problem=books_in_classes())
def test_a_lexicographic_kernel_cuts_books_by_their_classes_as_the_wrapper_does(problem):
    """The bound kernel cuts books of a few classes in one pass over its class table, the
    wrapper walks: the same allocations, bit for bit, at capacities on a class's edge too."""
    capacity, indptr, quantity, priority = problem
    kernel = BoundKernel(indptr, "lexicographic", priority)
    kernel.capacity[:] = capacity
    kernel.quantity[:] = quantity
    kernel()
    expected = allocate(capacity, indptr, quantity, rule="lexicographic", priority=priority)
    assert kernel.out.tobytes() == expected.tobytes()


def _table_of(kernel: BoundKernel) -> np.ndarray:
    """The bound kernel's class table: the part of its work array after ``out``."""
    arena = kernel.args[0]
    start = kernel.capacity.size + 4 * kernel.out.size
    return arena[start:start + (CLASS_SLOTS + 1) * kernel.capacity.size]


def test_a_lexicographic_kernel_cuts_by_its_class_table():
    """The table is what the kernel uses: a wrong class in it gives another allocation, an
    empty one (zeros) the walk's."""
    kernel = BoundKernel([0, 3], "lexicographic", [0.0, 1.0, 2.0])
    kernel.capacity[:] = 3.0
    kernel.quantity[:] = [2.0, 2.0, 2.0]
    table = _table_of(kernel)
    assert table.tolist() == [3.0, 0.0, 1.0, 2.0, np.inf, np.inf]
    kernel()
    assert kernel.out.tolist() == [2.0, 1.0, 0.0]
    table[2] = 2.0  # priority 1 missing: the cut falls on 2, below which lie 4 units
    kernel()
    assert kernel.out.tolist() != [2.0, 1.0, 0.0]
    table[:] = 0.0
    kernel()
    assert kernel.out.tolist() == [2.0, 1.0, 0.0]


@pytest.mark.parametrize(("indptr", "priority", "row"), [
    ([0, 2], [1.0, 1.0], [1.0, 1.0]),
    ([0, 4], [3.0, -0.0, 0.0, 3.0], [2.0, 0.0, 3.0]),  # -0 and 0: one class
    ([0, 5], [4.0, 3.0, 2.0, 1.0, 0.0], [5.0, 0.0, 1.0, 2.0, 3.0, 4.0]),
    ([0, 6], [5.0, 4.0, 3.0, 2.0, 1.0, 0.0], []),  # more classes than slots
    ([0, 1], [1.0], []),  # a lone order
    ([0, 0], [], []),
    ([0, _PACKED_BELOW - 1], [0.0] * (_PACKED_BELOW - 1), [1.0, 0.0]),
    ([0, _PACKED_BELOW], [0.0] * _PACKED_BELOW, []),  # long enough to be searched
])
def test_class_table_holds_the_classes_of_the_books_cut_in_one_pass(indptr, priority, row):
    table = class_table(indptr, priority)
    assert table.size == CLASS_SLOTS + 1
    expected = np.zeros(CLASS_SLOTS + 1)
    if row:
        expected[:len(row)] = row
        expected[len(row):] = np.inf
    assert table.tolist() == expected.tolist()


def test_class_table_rows_follow_the_books():
    table = class_table([0, 3, 3, 5, 6], [2.0, 1.0, 2.0, 9.0, 8.0, 4.0]).reshape(4, -1)
    assert table[:, 0].tolist() == [2.0, 0.0, 2.0, 0.0]
    assert table[0, 1:3].tolist() == [1.0, 2.0] and table[2, 1:3].tolist() == [8.0, 9.0]


def test_a_bound_kernels_priority_is_read_only():
    """A priority written in place would leave the class table stale."""
    kernel = BoundKernel([0, 2], "lexicographic", [0.0, 1.0])
    with pytest.raises(ValueError, match="read-only"):
        kernel.priority[0] = 2.0

"""The allocation kernel: hand-worked cases, the contract on random input, kernel == reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm import allocation_numpy, allocation_reference
from abm.allocation import (
    _CUT_SAMPLE,
    _CUT_SAMPLED_FROM,
    _PACKED_BELOW,
    _QUANTILE_SAMPLE,
    _SAMPLED_FROM,
    _SHORT_WATER_BELOW,
    RULES,
    _likely_level,
    allocate,
    allocate_batch,
    allocate_unchecked,
    scratch_size,
)
from tests.allocation_contract import check_allocation_contract

FAST = {"numba": allocate, "numpy": allocation_numpy.allocate}
"""The implementations held equal to the plain-Python reference."""
IMPLEMENTATIONS = {**FAST, "reference": allocation_reference.allocate}


def _extra(rule: str, priority, weight) -> dict:
    return {
        "lexicographic": {"priority": priority},
        "turn_and_earn": {"weight": weight},
    }.get(rule, {})


@st.composite
def problems(draw, integer: bool = False):
    """Random CSR allocation problems: empty suppliers, zero orders, ties, slack and shortage."""
    n_suppliers = draw(st.integers(1, 6))
    sizes = draw(st.lists(st.integers(0, 12), min_size=n_suppliers, max_size=n_suppliers))
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n_orders = int(indptr[-1])
    if integer:
        amount = st.integers(0, 50).map(float)
    else:
        amount = st.one_of(st.just(0.0), st.floats(1e-3, 1e4, allow_nan=False))
    quantity = np.array(draw(st.lists(amount, min_size=n_orders, max_size=n_orders)))
    capacity = np.array(
        draw(st.lists(st.integers(0, 200).map(float) if integer else
                      st.one_of(st.just(0.0), st.floats(0.0, 5e4)),
                      min_size=n_suppliers, max_size=n_suppliers))
    )
    priority = np.array(draw(st.lists(st.integers(0, 3), min_size=n_orders, max_size=n_orders)))
    weight = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=n_orders, max_size=n_orders)))
    return capacity, indptr, quantity, priority.astype(float), weight


ORDER_SIZES = {
    "exponential": lambda rng, n: rng.exponential(1.0, n),
    "lognormal": lambda rng, n: rng.lognormal(0.0, 4.0, n),  # sizes over ~10 decades
    "few values": lambda rng, n: rng.integers(0, 4, n).astype(float),  # ties and zeros
    "equal": lambda rng, n: np.full(n, 3.0),
}


@st.composite
def long_books(draw):
    """Suppliers with books long enough for the kernel's pass-based paths: from
    _PACKED_BELOW orders (a lexicographic cut's search; water-filling's whole passes up to
    _SHORT_WATER_BELOW, then lane passes) to past _CUT_SAMPLED_FROM (a
    lexicographic cut's first pivot from a sample) and _SAMPLED_FROM (a water-filling's
    sampled start), with sizes, capacities and weights from a drawn seed."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = draw(st.lists(st.one_of(st.integers(_PACKED_BELOW, _CUT_SAMPLED_FROM + 50),
                                    st.integers(_SAMPLED_FROM, 3 * _SAMPLED_FROM)),
                          min_size=1, max_size=3))
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    quantity = ORDER_SIZES[draw(st.sampled_from(sorted(ORDER_SIZES)))](rng, int(indptr[-1]))
    share = draw(st.lists(st.sampled_from([0.0, 1e-6, 0.3, 0.5, 0.9, 0.999999, 2.0]),
                          min_size=len(sizes), max_size=len(sizes)))
    capacity = np.add.reduceat(quantity, indptr[:-1]) * np.array(share)
    classes = draw(st.sampled_from([1, 3, 5, 50, 0]))  # 0: every priority distinct
    priority = (rng.integers(0, classes, quantity.size).astype(float) if classes
                else rng.permutation(quantity.size).astype(float))
    weight = rng.lognormal(0.0, draw(st.sampled_from([0.0, 0.5, 2.0])), quantity.size)
    return capacity, indptr, quantity, priority, weight


CAP, PTR, Q = [6.0], [0, 3], [1.0, 4.0, 7.0]
HAND_WORKED = [
    ("proportional", {}, [0.5, 2.0, 3.5]),
    ("uniform", {}, [1.0, 2.5, 2.5]),
    ("lexicographic", {"priority": [2, 0, 1]}, [0.0, 4.0, 2.0]),
    ("lexicographic", {"priority": [0, 1, 1]}, [1.0, 5 * 4 / 11, 5 * 7 / 11]),
    ("turn_and_earn", {"weight": [1.0, 1.0, 3.0]}, [1.0, 1.25, 3.75]),
]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize(("rule", "extra", "expected"), HAND_WORKED)
def test_hand_worked_example(implementation, rule, extra, expected):
    alloc = IMPLEMENTATIONS[implementation](CAP, PTR, Q, rule=rule, **extra)
    np.testing.assert_allclose(alloc, expected, rtol=1e-12)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=150, deadline=None)
@given(problem=problems())
def test_contract_holds_on_random_problems(implementation, rule, problem):
    capacity, indptr, quantity, priority, weight = problem
    alloc = IMPLEMENTATIONS[implementation](
        capacity, indptr, quantity, rule=rule, **_extra(rule, priority, weight)
    )
    check_allocation_contract(capacity, indptr, quantity, alloc)


def _check_equals_reference(implementation: str, rule: str, problem) -> None:
    """The contract, and equality with the plain-Python reference to rounding: 1e-9
    relative, or 1e-12 of the book's total units (the rounding of the sums an allocation
    is worked out from: a few thousand orders' worth of float64 steps), whichever is more."""
    capacity, indptr, quantity, priority, weight = problem
    extra = _extra(rule, priority, weight)
    fast = FAST[implementation](capacity, indptr, quantity, rule=rule, **extra)
    check_allocation_contract(capacity, indptr, quantity, fast)
    slow = allocation_reference.allocate(capacity, indptr, quantity, rule=rule, **extra)
    books = np.diff(indptr)
    totals = np.zeros(books.size)
    totals[books > 0] = np.add.reduceat(quantity, indptr[:-1][books > 0])
    tolerance = 1e-9 * np.abs(slow) + np.maximum(1e-9, 1e-12 * np.repeat(totals, books))
    worst = int(np.argmax(np.abs(fast - slow) - tolerance)) if fast.size else 0
    assert np.all(np.abs(fast - slow) <= tolerance), (worst, fast[worst], slow[worst])


@pytest.mark.parametrize("implementation", FAST)
@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=150, deadline=None)
@given(problem=problems())
def test_fast_versions_equal_the_reference(implementation, rule, problem):
    _check_equals_reference(implementation, rule, problem)


@pytest.mark.parametrize("implementation", FAST)
@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=40, deadline=None)
@given(problem=long_books())
def test_long_books_keep_the_contract_and_equal_the_reference(implementation, rule, problem):
    """Long books (the kernel's pass-based paths and sampled starts; the NumPy version's
    running sums over many suppliers of different scales), capacities within rounding
    of a book's total included."""
    _check_equals_reference(implementation, rule, problem)


def _first_sampled(n: int) -> np.ndarray:
    """Which orders of a lexicographic book of ``n`` orders the kernel samples first:
    every (n // _CUT_SAMPLE)-th from _CUT_SAMPLED_FROM orders on, else nine spread over it."""
    if n >= _CUT_SAMPLED_FROM:
        return np.arange(n) % (n // _CUT_SAMPLE) == 0
    spread = _QUANTILE_SAMPLE - 1
    return np.isin(np.arange(n), [j * (n - 1) // spread for j in range(_QUANTILE_SAMPLE)])


@pytest.mark.parametrize("n", [100, 10 * 32])
@pytest.mark.parametrize("case", ["sampled orders all zero", "cut below the sample's",
                                  "cut above the sample's", "one priority",
                                  "every priority distinct"])
def test_lexicographic_cut_right_whatever_the_sample_says(n, case):
    """A long book's first pivots come from a sample (every 10th of 320 orders; nine of
    100): the cut is right when the sample holds no units, points to the wrong end of the
    book, or leaves the kernel to try the book's own priorities and then pack them."""
    sampled = _first_sampled(n)
    quantity = np.where(sampled, 0.0 if case == "sampled orders all zero" else 1.0, 2.0)
    priority = np.where(sampled, 5.0, np.arange(n) % 7).astype(float)
    if case == "cut below the sample's":
        priority = np.where(sampled, 9.0, priority)
    elif case == "cut above the sample's":
        priority = np.where(sampled, -1.0, priority)
    elif case == "one priority":
        priority[:] = 3.0
    elif case == "every priority distinct":
        priority = np.random.default_rng(2).permutation(n).astype(float)
    capacity = [0.4 * quantity.sum()]
    expected = allocation_reference.allocate(capacity, [0, n], quantity, rule="lexicographic",
                                             priority=priority)
    alloc = allocate(capacity, [0, n], quantity, rule="lexicographic", priority=priority)
    np.testing.assert_allclose(alloc, expected, rtol=1e-12, atol=1e-12)
    assert alloc.sum() == pytest.approx(capacity[0], rel=1e-12)


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=100, deadline=None)
@given(problem=problems(integer=True))
def test_integer_input_ships_exactly(rule, problem):
    """Integer-valued input: suppliers with slack ship every order exactly."""
    capacity, indptr, quantity, priority, weight = problem
    alloc = allocate(capacity, indptr, quantity, rule=rule, **_extra(rule, priority, weight))
    for s in range(capacity.size):
        a, b = indptr[s], indptr[s + 1]
        if quantity[a:b].sum() <= capacity[s]:
            assert np.array_equal(alloc[a:b], quantity[a:b])


_CAPACITY_NEAR = {
    "equal": lambda x, u: x,
    "just under": lambda x, u: np.nextafter(x, 0.0),
    "just over": lambda x, u: np.nextafter(x, np.inf),
    "zero": lambda x, u: 0.0,
    "negative zero": lambda x, u: -0.0,
    "share": lambda x, u: x * u,
}
"""Capacities of a one-order book, from its order's units x and a draw u in [0, 1.5]."""


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_one_order_books_get_what_the_general_path_gives_bit_for_bit(rule, data):
    """A book of one order takes a shortcut; beside an order of zero units (another
    priority), which changes nothing, the same order takes the rule's general path. The
    two agree bit for bit, with capacities at, just under and just over the order, and
    zero of either sign."""
    n = data.draw(st.integers(1, 6))
    units = st.one_of(st.floats(0.0, 1e6), st.sampled_from([0.0, 1e-300, 3.0, 1e300]))
    quantity = np.array(data.draw(st.lists(units, min_size=n, max_size=n)))
    near = data.draw(st.lists(st.sampled_from(sorted(_CAPACITY_NEAR)), min_size=n, max_size=n))
    share = data.draw(st.lists(st.floats(0.0, 1.5), min_size=n, max_size=n))
    capacity = np.array([_CAPACITY_NEAR[k](x, u)
                         for k, x, u in zip(near, quantity, share, strict=True)])
    weight = np.array(data.draw(st.lists(st.floats(0.01, 100.0), min_size=2 * n, max_size=2 * n)))
    priority = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), float)
    alone = allocate(capacity, np.arange(n + 1), quantity, rule=rule, priority=priority,
                     weight=weight[:n])
    padded = allocate(capacity, 2 * np.arange(n + 1), np.ravel(np.c_[quantity, np.zeros(n)]),
                      rule=rule, priority=np.ravel(np.c_[priority, priority + 1]),
                      weight=np.ravel(np.c_[weight[:n], weight[n:]]))
    assert alone.tobytes() == padded[::2].tobytes(), (alone, padded[::2])


@settings(max_examples=100, deadline=None)
@given(problem=problems(integer=True))
def test_lexicographic_with_distinct_priorities_is_exact_on_integers(problem):
    capacity, indptr, quantity, _, _ = problem
    priority = np.arange(quantity.size, dtype=float)[::-1]
    alloc = allocate(capacity, indptr, quantity, rule="lexicographic", priority=priority)
    assert np.array_equal(alloc, np.round(alloc))
    for s in range(capacity.size):
        a, b = indptr[s], indptr[s + 1]
        assert alloc[a:b].sum() == min(capacity[s], quantity[a:b].sum())


def test_uniform_rewards_no_inflation_while_proportional_does():
    """Cachon & Lariviere: doubling an order doubles its share under proportional only."""
    honest = allocate([10.0], [0, 2], [8.0, 8.0], rule="proportional")
    inflated = allocate([10.0], [0, 2], [16.0, 8.0], rule="proportional")
    assert inflated[0] > honest[0]
    honest_u = allocate([10.0], [0, 2], [8.0, 8.0], rule="uniform")
    inflated_u = allocate([10.0], [0, 2], [16.0, 8.0], rule="uniform")
    assert inflated_u[0] == honest_u[0] == 5.0


def test_water_filling_worst_case_is_exact_and_not_quadratic():
    """Geometric orders settle one per fixed-point iteration: the sort fallback takes over."""
    n = 200_000
    quantity = 2.0 ** -np.arange(n, dtype=float)[::-1] * 1e6
    quantity = np.maximum(quantity, 1e-300)
    capacity = np.array([quantity.sum() * 0.999])
    indptr = np.array([0, n])
    alloc = allocate(capacity, indptr, quantity, rule="uniform")
    check_allocation_contract(capacity, indptr, quantity, alloc)
    weight = np.linspace(1.0, 2.0, n)
    alloc = allocate(capacity, indptr, quantity, rule="turn_and_earn", weight=weight)
    check_allocation_contract(capacity, indptr, quantity, alloc)


GUESS_ABOVE = {
    # 79 orders of ratio 1 and one of ratio 1 000, capacity 60: the guess is 0.772, the
    # level 0.75.
    "uniform": ([1.0] * 79 + [1000.0], [1.0] * 80, 60.0),
    # 79 orders of ratio 0.9 and one of ratio 1 000 (weight 0.01), capacity 68: from the
    # guess, 1.87, a Newton step lands at -310, under the lowest level, 0.861, which is
    # the level.
    "turn_and_earn": ([0.9] * 79 + [10.0], [1.0] * 79 + [0.01], 68.0),
}


@pytest.mark.parametrize("rule", sorted(GUESS_ABOVE))
def test_water_filling_exact_from_a_first_guess_above_the_level(rule):
    """A book of _SHORT_WATER_BELOW orders or more starts Newton's iteration from a guess
    (:func:`abm.allocation._likely_level`). On these books the guess is above the level,
    so the first step comes down from above; on the turn_and_earn one that step lands
    under capacity / Σ w and is raised to it."""
    quantity, weight, capacity = (np.array(x) for x in GUESS_ABOVE[rule])
    assert quantity.size >= _SHORT_WATER_BELOW
    lowest = capacity / weight.sum()
    guess = _likely_level(quantity.sum(), weight.sum(), float(capacity), lowest)
    fill = np.minimum(quantity, guess * weight).sum()
    assert fill > capacity  # the guess is above the level
    step = guess + (capacity - fill) / weight[quantity >= guess * weight].sum()
    assert (step < lowest) == (rule == "turn_and_earn")
    extra = {"weight": weight} if rule == "turn_and_earn" else {}
    alloc = allocate([capacity], [0, quantity.size], quantity, rule=rule, **extra)
    expected = allocation_reference.allocate([capacity], [0, quantity.size], quantity,
                                             rule=rule, **extra)
    np.testing.assert_allclose(alloc, expected, rtol=1e-12)
    assert alloc.sum() == pytest.approx(capacity, rel=1e-12)


SHORT_ABOVE = {
    # 10 orders of weight 2 (ratio 0.45), capacity half the book: at capacity / 10 = 0.45
    # the fill is the whole book, 9; one step down lands on the level, capacity / Σ w.
    "lands on the lowest level": ([0.9] * 10, [2.0] * 10, 4.5),
    # 9 orders of ratio 0.9 and one of ratio 2.5 and weight 20, capacity 9.5: at 0.95 the
    # fill is 27.1; the step down lands at 0.07, under capacity / Σ w = 0.328, the level.
    "lands under the lowest level": ([0.9] * 9 + [50.0], [1.0] * 9 + [20.0], 9.5),
    # 2 orders of ratio 0.1, capacity 1.5: 0.75 caps neither order, though the book is
    # more than the capacity; the level is capacity / Σ w = 0.075.
    "caps nothing": ([1.0, 1.0], [10.0, 10.0], 1.5),
}


@pytest.mark.parametrize("case", sorted(SHORT_ABOVE))
def test_short_water_filling_exact_from_a_first_level_above_the_level(case):
    """A turn_and_earn book shorter than _SHORT_WATER_BELOW starts Newton's iteration at
    capacity / (number of orders), which weights above 1 can put above the level: the
    first step then comes down from above (raised to capacity / Σ w if it lands under it,
    which only saves steps), and a first level that caps no order goes to capacity / Σ w
    (taken as a level from below, it would meet every order in full)."""
    quantity, weight, capacity = (np.array(x) for x in SHORT_ABOVE[case])
    assert quantity.size < _SHORT_WATER_BELOW
    first = capacity / quantity.size
    assert np.minimum(quantity, first * weight).sum() > capacity  # above the level
    if case == "caps nothing":
        assert (quantity < first * weight).all()
    alloc = allocate([capacity], [0, quantity.size], quantity, rule="turn_and_earn",
                     weight=weight)
    expected = allocation_reference.allocate([capacity], [0, quantity.size], quantity,
                                             rule="turn_and_earn", weight=weight)
    np.testing.assert_allclose(alloc, expected, rtol=1e-12)
    assert alloc.sum() == pytest.approx(capacity, rel=1e-12)


def test_deterministic_bitwise():
    rng = np.random.default_rng(7)
    quantity = rng.exponential(5.0, 5000)
    indptr = np.array([0, 1000, 2500, 5000])
    capacity = np.array([2000.0, 4000.0, 1e9])
    for rule in ("proportional", "uniform"):
        first = allocate(capacity, indptr, quantity, rule=rule)
        assert first.tobytes() == allocate(capacity, indptr, quantity, rule=rule).tobytes()


@pytest.mark.parametrize("rule", RULES)
def test_batch_rows_equal_single_calls_bit_for_bit(rule):
    rng = np.random.default_rng(11)
    indptr = np.array([0, 4, 4, 10, 30])
    capacity = rng.uniform(0.0, 100.0, (5, 4))
    quantity = rng.exponential(10.0, (5, 30))
    quantity[:, ::7] = 0.0
    extra = _extra(rule, rng.integers(0, 3, 30).astype(float), rng.uniform(0.5, 2.0, (5, 30)))
    batch = allocate_batch(capacity, indptr, quantity, rule=rule, **extra)
    for r in range(5):
        row_extra = {k: (v[r] if np.ndim(v) == 2 else v) for k, v in extra.items()}
        single = allocate(capacity[r], indptr, quantity[r], rule=rule, **row_extra)
        assert batch[r].tobytes() == single.tobytes()


@pytest.mark.parametrize("rule", RULES)
def test_unchecked_fast_path_matches_wrapper_whatever_its_scratch_held(rule):
    """The model's path: one scratch array per layout, reused call after call."""
    rng = np.random.default_rng(3)
    indptr = np.array([0, 40, 40, 340, 345], dtype=np.int64)
    quantity = rng.exponential(1.0, 345)
    capacity = 0.6 * np.add.reduceat(quantity, [0, 40, 40, 340])
    priority = rng.integers(0, 5, 345).astype(float)
    weight = rng.uniform(0.5, 2.0, 345)
    expected = allocate(capacity, indptr, quantity, rule=rule,
                        **_extra(rule, priority, weight))
    scratch = np.empty(scratch_size(indptr))
    assert scratch.size == 2 * 300 + 3 * 32
    for garbage in (np.nan, -1.0, 1e300):
        scratch[:] = garbage
        out = np.full(345, np.nan)
        allocate_unchecked(capacity, indptr, quantity, RULES[rule], priority, weight, out,
                           scratch)
        assert out.tobytes() == expected.tobytes()


def test_unchecked_refuses_a_short_scratch_array():
    quantity = np.array([1.0, 4.0, 7.0])
    with pytest.raises(ValueError, match=r"scratch_size\(indptr\)"):
        allocate_unchecked(np.array([6.0]), np.array([0, 3]), quantity, RULES["uniform"],
                           quantity, quantity, np.empty(3),
                           np.empty(scratch_size(np.array([0, 3])) - 1))


BAD_INPUT = [
    ({"capacity": [1.0, -2.0]}, r"capacity\[1\] = -2\.0"),
    ({"capacity": [1.0, np.nan]}, r"capacity\[1\] = nan"),
    ({"quantity": [1.0, 2.0, np.inf, 4.0]}, r"quantity\[2\] = inf"),
    ({"quantity": [1.0, -0.5, 3.0, 4.0]}, r"quantity\[1\] = -0\.5"),
    ({"quantity": [1.0, 2.0, 3.0]}, r"indptr\[2\] = 4: expected the number of orders"),
    ({"indptr": [0, 3, 2]}, r"indptr\[2\] = 2: expected non-decreasing"),
    ({"indptr": [1, 2, 4]}, r"indptr\[0\] = 1: expected 0"),
    ({"indptr": [0, 4]}, r"indptr: expected a 1-D array of length len\(capacity\) \+ 1 = 3"),
    ({"indptr": [0, 1.5, 4]}, r"indptr\[1\] = 1\.5: expected an integer"),
    ({"quantity": [[1.0, 2.0], [3.0, 4.0]]}, r"quantity: expected a 1-D array"),
    ({"quantity": ["a", "b", "c", "d"]}, r"quantity: expected an array of numbers"),
    ({"rule": "fair"}, r"rule: got 'fair', expected one of proportional"),
    ({"rule": "turn_and_earn"}, r"weight: rule 'turn_and_earn' needs a weight"),
    ({"rule": "lexicographic"}, r"priority: rule 'lexicographic' needs a priority"),
    (
        {"rule": "turn_and_earn", "weight": [1.0, 0.0, 1.0, 1.0]},
        r"weight\[1\] = 0\.0: expected a finite number > 0",
    ),
    ({"rule": "turn_and_earn", "weight": [1.0, 1.0]}, r"weight: expected shape \(4,\)"),
    ({"rule": "lexicographic", "priority": [0, np.nan, 1, 1]}, r"priority\[1\] = nan"),
]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize(("override", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_clear_message(implementation, override, message):
    arguments = {"capacity": [1.0, 2.0], "indptr": [0, 2, 4], "quantity": [1.0, 2.0, 3.0, 4.0],
                 "rule": "proportional"}
    arguments.update(override)
    with pytest.raises(ValueError, match=message):
        IMPLEMENTATIONS[implementation](**arguments)


def test_batch_bad_input_names_the_argument():
    with pytest.raises(ValueError, match=r"quantity: expected 2 replica rows"):
        allocate_batch([[1.0], [2.0]], [0, 1], [[1.0]], rule="uniform")
    with pytest.raises(ValueError, match=r"capacity\[1, 0\] = -1\.0"):
        allocate_batch([[1.0], [-1.0]], [0, 1], [[1.0], [1.0]], rule="uniform")


ULP_UNDER_A_CLASS = [
    # Orders at the cut: one of them once got 1.1e-16 more than its units.
    ([0.20980426235828745, 0.38177864566145125, 1.6640046131404307, 1.0354127088850447],
     [2.0, 2.0, 1.0, 0.0], 3.291000230045214),
    # A lone order at the cut: it once got what was left, 8.9e-16 more than its units.
    ([5.503438577936358, 0.2970463795186665, 1.5689935538234094, 0.88623949224015,
      3.9173134908119223, 0.9901549528002188, 1.5967431471072897],
     [2.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0], 14.759929594238015),
]
"""Lexicographic books whose capacity lies an ulp under the units at most a class."""


def _within_rounding(rng: np.random.Generator, units: np.ndarray) -> float:
    """Σ ``units``, summed in order or by NumPy (pairwise) as a researcher's script might,
    moved by up to 8 · 2^-53 of itself either way."""
    total = float(np.sum(units)) if rng.random() < 0.5 else sum(units.tolist())
    return total * (1.0 - int(rng.integers(-8, 9)) * 2.0 ** -53)


def _ulp_from_a_class(rng: np.random.Generator, n: int) -> tuple[float, np.ndarray, np.ndarray]:
    """A book of ``n`` orders in 3 or 7 classes or of distinct priorities, whose capacity lies
    within rounding of the units of the orders at most one of its priorities."""
    quantity = rng.exponential(1.0, n)
    classes = int(rng.choice([3, 7, 0]))
    priority = rng.integers(0, classes, n).astype(float) if classes else rng.random(n)
    return _within_rounding(rng, quantity[priority <= rng.choice(priority)]), quantity, priority


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("sizes", [(2, _PACKED_BELOW), (_PACKED_BELOW, _CUT_SAMPLED_FROM),
                                   (_CUT_SAMPLED_FROM, 4 * _CUT_SAMPLED_FROM)])
def test_lexicographic_contract_holds_with_capacity_an_ulp_from_a_class(implementation, sizes):
    """Rounding where the capacity all but meets a class: no order at the cut gets more than
    its units, and the supplier ships its capacity, on short books (the walk), longer ones
    (the search) and those long enough to be sampled. Sums of the same units in another
    order once disagreed here: the search then served a book in full, up to 3.7 times its
    capacity, and the walk gave orders at the cut up to 9e-16 more than they asked."""
    rng = np.random.default_rng(7)
    books = [(c, np.array(q), np.array(p)) for q, p, c in ULP_UNDER_A_CLASS]
    books += [_ulp_from_a_class(rng, int(rng.integers(*sizes))) for _ in range(300)]
    for capacity, quantity, priority in books:
        indptr = [0, quantity.size]
        alloc = IMPLEMENTATIONS[implementation]([capacity], indptr, quantity,
                                                rule="lexicographic", priority=priority)
        check_allocation_contract([capacity], indptr, quantity, alloc)


def _ulp_from_a_kink(rng: np.random.Generator, n: int, rule: str) -> tuple[float, np.ndarray, dict]:
    """A water-filling book of ``n`` orders whose capacity lies within rounding of its fill
    Σ min(q, level · w) at a level where one order is just met."""
    quantity = rng.exponential(1.0, n)
    weight = rng.uniform(0.5, 2.0, n) if rule == "turn_and_earn" else np.ones(n)
    level = (quantity / weight)[rng.integers(n)]
    extra = {"weight": weight} if rule == "turn_and_earn" else {}
    return _within_rounding(rng, np.minimum(quantity, level * weight)), quantity, extra


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("rule", ["uniform", "turn_and_earn"])
@pytest.mark.parametrize(("sizes", "books"), [((2, _SHORT_WATER_BELOW), 300),
                                              ((_SHORT_WATER_BELOW, 1000), 100),
                                              ((_SAMPLED_FROM, _SAMPLED_FROM + 1000), 20)])
def test_water_filling_contract_holds_with_capacity_an_ulp_from_a_kink(implementation, rule,
                                                                       sizes, books):
    """The water-filling counterpart of the lexicographic test above: a capacity within
    rounding of the fill at which an order is just met, on short books (whole passes),
    longer ones (lanes) and those long enough to start from a sample."""
    rng = np.random.default_rng(8)
    for _ in range(books):
        capacity, quantity, extra = _ulp_from_a_kink(rng, int(rng.integers(*sizes)), rule)
        indptr = [0, quantity.size]
        alloc = IMPLEMENTATIONS[implementation]([capacity], indptr, quantity, rule=rule,
                                                **extra)
        check_allocation_contract([capacity], indptr, quantity, alloc)


def test_water_filling_with_capacity_within_rounding_of_the_total():
    """A regression: the reference once lost the remaining weight to cancellation here."""
    quantity = [1.0, 1.0141535126551275, 2046.5255283706219, 6144.2743481423695]
    weight = [1.0, 1.8380533442699605, 4.346705821657148, 9.02511391246385]
    capacity = [8192.814030025645]
    for implementation in IMPLEMENTATIONS.values():
        alloc = implementation(capacity, [0, 4], quantity, rule="turn_and_earn", weight=weight)
        check_allocation_contract(capacity, [0, 4], quantity, alloc)
        np.testing.assert_allclose(alloc, quantity, rtol=1e-9)

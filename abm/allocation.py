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
* :func:`allocate_unchecked` is the jitted kernel itself, for a caller that
  built and checked its arrays once, and a scratch array of :func:`scratch_size`
  elements, and calls it again and again. :func:`allocate_packed` runs it on those
  arrays laid end to end in one: the model's step calls it every month, bound to
  its layout (:class:`abm.allocation_bound.BoundKernel`).

:func:`allocate_batch` allocates many independent replicas that share one CSR
layout (one row per replica) in a single call, in parallel over replicas.

Sums run in a fixed order (interleaved partial sums, then a fixed tree), and
``fastmath`` is never used, so results are bit-identical across runs, machines
and thread counts.

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
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from abm.allocation_inputs import RULES, check_batch_inputs, check_inputs
from abm.jit_cache import load_without_compiler

__all__ = ["CLASS_SLOTS", "RULES", "allocate", "allocate_batch", "allocate_batch_unchecked",
           "allocate_packed", "allocate_unchecked", "class_table", "packed_size", "scratch_size"]

PROPORTIONAL, UNIFORM, LEXICOGRAPHIC, TURN_AND_EARN = (RULES[name] for name in RULES)

# Every function compiles with error_model="numpy": each division is guarded, so
# numba's ZeroDivisionError checks would only cost time.
#
# The kernel allocates nothing (its caller passes a scratch array), so it and all it
# calls compile without numba's runtime (_nrt=False): no reference counts. With the
# runtime, every slice and every array passed to a helper cost two atomic updates that
# numba's pruning pass leaves in branching code (numba issue #2350), 35-130 ns a
# supplier, and numba wrapped each array argument of a call from Python in a new
# runtime record, 0.47 µs a call of 7 arguments. A function without the runtime may
# take arrays and views of them, not create or return one. Being free of the runtime
# also lets the functions called from Python load from numba's cache without numba
# setting up its compiler (abm.jit_cache): half of a fresh process's import and first
# call. The water-filling's repeated passes (_fill, _short_sums) and its steps on packed
# orders (_packed_level, _settle) are inlined, so that each compiles for its weights.
# So is each function a books' loop calls once a book with the book's arrays
# (_proportional, its sum, _serve_priority): a call passes an array as seven words (its
# data, sizes and strides), about 10 ns a call on the benchmark's machine, more than a
# short book's proportional work. Called, they made a proportional call at E = 1 000 on
# 100 suppliers take 1.9-3 times as long, a lexicographic one 1.1-1.5 times.
#
# Sums the compiler may vectorise run in _LANES lanes (lane j adds elements j,
# j + _LANES, …), then the lanes are summed in a fixed order: no sum is ever
# reassociated, so the result does not depend on the machine's vector width.
_LANES = 32
# Water-filling: a book shorter than _SHORT_WATER_BELOW orders runs Newton's iteration in
# whole passes without a branch per order, the first _SHORT_STEPS steps before it
# allocates the book at a level and counts the orders it caps (_short_level); a book of at
# least _SAMPLED_FROM orders starts it from the level of a strided sample of _SAMPLE
# orders, and its first pass also sums the book; a step after one that capped or settled
# at most _FEW_MOVED orders first allocates the book at its level and counts the orders it
# caps, which ends it, allocated, in a cheaper pass when it is exact (the usual last
# step); after _FULL_PASSES passes over the whole book the orders still in play are
# packed, and a step that settles fewer than 1/_SLOW_SHRINK of them is followed by a pivot
# split: no input makes it quadratic. Short books go two at a time to the first count,
# their passes side by side in one vector (_two_short_books); one by one after them, any
# that do not end there go on from that count, and any left without a partner start
# afresh. The lexicographic cut of a book shorter than _PACKED_BELOW is found by a walk
# over its priorities, a pass without a branch per order each (_short_cut), or, in a bound
# kernel whose class table holds the book's at most CLASS_SLOTS priorities, in one pass
# over all of them (_class_cut); a book of at least _CUT_SAMPLED_FROM orders first tries
# the cut of a strided sample of _CUT_SAMPLE orders, then the sample's next priority
# towards the book's cut: with a few priority classes one of them is usually the cut (one
# or two passes, nothing packed). A book in between tries up to _CUT_TRIES priorities
# before it packs any: first the one the capacity's share of the way up the sorted
# priorities of _QUANTILE_SAMPLE of its orders, then the sample's next towards the cut,
# then the first of its orders found between those tried (a scan that stops early). A book
# of one order takes none of these paths: _one_order gives it their result.
# The thresholds are measured: on books of 32-63 orders the water-filling's whole passes
# took 0.5-0.9 of the time of its lane passes on the benchmark's books (at 63 orders,
# 0.5-0.7 on Newton's worst case, 1.1-1.2 on the geometric one), so they run up to 64;
# the walk takes a pass for each priority between its start and the cut, and at 63
# orders of distinct priorities it took 2 times as long as the search (11 at its worst).
_SHORT_WATER_BELOW = 64
_PACKED_BELOW = 32
_SAMPLE = 128
_SAMPLED_FROM = 32 * _SAMPLE
_FULL_PASSES = 6
_FEW_MOVED = 32
_SLOW_SHRINK = 8
_CUT_SAMPLE = 32
_CUT_SAMPLED_FROM = 8 * _CUT_SAMPLE
_CUT_TRIES = 4
_QUANTILE_SAMPLE = 9
_SHORT_STEPS = 1
CLASS_SLOTS = 5
"""Priority classes a short lexicographic book may have to be cut in one pass over all of them
(:func:`_class_cut`): four pivots in one 4-wide vector, the total beside it."""
_TABLE_ROW = CLASS_SLOTS + 1
"""Elements of a book's row of the :func:`class_table`: its number of classes, then them."""
# A lane pass (_fill, _cut_sums) sets every lane from a book's first _LANES orders.
assert min(_PACKED_BELOW, _SHORT_WATER_BELOW) >= _LANES, \
    "lane passes need books of at least _LANES orders"

_HELPER = {"cache": True, "nogil": True, "error_model": "numpy", "_nrt": False}
"""Options of the kernel and of every function it calls: no runtime, no reference counts."""


_NO_SUMS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
"""Eight interleaved partial sums, before the first element."""


@njit(inline="always", **_HELPER)
def _add_eight(sums, x, i):
    """The eight partial sums plus x[i], …, x[i + 7], one each."""
    return (sums[0] + x[i], sums[1] + x[i + 1], sums[2] + x[i + 2], sums[3] + x[i + 3],
            sums[4] + x[i + 4], sums[5] + x[i + 5], sums[6] + x[i + 6], sums[7] + x[i + 7])


@njit(inline="always", **_HELPER)
def _tree(sums):
    """The eight partial sums added in a fixed tree."""
    return ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))


@njit(inline="always", **_HELPER)
def _sum_in_order(x: np.ndarray) -> float:
    """Sum in a fixed order: eight interleaved partial sums, a fixed tree, a tail."""
    n = x.size
    sums = _NO_SUMS
    i = 0
    while i + 8 <= n:
        sums = _add_eight(sums, x, i)
        i += 8
    total = _tree(sums)
    while i < n:
        total += x[i]
        i += 1
    return total


@njit(**_HELPER)
def _ordered_sum(x: np.ndarray) -> float:
    """:func:`_sum_in_order`, compiled once and called where a sum is taken once for a long
    book or a sample: inlined there too, it would only lengthen the compile."""
    return _sum_in_order(x)


@njit(**_HELPER)
def _ordered_sums(q, w):
    """:func:`_ordered_sum` of ``q`` and of ``w`` (as long as ``q``) in one pass, their
    additions interleaved (each sum's own order unchanged)."""
    n = q.size
    q_sums = w_sums = _NO_SUMS
    i = 0
    while i + 8 <= n:
        q_sums = _add_eight(q_sums, q, i)
        w_sums = _add_eight(w_sums, w, i)
        i += 8
    total = _tree(q_sums)
    weight = _tree(w_sums)
    while i < n:
        total += q[i]
        weight += w[i]
        i += 1
    return total, weight


@njit(**_HELPER)
def _median3(a: float, b: float, c: float) -> float:
    return max(min(a, b), min(max(a, b), c))


@njit(inline="always", **_HELPER)
def _proportional(q: np.ndarray, capacity: float, out: np.ndarray) -> None:
    """Allocate one book proportionally: q · min(1, capacity / Σ q) (units), Σ q in
    :func:`_sum_in_order`'s order."""
    total = _sum_in_order(q)
    if total <= capacity:
        for i in range(q.size):
            out[i] = q[i]
        return
    fraction = capacity / total
    for i in range(q.size):
        out[i] = q[i] * fraction


@njit(inline="always", **_HELPER)
def _fill_terms(q, w, i, level):
    """Order i's terms of the fill curve at ``level``: its units, its fill
    min(q, level · w), its weight if the level caps it (q ≥ level · w; else 0; None for
    unit weights) and whether it does."""
    x = q[i]
    if w is None:
        return x, min(x, level), None, x >= level
    y = w[i]
    t = level * y
    return x, min(x, t), y if x >= t else 0.0, x >= t


@njit(inline="always", **_HELPER)
def _fill(q, w, level, fill, weight, total):
    """The fill curve at ``level``: Σ min(q, level · w), and the weight and number of
    the orders it caps (q ≥ level · w); ``w`` is None for unit weights. Also the
    book's total Σ q, unless ``total`` is None (then 0). The book has at least _LANES
    orders.

    ``fill``, ``weight`` and ``total`` are scratch lanes (float64[_LANES]): order i
    adds to lane i mod _LANES.
    """
    count = 0
    # The first orders set the lanes (no pass to clear them). A trip count the compiler
    # does not know: it would unroll a known one into 32 scalar steps.
    for j in range(min(q.size, _LANES)):
        x, fill[j], g, capped = _fill_terms(q, w, j, level)
        count += capped
        if w is not None:
            weight[j] = g
        if total is not None:
            total[j] = x
    # The rest of the book as a view of its own: looping on from _LANES in the book
    # itself cost the loop its vectorisation (2.5x slower).
    rest = q[_LANES:]
    rest_w = None if w is None else w[_LANES:]
    n = rest.size
    pairs = n - n % (2 * _LANES)
    for start in range(0, pairs, 2 * _LANES):
        for j in range(_LANES):  # two orders a lane: half the lanes' loads and stores
            x, f, g, capped = _fill_terms(rest, rest_w, start + j, level)
            x2, f2, g2, capped2 = _fill_terms(rest, rest_w, start + _LANES + j, level)
            fill[j] = (fill[j] + f) + f2
            count += capped + capped2
            if w is not None:
                weight[j] = (weight[j] + g) + g2
            if total is not None:
                total[j] = (total[j] + x) + x2
    whole = n - n % _LANES
    for start in range(pairs, whole, _LANES):
        for j in range(_LANES):  # a trip count the compiler knows, and vectorises
            x, f, g, capped = _fill_terms(rest, rest_w, start + j, level)
            fill[j] += f
            count += capped
            if w is not None:
                weight[j] += g
            if total is not None:
                total[j] += x
    for j in range(n - whole):
        x, f, g, capped = _fill_terms(rest, rest_w, whole + j, level)
        fill[j] += f
        count += capped
        if w is not None:
            weight[j] += g
        if total is not None:
            total[j] += x
    if w is None:
        filled, capped_weight = _ordered_sum(fill), float(count)
    else:
        filled, capped_weight = _ordered_sums(fill, weight)
    return filled, capped_weight, count, 0.0 if total is None else _ordered_sum(total)


@njit(**_HELPER)
def _serve(q, w, level, out):
    """Allocate the book at ``level``: out = min(q, level · w) (``w`` None: unit
    weights). Returns the number of orders the level caps (q ≥ level · w)."""
    count = 0
    for i in range(q.size):
        t = level if w is None else level * w[i]
        out[i] = min(q[i], t)
        count += q[i] >= t
    return count


@njit(inline="always", **_HELPER)
def _serve_from(q, w, level, out, start, count):
    """:func:`_serve` from order ``start`` on, adding to ``count``, the orders before it
    capped. (Not :func:`_serve`'s own loop: from a start not known to be 0 the long books'
    loop took 7-13 % longer.)"""
    for i in range(max(start, 0), q.size):
        t = level if w is None else level * w[i]
        out[i] = min(q[i], t)
        count += q[i] >= t
    return count


@njit(inline="always", **_HELPER)
def _settle(q, w, m, level, sq, sw):
    """One step over the first ``m`` orders of ``q``/``w``: settle those with
    q < level · w, pack the others at the front of ``sq``/``sw`` (which may be
    ``q``/``w`` themselves).

    Returns the number kept, the units settled and the weight kept.
    """
    k = 0
    settled = 0.0
    kept = 0.0
    for i in range(m):
        x = q[i]
        y = 1.0 if w is None else w[i]
        if x < level * y:
            settled += x
        else:
            sq[k] = x
            if w is not None:
                sw[k] = y
            kept += y
            k += 1
    return k, settled, kept


@njit(**_HELPER)
def _ratio(sq, sw, j):
    """q / w of packed order j (q when ``sw`` is None)."""
    return sq[j] if sw is None else sq[j] / sw[j]


@njit(**_HELPER)
def _split(sq, sw, m, left, fixed):
    """Bracket the water level with a pivot ratio, the median of three orders' q / w.

    If the level is at most the pivot, the orders at or above it are filled to the
    level: their weight moves to ``fixed``. Otherwise the orders below it are
    settled and leave ``left``. The orders still in play are packed at the front of
    ``sq``/``sw`` (``sw`` is None for unit weights); returns their number and
    weight, ``left`` and ``fixed``.
    """
    pivot = _median3(_ratio(sq, sw, 0), _ratio(sq, sw, m // 2), _ratio(sq, sw, m - 1))
    below = 0.0
    above = 0.0
    for j in range(m):
        if _ratio(sq, sw, j) < pivot:
            below += sq[j]
        else:
            above += 1.0 if sw is None else sw[j]
    down = below + pivot * (above + fixed) >= left
    if down:
        fixed += above
    else:
        left -= below
    k = 0
    kept = 0.0
    for j in range(m):
        if (_ratio(sq, sw, j) < pivot) == down:
            sq[k] = sq[j]
            if sw is not None:
                sw[k] = sw[j]
            kept += 1.0 if sw is None else sw[j]
            k += 1
    return k, kept, left, fixed


@njit(**_HELPER)
def _newton(q, w, left, fixed, kept, sq, sw):
    """Newton's iteration from below on the packed orders ``q`` (weights ``w``).

    ``left`` units remain for them and for ``fixed`` weight of orders known to be
    above the level; ``kept`` is the weight of ``q``; ``w`` and ``sw`` are None for
    unit weights. Each step settles the orders under the level for good (the level
    only rises) and packs the rest into ``sq``/``sw``; a step that settles few
    orders is followed by a pivot split.
    """
    m = q.size
    if kept + fixed <= 0.0:
        return np.inf
    level = left / (kept + fixed)
    k, settled, kept = _settle(q, w, m, level, sq, sw)
    while k < m:
        left -= settled
        if (m - k) * _SLOW_SHRINK < m:
            k, kept, left, fixed = _split(sq, sw, k, left, fixed)
        m = k
        if kept + fixed <= 0.0:
            return np.inf
        level = left / (kept + fixed)
        k, settled, kept = _settle(sq, sw, m, level, sq, sw)
    return max(level, 0.0)


@njit(inline="always", **_HELPER)
def _packed_level(q, w, capacity, sq, sw):
    """The water level by Newton's iteration on packed orders, with no pass over lanes
    (a sample, or a short book whose whole passes did not settle); inf when Σ q ≤ capacity."""
    total = _ordered_sum(q)
    if total <= capacity:
        return np.inf
    if capacity <= 0.0:
        return 0.0
    if w is None:
        return _newton(q, None, capacity, 0.0, float(q.size), sq, None)
    return _newton(q, w, capacity, 0.0, _ordered_sum(w), sq, sw)


@njit(inline="always", **_HELPER)
def _short_terms(q, w, level, i):
    """Order i's terms of :func:`_short_sums`: its fill min(q, level · w), whether the level
    caps it (q ≥ level · w), its units, its weight if capped (else 0) and its weight."""
    x = q[i]
    y = 1.0 if w is None else w[i]
    t = level if w is None else level * y
    # A minimum and a select the compiler turns into a mask, no branch: a branch here is
    # mispredicted on about a third of the orders, which made Newton's steps on packed
    # orders 2-3 times slower. (x if x < t else 0.0, for the units not capped, compiled to
    # a branch, and so did other spellings of it.)
    return x if x < t else t, x >= t, x, 0.0 if x < t else y, y


_NO_SHORT_SUMS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)
""":func:`_short_sums`'s sums before its first order: fill, total, capped weight and weight,
each for the even and for the odd orders, then the number capped."""


@njit(inline="always", **_HELPER)
def _short_sums_from(q, w, level, start, sums):
    """:func:`_short_sums` from the pair of orders ``start`` on (orders 2 · start, …), adding
    to ``sums``, the sums of the orders before (as :data:`_NO_SHORT_SUMS`): so two books summed
    in step for a while (:func:`_two_books_sums`) end as each alone would."""
    fill, fill_odd, total, total_odd, weight, weight_odd, all_weight, all_odd, count = sums
    n = q.size
    for j in range(max(start, 0), n // 2):  # j known not to be negative
        f, capped, x, g, y = _short_terms(q, w, level, 2 * j)
        f2, capped2, x2, g2, y2 = _short_terms(q, w, level, 2 * j + 1)
        fill += f
        fill_odd += f2
        count += capped + capped2
        total += x
        total_odd += x2
        if w is not None:
            weight += g
            weight_odd += g2
            all_weight += y
            all_odd += y2
    if n % 2:
        f, capped, x, g, y = _short_terms(q, w, level, n - 1)
        fill += f
        count += capped
        total += x
        if w is not None:
            weight += g
            all_weight += y
    if w is None:
        return fill + fill_odd, float(count), count, total + total_odd, float(n)
    return fill + fill_odd, weight + weight_odd, count, total + total_odd, all_weight + all_odd


@njit(inline="always", **_HELPER)
def _short_sums(q, w, level):
    """A short book's fill Σ min(q, level · w), the weight and the number of the orders the
    level caps (q ≥ level · w), Σ q and Σ w, in one pass with no branch per order (``w``
    None: unit weights). Even and odd orders add to separate sums (joined at the end, a
    fixed order), which halves the chain of dependent additions."""
    return _short_sums_from(q, w, level, 0, _NO_SHORT_SUMS)


def _pair_arrays(arrays, weights) -> bool:
    """Whether a pair intrinsic's ``arrays`` are contiguous float64 arrays, and its two
    ``weights`` too, or both None."""
    def contiguous(a):
        return (isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                and a.dtype == types.float64)

    unit = all(isinstance(w, types.NoneType) for w in weights)
    return all(map(contiguous, arrays)) and (unit or all(map(contiguous, weights)))


class _PairLanes:
    """LLVM IR of a pass over two books at once in one 4-wide vector: lanes a's even orders,
    a's odd, b's even, b's odd. Each lane takes the operations a scalar pass over its orders
    takes, in the same order, so each book's result is its own bit for bit."""

    def __init__(self, builder, level_a, level_b):
        self.builder = builder
        self.i32 = ir.IntType(32)
        self.i64 = ir.IntType(64)
        self.vector = ir.VectorType(ir.DoubleType(), 4)
        self.counts = ir.VectorType(self.i64, 4)
        self.half = ir.VectorType(ir.DoubleType(), 2)
        self.zeros = ir.Constant(self.vector, [0.0] * 4)
        level = ir.Constant(self.vector, ir.Undefined)
        for lane, value in enumerate((level_a, level_a, level_b, level_b)):
            level = builder.insert_element(level, value, ir.Constant(self.i32, lane))
        self.level = level

    def _halves(self, a, b, j):
        i = self.builder.shl(j, ir.Constant(self.i64, 1))
        return [self.builder.bitcast(self.builder.gep(x, [i]), self.half.as_pointer())
                for x in (a, b)]

    def load(self, a, b, j):
        """Orders 2j and 2j + 1 of a, then of b."""
        halves = [self.builder.load(h, align=8) for h in self._halves(a, b, j)]
        return self.builder.shuffle_vector(*halves, ir.Constant(ir.VectorType(self.i32, 4),
                                                                [0, 1, 2, 3]))

    def store(self, v, a, b, j):
        """Lanes 0-1 to a's orders 2j and 2j + 1, lanes 2-3 to b's."""
        for h, lanes in zip(self._halves(a, b, j), ([0, 1], [2, 3]), strict=True):
            mask = ir.Constant(ir.VectorType(self.i32, 2), lanes)
            self.builder.store(self.builder.shuffle_vector(v, v, mask), h, align=8)

    def lane(self, v, k):
        return self.builder.extract_element(v, ir.Constant(self.i32, k))

    def capped(self, x, t):
        """1 in each lane whose order the level caps (q ≥ level · w), else 0."""
        return self.builder.zext(self.builder.fcmp_ordered(">=", x, t), self.counts)

    def per_book(self, counts):
        """The counts of a's lanes added, and of b's."""
        return [self.builder.add(self.lane(counts, k), self.lane(counts, k + 1)) for k in (0, 2)]


def _data(context, builder, signature, args, at):
    """The data pointers of the arrays among an intrinsic's arguments at places ``at``."""
    return [context.make_array(signature.args[k])(context, builder, args[k]).data for k in at]


@intrinsic
def _two_books_lanes(typingctx, qa, wa, level_a, qb, wb, level_b, pairs):
    """:func:`_short_sums`'s sums over the first ``pairs`` pairs of orders of two books at once
    (book a at ``level_a``, book b at ``level_b``), as :data:`_NO_SHORT_SUMS`-shaped sums, a's
    then b's (:class:`_PairLanes`: :func:`_short_terms`' and :func:`_short_sums`' operations
    in each lane). ``qa``, ``qb`` (and ``wa``, ``wb``, or both None: unit weights) are
    contiguous float64 arrays of at least 2 · ``pairs`` elements."""
    weighted = not isinstance(wa, types.NoneType)
    if not _pair_arrays((qa, qb), (wa, wb)):
        return None
    book = [types.float64] * 8 + [types.int64]
    result = types.Tuple(book + book)

    def codegen(context, builder, signature, args):
        pair = _PairLanes(builder, args[2], args[5])
        data = _data(context, builder, signature, args, (0, 3, 1, 4) if weighted else (0, 3))
        sums = [cgutils.alloca_once_value(builder, pair.zeros)
                for _ in range(4 if weighted else 2)]
        capped = cgutils.alloca_once_value(builder, ir.Constant(pair.counts, [0] * 4))
        with cgutils.for_range(builder, args[6]) as loop:
            x = pair.load(data[0], data[1], loop.index)
            if weighted:
                y = pair.load(data[2], data[3], loop.index)
                t = builder.fmul(pair.level, y)
            else:
                t = pair.level
            under = builder.fcmp_ordered("<", x, t)
            terms = [builder.select(under, x, t), x]
            if weighted:
                terms += [builder.select(under, pair.zeros, y), y]
            for total, term in zip(sums, terms, strict=True):
                builder.store(builder.fadd(builder.load(total), term), total)
            builder.store(builder.add(builder.load(capped), pair.capped(x, t)), capped)
        lanes = [builder.load(total) for total in sums]
        if not weighted:
            lanes += [pair.zeros, pair.zeros]
        counts = pair.per_book(builder.load(capped))
        items = []
        for first, count in zip((0, 2), counts, strict=True):
            items += [pair.lane(v, first + odd) for v in lanes for odd in (0, 1)]
            items.append(count)
        return context.make_tuple(builder, result, items)

    return result(qa, wa, level_a, qb, wb, level_b, pairs), codegen


@intrinsic
def _two_books_serve(typingctx, qa, wa, level_a, out_a, qb, wb, level_b, out_b, pairs):
    """:func:`_serve` of the first ``pairs`` pairs of orders of two books at once (book a at
    ``level_a`` into ``out_a``, book b at ``level_b`` into ``out_b``): the orders each level
    caps, a's and b's (:class:`_PairLanes`: min(q, t) as numba's min takes it, t < q ? t : q).
    The arrays are as :func:`_two_books_lanes` takes them, ``out_a`` and ``out_b`` too."""
    weighted = not isinstance(wa, types.NoneType)
    if not _pair_arrays((qa, qb, out_a, out_b), (wa, wb)):
        return None
    result = types.UniTuple(types.int64, 2)

    def codegen(context, builder, signature, args):
        pair = _PairLanes(builder, args[2], args[6])
        data = _data(context, builder, signature, args, (0, 4, 3, 7, 1, 5) if weighted
                     else (0, 4, 3, 7))
        capped = cgutils.alloca_once_value(builder, ir.Constant(pair.counts, [0] * 4))
        with cgutils.for_range(builder, args[8]) as loop:
            x = pair.load(data[0], data[1], loop.index)
            t = (builder.fmul(pair.level, pair.load(data[4], data[5], loop.index)) if weighted
                 else pair.level)
            pair.store(builder.select(builder.fcmp_ordered("<", t, x), t, x),
                       data[2], data[3], loop.index)
            builder.store(builder.add(builder.load(capped), pair.capped(x, t)), capped)
        return context.make_tuple(builder, result, pair.per_book(builder.load(capped)))

    return result(qa, wa, level_a, out_a, qb, wb, level_b, out_b, pairs), codegen


@njit(inline="always", **_HELPER)
def _two_books_sums(qa, wa, level_a, qb, wb, level_b):
    """:func:`_short_sums` of two books, each at its level, their shared length in one 4-wide
    vector (:func:`_two_books_lanes`), the longer's rest alone: each book's sums are its own bit
    for bit, and the two chains of dependent additions run side by side."""
    pairs = max(min(qa.size, qb.size) // 2, 0)
    lanes = _two_books_lanes(qa, wa, level_a, qb, wb, level_b, pairs)
    return (_short_sums_from(qa, wa, level_a, pairs, lanes[:9]),
            _short_sums_from(qb, wb, level_b, pairs, lanes[9:]))


@njit(inline="always", **_HELPER)
def _level_known(total, capacity):
    """A book's water level when its sums show it with no step (inf: Σ q = ``total`` ≤
    capacity, all are met; 0: no capacity), else nan."""
    if total <= capacity:
        return np.inf
    return 0.0 if capacity <= 0.0 else np.nan


@njit(inline="always", **_HELPER)
def _short_step(capacity, level, fill, weight, lowest, first):
    """Newton's step of :func:`_short_level` from ``level``, where the fill is ``fill`` and
    the capped weight ``weight``; ``first`` for the first step (from above)."""
    if weight > 0.0:
        level = (capacity - (fill - level * weight)) / weight
        return lowest if level < lowest else level
    # nothing capped: from above go to the lowest level, from below meet all
    return lowest if first and level > lowest else np.inf


@njit(inline="always", **_HELPER)
def _short_level(q, w, capacity, out, sq, sw, resume):
    """The water level of a book shorter than _SHORT_WATER_BELOW orders (inf when Σ q ≤
    capacity), and whether the book is allocated at it already (in ``out``).

    Newton's iteration on the fill curve Σ min(q, level · w) in whole passes
    (:func:`_short_sums`), none with a branch per order. A step goes to the level at which
    the orders the last level capped would take what those it did not cap leave,
    (capacity - their units) / (capped weight), their units taken as the fill less level
    · capped weight. With one order capped that product is the order's own fill, so a
    book of one order and orders of zero units gets (capacity / w) · w, as
    :func:`_one_order` gives a lone order. The first pass is at capacity / (number of
    orders) and also sums q and w; a step from above is raised to the lowest level,
    capacity / Σ w, and every later step is from below. After _SHORT_STEPS steps each
    step allocates the book at its level and counts the orders it caps: the same orders
    as the step before end it (in a Python model of these steps, 96 % of the benchmark's
    books of 10 orders end at the first count, three passes in all). A level from below
    that caps nothing can only come of rounding: every order is met. In floating point
    a step might not settle; after q.size + 3 steps the book goes to
    :func:`_packed_level`.

    ``resume`` is nan to start afresh, or the level of a failed first count
    (:func:`_two_short_books`) to go on from it: its pass sums the book again, and the
    steps after are those a fresh start takes, bit for bit.
    """
    fresh = resume != resume
    level = capacity / float(q.size) if fresh else resume
    fill, weight, count, total, all_weight = _short_sums(q, w, level)
    if fresh:
        known = _level_known(total, capacity)
        if known == known:
            return known, False
    lowest = capacity / all_weight
    for k in range(0 if fresh else _SHORT_STEPS + 1, q.size + 3):
        level = _short_step(capacity, level, fill, weight, lowest, k == 0)
        before = count
        if k >= _SHORT_STEPS and _serve(q, w, level, out) == before:
            return level, True
        fill, weight, count, _, _ = _short_sums(q, w, level)
    if w is None:
        return _packed_level(q, None, capacity, sq, None), False
    return _packed_level(q, w, capacity, sq, sw), False


@njit(inline="always", **_HELPER)
def _serve_two_books(qa, wa, level_a, out_a, qb, wb, level_b, out_b):
    """:func:`_serve` of two books, each at its level, their shared length in one 4-wide
    vector (:func:`_two_books_serve`), the longer's rest alone."""
    pairs = max(min(qa.size, qb.size) // 2, 0)
    count_a, count_b = _two_books_serve(qa, wa, level_a, out_a, qb, wb, level_b, out_b, pairs)
    return (_serve_from(qa, wa, level_a, out_a, 2 * pairs, count_a),
            _serve_from(qb, wb, level_b, out_b, 2 * pairs, count_b))


@njit(inline="always", **_HELPER)
def _two_short_books(qa, wa, capacity_a, out_a, qb, wb, capacity_b, out_b):
    """:func:`_short_level`'s usual course, to its first count, for two books at once, each
    allocated at its level in ``out_a``/``out_b``: whether each ended there, and its level
    (else it takes :func:`_short_level` alone, which goes on from that level). Neither does when
    either's first sums show its level (:func:`_level_known`): a pass repeated costs less
    than that allocation's code in the loop did (turn_and_earn took 1.22 times as long in
    one compilation with it).

    Each book's steps are :func:`_short_level`'s bit for bit (their passes summed side by
    side, :func:`_two_books_sums`): a step is a chain of dependent additions, then a
    division, then the next pass, so one book alone leaves the processor waiting, and two
    books' chains interleave.
    """
    level_a = capacity_a / float(qa.size)
    level_b = capacity_b / float(qb.size)
    (fill_a, weight_a, count_a, total_a, all_a), (fill_b, weight_b, count_b, total_b, all_b) = \
        _two_books_sums(qa, wa, level_a, qb, wb, level_b)
    known_a = _level_known(total_a, capacity_a)
    known_b = _level_known(total_b, capacity_b)
    if known_a == known_a or known_b == known_b:
        return False, np.nan, False, np.nan
    lowest_a = capacity_a / all_a
    lowest_b = capacity_b / all_b
    for k in range(_SHORT_STEPS):
        level_a = _short_step(capacity_a, level_a, fill_a, weight_a, lowest_a, k == 0)
        level_b = _short_step(capacity_b, level_b, fill_b, weight_b, lowest_b, k == 0)
        (fill_a, weight_a, count_a, _, _), (fill_b, weight_b, count_b, _, _) = \
            _two_books_sums(qa, wa, level_a, qb, wb, level_b)
    level_a = _short_step(capacity_a, level_a, fill_a, weight_a, lowest_a, _SHORT_STEPS == 0)
    level_b = _short_step(capacity_b, level_b, fill_b, weight_b, lowest_b, _SHORT_STEPS == 0)
    served_a, served_b = _serve_two_books(qa, wa, level_a, out_a, qb, wb, level_b, out_b)
    return served_a == count_a, level_a, served_b == count_b, level_b


@njit(**_HELPER)
def _sample_level(q, w, capacity, sq, sw):
    """The water level of a strided sample of _SAMPLE orders, for the share of
    ``capacity`` it stands for (capacity · _SAMPLE / q.size); 0 if that is enough."""
    stride = q.size // _SAMPLE
    for j in range(_SAMPLE):
        sq[j] = q[j * stride]
        if w is not None:
            sw[j] = w[j * stride]
    share = capacity * _SAMPLE / q.size
    if w is None:
        level = _packed_level(sq[:_SAMPLE], None, share, sq, None)
    else:
        level = _packed_level(sq[:_SAMPLE], sw[:_SAMPLE], share, sq, sw)
    return 0.0 if level == np.inf else level


@njit(**_HELPER)
def _lowest_level(q, w, capacity):
    """capacity / Σ w: every order is capped there, a lower bound of the water level."""
    return capacity / (float(q.size) if w is None else _ordered_sum(w))


@njit(**_HELPER)
def _likely_level(total, all_weight, capacity, lowest):
    """A first guess at the water level of a book of Σ q = ``total`` and Σ w =
    ``all_weight`` for ``capacity`` < ``total``: the level if the orders' ratios q / w
    were exponentially distributed (weighted by w) with their mean, Σ q / Σ w, the
    distribution of largest entropy given that mean, which solves Σ min(q, level · w) =
    capacity as -Σq / Σw · ln(1 - capacity / Σq). At least ``lowest`` (= capacity / Σ w).

    A guess, not a bound: Newton's iteration is exact from any start, and a start near
    the level saves passes. On 100-order books (sizes exponential, weights uniform on
    0.5-2, capacity half the book) it takes 2.0 fills and 1.0 allocate-and-count
    passes instead of 2.6 and 1.6 from ``lowest``; at 0.9 of the book 2.4 and 1.4
    instead of 4.1 and 3.1; on lognormal sizes 3.1 and 2.1 instead of 3.3 and 2.3; on
    uniform sizes, and on ratios all alike (the guess above every ratio, the next pass
    at ``lowest``), about the same (2.2 and 2.0 fills).
    """
    guess = -total / all_weight * np.log1p(-capacity / total)
    return guess if guess > lowest else lowest


@njit(**_HELPER)
def _water_level(q, w, capacity, out, sq, sw, lane_a, lane_b, lane_c):
    """The level solving Σ min(q, level · w) = capacity; inf when Σ q ≤ capacity. Also
    whether the book is allocated at it already (in ``out``, by :func:`_serve`).

    Newton's iteration on the concave, piecewise-linear fill curve, in passes over
    the whole book: from any start one step lands at or below the level, and from
    below the steps rise to it; it has converged when a step caps the same orders
    as the step before (after a step that moved few orders, allocating the book at the
    new level counts them, and it is done if they are the same). A
    book of _SAMPLED_FROM orders or more starts from the level of a sample, its first
    pass also taking Σ q; a shorter one from :func:`_likely_level`, after a pass that
    sums q and w. A step from above that lands under the lowest level, capacity / Σ w,
    is raised to it. After _FULL_PASSES passes the orders still in play are packed.
    """
    fill = weight = 0.0  # no pass yet: the loop's first pass is at ``level``
    count = 0
    sampled = q.size >= _SAMPLED_FROM
    if sampled:
        level = _sample_level(q, w, capacity, sq, sw)
        fill, weight, count, total = _fill(q, w, level, lane_a, lane_b, lane_c)
        lowest = np.nan  # the lowest level, capacity / Σ w, when it is needed
    else:
        if w is None:
            total, all_weight = _ordered_sum(q), float(q.size)
        else:
            total, all_weight = _ordered_sums(q, w)
        lowest = capacity / all_weight
        level = _likely_level(total, all_weight, capacity, lowest)
    if total <= capacity:
        return np.inf, False
    if capacity <= 0.0:
        return 0.0, False
    moved = q.size  # orders the last step capped or settled
    # One fill in the loop, not one before it too: each is compiled inline, 4 loops.
    for k in range(_FULL_PASSES if sampled else _FULL_PASSES + 1):
        if weight > 0.0:
            above = fill > capacity
            level += (capacity - fill) / weight
            if above:  # a step from above: not a likely exact one
                moved = q.size
                if level < lowest:  # never true while lowest is unknown (nan)
                    level = lowest
            # After a step that moved few orders this one is likely exact: allocate at
            # it, and count (a cheaper pass than the fill).
            if moved <= _FEW_MOVED and _serve(q, w, level, out) == count:
                return level, True
        elif k > 0 or sampled:  # nothing capped: the level is under the last one tried
            level = lowest if lowest == lowest else _lowest_level(q, w, capacity)
        before = count
        fill, weight, count, _ = _fill(q, w, level, lane_a, lane_b, None)
        if count == before and weight > 0.0:
            return level + (capacity - fill) / weight, False
        moved = abs(count - before) if sampled or k > 0 else q.size
    if weight > 0.0:
        level = min(level, level + (capacity - fill) / weight)
    else:
        level = lowest if lowest == lowest else _lowest_level(q, w, capacity)
    k, settled, kept = _settle(q, w, q.size, level, sq, sw)
    if w is None:
        return _newton(sq[:k], None, capacity - settled, 0.0, kept, sq, sw), False
    return _newton(sq[:k], sw[:k], capacity - settled, 0.0, kept, sq, sw), False


@njit(inline="always", **_HELPER)
def _cut_terms(q, p, i, pivot):
    """Order i's units if its priority is below ``pivot`` (else 0), and its units if its
    priority is ``pivot`` (else 0)."""
    x = q[i]
    r = p[i]
    return x if r < pivot else 0.0, x if r == pivot else 0.0


@njit(**_HELPER)
def _short_cut_sums(q, p, m, pivot):
    """Units of the first ``m`` orders with priority p < pivot and with p == pivot, for
    m < _PACKED_BELOW."""
    under = 0.0
    group = 0.0
    for i in range(m):
        below, at = _cut_terms(q, p, i, pivot)
        under += below
        group += at
    return under, group


@njit(inline="always", **_HELPER)
def _cut_sums(q, p, m, pivot, below, at):
    """:func:`_short_cut_sums` in lanes (``below`` and ``at`` are scratch; order i adds
    to lane i mod _LANES), for m ≥ _LANES, in a pass like :func:`_fill`'s."""
    for j in range(min(m, _LANES)):  # the first orders set the lanes
        below[j], at[j] = _cut_terms(q, p, j, pivot)
    rest_q = q[_LANES:m]
    rest_p = p[_LANES:m]
    n = rest_q.size
    pairs = n - n % (2 * _LANES)
    for start in range(0, pairs, 2 * _LANES):
        for j in range(_LANES):  # two orders a lane, as in _fill
            under, group = _cut_terms(rest_q, rest_p, start + j, pivot)
            under2, group2 = _cut_terms(rest_q, rest_p, start + _LANES + j, pivot)
            below[j] = (below[j] + under) + under2
            at[j] = (at[j] + group) + group2
    whole = n - n % _LANES
    for start in range(pairs, whole, _LANES):
        for j in range(_LANES):  # a trip count the compiler knows, and vectorises
            under, group = _cut_terms(rest_q, rest_p, start + j, pivot)
            below[j] += under
            at[j] += group
    for j in range(n - whole):
        under, group = _cut_terms(rest_q, rest_p, whole + j, pivot)
        below[j] += under
        at[j] += group
    return _ordered_sum(below), _ordered_sum(at)


@njit(**_HELPER)
def _keep_between(q, p, m, lo, hi, sq, sp):
    """Pack the first ``m`` orders with lo < p < hi at the front of ``sq``/``sp`` (which
    may be ``q``/``p``); return their number."""
    k = 0
    for j in range(m):
        sq[k] = q[j]
        sp[k] = p[j]
        k += (p[j] > lo) & (p[j] < hi)
    return k


@njit(inline="always", **_HELPER)
def _narrow(under, group, left, pivot, low, high, passed):
    """Narrow the bracket (low, high) around the cut after a try at ``pivot`` that
    found ``under`` units below it and ``group`` at it; ``passed`` are the units at or
    below ``low``. Returns the new low, high, passed and whether ``pivot`` is the cut."""
    if under > left:
        return low, pivot, passed, False
    if under + group <= left:
        return pivot, high, under + group, False
    return low, high, passed, True


@njit(**_HELPER)
def _quantile_pivot(p, share, sp):
    """The priority ``share`` of the way up the sorted priorities of _QUANTILE_SAMPLE
    orders spread over the book, left sorted in ``sp``: a first guess at the cut."""
    m = p.size
    n = _QUANTILE_SAMPLE
    for j in range(n):
        r = p[j * (m - 1) // (n - 1)]
        i = j
        while i > 0 and sp[i - 1] > r:
            sp[i] = sp[i - 1]
            i -= 1
        sp[i] = r
    return sp[int(share * (n - 1) + 0.5)]


@njit(**_HELPER)
def _nearest_inside(sample, low, high, down):
    """Of the sorted sample's priorities strictly between ``low`` and ``high``, the
    highest if ``down`` (the cut lies below the last try) else the lowest; nan if none."""
    nearest = np.nan
    for i in range(_QUANTILE_SAMPLE):
        r = sample[i]
        if low < r < high and (down or nearest != nearest):
            nearest = r
    return nearest


@njit(**_HELPER)
def _priority_cut(q, p, capacity, total, sq, sp, below, at):
    """The priority number served in part, the units it gets, and its orders' units.

    A selection, not a sort: try a pivot priority in a pass over the book, which
    brackets the cut more narrowly, until one is the cut. The first tries pass over
    the whole book: a book of _CUT_SAMPLED_FROM orders or more tries the cut of a
    sample and then its neighbour on the side the cut lies (:func:`_sampled_pivots`); a
    shorter one tries a sample's quantile (:func:`_quantile_pivot`), then, up to
    _CUT_TRIES in all, the sample's priority nearest the cut inside the bracket, or if it
    has none the first of the book's orders found inside. Then the orders inside it are
    packed into ``sq``/``sp``, and each step splits them at the median of three and
    keeps the side that holds the cut. Expects ``total`` = Σ q > capacity; ``below``
    and ``at`` are scratch lanes.
    """
    left = capacity
    m = q.size
    low, high = -np.inf, np.inf  # the cut lies strictly between them
    passed = 0.0  # units at or below ``low``
    sampled = m >= _CUT_SAMPLED_FROM
    if sampled:  # the sample's cut, then its neighbour on the cut's side
        lo, pivot, hi = _sampled_pivots(q, p, capacity / total, sq, sp)
        tries = 2
    else:
        lo = hi = 0.0
        pivot = _quantile_pivot(p, capacity / total, sp)
        tries = _CUT_TRIES
    j = 0  # the orders before j lie outside the bracket
    for _ in range(tries):
        under, group = _cut_sums(q, p, m, pivot, below, at)
        low, high, passed, hit = _narrow(under, group, left, pivot, low, high, passed)
        if hit:
            return pivot, left - under, group
        if sampled:
            pivot = hi if pivot == low else lo
            if not low < pivot < high:
                break
        else:
            pivot = _nearest_inside(sp, low, high, pivot == high)
            if pivot != pivot:  # none of the sample's: the next of the book's own
                while j < m and not low < p[j] < high:
                    j += 1
                if j == m:
                    break
                pivot = p[j]
    left -= passed
    m = _keep_between(q, p, m, low, high, sq, sp)
    q = sq
    p = sp
    while m > 0:
        pivot = _median3(p[0], p[m // 2], p[m - 1])
        if m < _PACKED_BELOW:
            under, group = _short_cut_sums(q, p, m, pivot)
        else:
            under, group = _cut_sums(q, p, m, pivot, below, at)
        # The packed orders hold no units at or below ``low``: the side passed leaves them.
        low, high, passed, hit = _narrow(under, group, left, pivot, low, high, 0.0)
        if hit:
            return pivot, left - under, group
        left -= passed
        m = _keep_between(q, p, m, low, high, sq, sp)
        q = sq
        p = sp
    # No priority lies between low, whose orders' units were found to fit, and high, whose
    # orders' units below were found not to: sums of the same units in other orders (lanes
    # or one chain, over the book or the packed orders) disagreed by rounding, so what is
    # left for high is within rounding of 0. It gets 0; its orders are not served in full.
    # (high is inf only if every priority was found to fit: then all are met.)
    return high, 0.0, 1.0


@njit(**_HELPER)
def _sum_at_most(sq, sp, r):
    """Units of the _CUT_SAMPLE sampled orders with priority ≤ r, in eight interleaved sums
    (_CUT_SAMPLE is a multiple of 8)."""
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    for i in range(0, _CUT_SAMPLE, 8):
        a0 += sq[i] * (sp[i] <= r)
        a1 += sq[i + 1] * (sp[i + 1] <= r)
        a2 += sq[i + 2] * (sp[i + 2] <= r)
        a3 += sq[i + 3] * (sp[i + 3] <= r)
        a4 += sq[i + 4] * (sp[i + 4] <= r)
        a5 += sq[i + 5] * (sp[i + 5] <= r)
        a6 += sq[i + 6] * (sp[i + 6] <= r)
        a7 += sq[i + 7] * (sp[i + 7] <= r)
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@njit(**_HELPER)
def _sampled_pivots(q, p, share, sq, sp):
    """Three priorities lo ≤ mid ≤ hi for :func:`_priority_cut`'s first passes: the cut
    (mid) of a strided sample of _CUT_SAMPLE orders (copied to ``sq``/``sp``) for
    ``share`` of its units, and the sample's priorities either side of it (mid where it
    has none). With a few priority classes the book's cut is usually mid or the
    neighbour on its side; with many it usually lies between lo and hi, among about
    2/_CUT_SAMPLE of the orders.

    The sample's cut is found by trying its priorities in turn, each only if it lies
    between the highest tried that the sample's share passes and the lowest tried it
    does not: a few sums over the sample, not a sort."""
    n = _CUT_SAMPLE
    stride = q.size // n
    for j in range(n):
        sq[j] = q[j * stride]
        sp[j] = p[j * stride]
    left = share * _ordered_sum(sq[:n])
    served = -np.inf  # the sample's units at or below it fit in ``left``
    cut = np.inf  # ... and at or below it they do not
    for j in range(n):
        r = sp[j]
        if served < r < cut:
            if _sum_at_most(sq, sp, r) > left:
                cut = r
            else:
                served = r
    if cut == np.inf:
        pivot = _median3(p[0], p[q.size // 2], p[q.size - 1])
        return pivot, pivot, pivot
    lo = -np.inf
    hi = np.inf
    for j in range(n):
        r = sp[j]
        lo = max(lo, r if r < cut else -np.inf)
        hi = min(hi, r if r > cut else np.inf)
    return (lo if lo > -np.inf else cut), cut, (hi if hi < np.inf else cut)


@njit(inline="always", **_HELPER)
def _serve_priority(q, p, cut, left, group, out):
    """Allocate the book: out = q for the orders with priority p < cut, q · left / group
    for those at the cut (``group`` is their units), 0 above it. A lone order at the cut
    gets ``left`` itself, exactly. Neither gets more than it asked for: the fraction is at
    most 1 and the lone order's share at most its units, which rounding could otherwise
    exceed by an ulp when the capacity lies an ulp under the units at most the cut."""
    fraction = min(left / group, 1.0)
    members = 0
    for i in range(q.size):
        x = q[i]
        r = p[i]
        # Two selects of 0 or the units, added, the way the compiler makes masks of them.
        # q · (fraction, 1 or 0) gives the same numbers but compiled to branches in the
        # loop's scalar steps (all of a book under 16 orders), mispredicted on about half
        # the orders: the output pass took 2.3 µs of a call at E = 1 000 on S = 100
        # instead of 1.4.
        out[i] = (0.0 if r >= cut else x) + (0.0 if r != cut else x * fraction)
        members += r == cut
    if members == 1:
        for i in range(q.size):
            if p[i] == cut:
                out[i] = min(left, q[i])
                break


@njit(inline="always", **_HELPER)
def _cut_pass_terms(q, p, pivot, i):
    """Order i's terms of :func:`_cut_pass`: its units if its priority is below ``pivot``
    and if at most ``pivot`` (else 0), its priority if above ``pivot`` (else inf) and if
    below it (else -inf), and its units."""
    x = q[i]
    r = p[i]
    # Each select is spelt the way the compiler turns it into a mask or a blend, not a
    # branch (r if r > pivot else inf compiled to a branch, mispredicted on about half the
    # orders).
    return (0.0 if r >= pivot else x, 0.0 if r > pivot else x,
            np.inf if r <= pivot else r, r if r < pivot else -np.inf, x)


@njit(inline="always", **_HELPER)
def _cut_pass(q, p, pivot):
    """A short book's units with priority below ``pivot`` and at most ``pivot``, the
    nearest priorities above and below it (inf and -inf if none) and Σ q, in one pass with
    no branch per order. Units below and at most a priority are sums of their own, not one
    from the other: at the next priority down, the units at most it are the same sum, bit
    for bit, as those below the pivot, so the search never turns back."""
    below = upto = total = 0.0
    up = np.inf
    down = -np.inf
    for i in range(q.size):
        b, u, above, under, x = _cut_pass_terms(q, p, pivot, i)
        below += b
        upto += u
        up = min(up, above)
        down = max(down, under)
        total += x
    return below, upto, up, down, total


@njit(**_HELPER)
def _short_cut(q, p, capacity):
    """:func:`_priority_cut` for a book shorter than _PACKED_BELOW, and inf (all met) when
    Σ q ≤ capacity: the priority served in part, the units it gets and its orders' units.

    A walk over the book's priorities, a pass each (:func:`_cut_pass`), from the median of
    the first, middle and last orders' towards the cut, one priority a step: 1.8 passes
    on the benchmark's books of 10 orders in 5 classes (in a Python model of the walk).
    It ends at the cut: it never turns back (see :func:`_cut_pass`), it cannot pass the
    lowest priority (nothing lies below it) nor the highest (all of Σ q > capacity lies
    at most it, the same sum).

    The cut's units are those at most it less those below it, not a sum of their own: the
    pass has one chain of additions fewer (0.92 of the call's time at E = 1 000 on 32 and
    100 suppliers), and what is left never exceeds them (capacity < upto, so capacity -
    below ≤ upto - below after rounding too): no order at the cut gets more than it asked.
    """
    m = q.size
    pivot = _median3(p[0], p[m // 2], p[m - 1])
    first = True
    while True:  # one call of _cut_pass, compiled inline
        below, upto, up, down, total = _cut_pass(q, p, pivot)
        if first and total <= capacity:
            return np.inf, 0.0, 1.0
        first = False
        if below <= capacity < upto:
            return pivot, capacity - below, upto - below
        pivot = down if below > capacity else up


@intrinsic
def _units_below_each(typingctx, q, p, classes):
    """In one pass over a book, its units with priority below each of ``classes[1:5]`` and Σ q:
    five floats. Each is a chain of additions of 0 or the order's units in the orders' order,
    the very additions :func:`_cut_pass` makes at that priority (the units below a class are
    the units at most the one before it), so the sums are the walk's bit for bit. The four
    pivots sit in one 4-wide vector: a compare, a mask and an add serve all four; written as
    scalar chains numba kept them scalar (eight of them took 1.05-1.4 times the walk's time,
    their sums spilled to the stack). ``q``, ``p`` and ``classes`` are contiguous float64 arrays,
    ``classes`` of at least 5 elements."""
    contiguous = all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                     and a.dtype == types.float64 for a in (q, p, classes))
    if not contiguous:
        return None
    result = types.UniTuple(types.float64, 5)

    def codegen(context, builder, signature, args):
        f64 = ir.DoubleType()
        i32 = ir.IntType(32)
        vector = ir.VectorType(f64, 4)
        q_arr, p_arr, c_arr = (context.make_array(t)(context, builder, a)
                               for t, a in zip(signature.args, args, strict=True))
        pivots_at = builder.gep(c_arr.data, [ir.Constant(ir.IntType(64), 1)])
        pivots = builder.load(builder.bitcast(pivots_at, vector.as_pointer()), align=8)
        zeros = ir.Constant(vector, [0.0] * 4)
        below = cgutils.alloca_once_value(builder, zeros)
        total = cgutils.alloca_once_value(builder, ir.Constant(f64, 0.0))
        undef = ir.Constant(vector, ir.Undefined)
        first = ir.Constant(ir.VectorType(i32, 4), [0] * 4)

        def broadcast(x):
            return builder.shuffle_vector(builder.insert_element(undef, x, ir.Constant(i32, 0)),
                                          undef, first)

        with cgutils.for_range(builder, builder.extract_value(q_arr.shape, 0)) as loop:
            x = builder.load(builder.gep(q_arr.data, [loop.index]))
            r = builder.load(builder.gep(p_arr.data, [loop.index]))
            units = builder.select(builder.fcmp_ordered("<", broadcast(r), pivots),
                                   broadcast(x), zeros)
            builder.store(builder.fadd(builder.load(below), units), below)
            builder.store(builder.fadd(builder.load(total), x), total)
        sums = builder.load(below)
        items = [builder.extract_element(sums, ir.Constant(i32, k)) for k in range(4)]
        return context.make_tuple(builder, result, [*items, builder.load(total)])

    return result(q, p, classes), codegen


@njit(inline="always", **_HELPER)
def _class_cut(q, p, capacity, classes):
    """:func:`_short_cut` for a book whose distinct priorities are known: ``classes`` holds
    them in ascending order, then inf (CLASS_SLOTS in all). One pass sums the units below
    each class and Σ q (:func:`_units_below_each`); the cut is the class whose units below
    are at most the capacity and whose units at most it are more. Those are the walk's sums,
    so the cut and its units are the walk's, bit for bit, with no walk: no pass a priority,
    no branch on whether a pass found the cut.

    The units below and at most the cut are picked by selects, not by indexing the sums by
    the cut's place (a tuple indexed at run time compiles to a switch; the cut's choice
    took about 15 ns a book that way on the benchmark's books of 10, 7 by selects): the
    sums rise with the class, so the largest of those at most the capacity is the units
    below the cut, and the smallest of those above it the units at most the cut.
    """
    s1, s2, s3, s4, total = _units_below_each(q, p, classes)
    if total <= capacity:
        return np.inf, 0.0, 1.0
    place = (s1 <= capacity) + (s2 <= capacity) + (s3 <= capacity) + (s4 <= capacity)
    below = max(max(0.0 if s1 > capacity else s1, 0.0 if s2 > capacity else s2),
                max(0.0 if s3 > capacity else s3, 0.0 if s4 > capacity else s4))
    upto = min(min(np.inf if s1 <= capacity else s1, np.inf if s2 <= capacity else s2),
               min(min(np.inf if s3 <= capacity else s3, np.inf if s4 <= capacity else s4),
                   total))
    return classes[place], capacity - below, upto - below


@njit(**_HELPER)
def _one_order(x, capacity, y, rule):
    """The allocation of a book of one order, ``x`` units of weight ``y``, bit for bit
    what the rule's general path gives it, without its calls and passes: 3-7 ns a book
    instead of 14-26 on the benchmark's machine (at E = 1 000 orders on S = 1 000
    suppliers).

    Past capacity the general paths end as follows: proportional at x · (capacity / x);
    lexicographic with the order alone at the cut, which gets what is left, capacity;
    water-filling at level 0 when capacity is 0, else after one Newton step at the level
    capacity / y, the order filled to level · y (uniform: y = 1, the level · 1 is
    capacity), or met in full if rounding put it under that.
    """
    if x <= capacity:
        return x
    if rule == PROPORTIONAL:
        return x * (capacity / x)
    if rule == LEXICOGRAPHIC:
        return capacity
    if capacity <= 0.0:
        return 0.0
    if rule == UNIFORM:
        return capacity
    filled = capacity / y * y
    return x if x < filled else filled


@njit(inline="always", **_HELPER)
def _defer_short_book(out, a, level):
    """Mark the short book whose orders start at ``a`` for :func:`_water_fill_books`' second
    loop: nan in its first order's allocation, the level to go on from (nan: afresh) in its
    second's."""
    out[a] = np.nan
    out[a + 1] = level


@njit(**_HELPER)
def _water_fill_books(capacity, indptr, quantity, weight, out, sq, sw, lane_a, lane_b,
                      lane_c):
    """Allocate every book by water-filling: each order gets min(q, level · w), ``weight``
    None for unit weights (uniform); ``sq``, ``sw`` (None for unit weights) and the lanes
    are :func:`allocate_unchecked`'s scratch. A None passed as such, not chosen here,
    keeps the arrays from being typed optional, checked at every use, which made
    turn_and_earn up to 1.9 times slower.

    Books shorter than _SHORT_WATER_BELOW orders go two at a time (:func:`_two_short_books`);
    one that does not end there and one left without a partner are marked (nan in their
    first order's allocation, which a book allocated never holds; the level to go on from, or
    nan, in its second) and then allocated one by one, in a loop of their own. Going on from
    that level instead of afresh took 0.80-0.92 of the time on the benchmark's books of 31
    orders and 0.91-0.98 on books of 10 (bound calls, same process); that loop in a function
    of its own, 0.97-1.03 at the model's size, where one of its three books never finds a
    partner (in the loop, 0.90-0.98). Allocated on the spot instead, they made turn_and_earn
    1.06-1.31 times slower than one book at a time on the benchmark's books of 10 orders
    (deferred 0.70-0.83); a longer book is allocated on the spot (deferred too, books of 100
    took 0.99-1.08 times as long in a jitted loop, 1.10-1.17 per bound call)."""
    rule = UNIFORM if weight is None else TURN_AND_EARN
    waiting = -1  # a short book waiting for a partner
    marked = False
    for s in range(capacity.size):
        # The offsets are not negative (the caller guarantees it); saying so drops
        # numba's wraparound of negative indices from each book's slices and a lone
        # order's indexing: on 1 000 books of one order, 14-16 % less time over 20 memory
        # layouts (median). The lexicographic loop was 2 times slower with it in most.
        a = max(indptr[s], 0)
        b = max(indptr[s + 1], a)
        if b - a <= 1:
            if a < b:
                out[a] = _one_order(quantity[a], capacity[s],
                                    1.0 if weight is None else weight[a], rule)
            continue
        if b - a >= _SHORT_WATER_BELOW:
            q = quantity[a:b]
            o = out[a:b]
            w = weight[a:b] if weight is not None else weight
            level, served = _water_level(q, w, capacity[s], o, sq, sw, lane_a, lane_b, lane_c)
            if not served:
                _serve(q, w, level, o)
            continue
        if waiting < 0:
            waiting = s
            continue
        c = max(indptr[waiting], 0)
        d = max(indptr[waiting + 1], c)
        w = weight[a:b] if weight is not None else weight  # of weight's type (see above)
        v = weight[c:d] if weight is not None else weight
        ended_c, level_c, ended_a, level_a = _two_short_books(
            quantity[c:d], v, capacity[waiting], out[c:d], quantity[a:b], w, capacity[s], out[a:b])
        if not ended_c:
            _defer_short_book(out, c, level_c)
        if not ended_a:
            _defer_short_book(out, a, level_a)
        marked = marked or not (ended_a and ended_c)
        waiting = -1
    if waiting >= 0:
        _defer_short_book(out, max(indptr[waiting], 0), np.nan)
        marked = True
    for s in range(capacity.size if marked else 0):
        a = max(indptr[s], 0)
        b = max(indptr[s + 1], a)
        if b - a <= 1 or b - a >= _SHORT_WATER_BELOW or out[a] == out[a]:
            continue
        q = quantity[a:b]
        o = out[a:b]
        w = weight[a:b] if weight is not None else weight
        level, served = _short_level(q, w, capacity[s], o, sq, sw, o[1])
        if not served:
            _serve(q, w, level, o)


@njit(inline="always", **_HELPER)
def _book_cut(q, p, capacity, sq, sp, lane_a, lane_b):
    """The cut of a book of two orders or more: the priority served in part, the units it
    gets and its orders' units; inf (all are met), 0 and 1 when Σ q ≤ capacity. A short book
    walks (:func:`_short_cut`), a longer one is summed and searched (:func:`_priority_cut`)."""
    if q.size < _PACKED_BELOW:
        return _short_cut(q, p, capacity)
    total = _ordered_sum(q)
    if total <= capacity:
        return np.inf, 0.0, 1.0
    return _priority_cut(q, p, capacity, total, sq, sp, lane_a, lane_b)


@njit(**_HELPER)
def _lexicographic_books(capacity, indptr, quantity, priority, out, sq, sp, lane_a, lane_b,
                         classes):
    """Allocate every book by strict priority: orders before the cut are met, those at it
    share what is left; ``sq``, ``sp`` and the lanes are :func:`allocate_unchecked`'s
    scratch. ``classes`` is the layout's :func:`class_table` (a bound kernel's), or None: a
    book with its classes in the table is cut in one pass (:func:`_class_cut`), the others
    walk or search (:func:`_book_cut`), with the same result bit for bit."""
    for s in range(capacity.size):
        a = indptr[s]
        b = indptr[s + 1]
        if b - a <= 1:
            if a < b:
                out[a] = _one_order(quantity[a], capacity[s], 1.0, LEXICOGRAPHIC)
            continue
        q = quantity[a:b]
        p = priority[a:b]
        # _book_cut is called in two places: numba drops the table's branch, untyped when
        # classes is None, only where `classes is None` is a condition of its own.
        if classes is None:
            cut, left, group = _book_cut(q, p, capacity[s], sq, sp, lane_a, lane_b)
        else:
            row = classes[_TABLE_ROW * s:_TABLE_ROW * (s + 1)]
            if row[0] > 0.0:
                cut, left, group = _class_cut(q, p, capacity[s], row[1:])
            else:
                cut, left, group = _book_cut(q, p, capacity[s], sq, sp, lane_a, lane_b)
        _serve_priority(q, p, cut, left, group, out[a:b])


@njit(**_HELPER)
def _proportional_books(capacity, indptr, quantity, out):
    """Allocate every book proportionally (:func:`_proportional`; a book of one order by
    :func:`_one_order`, the same numbers)."""
    for s in range(capacity.size):
        a = max(indptr[s], 0)  # not negative: see _water_fill_books
        b = max(indptr[s + 1], a)
        if b - a == 1:
            out[a] = _one_order(quantity[a], capacity[s], 1.0, PROPORTIONAL)
        else:
            _proportional(quantity[a:b], capacity[s], out[a:b])


@njit(inline="always", **_HELPER)
def _scratch_parts(scratch, longest):
    """The work array's parts for books of at most ``longest`` orders (its
    :func:`_scratch_layout`): two of ``longest`` elements (a book's packed orders) and three
    lanes of _LANES."""
    a = 2 * longest
    b = a + _LANES
    c = b + _LANES
    return scratch[:longest], scratch[longest:a], scratch[a:b], scratch[b:c], scratch[c:c + _LANES]


@load_without_compiler
@njit(**_HELPER)
def _scratch_layout(indptr):
    """The longest book of the CSR layout ``indptr`` (orders) and the elements of the
    kernel's work array: twice that book (its packed orders) and three lanes."""
    longest = 0
    for s in range(indptr.size - 1):
        longest = max(longest, indptr[s + 1] - indptr[s])
    return longest, 2 * longest + 3 * _LANES


def scratch_size(indptr) -> int:
    """Elements of the work array :func:`allocate_unchecked` needs for the CSR layout
    ``indptr``."""
    return int(_scratch_layout(np.asarray(indptr, dtype=np.int64))[1])


@load_without_compiler
@njit(**_HELPER)
def allocate_unchecked(capacity, indptr, quantity, rule, priority, weight, out, scratch):
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
    scratch : float64[n], n ≥ ``scratch_size(indptr)``
        Work array, overwritten; allocate it once per layout and reuse it (the kernel
        allocates nothing, so numba passes its arguments without its runtime).

    The caller guarantees what :func:`allocate` checks; only the size of ``scratch`` is
    checked here (``ValueError``), as a short one would be written past its end.
    """
    _allocate(capacity, indptr, quantity, rule, priority, weight, out, scratch, None)


@njit(**_HELPER)
def _allocate(capacity, indptr, quantity, rule, priority, weight, out, scratch, classes):
    """:func:`allocate_unchecked`, and a bound kernel's lexicographic :func:`class_table`
    (None: none)."""
    if rule == PROPORTIONAL:
        _proportional_books(capacity, indptr, quantity, out)
        return
    longest, needed = _scratch_layout(indptr)
    if scratch.size < needed:
        raise ValueError("scratch holds fewer than scratch_size(indptr) elements")
    sq, sw, lane_a, lane_b, lane_c = _scratch_parts(scratch, longest)
    # A loop of each rule's own: one loop holding all three inlined bodies kept so many
    # values live that a book of one order cost 1-2 ns more.
    if rule == UNIFORM:
        _water_fill_books(capacity, indptr, quantity, None, out, sq, None, lane_a, lane_b,
                          lane_c)
    elif rule == TURN_AND_EARN:
        _water_fill_books(capacity, indptr, quantity, weight, out, sq, sw, lane_a, lane_b,
                          lane_c)
    else:
        _lexicographic_books(capacity, indptr, quantity, priority, out, sq, sw, lane_a, lane_b,
                             classes)


def packed_size(indptr) -> int:
    """Elements of the work array :func:`allocate_packed` takes for the CSR layout
    ``indptr`` (S + 1 offsets, E orders): S + 4 E, the class table's (CLASS_SLOTS + 1) · S
    and the kernel's scratch."""
    indptr = np.asarray(indptr, dtype=np.int64)
    n_suppliers = indptr.size - 1
    return int(n_suppliers + 4 * indptr[-1] + _TABLE_ROW * n_suppliers) + scratch_size(indptr)


def class_table(indptr, priority) -> np.ndarray:
    """The lexicographic class table of a layout and its priorities: float64[(CLASS_SLOTS + 1) · S].

    Book s's row (``(CLASS_SLOTS + 1) * s`` on) holds its number of distinct priorities, then
    them in ascending order, then inf, when it has 2 to _PACKED_BELOW - 1 orders in at most
    CLASS_SLOTS classes: the kernel cuts such a book in one pass (:func:`_class_cut`). The
    others' rows are zeros: they walk or are searched, as in a table never filled. A bound
    kernel works it out once, as its priorities are bound with its layout (``indptr`` and
    ``priority`` checked as :func:`allocate` checks them).

    >>> class_table([0, 3, 4], [2.0, 0.0, 2.0, 1.0]).reshape(2, CLASS_SLOTS + 1).tolist()
    [[2.0, 0.0, 2.0, inf, inf, inf], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    priority = np.asarray(priority, dtype=float)
    sizes = np.diff(indptr)
    book = np.repeat(np.arange(sizes.size), sizes)
    order = np.lexsort((priority, book))
    book, priority = book[order], priority[order]
    new_class = np.ones(book.size, dtype=bool)
    new_class[1:] = (book[1:] != book[:-1]) | (priority[1:] != priority[:-1])
    class_book = book[new_class]
    classes = np.bincount(class_book, minlength=sizes.size)
    rank = np.arange(class_book.size) - (np.cumsum(classes) - classes)[class_book]
    table = np.full((sizes.size, _TABLE_ROW), np.inf)
    table[:, 0] = classes
    kept = rank < CLASS_SLOTS
    table[class_book[kept], 1 + rank[kept]] = priority[new_class][kept]
    one_pass = (sizes >= 2) & (sizes < _PACKED_BELOW) & (classes <= CLASS_SLOTS)
    table[~one_pass] = 0.0
    return table.ravel()


@load_without_compiler
@njit(cache=True, error_model="numpy", _nrt=False)
def allocate_packed(arena, indptr, rule):
    """:func:`allocate_unchecked` on arrays laid end to end in one work array: the form
    a caller that calls the kernel from Python step after step on small books binds to
    (:class:`abm.allocation_bound.BoundKernel`, the model's path).

    ``arena`` (float64[n], n ≥ :func:`packed_size`) holds capacity[S], quantity[E],
    priority[E], weight[E], out[E], the lexicographic :func:`class_table` of the layout and
    priorities ((CLASS_SLOTS + 1) · S; zeros: none; unused by the other rules), then the
    scratch, in that order. A call from Python unboxes each array argument, about 35 ns
    apiece on the benchmark's machine: one here instead of six. Unlike the kernel it keeps
    the GIL, as releasing and retaking it cost about 0.13 µs, a large share of a
    model-sized call's work (0.05-0.4 µs). Unchecked but for the size of ``arena``
    (``ValueError``: the arrays and the table here, the scratch in the kernel), as a short
    one would be written past its end. The table must be the one of ``indptr`` and
    priority[E] as they stand: a stale one gives other allocations.
    """
    if indptr.size == 0:
        raise ValueError("indptr is empty")
    s = indptr.size - 1
    e = indptr[s]
    table = s + 4 * e
    scratch = table + _TABLE_ROW * s
    if e < 0 or arena.size < scratch:
        raise ValueError("arena holds fewer than S + 4 E + (CLASS_SLOTS + 1) S elements")
    _allocate(arena[:s], indptr, arena[s:s + e], rule, arena[s + e:s + 2 * e],
              arena[s + 2 * e:s + 3 * e], arena[s + 3 * e:table], arena[scratch:],
              arena[table:scratch])


@njit(cache=True, parallel=True)
def allocate_batch_unchecked(capacity, indptr, quantity, rule, priority, weight, out):
    """:func:`allocate_unchecked` over the rows of 2-D ``capacity``, ``quantity``,
    ``priority``, ``weight`` and ``out`` (one layout ``indptr``), in parallel; no checks."""
    scratch = np.empty((capacity.shape[0], _scratch_layout(indptr)[1]))
    for r in prange(capacity.shape[0]):
        allocate_unchecked(capacity[r], indptr, quantity[r], rule, priority[r], weight[r], out[r],
                           scratch[r])


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
    allocate_unchecked(cap, ptr, qty, code, pri, wt, out, np.empty(scratch_size(ptr)))
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
    allocate_batch_unchecked(cap, ptr, qty, code, pri, wt, out)
    return out

"""Benchmark of the allocation kernel: numba against NumPy and plain Python, in one process.

``capex-abm bench kernel [--small] [--repeat N] [--out FILE.csv]`` (also
``python -m abm.bench kernel ...``) measures, on this machine:

* **kernel** — the median time of one call for E = 10³…10⁶ orders split evenly
  among S = 10, 100, 1 000 suppliers (S ≤ E), per rule, of the numba kernel
  (:func:`abm.allocation.allocate_unchecked` on arrays checked once), the NumPy
  version (:func:`abm.allocation_numpy.allocate_unchecked`, likewise) and the
  plain-Python reference (:func:`abm.allocation_reference.allocate`, run only
  where it is predicted to take under :data:`PYTHON_BUDGET_S`); the instances
  are ``random`` (exponential order sizes, capacity half of each supplier's
  orders) and, for water-filling, two worst cases (``geometric``, ``newton``);
* **copy** — ``np.copyto`` of a 256 MB array (the machine's memory bandwidth)
  and of E float64 (a same-size copy, the yardstick of the proportional rule);
* **per_call** — µs per call at E ≤ 1 000 (:data:`CALL_SIZES`, the baseline
  model's largest call among them), the mean over :data:`CALL_BOOKS` random
  problems called in turn, of the model's path, the kernel bound to each
  problem's arrays (``bound``, :class:`abm.allocation_bound.BoundKernel`), of
  the unchecked kernel called through numba's dispatcher (``unchecked``) and of
  the validating wrapper :func:`abm.allocation.allocate`, each with the fastest and
  slowest of its samples (``seconds_min``, ``seconds_max``: the spread within the
  measurement's 0.1-0.2 s, not the slower spells of a busy machine);
* **cut** — at each per-call size with books of two orders or more, µs per problem
  of the lexicographic kernel (``kernel``), of its best case, each book's first
  try at the cut a hit: one pass and the output pass (``best_case``,
  :mod:`abm.bench_cut`), and of the bound kernel's path, which cuts a short book of a
  few classes in one pass over them all (``bound``), all in one jitted loop over the
  problems, with no call: how much of the time a better first guess could save;
* **batch** — :func:`abm.allocation.allocate_batch_unchecked` over R replicas against R
  calls of the unchecked kernel;
* **start_up** — a fresh Python process that imports :mod:`abm.allocation`
  and makes its first call, with an empty numba cache (``NUMBA_CACHE_DIR`` a
  new folder: ``cold``, compiles) and again with that cache (``warm``);
  ``--small`` times only ``warm``, with the default cache;
* **floor** — numba's own costs, the floors under the two sections above
  (:mod:`abm.bench_floor`): ``bound_call`` and ``dispatch``, a call of an empty
  jitted function that takes the kernel's arguments, bound to them like
  ``bound`` (the work array, layout and rule of
  :func:`abm.allocation.allocate_packed`) and through numba's dispatcher like
  ``unchecked`` (all eight of :func:`abm.allocation.allocate_unchecked`'s; both
  timed for each per-call size, right after it); ``start_up``, a fresh process that imports
  numba and makes a first call of that function from a warm cache, loading it as
  the kernel is loaded, without setting up numba's compiler (:mod:`abm.jit_cache`),
  and ``start_up_numba_loader``, the same by numba's own loader, which sets up its
  compiler first (importing SciPy's BLAS to look for it).
* **probe** — the loops the issue timed on the machine its targets were set on
  (:mod:`abm.bench_probe`), at the issue's size whatever ``--sizes`` says (E = 10⁶ on
  S = 100): this machine's time of each beside the issue's, and its memory copy and L3
  cache beside the issue's.

Bytes touched (the ``bytes`` column) count each E-long array a rule needs read
once, plus ``out`` written once: 16 B per order for proportional and uniform,
24 B for lexicographic and turn-and-earn; a copy touches 16 B per float64 (read
and write). Every number is wall time; a busy machine inflates them, so compare
medians of several repeats.
"""

from __future__ import annotations

import argparse
import csv
import functools
import itertools
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np

from abm import allocation_numpy, allocation_reference, bench_cut, bench_floor, bench_probe
from abm.allocation import allocate, allocate_batch_unchecked, allocate_unchecked, scratch_size
from abm.allocation_bound import BoundKernel
from abm.allocation_inputs import RULES, check_batch_inputs, check_inputs
from abm.seeding import run_streams

SIZES = (1_000, 10_000, 100_000, 1_000_000)
"""Numbers of orders E of the kernel table."""
SMALL_SIZES = (1_000, 10_000)
"""Numbers of orders with ``--small``."""
SUPPLIERS = (10, 100, 1_000)
"""Numbers of suppliers S of the kernel table (sizes with S > E are skipped)."""
SMALL_SUPPLIERS = (10, 100)
"""Numbers of suppliers with ``--small``."""
WORST_SUPPLIERS = (10, 100)
"""Numbers of suppliers of the water-filling worst cases."""
CALL_SIZES = ((10, 1), (20, 3), (100, 10), (1_000, 1), (1_000, 3), (1_000, 10), (1_000, 32),
              (1_000, 100), (1_000, 1_000))
"""(orders, suppliers) of the per-call timings; (20, 3) is the size of the baseline model's
largest call (its buyers' order lines on three distributors). At E = 1 000 they run from
one book of 1 000 orders to 1 000 books of one, through books of 31 and 32 (24 of 31, the
longest the lexicographic walk takes, and 8 of 32, which water-filling's whole passes take
up to 63) and of 10."""
CALL_BOOKS = 16
"""Random problems of each per-call size, called in turn: the time is their mean, not one
draw's (on one supplier of 1 000 orders turn_and_earn makes 6 passes over most books and 8
over about one in eight)."""
BATCH_SIZE = (10_000, 100)
"""(orders, suppliers) of one replica of the batch timing."""
REPLICAS = 64
"""Replicas of the batch timing."""
REPEAT = 7
"""Timed samples per measurement; the median is reported."""
SMALL_REPEAT = 3
"""Timed samples per measurement with ``--small``."""
SAMPLE_S = 0.02
"""Shortest timed sample (seconds): fast calls are looped until a sample lasts this long."""
PYTHON_BUDGET_S = 2.0
"""The reference runs only where a call is predicted to take less (seconds)."""
CALIBRATION_ORDERS = 1_000
"""Orders of a first, small reference call that predicts the reference's time in a case
with no smaller size to go by."""
COPY_BYTES = 256 * 2**20
"""Size of the array copied to measure memory bandwidth (bytes)."""
SHORTAGE = 0.5
"""Capacity of a supplier as a share of the orders placed on it."""
PRIORITY_CLASSES = 5
"""Priorities are drawn from 0, 1, …, PRIORITY_CLASSES - 1."""
WEIGHTS = (0.5, 2.0)
"""Past-sales weights are drawn uniformly from this range."""
SEED = 2024
"""Root seed of the benchmark instances: each section draws from its own child of
``run_streams(SEED)["bench"]``, so its instances do not depend on the other sections'."""

TARGET_ORDERS, TARGET_SUPPLIERS = 1_000_000, 100
"""Size at which the throughput targets apply."""
COPY_FACTOR = 4.0
"""Proportional must run within this many same-size copies."""
WATER_FILL_TARGET_S = 5e-3
"""Uniform and turn-and-earn at the target size (seconds, one thread)."""
NUMPY_SPEEDUP = 5.0
"""Uniform and turn-and-earn must beat NumPy by this factor at the target size."""
CALL_TARGET_S = 5e-6
"""One call of the unchecked kernel at E ≤ 1 000 (seconds)."""
WARM_START_TARGET_S = 1.0
"""Import and first call in a fresh process with a warm cache (seconds)."""
LINEAR_GROWTH = 3.0
"""Largest growth of time per order from E = 10⁴ to the largest E read as not quadratic."""

BYTES_PER_ORDER = {"proportional": 16, "uniform": 16, "lexicographic": 24, "turn_and_earn": 24}
"""Bytes touched per order: the E-long arrays the rule reads, and ``out``."""

_FIRST_CALL = (
    "import time\n"
    "start = time.perf_counter()\n"
    "from abm.allocation import allocate\n"
    "allocate([6.0], [0, 3], [1.0, 4.0, 7.0], rule='uniform')\n"
    "print(time.perf_counter() - start)\n"
)


@dataclass(frozen=True)
class Row:
    """One measurement: the median time of one call (seconds), or a skipped one; per_call
    rows also give the fastest and slowest sample (the spread within the measurement, not
    the longer slow spells of a busy machine), other rows nan."""

    section: str
    rule: str
    instance: str
    n_orders: int
    n_suppliers: int
    replicas: int
    implementation: str
    seconds: float
    bytes: int
    status: str = "ok"
    seconds_min: float = math.nan
    seconds_max: float = math.nan


COLUMNS = tuple(f.name for f in fields(Row))
"""Columns of the CSV table."""


@dataclass(frozen=True)
class Problem:
    """An allocation problem in CSR layout, with the priority and weight of every order."""

    capacity: np.ndarray
    indptr: np.ndarray
    quantity: np.ndarray
    priority: np.ndarray
    weight: np.ndarray

    def extra(self, rule: str) -> dict[str, np.ndarray]:
        """The keyword arguments ``rule`` needs besides capacity, indptr and quantity."""
        return {"lexicographic": {"priority": self.priority},
                "turn_and_earn": {"weight": self.weight}}.get(rule, {})


# ---- instances ----------------------------------------------------------------------


def _even_indptr(n_orders: int, n_suppliers: int) -> np.ndarray:
    return np.linspace(0, n_orders, n_suppliers + 1).round().astype(np.int64)


def random_problem(n_orders: int, n_suppliers: int, rng: np.random.Generator) -> Problem:
    """Exponential order sizes (mean 1 unit), :data:`PRIORITY_CLASSES` priorities, weights
    in :data:`WEIGHTS`; each supplier's capacity is :data:`SHORTAGE` of its orders."""
    indptr = _even_indptr(n_orders, n_suppliers)
    quantity = rng.exponential(1.0, n_orders)
    return Problem(SHORTAGE * np.add.reduceat(quantity, indptr[:-1]), indptr, quantity,
                   rng.integers(0, PRIORITY_CLASSES, n_orders).astype(float),
                   rng.uniform(*WEIGHTS, n_orders))


def geometric_book(n: int) -> np.ndarray:
    """Orders 2⁻ⁱ · 10⁶ units, smallest first (at least 10⁻³⁰⁰), for capacity 0.999 of
    their sum: sizes over 300 orders of magnitude, the hard case of the kernel's tests."""
    return np.maximum(2.0 ** -np.arange(n, dtype=float)[::-1] * 1e6, 1e-300)


def newton_book(n: int, rng: np.random.Generator) -> np.ndarray:
    """Orders on which Newton's iteration from capacity / n (capacity n units) settles
    a seventh of the orders still in play per step (the kernel's pivot split waits
    for steps that settle under an eighth), for as many steps as float64 resolves;
    shuffled.

    Step k settles the orders of size L[k - 1] (the previous level), which makes the
    next level L[k + 1] = (L[k] · m[k] - c[k] · L[k - 1]) / (m[k] - c[k]) for m[k]
    orders in play and c[k] settled.
    """
    sizes = []
    level, previous, left = 1.0, 0.5, n
    while left > 7:
        settled = left // 7
        sizes += [previous] * settled
        level, previous = (level * left - settled * previous) / (left - settled), level
        left -= settled
        if level - previous <= 1e-13 * level:
            break
    sizes += [2.0 * level] * left
    return rng.permutation(np.array(sizes))


def worst_problem(instance: str, rule: str, n_orders: int, n_suppliers: int,
                  rng: np.random.Generator) -> Problem:
    """Every supplier holds the same worst-case book of ratios q / w (``geometric`` or
    ``newton``); turn-and-earn gets random weights, the other rules unit weights."""
    indptr = _even_indptr(n_orders, n_suppliers)
    starts = indptr[:-1]
    ratio = np.concatenate([geometric_book(b - a) if instance == "geometric"
                            else newton_book(b - a, rng) for a, b in zip(starts, indptr[1:],
                                                                         strict=True)])
    weight = (rng.uniform(*WEIGHTS, n_orders) if rule == "turn_and_earn"
              else np.ones(n_orders))
    quantity = ratio * weight
    if instance == "geometric":
        capacity = 0.999 * np.add.reduceat(quantity, starts)
    else:  # Σ w per supplier: Newton's iteration starts at level 1
        capacity = np.add.reduceat(weight, starts)
    return Problem(capacity, indptr, quantity, np.zeros(n_orders), weight)


# ---- timing ---------------------------------------------------------------------------


def median_seconds(call: Callable[[], object], repeat: int, warm_up: bool = True) -> float:
    """Median time of one call over ``repeat`` samples (seconds): see :func:`sample_seconds`."""
    return statistics.median(sample_seconds(call, repeat, warm_up))


def sample_seconds(call: Callable[[], object], repeat: int, warm_up: bool = True) -> list[float]:
    """Time of one call in each of ``repeat`` samples (seconds).

    A sample runs the call as many times as needed to last :data:`SAMPLE_S`; the call
    that sizes the samples is the first sample when it lasts that long itself.
    """
    if warm_up:
        call()
    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    number = max(1, math.ceil(SAMPLE_S / max(once, 1e-9)))
    samples = [once] if number == 1 else []
    while len(samples) < repeat:
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return samples


def copy_seconds(n_bytes: int, repeat: int) -> float:
    """Median time of ``np.copyto`` of an ``n_bytes`` float64 array (seconds)."""
    source = np.ones(max(1, n_bytes // 8))
    target = np.empty_like(source)
    return median_seconds(lambda: np.copyto(target, source), repeat)


def _fresh_process(code: str, cache_dir: str | None) -> tuple[list[float], float]:
    """Run ``code`` in a fresh Python process (numba cache ``cache_dir``, or the default).

    Returns
    -------
    tuple
        (the numbers the process printed on its last line, wall time of the process in s).
    """
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    return [float(x) for x in done.stdout.splitlines()[-1].split()], wall


def start_up_seconds(cache_dir: str | None) -> tuple[float, float]:
    """Import of :mod:`abm.allocation` plus its first call in a fresh process.

    Returns
    -------
    tuple of float
        (time measured inside the process, wall time of the whole process), seconds.
    """
    printed, wall = _fresh_process(_FIRST_CALL, cache_dir)
    return printed[0], wall


def floor_start_up_seconds(cache_dir: str | None, loader: str) -> float:
    """Numba's own start-up: import and first call of an empty cached function, loaded by
    ``loader`` (one of :data:`abm.bench_floor.LOADERS`), in a fresh process whose cache
    already holds it (a first process fills the cache), in seconds."""
    code = bench_floor.start_up_code(loader)
    _fresh_process(code, cache_dir)
    printed, _ = _fresh_process(code, cache_dir)
    return printed[0]


# ---- sections ---------------------------------------------------------------------------


def _prepared(problem: Problem, rule: str) -> tuple:
    """The arguments of ``allocate_unchecked`` (without ``out`` and ``scratch``), checked once."""
    extra = problem.extra(rule)
    return check_inputs(problem.capacity, problem.indptr, problem.quantity, rule,
                        extra.get("priority"), extra.get("weight"))


def in_turn(calls: Sequence[Callable[[], object]]) -> Callable[[], None]:
    """One call that makes the next of ``calls`` each time (the first after the last)."""
    turn = itertools.cycle(calls)
    return lambda: next(turn)()


def _unchecked_calls(problems: Sequence[Problem], rule: str,
                     kernel: Callable[..., object] = allocate_unchecked
                     ) -> list[Callable[[], object]]:
    """A call of ``kernel`` with the unchecked kernel's arguments for each problem."""
    calls = []
    for problem in problems:
        arrays = _prepared(problem, rule)
        calls.append(functools.partial(kernel, *arrays, np.empty_like(arrays[2]),
                                       np.empty(scratch_size(arrays[1]))))
    return calls


def time_kernel(problem: Problem, rule: str, repeat: int) -> tuple[float, float]:
    """Median seconds per call of the numba kernel and of the NumPy version."""
    return (median_seconds(_unchecked_calls([problem], rule)[0], repeat),
            median_seconds(functools.partial(allocation_numpy.allocate_unchecked,
                                             *_prepared(problem, rule)), repeat))


def time_reference(problem: Problem, rule: str) -> float:
    """Seconds of one call of the plain-Python reference."""
    return median_seconds(
        lambda: allocation_reference.allocate(problem.capacity, problem.indptr, problem.quantity,
                                              rule=rule, **problem.extra(rule)),
        1, warm_up=False)


def kernel_cases(sizes: Sequence[int], suppliers: Sequence[int]) -> list[tuple[str, str, int, int]]:
    """(rule, instance, E, S) of the kernel table, smallest E first within a case."""
    cases = [(rule, "random", n, s) for rule in RULES for s in suppliers for n in sizes if s <= n]
    cases += [(rule, instance, n, s) for instance in ("geometric", "newton")
              for rule in ("uniform", "turn_and_earn")
              for s in WORST_SUPPLIERS if s in suppliers for n in sizes if s <= n]
    return cases


def kernel_rows(sizes: Sequence[int], suppliers: Sequence[int], repeat: int,
                rng: np.random.Generator, progress: Callable[[str], None]) -> list[Row]:
    """The kernel table: numba, NumPy and Python per rule, instance and size.

    The reference runs where its time, extrapolated as E log E from the last size it
    ran at in the same case, stays under :data:`PYTHON_BUDGET_S`; a case whose first size
    is over max(:data:`CALIBRATION_ORDERS`, S) first times the reference at that many orders.
    """
    cases = kernel_cases(sorted(sizes), sorted(suppliers))
    rows = []
    reference_runs: dict[tuple[str, str, int], tuple[int, float]] = {}
    for number, (rule, instance, n, s) in enumerate(cases, 1):
        small = max(CALIBRATION_ORDERS, s)
        if (rule, instance, s) not in reference_runs and small < n:
            reference_runs[rule, instance, s] = (
                small, time_reference(_instance(rule, instance, small, s, rng), rule))
        problem = _instance(rule, instance, n, s, rng)
        numba_s, numpy_s = time_kernel(problem, rule, repeat)
        last_n, last_s = reference_runs.get((rule, instance, s), (n, 0.0))
        predicted = last_s * n * math.log2(n) / (last_n * math.log2(max(last_n, 2)))
        if predicted < PYTHON_BUDGET_S:
            python_s, status = time_reference(problem, rule), "ok"
            reference_runs[rule, instance, s] = (n, python_s)
            python_text = f"python {python_s * 1e3:.1f} ms"
        else:
            python_s, status = math.nan, "skipped"
            python_text = f"python skipped (~{predicted:.0f} s predicted)"
        size = BYTES_PER_ORDER[rule] * n
        rows += [Row("kernel", rule, instance, n, s, 1, name, seconds, size, state)
                 for name, seconds, state in (("numba", numba_s, "ok"), ("numpy", numpy_s, "ok"),
                                              ("python", python_s, status))]
        progress(f"[{number}/{len(cases)}] {rule} {instance} E={n} S={s}: numba "
                 f"{numba_s * 1e3:.3f} ms, numpy {numpy_s * 1e3:.2f} ms, {python_text}")
    return rows


def _instance(rule: str, instance: str, n: int, s: int, rng: np.random.Generator) -> Problem:
    return (random_problem(n, s, rng) if instance == "random"
            else worst_problem(instance, rule, n, s, rng))


def copy_rows(sizes: Sequence[int], repeat: int) -> list[Row]:
    """The memory-bandwidth copy and a same-size copy of each E float64."""
    rows = [Row("copy", "", "", COPY_BYTES // 8, 0, 1, "copy",
                copy_seconds(COPY_BYTES, repeat), 2 * COPY_BYTES)]
    rows += [Row("copy", "", "", n, 0, 1, "copy", copy_seconds(8 * n, repeat), 16 * n)
             for n in sizes]
    return rows


def bound_kernel(problem: Problem, rule: str) -> BoundKernel:
    """The kernel bound to ``problem``'s layout under ``rule``, its arrays holding the
    problem (as the model's tiers hold each month's orders)."""
    kernel = BoundKernel(problem.indptr, rule, problem.priority)
    kernel.capacity[:] = problem.capacity
    kernel.quantity[:] = problem.quantity
    kernel.weight[:] = problem.weight
    return kernel


def time_call(problems: Sequence[Problem], rule: str, repeat: int) -> tuple[list[float], ...]:
    """Seconds per call in each sample, of the bound kernel, of the unchecked kernel through
    numba's dispatcher and of the validating wrapper, the calls taking the problems in
    turn (the mean over them)."""
    wrapped = [functools.partial(allocate, p.capacity, p.indptr, p.quantity, rule=rule,
                                 **p.extra(rule)) for p in problems]
    return (sample_seconds(in_turn([bound_kernel(p, rule) for p in problems]), repeat),
            sample_seconds(in_turn(_unchecked_calls(problems, rule)), repeat),
            sample_seconds(in_turn(wrapped), repeat))


def per_call_rows(repeat: int, rng: np.random.Generator) -> list[Row]:
    """µs per call at E ≤ 1 000, the mean over :data:`CALL_BOOKS` random problems: the
    bound kernel (the model's path), the unchecked kernel and the validating wrapper; and
    the floors under the first two, a call of an empty function with the same arguments,
    bound and through numba's dispatcher, taken in turn likewise right after them (so that
    they are timed at the same speed of the machine)."""
    rows = []
    for n, s in CALL_SIZES:
        problems = [random_problem(n, s, rng) for _ in range(CALL_BOOKS)]
        for rule in RULES:
            size = BYTES_PER_ORDER[rule] * n
            rows += [Row("per_call", rule, "random", n, s, 1, implementation,
                         statistics.median(samples), size, seconds_min=min(samples),
                         seconds_max=max(samples))
                     for implementation, samples in zip(("bound", "unchecked", "allocate"),
                                                        time_call(problems, rule, repeat),
                                                        strict=True)]
        empty = [bench_floor.bound_empty_call(bound_kernel(p, "turn_and_earn").args)
                 for p in problems]
        rows.append(Row("floor", "", "random", n, s, 1, "bound_call",
                        median_seconds(in_turn(empty), repeat), 0))
        empty = in_turn(_unchecked_calls(problems, "turn_and_earn", bench_floor.empty_call))
        rows.append(Row("floor", "", "random", n, s, 1, "dispatch",
                        median_seconds(empty, repeat), 0))
        rows += cut_rows(problems, repeat)
    return rows


def cut_rows(problems: Sequence[Problem], repeat: int) -> list[Row]:
    """Seconds per problem of the lexicographic kernel, of its best case (each book's first
    try its cut: :mod:`abm.bench_cut`) and of the bound kernel's path (its class table), each
    in one jitted loop over ``problems`` (on one layout), so none pays a call; none when no
    book has two orders."""
    if not bench_cut.has_cuts(problems[0].indptr):
        return []
    capacity, indptr, quantity, priority, cut, out, scratch = bench_cut.stacked(
        [p.capacity for p in problems], problems[0].indptr, [p.quantity for p in problems],
        [p.priority for p in problems])
    tables = bench_cut.class_tables(indptr, priority)
    loops = {"kernel": lambda: bench_cut.kernel_books(capacity, indptr, quantity, priority,
                                                      out, scratch),
             "best_case": lambda: bench_cut.best_case_books(capacity, indptr, quantity,
                                                            priority, cut, out, scratch),
             "bound": lambda: bench_cut.bound_books(capacity, indptr, quantity, priority,
                                                    tables, out, scratch)}
    size = BYTES_PER_ORDER["lexicographic"] * quantity.shape[1]
    return [Row("cut", "lexicographic", "random", quantity.shape[1], capacity.shape[1], 1, name,
                median_seconds(loop, repeat) / len(problems), size)
            for name, loop in loops.items()]


def probe_rows(repeat: int, rng: np.random.Generator) -> list[Row]:
    """The issue's probe loops (:mod:`abm.bench_probe`) at its size, on one random problem."""
    n, s = bench_probe.PROBE_SIZE
    problem = random_problem(n, s, rng)
    out = np.empty(n)
    return [Row("probe", rule, "random", n, s, 1, name,
                median_seconds(lambda loop=loop: loop(problem.capacity, problem.indptr,
                                                      problem.quantity, out), repeat),
                BYTES_PER_ORDER[rule] * n)
            for name, (rule, loop) in bench_probe.LOOPS.items()]


def time_batch(capacity: np.ndarray, indptr: np.ndarray, quantity: np.ndarray, rule: str,
               extra: dict[str, np.ndarray], repeat: int) -> tuple[float, float]:
    """Median seconds of one parallel call over the rows of ``quantity``, and of one
    call per row in a Python loop, both on arrays checked once."""
    arrays = check_batch_inputs(capacity, indptr, quantity, rule, extra.get("priority"),
                                extra.get("weight"))
    cap, ptr, qty, code, pri, wt = arrays
    out = np.empty_like(qty)
    scratch = np.empty(scratch_size(ptr))

    def serial() -> None:
        for r in range(qty.shape[0]):
            allocate_unchecked(cap[r], ptr, qty[r], code, pri[r], wt[r], out[r], scratch)

    return (median_seconds(lambda: allocate_batch_unchecked(*arrays, out), repeat),
            median_seconds(serial, repeat))


def batch_rows(n_orders: int, n_suppliers: int, replicas: int, repeat: int,
               rng: np.random.Generator) -> list[Row]:
    """``allocate_batch_unchecked`` over ``replicas`` rows against as many unchecked calls."""
    indptr = _even_indptr(n_orders, n_suppliers)
    quantity = rng.exponential(1.0, (replicas, n_orders))
    capacity = SHORTAGE * np.add.reduceat(quantity, indptr[:-1], axis=1)
    per_order = {"lexicographic": {"priority": rng.integers(0, PRIORITY_CLASSES, n_orders)
                                   .astype(float)},
                 "turn_and_earn": {"weight": rng.uniform(*WEIGHTS, n_orders)}}
    rows = []
    for rule in RULES:
        batch, serial = time_batch(capacity, indptr, quantity, rule, per_order.get(rule, {}),
                                   repeat)
        size = BYTES_PER_ORDER[rule] * n_orders * replicas
        rows += [Row("batch", rule, "random", n_orders, n_suppliers, replicas, name, seconds, size)
                 for name, seconds in (("batch", batch), ("serial", serial))]
    return rows


def start_up_rows(cold: bool) -> list[Row]:
    """Fresh-process import and first call: cold and warm numba cache, or warm only; and
    numba's own start-up from a warm cache (the floor)."""
    def rows_of(label: str, measured: tuple[float, float]) -> list[Row]:
        inside, wall = measured
        return [Row("start_up", "uniform", "", 3, 1, 1, label, inside, 0),
                Row("start_up", "uniform", "", 3, 1, 1, f"{label}_process", wall, 0)]

    def floor_rows(cache: str | None) -> list[Row]:
        return [Row("floor", "", "", 0, 0, 1, name, floor_start_up_seconds(cache, loader), 0)
                for name, loader in (("start_up", "without_compiler"),
                                     ("start_up_numba_loader", "numba"))]

    if not cold:
        return rows_of("warm", start_up_seconds(None)) + floor_rows(None)
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        first = start_up_seconds(cache)
        return rows_of("cold", first) + rows_of("warm", start_up_seconds(cache)) + floor_rows(cache)


# ---- report -----------------------------------------------------------------------------


def _lookup(rows: Iterable[Row]) -> dict[tuple, float]:
    """Seconds by (section, rule, instance, E, S, implementation)."""
    return {(r.section, r.rule, r.instance, r.n_orders, r.n_suppliers, r.implementation):
            r.seconds for r in rows}


def _case(r: Row) -> tuple[str, str, int, int]:
    return r.rule, r.instance, r.n_orders, r.n_suppliers


def _ms(seconds: float) -> str:
    return "skipped" if math.isnan(seconds) else f"{seconds * 1e3:.3f}"


def _ratio(a: float, b: float) -> str:
    return "" if math.isnan(a) or math.isnan(b) or b <= 0 else f"{a / b:.1f}"


def _table(title: str, header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(c) for c in column) for column in zip(header, *lines, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))

    return "\n".join([title, line(header), line(["-" * w for w in widths])]
                     + [line(cells) for cells in lines])


def _kernel_table(rows: Sequence[Row], at: dict[tuple, float]) -> str:
    lines = []
    for r in rows:
        numpy_s, python_s = at["kernel", *_case(r), "numpy"], at["kernel", *_case(r), "python"]
        copy_s = at.get(("copy", "", "", r.n_orders, 0, "copy"), math.nan)
        lines.append([r.rule, r.instance, str(r.n_orders), str(r.n_suppliers), _ms(r.seconds),
                      _ms(numpy_s), _ms(python_s), _ratio(numpy_s, r.seconds),
                      _ratio(python_s, r.seconds), f"{r.bytes / r.seconds / 1e9:.2f}",
                      f"{r.seconds / r.n_orders * 1e9:.2f}", _ms(copy_s),
                      _ratio(r.seconds, copy_s)])
    return _table("kernel: median ms per call; GB/s = bytes touched / time; copy(E) = "
                  "np.copyto of E float64",
                  ["rule", "instance", "E", "S", "numba", "numpy", "python", "numpy/numba",
                   "python/numba", "GB/s", "ns/order", "copy(E)", "numba/copy"], lines)


def _floor(at: dict[tuple, float], n_orders: int, n_suppliers: int,
           implementation: str = "bound_call") -> float:
    """Seconds of a per-call floor timed with the per-call size's arguments (nan if none)."""
    return at.get(("floor", "", "random", n_orders, n_suppliers, implementation), math.nan)


def format_report(rows: Sequence[Row]) -> str:
    """The benchmark as text tables: kernel, per call, batch, start-up, memory copy."""
    at = _lookup(rows)

    def of(section: str, implementation: str) -> list[Row]:
        return [r for r in rows if (r.section, r.implementation) == (section, implementation)]

    blocks = []
    if of("kernel", "numba"):
        blocks.append(_kernel_table(of("kernel", "numba"), at))
    if of("per_call", "bound"):
        blocks.append(_table(
            "per call (µs); bound = the model's path; floor = an empty jitted function's call "
            "with the same arguments, bound, or through numba's dispatcher (dispatch); "
            "bound - floor = the kernel's own work",
            ["rule", "E", "S", "bound", "bound's samples", "unchecked", "allocate", "floor",
             "dispatch", "bound - floor"],
            [[r.rule, str(r.n_orders), str(r.n_suppliers), f"{r.seconds * 1e6:.2f}",
              f"{r.seconds_min * 1e6:.2f}-{r.seconds_max * 1e6:.2f}",
              f"{at['per_call', *_case(r), 'unchecked'] * 1e6:.2f}",
              f"{at['per_call', *_case(r), 'allocate'] * 1e6:.2f}",
              f"{_floor(at, r.n_orders, r.n_suppliers) * 1e6:.2f}",
              f"{_floor(at, r.n_orders, r.n_suppliers, 'dispatch') * 1e6:.2f}",
              f"{(r.seconds - _floor(at, r.n_orders, r.n_suppliers)) * 1e6:.2f}"]
             for r in of("per_call", "bound")]))
    if of("cut", "kernel"):
        blocks.append(_table(
            "lexicographic cut (µs per problem, timed in one jitted loop over the problems: no "
            "call); best case = each book's first try the cut (one pass and the output pass); "
            "bound = the bound kernel's path (a short book of few classes cut in one pass)",
            ["E", "S", "kernel", "best case", "best / kernel", "bound", "bound / kernel"],
            [[str(r.n_orders), str(r.n_suppliers), f"{r.seconds * 1e6:.2f}",
              f"{(best := at['cut', *_case(r), 'best_case']) * 1e6:.2f}",
              f"{best / r.seconds:.2f}",
              f"{(bound := at['cut', *_case(r), 'bound']) * 1e6:.2f}",
              f"{bound / r.seconds:.2f}"] for r in of("cut", "kernel")]))
    if of("batch", "batch"):
        blocks.append(_table(
            f"batch over R replicas (ms per call; {os.cpu_count()} CPUs)",
            ["rule", "R", "E", "S", "batch", "serial", "Morders/s", "speed-up"],
            [[r.rule, str(r.replicas), str(r.n_orders), str(r.n_suppliers), _ms(r.seconds),
              _ms(serial := at["batch", *_case(r), "serial"]),
              f"{r.replicas * r.n_orders / r.seconds / 1e6:.1f}", _ratio(serial, r.seconds)]
             for r in of("batch", "batch")]))
    starts = [r for r in rows if r.section == "start_up"]
    if starts:
        floors = [["numba alone, warm (empty function, loaded as the kernel is)",
                   f"{r.seconds:.3f}"] for r in of("floor", "start_up")]
        floors += [["  the same by numba's own loader (sets up its compiler)", f"{r.seconds:.3f}"]
                   for r in of("floor", "start_up_numba_loader")]
        blocks.append(_table("start-up: fresh process, import + first call (abm.allocation by "
                             "numba cache; then numba alone)", ["process", "seconds"],
                             [[r.implementation, f"{r.seconds:.3f}"] for r in starts] + floors))
    copy_gb_s = math.nan
    for r in of("copy", "copy"):
        if r.bytes == 2 * COPY_BYTES:
            copy_gb_s = r.bytes / r.seconds / 1e9
            blocks.append(f"memory copy: np.copyto of {COPY_BYTES // 2**20} MB in {_ms(r.seconds)}"
                          f" ms: {copy_gb_s:.2f} GB/s (read + write)")
    probes = [r for r in rows if r.section == "probe"]
    if probes:
        blocks.append(_probe_table(probes, copy_gb_s))
    return "\n\n".join(blocks)


def _probe_table(probes: Sequence[Row], copy_gb_s: float) -> str:
    """This machine against the issue's probe machine: its loops' times and the ratios."""
    lines = [[r.implementation, r.rule, _ms(r.seconds),
              _ms(issue := bench_probe.ISSUE_SECONDS[r.implementation]), f"{r.seconds / issue:.2f}"]
             for r in probes]
    lines.append(["memory copy (GB/s)", "", f"{copy_gb_s:.1f}", f"{bench_probe.ISSUE_COPY_GB_S:g}",
                  _ratio(bench_probe.ISSUE_COPY_GB_S, copy_gb_s)])
    l3 = bench_probe.l3_bytes()
    lines.append(["L3 cache (MB)", "", "?" if l3 is None else f"{l3 / 1e6:.1f}",
                  f">={bench_probe.ISSUE_L3_BYTES / 1e6:g}",
                  "" if l3 is None else f">={bench_probe.ISSUE_L3_BYTES / l3:.2f}"])
    n, s = bench_probe.PROBE_SIZE
    return _table(f"the issue's probe, run here (E={n}, S={s}; ms a call): here / issue > 1 "
                  "means this machine is slower (for copy and L3, issue / here)",
                  ["loop", "rule", "here", "issue", "here / issue"], lines)


def _verdict(measured: float | None, limit: float, at_most: bool, text: str) -> tuple[str, str]:
    if measured is None or math.isnan(measured):
        return "", "not measured"
    ok = measured <= limit if at_most else measured >= limit
    return text.format(measured), "PASS" if ok else "MISS"


def _growth(rows: Sequence[Row], rule: str, instance: str) -> float | None:
    """Time per order at the largest E over time per order at E = 10⁴ (worst case, S = 10)."""
    per_order = {r.n_orders: r.seconds / r.n_orders for r in rows
                 if (r.section, r.rule, r.instance, r.n_suppliers, r.implementation)
                 == ("kernel", rule, instance, WORST_SUPPLIERS[0], "numba")}
    largest = max(per_order, default=0)
    if 10_000 not in per_order or largest <= 10_000:
        return None
    return per_order[largest] / per_order[10_000]


def targets(rows: Sequence[Row]) -> list[list[str]]:
    """The issue's targets as [target, measured, verdict], the verdict PASS, MISS or
    ``not measured``."""
    at = _lookup(rows)
    size = (TARGET_ORDERS, TARGET_SUPPLIERS)

    def kernel(rule: str, implementation: str) -> float:
        return at.get(("kernel", rule, "random", *size, implementation), math.nan)

    copy = at.get(("copy", "", "", TARGET_ORDERS, 0, "copy"), math.nan)
    found = [
        ["proportional E=1e6 S=100: numba <= numpy",
         *_verdict(kernel("proportional", "numba") / kernel("proportional", "numpy"), 1.0, True,
                   "numba/numpy = {:.2f}")],
        [f"proportional E=1e6 S=100: <= {COPY_FACTOR:g} same-size copies",
         *_verdict(kernel("proportional", "numba") / copy, COPY_FACTOR, True,
                   "numba/copy = {:.2f}")],
    ]
    for rule in ("uniform", "turn_and_earn"):
        found += [
            [f"{rule} E=1e6 S=100: <= {WATER_FILL_TARGET_S * 1e3:g} ms",
             *_verdict(kernel(rule, "numba") * 1e3, WATER_FILL_TARGET_S * 1e3, True,
                       "{:.2f} ms")],
            [f"{rule} E=1e6 S=100: >= {NUMPY_SPEEDUP:g}x numpy",
             *_verdict(kernel(rule, "numpy") / kernel(rule, "numba"), NUMPY_SPEEDUP, False,
                       "numpy/numba = {:.1f}")],
        ]
        found += [[f"{rule} {instance} worst case: not quadratic",
                   *_verdict(_growth(rows, rule, instance), LINEAR_GROWTH, True,
                             "ns/order x{:.2f} from E=1e4 to the largest E")]
                  for instance in ("geometric", "newton")]
    for n, s in CALL_SIZES:
        calls = {r.rule: r for r in rows if (r.section, r.implementation, r.n_orders,
                                               r.n_suppliers) == ("per_call", "bound", n, s)}
        if calls:
            slowest = max(calls.values(), key=lambda r: r.seconds)
            samples = (f"; its samples {slowest.seconds_min * 1e6:.2f}-"
                       f"{slowest.seconds_max * 1e6:.2f}")
            floor = f"; the call alone {_floor(at, n, s) * 1e6:.2f} us"
            label = f"bound call (the model's path) at E={n} S={s}"
            found.append([f"{label}: <= {CALL_TARGET_S * 1e6:g} us",
                          *_verdict(slowest.seconds * 1e6, CALL_TARGET_S * 1e6, True,
                                    f"slowest {{:.2f}} us ({slowest.rule}{samples}){floor}")])
    warm = [r.seconds for r in rows if (r.section, r.implementation) == ("start_up", "warm")]
    numba_s = at.get(("floor", "", "", 0, 0, "start_up"))
    alone = "" if numba_s is None else f"; numba alone {numba_s:.3f} s"
    found += [
        [f"warm-cache fresh process, import + first call: < {WARM_START_TARGET_S:g} s",
         *_verdict(warm[0] if warm else None, WARM_START_TARGET_S, True, "{:.3f} s" + alone)],
    ]
    return found


def write_csv(rows: Sequence[Row], path: Path) -> None:
    """Write the rows as a CSV table with :data:`COLUMNS`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(astuple(r) for r in rows)


def run_kernel_benchmark(*, sizes: Sequence[int] = SIZES, suppliers: Sequence[int] = SUPPLIERS,
                         repeat: int = REPEAT, replicas: int = REPLICAS, cold_start: bool = True,
                         start_up: bool = True,
                         progress: Callable[[str], None] = lambda line: None) -> list[Row]:
    """Run every section of the kernel benchmark.

    Parameters
    ----------
    sizes, suppliers : sequence of int
        Numbers of orders E and of suppliers S of the kernel table.
    repeat : int
        Timed samples per measurement (the median is reported).
    replicas : int
        Replicas of the batch timing (0 skips it).
    cold_start : bool
        Time a fresh process with an empty numba cache too (it compiles the kernel).
    start_up : bool
        Time fresh processes at all.
    progress : callable
        Called with a line of text as each measurement ends.

    Returns
    -------
    list of Row
    """
    kernel_rng, call_rng, batch_rng, probe_rng = run_streams(SEED)["bench"].spawn(4)
    progress("warm-up: load the numba cache")
    allocate([6.0], [0, 3], [1.0, 4.0, 7.0], rule="uniform")
    rows = kernel_rows(sorted(sizes), sorted(suppliers), repeat, kernel_rng, progress)
    progress("memory copies")
    rows += copy_rows(sorted(sizes), repeat)
    progress("per-call cost at E <= 1000")
    rows += per_call_rows(repeat, call_rng)
    if replicas > 0:
        n = min(BATCH_SIZE[0], max(sizes))
        progress(f"batch: {replicas} replicas of E={n}")
        rows += batch_rows(n, min(BATCH_SIZE[1], n), replicas, repeat, batch_rng)
    n, s = bench_probe.PROBE_SIZE
    progress(f"the issue's probe loops at E={n} S={s}")
    rows += probe_rows(repeat, probe_rng)
    if start_up:
        progress("fresh-process start-up" + (" (cold cache compiles the kernel)" if cold_start
                                              else ""))
        rows += start_up_rows(cold_start)
    return rows


def _counts(text: str) -> list[int]:
    values = [int(float(x)) for x in text.split(",") if x]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``capex-abm bench`` (each flag maps to one library argument)."""
    top = argparse.ArgumentParser(prog="capex-abm bench", description="Benchmarks: ``kernel`` "
                                  "times the allocation kernel, ``model`` the whole model.")
    benchmarks = top.add_subparsers(dest="benchmark", required=True)
    kernel = benchmarks.add_parser("kernel", help="time the allocation kernel",
                                   description=__doc__.splitlines()[0])
    kernel.add_argument("--small", action="store_true",
                        help=f"E up to {SMALL_SIZES[-1]}, S up to {SMALL_SUPPLIERS[-1]}, "
                             f"{SMALL_REPEAT} repeats, no cold-cache compile (under 30 s)")
    kernel.add_argument("--repeat", type=int, metavar="N",
                        help=f"timed samples per measurement (default {REPEAT}, "
                             f"{SMALL_REPEAT} with --small)")
    kernel.add_argument("--out", metavar="FILE.csv", help="write the table to this CSV file")
    kernel.add_argument("--sizes", type=_counts, metavar="E,E,...",
                        help="numbers of orders (overrides the defaults)")
    kernel.add_argument("--suppliers", type=_counts, metavar="S,S,...",
                        help="numbers of suppliers (overrides the defaults)")
    kernel.add_argument("--replicas", type=int, default=REPLICAS, metavar="R",
                        help=f"replicas of the batch timing (default {REPLICAS}; 0 skips it)")
    kernel.add_argument("--no-start-up", action="store_true",
                        help="skip the fresh-process start-up timings")
    benchmarks.add_parser("model", help="time the whole model (see `capex-abm bench model -h`)",
                          add_help=False)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``capex-abm bench``; prints progress and the tables, returns 0."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["model"]:  # all its arguments, --help too, are abm.bench_model's
        from abm import bench_model

        return bench_model.main(argv[1:])
    args = parser().parse_args(argv)
    repeat = args.repeat or (SMALL_REPEAT if args.small else REPEAT)
    start = time.perf_counter()
    rows = run_kernel_benchmark(
        sizes=args.sizes or (SMALL_SIZES if args.small else SIZES),
        suppliers=args.suppliers or (SMALL_SUPPLIERS if args.small else SUPPLIERS),
        repeat=max(1, repeat), replicas=args.replicas, cold_start=not args.small,
        start_up=not args.no_start_up,
        progress=lambda line: print(f"bench kernel: {line}", file=sys.stderr, flush=True))
    print(format_report(rows))
    print()
    print(_table("targets", ["target", "measured", "verdict"], targets(rows)))
    print(f"\nbenchmark took {time.perf_counter() - start:.1f} s")
    if args.out:
        write_csv(rows, Path(args.out))
        print(f"table: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the whole model: baseline run time, cost per step by size, and a profile.

``python -m abm.bench_model [--quick] [--repeat N] [--sizes N ...] [--out FILE.csv]``
(also ``capex-abm bench model ...``) measures, after one
warm-up run that loads the numba cache:

* **baseline** — construction and run time of the 120-month baseline scenario
  (``load_scenario("baseline")``), the median of ``--repeat`` runs; the target
  is a run under :data:`BASELINE_TARGET_S`;
* **scaling** — the cost of a step with 10, 100, 1 000 and 10 000 buyers
  (hyperscalers and neoclouds in the baseline's 4 : 6 ratio, every other
  parameter at baseline), in ms per step and µs per buyer order line
  (lines = buyers × ``topology.channels_per_buyer``), and the growth exponent
  between successive sizes: log(cost ratio) ÷ log(lines ratio), which stays at
  or below 1 while the cost grows no worse than linearly in the orders;
* **profile** — a cProfile of one baseline run (construction and steps), its
  time charged to four buckets (kernel, agents, data collection, model
  wiring) and "other", the time of each phase of the step, and the top
  functions by own and cumulative time.

Times are medians of wall time, with the CPU time of the process beside them:
when other processes share the CPU, wall times are inflated and the CPU
columns are the ones to compare (the report says when the machine was busy).
Profiled times are inflated by cProfile itself; read their shares.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
from numba.core.registry import CPUDispatcher

import abm.model
from abm.config import Scenario, build_scenario, load_scenario
from abm.model import CapexModel

REPEAT = 3
"""Timed runs per measurement by default."""
SIZES = (10, 100, 1_000, 10_000)
"""Numbers of buyers of the scaling benchmark."""
QUICK_SIZES = (10, 100)
"""Numbers of buyers with ``--quick``."""
HYPERSCALER_SHARE = 0.4
"""Share of hyperscalers among the buyers (the baseline's 4 : 6)."""
SCALING_MONTHS = 12
"""Months of every scaling run (months): the same stretch of the run at every size, so
that the growth exponents compare sizes and nothing else."""
BASELINE_TARGET_S = 0.5
"""Target for a 120-month baseline run (seconds)."""
LINEAR_TOLERANCE = 1.1
"""Largest growth exponent read as linear: timing noise moves exponents by ±0.1."""
TOP_FUNCTIONS = 15
"""Functions listed by own and by cumulative time."""

BUCKETS = ("kernel", "agents", "data collection", "model wiring", "other")
"""Profile buckets, in the order reported."""

COLUMNS = (
    "section", "item", "buyers", "order_lines", "months", "repeats", "construct_s", "run_s",
    "run_cpu_s", "ms_per_step", "us_per_line", "growth_exponent", "cpu_growth_exponent",
    "profile_s", "share",
)
"""Columns of the benchmark table. ``_s``: seconds, wall time unless ``cpu``;
``run_cpu_s``: CPU time of the process during ``run()``; ``ms_per_step`` and
``us_per_line`` (µs per order line per step): wall time; ``growth_exponent``
from wall and ``cpu_growth_exponent`` from CPU time; ``share``: fraction of the
profiled time."""
BUSY_RATIO = 0.8
"""CPU ÷ wall time below which the machine is reported busy (its wall times inflated)."""

_ROOT = Path(__file__).resolve().parent.parent
_KERNEL_FILES = tuple(str(_ROOT / "abm" / name) for name in ("allocation.py",
                                                              "allocation_inputs.py"))
_AGENT_DIR = str(_ROOT / "agents")
_MODEL_FILE = str(_ROOT / "abm" / "model.py")

FunctionKey = tuple[str, int, str]
"""A function as cProfile names it: (file, first line, name)."""


# ---- scenarios and timing ---------------------------------------------------------


def scaled_scenario(base: Scenario, buyers: int, months: int) -> Scenario:
    """``base`` with ``buyers`` buyers (4 : 6 hyperscalers to neoclouds) and ``months`` months.

    Parameters
    ----------
    base : Scenario
        Every parameter not set here keeps its value.
    buyers : int
        Hyperscalers plus neoclouds (firms, ≥ 1).
    months : int
        Length of the run (months).

    Returns
    -------
    Scenario

    Examples
    --------
    >>> s = scaled_scenario(Scenario(), 100, 12)
    >>> s.topology.hyperscalers, s.topology.neoclouds, s.run.months
    (40, 60, 12)
    """
    hyperscalers = round(HYPERSCALER_SHARE * buyers)
    return build_scenario({"topology": {"hyperscalers": hyperscalers,
                                        "neoclouds": buyers - hyperscalers},
                           "run": {"months": months}}, base=base)


@dataclass(frozen=True)
class Timing:
    """Medians over the repeats of one timed scenario."""

    construct_s: float
    """Wall time of ``CapexModel(scenario)`` (seconds)."""
    run_s: float
    """Wall time of ``model.run()`` (seconds)."""
    run_cpu_s: float
    """CPU time of the process during ``model.run()`` (seconds): unlike wall time, not
    inflated when other processes share the CPU."""


def time_run(scenario: Scenario, repeat: int) -> Timing:
    """Median construction and run times of ``CapexModel(scenario).run()``.

    Parameters
    ----------
    scenario : Scenario
    repeat : int
        Number of timed runs (≥ 1); garbage is collected before each.

    Returns
    -------
    Timing
    """
    construct, run, cpu = [], [], []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        model = CapexModel(scenario)
        built = time.perf_counter()
        cpu_start = time.process_time()
        model.run()
        cpu.append(time.process_time() - cpu_start)
        run.append(time.perf_counter() - built)
        construct.append(built - start)
        del model
    return Timing(statistics.median(construct), statistics.median(run), statistics.median(cpu))


def _row(section: str, item: str, scenario: Scenario, timing: Timing | None = None,
         **values: Any) -> dict[str, Any]:
    t = scenario.topology
    buyers = t.hyperscalers + t.neoclouds
    row: dict[str, Any] = dict.fromkeys(COLUMNS, math.nan)
    row.update(section=section, item=item, buyers=buyers,
               order_lines=buyers * t.channels_per_buyer, months=scenario.run.months)
    row.update(values)
    if timing is not None:
        row.update(construct_s=timing.construct_s, run_s=timing.run_s,
                   run_cpu_s=timing.run_cpu_s)
        row["ms_per_step"] = 1e3 * row["run_s"] / row["months"]
        row["us_per_line"] = 1e3 * row["ms_per_step"] / row["order_lines"]
    return row


def baseline_rows(scenario: Scenario, repeat: int,
                  progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """The baseline row: median construction and run time of a full baseline run."""
    timing = time_run(scenario, repeat)
    progress(f"baseline ({scenario.run.months} months): construct {timing.construct_s:.3f} s, "
             f"run {timing.run_s:.3f} s, CPU {timing.run_cpu_s:.3f} s (median of {repeat})")
    return [_row("baseline", f"baseline {scenario.run.months} months", scenario, timing,
                 repeats=repeat)]


def scaling_rows(base: Scenario, sizes: Sequence[int], repeat: int,
                 progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """One row per size: cost per step and growth exponent against the previous size.

    Parameters
    ----------
    base : Scenario
        The scenario whose topology is scaled.
    sizes : sequence of int
        Numbers of buyers, increasing.
    repeat : int
        Timed runs per size; the median is reported.
    progress : callable
        Receives one line of text per size.

    Returns
    -------
    list of dict
        Rows of the benchmark table (:data:`COLUMNS`).
    """
    rows: list[dict[str, Any]] = []
    for buyers in sizes:
        scenario = scaled_scenario(base, buyers, SCALING_MONTHS)
        timing = time_run(scenario, repeat)
        row = _row("scaling", f"{buyers} buyers", scenario, timing, repeats=repeat)
        if rows:
            previous = rows[-1]
            lines = math.log(row["order_lines"] / previous["order_lines"])
            row["growth_exponent"] = math.log(
                (row["run_s"] / row["months"]) / (previous["run_s"] / previous["months"])) / lines
            row["cpu_growth_exponent"] = math.log(
                (row["run_cpu_s"] / row["months"])
                / (previous["run_cpu_s"] / previous["months"])) / lines
        rows.append(row)
        cpu_ms = 1e3 * timing.run_cpu_s / row["months"]
        progress(f"{buyers} buyers ({row['order_lines']} lines, {row['months']} months): "
                 f"construct {timing.construct_s:.3f} s, {row['ms_per_step']:.2f} ms/step, "
                 f"{row['us_per_line']:.1f} µs/line, CPU {cpu_ms:.2f} ms/step")
    return rows


# ---- profile ----------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionCost:
    """One function of a profile."""

    name: str
    """``file:line(function)``, the file relative to the repository or site-packages."""
    calls: int
    own_s: float
    """Time in the function itself (seconds, profiled)."""
    cumulative_s: float
    """Time in the function and everything it calls (seconds, profiled)."""


@dataclass(frozen=True)
class Profile:
    """A profiled run: time by bucket and the functions that cost most."""

    total_s: float
    """Profiled time (seconds; profiling itself slows the run)."""
    buckets: dict[str, float]
    """Seconds charged to each of :data:`BUCKETS`."""
    top_own: list[FunctionCost]
    top_cumulative: list[FunctionCost]
    phases: list[FunctionCost]
    """What ``CapexModel.step`` calls directly (its phases), by cumulative time."""


def _jitted_call(kernel: Callable[..., Any] | None) -> Callable[..., Any]:
    """A Python shim around a jitted kernel, so that cProfile sees the time spent in it."""

    def jitted_kernel(*args: Any) -> Any:
        return kernel(*args)  # type: ignore[misc]

    return jitted_kernel


_SHIM_CODE = _jitted_call(None).__code__
_SHIM_KEY: FunctionKey = (_SHIM_CODE.co_filename, _SHIM_CODE.co_firstlineno, _SHIM_CODE.co_name)


def _key(code: Any) -> FunctionKey:
    return code.co_filename, code.co_firstlineno, code.co_name


def _own_bucket(key: FunctionKey, reporters: set[FunctionKey]) -> str | None:
    """The bucket of a function by where its code lives; None for library code."""
    path = key[0]
    if key == _SHIM_KEY or path in _KERNEL_FILES:
        return "kernel"
    if key in reporters or path.replace("\\", "/").endswith("mesa/datacollection.py"):
        return "data collection"
    if path.startswith(_AGENT_DIR):
        return "agents"
    if path == _MODEL_FILE:
        return "model wiring"
    return None


def charge_to_buckets(stats: dict, reporters: set[FunctionKey]) -> dict[str, float]:
    """Charge every function's own time to a bucket.

    A function of the kernel, the agents, Mesa's DataCollector (and the model's
    reporter functions) or ``abm/model.py`` is charged to its bucket; library
    code (NumPy, builtins, Mesa's AgentSet, other ``abm`` modules) is charged to
    the buckets of its callers, in proportion to the time each caller spent in
    it, up the call graph until a bucket is reached; time that reaches none is
    "other".

    Parameters
    ----------
    stats : dict
        ``pstats.Stats(...).stats``: key → (primitive calls, calls, own s,
        cumulative s, callers).
    reporters : set of FunctionKey
        The model's DataCollector reporter functions.

    Returns
    -------
    dict
        Seconds charged to each of :data:`BUCKETS`.
    """
    shares: dict[FunctionKey, dict[str, float]] = {}
    in_progress: set[FunctionKey] = set()

    def split(key: FunctionKey) -> dict[str, float]:
        own = _own_bucket(key, reporters)
        if own is not None:
            return {own: 1.0}
        if key in shares:
            return shares[key]
        if key in in_progress or key not in stats:
            return {"other": 1.0}
        in_progress.add(key)
        # A caller already on the way up (recursion) passes no share back down.
        callers = {c: v for c, v in stats[key][4].items() if c not in in_progress}
        weights = {c: v[2] for c, v in callers.items()}
        total = sum(weights.values())
        if total <= 0.0:
            weights = {c: float(v[1]) for c, v in callers.items()}
            total = sum(weights.values())
        result: dict[str, float] = {}
        for caller, weight in weights.items():
            for bucket, part in split(caller).items():
                result[bucket] = result.get(bucket, 0.0) + part * weight / total
        in_progress.discard(key)
        shares[key] = result or {"other": 1.0}
        return shares[key]

    seconds = dict.fromkeys(BUCKETS, 0.0)
    for key, (_, _, own, _, _) in stats.items():
        for bucket, part in split(key).items():
            seconds[bucket] += own * part
    return seconds


def _label(key: FunctionKey) -> str:
    path, line, name = key
    if key == _SHIM_KEY:
        return "numba jitted kernels (abm.allocation)"
    for marker in ("site-packages/", str(_ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        if path.startswith("/"):
            path = Path(path).name
    return f"{path}:{line}({name})" if line else name


def _top(stats: dict, column: int, n: int) -> list[FunctionCost]:
    ranked = sorted(stats.items(), key=lambda item: item[1][column], reverse=True)[:n]
    return [FunctionCost(_label(k), int(v[1]), float(v[2]), float(v[3])) for k, v in ranked]


def profile_run(scenario: Scenario, top: int = TOP_FUNCTIONS) -> Profile:
    """Profile ``CapexModel(scenario).run()`` with cProfile and charge its time to buckets.

    Calls from ``abm.model`` to numba-jitted kernels go through a Python shim
    for the duration of the profile: cProfile cannot see into a numba
    dispatcher, and would otherwise charge the kernel to its caller.

    Parameters
    ----------
    scenario : Scenario
    top : int
        Number of functions listed by own and by cumulative time.

    Returns
    -------
    Profile
    """
    kernels = {name: obj for name, obj in vars(abm.model).items()
               if isinstance(obj, CPUDispatcher)}
    profiler = cProfile.Profile()
    gc.collect()
    with ExitStack() as patches:
        for name, kernel in kernels.items():
            patches.enter_context(mock.patch.object(abm.model, name, _jitted_call(kernel)))
        profiler.enable()
        model = CapexModel(scenario)
        model.run()
        profiler.disable()
    stats = pstats.Stats(profiler).stats
    collector = getattr(model, "datacollector", None)
    reporters = {_key(getattr(r, "func", r).__code__)
                 for r in getattr(collector, "model_reporters", {}).values()
                 if hasattr(getattr(r, "func", r), "__code__")}
    buckets = charge_to_buckets(stats, reporters)
    step = _key(CapexModel.step.__code__)
    phases = {k: v for k, v in stats.items() if step in v[4] and v[3] > 0.0}
    return Profile(sum(buckets.values()), buckets, _top(stats, 2, top), _top(stats, 3, top),
                   _top(phases, 3, len(phases)))


def profile_rows(scenario: Scenario, profile: Profile) -> list[dict[str, Any]]:
    """One row per bucket and a total row (section "profile"), one per step phase ("phase")."""

    def share(seconds: float) -> float:
        return seconds / profile.total_s if profile.total_s > 0.0 else math.nan

    rows = [_row("profile", bucket, scenario, profile_s=seconds, share=share(seconds))
            for bucket, seconds in profile.buckets.items()]
    rows.append(_row("profile", "total", scenario, profile_s=profile.total_s, share=1.0))
    rows += [_row("phase", f.name, scenario, profile_s=f.cumulative_s, share=share(f.cumulative_s))
             for f in profile.phases]
    return rows


# ---- report -----------------------------------------------------------------------


def _formatter(spec: str) -> Callable[[Any], str]:
    """Format a number by ``spec``; blank for a missing value."""
    return lambda value: "" if pd.isna(value) else spec.format(value)


def format_table(table: pd.DataFrame) -> str:
    """The benchmark table as text, one block per section, without empty columns."""
    blocks = []
    formats = {"construct_s": "{:.3f}", "run_s": "{:.3f}", "run_cpu_s": "{:.3f}",
               "ms_per_step": "{:.2f}", "us_per_line": "{:.1f}", "growth_exponent": "{:.2f}",
               "cpu_growth_exponent": "{:.2f}", "profile_s": "{:.3f}", "share": "{:.1%}"}
    for section, block in table.groupby("section", sort=False):
        block = block.dropna(axis=1, how="all").drop(columns="section")
        text = block.to_string(index=False, formatters={
            c: _formatter(spec) for c, spec in formats.items() if c in block})
        blocks.append(f"[{section}]\n{text}")
    return "\n\n".join(blocks)


def _format_functions(title: str, functions: list[FunctionCost]) -> str:
    lines = [title, f"{'calls':>9} {'own s':>8} {'cum s':>8}  function"]
    lines += [f"{f.calls:>9} {f.own_s:>8.3f} {f.cumulative_s:>8.3f}  {f.name}" for f in functions]
    return "\n".join(lines)


def _verdicts(table: pd.DataFrame) -> list[str]:
    lines = []
    base = table[table["section"] == "baseline"]
    if not base.empty:
        run = float(base["run_s"].iloc[0])
        verdict = "meets" if run < BASELINE_TARGET_S else "MISSES"
        lines.append(f"baseline run {run:.3f} s: {verdict} the target < {BASELINE_TARGET_S} s")
    scaling = table[table["section"] == "scaling"]
    for column, clock in (("growth_exponent", "wall"), ("cpu_growth_exponent", "CPU")):
        exponents = scaling[column].dropna()
        if not exponents.empty:
            worst = float(exponents.max())
            verdict = ("no worse than linear" if worst <= LINEAR_TOLERANCE
                       else "WORSE than linear")
            lines.append(f"cost per step vs order lines ({clock} time): largest growth exponent "
                         f"{worst:.2f} ({verdict}; up to {LINEAR_TOLERANCE} counts as linear)")
    timed = table.dropna(subset=["run_s", "run_cpu_s"])
    ratio = float(timed["run_cpu_s"].sum() / timed["run_s"].sum()) if not timed.empty else 1.0
    if ratio < BUSY_RATIO:
        lines.append(f"the machine was busy (CPU ÷ wall time {ratio:.2f}): wall times are "
                     "inflated, read the CPU columns")
    return lines


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``capex-abm bench model``."""
    p = argparse.ArgumentParser(prog="capex-abm bench model",
                                description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help=f"sizes {', '.join(map(str, QUICK_SIZES))} only, one repeat "
                        "(unless --repeat says otherwise)")
    p.add_argument("--repeat", type=int,
                   help=f"timed runs per measurement; the median is reported "
                        f"(default {REPEAT})")
    p.add_argument("--sizes", type=int, nargs="+", metavar="N",
                   help=f"numbers of buyers (default {' '.join(map(str, SIZES))})")
    p.add_argument("--scenario", default="baseline",
                   help="scenario timed and profiled (default: baseline)")
    p.add_argument("--profile-buyers", type=int, metavar="N",
                   help="profile the scenario scaled to N buyers (default: as declared)")
    p.add_argument("--out", metavar="FILE.csv", help="write the table to this CSV file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print progress and the table; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success (bad arguments exit with status 2, as argparse does).
    """
    p = parser()
    args = p.parse_args(argv)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else REPEAT)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    if repeat < 1 or min(sizes) < 1 or (args.profile_buyers is not None
                                        and args.profile_buyers < 1):
        p.error("--repeat, --sizes and --profile-buyers must be >= 1")
    scenario = load_scenario(args.scenario)

    def progress(line: str) -> None:
        print(line, flush=True)

    start = time.perf_counter()
    progress("warm-up run (loads the numba cache) ...")
    CapexModel(scenario).run()
    rows = baseline_rows(scenario, repeat, progress)
    rows += scaling_rows(scenario, sorted(set(sizes)), repeat, progress)
    profiled = scenario
    if args.profile_buyers:
        profiled = scaled_scenario(scenario, args.profile_buyers, SCALING_MONTHS)
    progress(f"profiling one run ({profiled.topology.hyperscalers + profiled.topology.neoclouds}"
             f" buyers, {profiled.run.months} months) ...")
    profile = profile_run(profiled)
    rows += profile_rows(profiled, profile)
    table = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"repeats": "Int64"})

    print()
    print(format_table(table))
    print()
    print(_format_functions(f"top {len(profile.top_own)} by own time (profiled)",
                            profile.top_own))
    print()
    print(_format_functions(f"top {len(profile.top_cumulative)} by cumulative time (profiled)",
                            profile.top_cumulative))
    print()
    for line in _verdicts(table):
        print(line)
    print(f"benchmark took {time.perf_counter() - start:.1f} s")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False)
        print(f"table: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

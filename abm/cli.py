"""The ``capex-abm`` command line: a thin layer over the library.

``capex-abm run [SCENARIO] [--seed N] [--months N] [--set key=value ...] [--out DIR]``
runs a scenario and writes its results folder; ``capex-abm params`` prints the
parameter reference; ``capex-abm bench kernel`` times the allocation kernel and
``capex-abm bench model`` the model.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from abm.config import ScenarioError, load_scenario, parameter_reference, parse_override


def _run(args: argparse.Namespace) -> int:
    from abm.runner import run_to_folder

    overrides = dict(parse_override(item) for item in args.set)
    if args.seed is not None:
        overrides["run.seed"] = args.seed
    if args.months is not None:
        overrides["run.months"] = args.months
    scenario = load_scenario(args.scenario, overrides)
    out = Path(args.out) if args.out else Path("results") / f"{scenario.name}-{scenario.run.seed}"
    folder, summary = run_to_folder(scenario, out, plots=not args.no_plots)
    print(f"results: {folder}")
    print(f"phantom ratio: peak {summary['peak_phantom_ratio']:.2f} in month "
          f"{summary['peak_phantom_month']}, need-weighted in shortage "
          f"{_number(summary['phantom_ratio_shortage'])}")
    print(f"collapse: month {summary['collapse_month']}, phantom drop in a quarter "
          f"{summary['phantom_drop_1q']:.2f}, backlog drop {summary['backlog_drop_1q']:.2f}")
    print(f"capacity overbuild {_number(summary['capacity_overbuild'])}, trough utilisation "
          f"{_number(summary['trough_utilisation'])}")
    return 0


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _params(args: argparse.Namespace) -> int:
    print(parameter_reference())
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (each flag maps to one library argument)."""
    top = argparse.ArgumentParser(prog="capex-abm", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a scenario and write its results folder")
    run.add_argument("scenario", nargs="?", default="baseline",
                     help="a TOML file, or a name under experiments/ (default: baseline)")
    run.add_argument("--seed", type=int, help="root seed of the run (overrides run.seed)")
    run.add_argument("--months", type=int, help="number of months (overrides run.months)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario key, e.g. --set ordering.inflation=false")
    run.add_argument("--out", help="results folder (default results/<scenario>-<seed>/)")
    run.add_argument("--no-plots", action="store_true", help="skip the dashboard")
    run.set_defaults(handler=_run)
    params = commands.add_parser("params", help="print the parameter reference (Markdown)")
    params.set_defaults(handler=_params)
    commands.add_parser("bench", help="benchmarks: `capex-abm bench kernel|model -h`",
                        add_help=False)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``capex-abm``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # the benchmarks parse their own flags, -h included
        from abm import bench

        return bench.main(argv[1:])
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except ScenarioError as exc:
        print(f"capex-abm: refused: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

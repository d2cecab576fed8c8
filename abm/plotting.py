"""Figures drawn from a results folder, never from a live model.

Every figure reads the files :mod:`abm.results` wrote (``timeseries.parquet``,
``summary.json``, ``manifest.json``), so it can be redrawn from a results folder
alone, and is saved back into that folder with :func:`abm.results.add_files`,
so the manifest hashes it like the data.

The dashboard's panels are declared as data (:data:`PANELS`, a tuple of
:class:`Panel`): a new measurement gets a panel by adding a spec, not code. A
column missing from the table is skipped, so the same specs draw older runs.

Figures are built with :class:`matplotlib.figure.Figure` directly, without
pyplot, so importing this module selects no backend and changes no global
state, and drawing works headless.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, FormatStrFormatter, MaxNLocator, PercentFormatter

from abm.results import add_files, read_run

__all__ = [
    "DASHBOARD_DPI",
    "HEADLINE",
    "PANELS",
    "Headline",
    "Line",
    "Panel",
    "dashboard",
    "draw_dashboard",
]

DASHBOARD_DPI = 150
# Width, and height per row of panels plus the title and headline: three rows
# make 11 × 11.5 in, one page of A4 or Letter with margins.
DASHBOARD_WIDTH_IN = 11.0
DASHBOARD_ROW_IN = 3.5
DASHBOARD_HEADER_IN = 1.0
_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")
_TWIN_COLOURS = ("black", "tab:gray", "tab:olive", "tab:cyan")


@dataclass(frozen=True)
class Line:
    """One plotted series: a timeseries column, optionally smoothed.

    Parameters
    ----------
    column : str
        Column of ``timeseries.parquet``; the line is skipped if it is missing.
    label : str
        Legend entry.
    trailing_mean_months : int or None
        If set, plot the trailing mean over this many months (fewer at the
        start) instead of the raw series; NaNs are ignored in the mean.
    linestyle : str
        Matplotlib line style.
    """

    column: str
    label: str
    trailing_mean_months: int | None = None
    linestyle: str = "-"


@dataclass(frozen=True)
class Panel:
    """One dashboard panel.

    Parameters
    ----------
    title : str
        Panel title.
    ylabel : str
        Left y-axis label, with units.
    lines : tuple of Line
        Series on the left axis.
    twin_lines : tuple of Line
        Series on a right-hand twin axis (none: no twin axis).
    twin_ylabel : str
        Right y-axis label, with units.
    ylim : (float, float) or None
        Fixed left y-axis limits, e.g. ``(0, 1.05)`` for shares.
    percent : bool
        Format the left axis as a percentage of 1 (for shares in 0..1).
    hlines : tuple of float
        Horizontal reference lines on the left axis.
    mark_months : tuple of str
        ``summary.json`` keys holding a ``month`` value (or None) to mark with a
        vertical line, labelled with the key.
    legend_loc : str
        Matplotlib legend location. ``"best"`` avoids the left axis's lines
        only, so give panels with a twin axis a fixed location.
    """

    title: str
    ylabel: str
    lines: tuple[Line, ...]
    twin_lines: tuple[Line, ...] = ()
    twin_ylabel: str = ""
    ylim: tuple[float, float] | None = None
    percent: bool = False
    hlines: tuple[float, ...] = ()
    mark_months: tuple[str, ...] = ()
    legend_loc: str = "best"


@dataclass(frozen=True)
class Headline:
    """One number in the dashboard's headline box, read from ``summary.json``.

    Parameters
    ----------
    key : str
        Summary key; shown as "n/a" if missing or None.
    label : str
        Text shown before the value.
    format : callable
        Turns the value into text.
    """

    key: str
    label: str
    format: Callable[[Any], str] = str


def _ratio(value: Any) -> str:
    return f"{float(value):.2f}"


def _share(value: Any) -> str:
    return f"{100 * float(value):.0f}%"


def _times(value: Any) -> str:
    return f"{float(value):.2f}×"


#: The dashboard's panels, drawn left to right, top to bottom.
PANELS: tuple[Panel, ...] = (
    Panel(
        title="Demand, orders and shipments",
        ylabel="flows, accelerators per month",
        lines=(
            Line("true_need", "true need"),
            Line("orders_placed", "orders placed"),
            Line("shipments", "shipments"),
        ),
        # Stocks are many months of flow: their own axis keeps the flows readable.
        twin_lines=(
            Line("end_demand", "end demand: fleet needed (right)", linestyle="-."),
            Line("backlog", "backlog (right)", linestyle="--"),
            Line("unfilled_need", "unfilled need (right)", linestyle=":"),
        ),
        twin_ylabel="stocks, accelerators",
        legend_loc="upper left",
    ),
    Panel(
        title="Phantom ratio",
        ylabel=r"backlog ÷ max(unfilled need, $\bar{N}$)",
        lines=(Line("phantom_ratio", "phantom ratio"),),
        hlines=(1.0,),
        mark_months=("collapse_month",),
    ),
    Panel(
        title="Capacity against need, by tier",
        ylabel="accelerators per month",
        lines=(
            Line("capacity_fab", "fab capacity"),
            Line("capacity_hbm", "HBM capacity"),
            Line("true_need", "true need, 12-month trailing mean", 12, "--"),
        ),
    ),
    Panel(
        title="Utilisation by tier",
        ylabel="output ÷ capacity",
        lines=(
            Line("utilisation_fab", "fab"),
            Line("utilisation_hbm", "HBM"),
        ),
        ylim=(0.0, 1.05),
        percent=True,
    ),
    Panel(
        title="Fill rate",
        ylabel="share",
        lines=(Line("fill_rate", "shipped ÷ due on orders placed"),
               Line("need_fill_rate", "accepted ÷ true unfilled need", linestyle="--")),
        ylim=(0.0, 1.05),
        percent=True,
    ),
    Panel(
        title="New-unit price and cancellations",
        ylabel="price, US$ per H100-equivalent",
        lines=(Line("price_new", "new units (what buyers pay)"),),
        twin_lines=(Line("cancellations", "cancellations (right)", linestyle=":"),),
        twin_ylabel="cancellations, accelerators per month",
        legend_loc="upper right",
    ),
    Panel(
        title="Compute prices",
        ylabel="rent, US$ per unit-month",
        lines=(Line("price_rental", "rental price"),),
        twin_lines=(Line("price_secondary", "used unit (right)", linestyle="--"),),
        twin_ylabel="secondary price, US$ per unit",
        legend_loc="upper right",
    ),
    Panel(
        title="Capex against revenue",
        ylabel="US$ per month, 3-month mean",
        lines=(Line("capex", "buyers' capex", 3), Line("revenue", "compute revenue", 3),
               Line("revenue_gap", "revenue gap (2 × capex − revenue)", 3, "--")),
        hlines=(0.0,),
    ),
    Panel(
        title="Write-downs by kind",
        ylabel="US$ per month",
        lines=(Line("writedowns_hyperscaler", "hyperscalers"),
               Line("writedowns_neocloud", "neoclouds"),
               Line("writedowns_vendor", "chip vendor"),
               Line("writedowns_lender", "lenders", linestyle="--")),
        mark_months=("collapse_month",),
    ),
    Panel(
        title="Credit",
        ylabel="neocloud debt, US$",
        lines=(Line("neocloud_debt", "neocloud debt"),),
        twin_lines=(Line("lender_losses", "lender losses (right)", linestyle="--"),
                    Line("fire_sale_units", "units fire-sold (right)", linestyle=":")),
        twin_ylabel="US$ or units per month",
        legend_loc="upper right",
    ),
)

#: The numbers in the headline box above the panels.
HEADLINE: tuple[Headline, ...] = (
    Headline("peak_phantom_ratio", "peak phantom ratio", _ratio),
    Headline("phantom_ratio_shortage", "phantom ratio in shortage", _ratio),
    Headline("phantom_drop_1q", "phantom excess drop in 1 quarter", _share),
    Headline("collapse_month", "collapse month"),
    Headline("capacity_overbuild", "capacity overbuild", _times),
    Headline("defaults", "defaults"),
    Headline("lender_loss_rate", "lender loss rate", _share),
    Headline("freeze_months", "board-freeze months"),
)


def dashboard(
    run_dir: str | os.PathLike[str],
    *,
    panels: Sequence[Panel] = PANELS,
    headline: Sequence[Headline] = HEADLINE,
    ncols: int = 2,
) -> list[Path]:
    """Draw a run's one-page dashboard and save it into the results folder.

    Parameters
    ----------
    run_dir : path
        A results folder written by :func:`abm.results.write_run`.
    panels : sequence of Panel
        Panels to draw (default :data:`PANELS`).
    headline : sequence of Headline
        Summary numbers for the box under the title (default :data:`HEADLINE`).
    ncols : int
        Panels per row.

    Returns
    -------
    list of pathlib.Path
        ``dashboard.png`` (150 dpi) and ``dashboard.pdf`` in ``run_dir``, both
        hashed in the manifest.

    Raises
    ------
    ValueError
        If the table has neither a ``date`` ("YYYY-MM") nor a ``month`` column.

    Notes
    -----
    The x axis is ``date`` if present, else ``month``; summary months (e.g.
    ``collapse_month``) are matched to rows by the ``month`` column. Missing
    columns are skipped and NaNs leave gaps. The files hold no creation date,
    so the same results folder gives the same bytes.
    """
    run_dir = Path(run_dir)
    timeseries, summary, manifest = read_run(run_dir)
    fig = draw_dashboard(
        timeseries,
        summary,
        title=_title(manifest, run_dir),
        panels=panels,
        headline=headline,
        ncols=ncols,
    )
    png = _render(fig, "png", dpi=DASHBOARD_DPI)
    # The PNG's draw placed everything; keep those positions for the PDF rather
    # than solving the constrained layout again (a third of the drawing time).
    fig.set_layout_engine("none")
    pdf = _render(fig, "pdf")
    return add_files(run_dir, {"dashboard.png": png, "dashboard.pdf": pdf})


def draw_dashboard(
    timeseries: pd.DataFrame,
    summary: Mapping[str, Any],
    *,
    title: str,
    panels: Sequence[Panel] = PANELS,
    headline: Sequence[Headline] = HEADLINE,
    ncols: int = 2,
) -> Figure:
    """Build the dashboard figure from a table and a summary already read.

    Parameters are those of :func:`dashboard`, plus the figure ``title``;
    returns the unsaved :class:`~matplotlib.figure.Figure`.
    """
    x, xlabel, is_years = _x_axis(timeseries)
    nrows = max(1, math.ceil(len(panels) / ncols))
    height = DASHBOARD_HEADER_IN + DASHBOARD_ROW_IN * nrows
    fig = Figure(figsize=(DASHBOARD_WIDTH_IN, height), layout="constrained")
    fig.suptitle(title, fontsize="x-large", fontweight="bold")
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[0.22] + [1.0] * nrows)

    box = fig.add_subplot(grid[0, :])
    box.set_axis_off()
    box.text(
        0.5,
        0.5,
        _headline_text(summary, headline, timeseries),
        ha="center",
        va="center",
        fontsize="medium",
        bbox={"boxstyle": "round,pad=0.5", "facecolor": "whitesmoke", "edgecolor": "0.6"},
        transform=box.transAxes,
    )

    first: Axes | None = None
    for i, panel in enumerate(panels):
        row, col = divmod(i, ncols)
        ax = fig.add_subplot(grid[row + 1, col], sharex=first)
        first = first or ax
        _draw_panel(ax, panel, timeseries, summary, x)
        ax.set_title(f"({chr(ord('a') + i)}) {panel.title}", loc="left", fontsize="medium")
        if i + ncols >= len(panels):  # nothing below it: label the shared x axis
            ax.set_xlabel(xlabel)
        else:
            ax.tick_params(labelbottom=False)
    if first is not None:  # shared axes share their ticker
        first.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        if is_years:
            first.xaxis.set_major_formatter(FormatStrFormatter("%d"))
    return fig


# --------------------------------------------------------------------------- helpers


def _x_axis(timeseries: pd.DataFrame) -> tuple[np.ndarray, str, bool]:
    """The x values, their axis label and whether they are years."""
    if "date" in timeseries.columns:
        # Decimal years (2024-07 → 2024.5): ticks at whole years, and numeric
        # axes draw several times faster than date axes.
        dates = pd.to_datetime(timeseries["date"], format="%Y-%m")
        years = dates.dt.year.to_numpy(dtype=float) + (dates.dt.month.to_numpy() - 1) / 12
        return years, "year", True
    if "month" in timeseries.columns:
        return timeseries["month"].to_numpy(dtype=float), "month of simulation", False
    raise ValueError(
        "the timeseries needs a 'date' column ('YYYY-MM') or a 'month' column for the x axis; "
        f"its columns are {list(timeseries.columns)}"
    )


def _series(timeseries: pd.DataFrame, line: Line) -> np.ndarray | None:
    if line.column not in timeseries.columns:
        return None
    values = pd.to_numeric(timeseries[line.column], errors="coerce").astype(float)
    if line.trailing_mean_months:
        values = values.rolling(line.trailing_mean_months, min_periods=1).mean()
    return values.to_numpy()


def _draw_panel(
    ax: Axes,
    panel: Panel,
    timeseries: pd.DataFrame,
    summary: Mapping[str, Any],
    x: np.ndarray,
) -> None:
    handles = []
    for line, colour in zip(panel.lines, _COLOURS * 4, strict=False):
        y = _series(timeseries, line)
        if y is not None:
            handles += ax.plot(x, y, color=colour, linestyle=line.linestyle, label=line.label)
    ax.set_ylabel(panel.ylabel)
    if panel.ylim is not None:
        ax.set_ylim(*panel.ylim)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0) if panel.percent else EngFormatter())
    for level in panel.hlines:
        ax.axhline(level, color="0.3", linewidth=0.8, linestyle="--")
    for key in panel.mark_months:
        where = _month_position(summary.get(key), timeseries, x)
        if where is not None:
            handles.append(
                ax.axvline(
                    where,
                    color="tab:red",
                    linewidth=1.0,
                    linestyle=":",
                    label=f"{key.replace('_', ' ')} ({summary[key]})",
                )
            )

    twin_handles = []
    if panel.twin_lines:
        twin = ax.twinx()
        for line, colour in zip(panel.twin_lines, _TWIN_COLOURS * 4, strict=False):
            y = _series(timeseries, line)
            if y is not None:
                twin_handles += twin.plot(
                    x, y, color=colour, linestyle=line.linestyle, label=line.label
                )
        if twin_handles:
            twin.set_ylabel(panel.twin_ylabel)
            twin.yaxis.set_major_formatter(EngFormatter())
        else:
            twin.set_axis_off()

    handles += twin_handles
    # A fixed location is for a twin axis that "best" cannot see; without one, "best".
    loc = panel.legend_loc if twin_handles else "best"
    if handles:
        ax.legend(handles=handles, loc=loc, fontsize="small", framealpha=0.8)
    else:
        ax.text(
            0.5,
            0.5,
            "no data in this run",
            ha="center",
            va="center",
            color="0.5",
            transform=ax.transAxes,
        )
    ax.grid(True, linewidth=0.4, alpha=0.5)


def _month_position(month: Any, timeseries: pd.DataFrame, x: np.ndarray) -> Any:
    """The x position of the row whose ``month`` equals ``month``, or None."""
    if month is None or "month" not in timeseries.columns:
        return None
    rows = np.flatnonzero(timeseries["month"].to_numpy() == month)
    return x[rows[0]] if rows.size else None


def _headline_text(
    summary: Mapping[str, Any], headline: Sequence[Headline], timeseries: pd.DataFrame
) -> str:
    parts = []
    for item in headline:
        value = summary.get(item.key)
        if value is None:
            text = "none" if item.key in summary else "n/a"
        elif item.key.endswith("_month"):
            text = _month_with_date(value, timeseries)
        else:
            text = item.format(value)
        parts.append(f"{item.label}: {text}")
    # Three items a line keeps the box narrower than the page.
    lines = ["    ".join(parts[i : i + 3]) for i in range(0, len(parts), 3)]
    return "\n".join(lines)


def _month_with_date(month: Any, timeseries: pd.DataFrame) -> str:
    if "month" in timeseries.columns and "date" in timeseries.columns:
        rows = np.flatnonzero(timeseries["month"].to_numpy() == month)
        if rows.size:
            return f"{month} ({timeseries['date'].iloc[rows[0]]})"
    return str(month)


def _title(manifest: Mapping[str, Any], run_dir: Path) -> str:
    scenario = manifest.get("scenario") or {}
    name = scenario.get("name") if isinstance(scenario, Mapping) else None
    return f"capex-abm — scenario {name or run_dir.name}, seed {manifest.get('seed')}"


def _render(fig: Figure, fmt: str, **kwargs: Any) -> bytes:
    # No creation date, so redrawing a results folder gives the same bytes.
    metadata = {"CreationDate": None} if fmt == "pdf" else None
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata=metadata, **kwargs)
    return buffer.getvalue()

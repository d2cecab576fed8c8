"""Per-run outcomes: phantom orders, their collapse, overbuilt capacity.

Pure reporter functions that turn one run's monthly series into the summary
outcomes of DESIGN.md §7, which experiments and sensitivity studies compare
across runs. Each takes numpy arrays (or anything ``numpy.asarray`` accepts)
indexed by month ``t = 0 .. T-1`` and returns arrays or plain Python numbers;
none sees a model object or touches a file.

The series, all in accelerator units ("H100-equivalents"):

``backlog``
    units on order and not yet delivered or cancelled, duplicates and
    inflation included, measured before allocation (units);
``unfilled_need``
    the buyers' true need not yet received, measured at the same point (units);
``true_need``
    the buyers' true need per month (units/month);
``output``
    accelerators shipped per month (units/month);
``capacity``
    one upstream tier's capacity in accelerator-equivalents (units/month);
``utilisation``
    one tier's output over its capacity (dimensionless, in [0, 1]).

The design's reasoning, in short: a phantom ratio compares the order book with
what buyers truly need, floored by their recent monthly need N̄ so it stays
finite when need is nearly met; the shortage-weighted ratio is the headline
because the peak alone mostly restates the inflation cap; the fall of the
*phantom excess* (orders beyond true unfilled need) separates duplicates
evaporating from ordinary backlog-driven cycles, which occur without any
gaming; capacity overbuild is measured against the larger of recent need and
starting capacity, so neither initial slack nor a demand bust counts.

Edge cases, chosen so no outcome is silently NaN or infinite:

* a denominator of true need is floored at :data:`NEED_FLOOR` (1e-9 units per
  month), so a ratio is 0 when its numerator is 0 and large but finite
  otherwise;
* a month is in shortage when its unfilled need is positive and at least N̄
  (a month with no need at all is not a shortage), ties judged with a relative
  tolerance of :data:`SHORTAGE_TOLERANCE` against rounding;
* an outcome with nothing to measure (no months, no shortage month) is NaN
  from the function and ``None`` in :func:`summarise`, a month that never
  happens is ``None``;
* peaks are the earliest month attaining the maximum;
* a drop counts only from a material peak, a backlog of at least
  :data:`MIN_PEAK_MONTHS_OF_OUTPUT` months of output at the peak month, and is
  otherwise 0.0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "MIN_PEAK_MONTHS_OF_OUTPUT",
    "NEED_FLOOR",
    "SHORTAGE_TOLERANCE",
    "SUMMARY_KEYS",
    "TIERS",
    "backlog_drop_1q",
    "capacity_overbuild",
    "collapse_month",
    "max_capacity_overbuild",
    "peak_phantom",
    "phantom_drop_1q",
    "phantom_excess",
    "phantom_ratio",
    "phantom_ratio_shortage",
    "shortage_mask",
    "summarise",
    "trailing_need",
    "trough_utilisation",
]

NEED_FLOOR = 1e-9
"""Smallest true need a ratio divides by (units/month): below it there is no need."""

MIN_PEAK_MONTHS_OF_OUTPUT = 2.0
"""A backlog peak smaller than this many months of output is queue churn, not a bubble."""

SHORTAGE_TOLERANCE = 1e-9
"""Relative slack in ``unfilled_need >= N̄``, so rounding in the mean cannot flip a tie."""

TIERS: tuple[str, ...] = ("fab", "hbm")
"""Upstream tiers whose ``capacity_<tier>`` and ``utilisation_<tier>`` columns are summarised."""

SUMMARY_KEYS: tuple[str, ...] = (
    "peak_phantom_ratio",
    "peak_phantom_month",
    "phantom_ratio_shortage",
    "shortage_months",
    "backlog_drop_1q",
    "phantom_drop_1q",
    "collapse_month",
    "capacity_overbuild",
    "trough_utilisation",
)
"""Keys of the dict :func:`summarise` returns, in order."""


# --- input checks ------------------------------------------------------------


def _series(name: str, value, upper: float = math.inf) -> np.ndarray:
    """``value`` as a 1-D float array of finite numbers in [0, upper], or ValueError."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a 1-D array of numbers, got {value!r:.80}") from exc
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array (one value per month), got shape "
                         f"{array.shape}")
    bad = ~(np.isfinite(array) & (array >= 0.0) & (array <= upper))
    if bad.any():
        t = int(np.argmax(bad))
        expected = "a finite number >= 0" if upper == math.inf else f"a number in [0, {upper:g}]"
        raise ValueError(f"{name}[{t}] = {array[t].item()!r}: expected {expected}")
    return array


def _series_of_equal_length(**named) -> list[np.ndarray]:
    arrays = [_series(name, value) for name, value in named.items()]
    names = list(named)
    for name, array in zip(names[1:], arrays[1:], strict=True):
        if array.size != arrays[0].size:
            raise ValueError(f"{name}: expected {arrays[0].size} months, the length of "
                             f"{names[0]}, got {array.size}")
    return arrays


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} = {value!r}: expected an integer >= 1 (months)")
    return int(value)


def _nonnegative_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} = {value!r}: expected a number")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} = {value!r}: expected a finite number >= 0")
    return float(value)


def _tiers(name: str, by_tier) -> dict[str, object]:
    if not isinstance(by_tier, Mapping) or not by_tier:
        raise ValueError(f"{name}: expected a non-empty mapping of tier name to monthly series, "
                         f"got {by_tier!r:.80}")
    return dict(by_tier)


# --- building blocks ---------------------------------------------------------


def _trailing_mean(need: np.ndarray, window: int) -> np.ndarray:
    if need.size == 0:
        return np.zeros(0)
    window = min(window, need.size)
    padded = np.concatenate([np.zeros(window - 1), need])
    sums = np.lib.stride_tricks.sliding_window_view(padded, window).sum(axis=1)
    return sums / np.minimum(np.arange(1, need.size + 1), window)


def _largest_fall(series: np.ndarray, start: int, window: int) -> np.ndarray:
    """Per month t >= start, max over k = 1..window of series[t] - series[t + k] (>= 0)."""
    fall = np.zeros(max(series.size - start, 0))
    for k in range(1, window + 1):
        n = series.size - start - k
        if n <= 0:
            break
        fall[:n] = np.maximum(fall[:n], series[start:start + n] - series[start + k:start + k + n])
    return fall


def _material_peak(backlog: np.ndarray, output: np.ndarray) -> float | None:
    """The peak backlog if it is material, else None.

    Material: at least two months of output, output being its mean over the
    12 months up to the peak (one month's output can be a start-up or a lull).
    """
    if backlog.size == 0:
        return None
    peak = int(np.argmax(backlog))
    monthly = float(np.mean(output[max(0, peak - 11):peak + 1]))
    if backlog[peak] <= 0.0 or backlog[peak] < MIN_PEAK_MONTHS_OF_OUTPUT * monthly:
        return None
    return float(backlog[peak])


# --- need and the phantom ratio ------------------------------------------------


def trailing_need(true_need, window_months: int = 12) -> np.ndarray:
    """Trailing mean of true monthly need, N̄(t).

    Parameters
    ----------
    true_need : array_like, shape (T,)
        True need per month (units/month), finite and >= 0.
    window_months : int, default 12
        Length of the trailing window (months), ending at and including ``t``.

    Returns
    -------
    ndarray, shape (T,)
        N̄(t), the mean of ``true_need`` over months ``max(0, t - window_months + 1) .. t``
        (units/month); the first months average over the shorter history they have.

    Examples
    --------
    >>> trailing_need([2, 4, 6, 8], window_months=2).tolist()
    [2.0, 3.0, 5.0, 7.0]
    """
    need = _series("true_need", true_need)
    window = _positive_int("window_months", window_months)
    return _trailing_mean(need, window)


def phantom_ratio(backlog, unfilled_need, true_need, window_months: int = 12, *,
                  need_floor: float = NEED_FLOOR) -> np.ndarray:
    """Backlog over true unfilled need, month by month.

    DESIGN.md §7 divides the order book by the larger of the true unfilled need
    and the trailing mean need N̄, so the ratio stays finite when need is
    nearly met. A truthful order book gives at most 1.

    Parameters
    ----------
    backlog : array_like, shape (T,)
        Units on order, before allocation (units).
    unfilled_need : array_like, shape (T,)
        True need not yet received, at the same point (units).
    true_need : array_like, shape (T,)
        True need per month (units/month).
    window_months : int, default 12
        Window of the trailing mean N̄ (months).
    need_floor : float, default :data:`NEED_FLOOR`
        Smallest denominator (units): with no true need at all, the ratio is 0
        for an empty order book and ``backlog / need_floor`` (large, finite)
        otherwise, never NaN or infinite.

    Returns
    -------
    ndarray, shape (T,)
        ``backlog / max(unfilled_need, N̄, need_floor)`` (dimensionless, >= 0).

    Examples
    --------
    >>> phantom_ratio([30, 30], [10, 20], [10, 30], window_months=2).tolist()
    [3.0, 1.5]
    """
    backlog, unfilled = _series_of_equal_length(backlog=backlog, unfilled_need=unfilled_need)
    need = trailing_need(true_need, window_months)
    if need.size != backlog.size:
        raise ValueError(f"true_need: expected {backlog.size} months, the length of backlog, "
                         f"got {need.size}")
    floor = _nonnegative_number("need_floor", need_floor)
    if floor <= 0.0:
        raise ValueError(f"need_floor = {need_floor!r}: expected a number > 0")
    return backlog / np.maximum(np.maximum(unfilled, need), floor)


def phantom_excess(backlog, unfilled_need) -> np.ndarray:
    """Orders beyond true unfilled need: the duplicates and the inflation.

    Parameters
    ----------
    backlog : array_like, shape (T,)
        Units on order, before allocation (units).
    unfilled_need : array_like, shape (T,)
        True need not yet received, at the same point (units).

    Returns
    -------
    ndarray, shape (T,)
        ``max(0, backlog - unfilled_need)`` (units).

    Examples
    --------
    >>> phantom_excess([50, 20], [10, 30]).tolist()
    [40.0, 0.0]
    """
    backlog, unfilled = _series_of_equal_length(backlog=backlog, unfilled_need=unfilled_need)
    return np.maximum(backlog - unfilled, 0.0)


def shortage_mask(unfilled_need, true_need, window_months: int = 12) -> np.ndarray:
    """Months in shortage: unfilled need is positive and at least N̄.

    Parameters
    ----------
    unfilled_need : array_like, shape (T,)
        True need not yet received (units).
    true_need : array_like, shape (T,)
        True need per month (units/month).
    window_months : int, default 12
        Window of the trailing mean N̄ (months).

    Returns
    -------
    ndarray of bool, shape (T,)
        True where ``unfilled_need >= N̄`` and ``unfilled_need > 0``; a month with
        no need at all (0 >= 0) is not a shortage. The comparison allows a
        relative :data:`SHORTAGE_TOLERANCE`, so a steady state with unfilled need
        equal to N̄ is classified the same in every month despite rounding.

    Examples
    --------
    >>> shortage_mask([0, 5, 20], [0, 10, 10], window_months=1).tolist()
    [False, False, True]
    """
    unfilled = _series("unfilled_need", unfilled_need)
    need = trailing_need(true_need, window_months)
    if need.size != unfilled.size:
        raise ValueError(f"true_need: expected {unfilled.size} months, the length of "
                         f"unfilled_need, got {need.size}")
    return (unfilled >= need * (1.0 - SHORTAGE_TOLERANCE)) & (unfilled > 0.0)


def phantom_ratio_shortage(backlog, unfilled_need, true_need, window_months: int = 12) -> float:
    """Need-weighted phantom ratio over the months in shortage, the §7 headline.

    Parameters
    ----------
    backlog : array_like, shape (T,)
        Units on order, before allocation (units).
    unfilled_need : array_like, shape (T,)
        True need not yet received, at the same point (units).
    true_need : array_like, shape (T,)
        True need per month (units/month).
    window_months : int, default 12
        Window of the trailing mean N̄ (months).

    Returns
    -------
    float
        Σ backlog ÷ Σ unfilled need over the months of :func:`shortage_mask`
        (dimensionless, >= 0); NaN when no month is in shortage (the
        denominator is then positive whenever it is defined).

    Examples
    --------
    Months 1 and 2 are in shortage, month 0 is not: (30 + 50) / (10 + 30).

    >>> phantom_ratio_shortage([5, 30, 50], [1, 10, 30], [10, 10, 10], window_months=1)
    2.0
    """
    backlog, unfilled = _series_of_equal_length(backlog=backlog, unfilled_need=unfilled_need)
    short = shortage_mask(unfilled, true_need, window_months)
    if not short.any():
        return math.nan
    return float(backlog[short].sum() / unfilled[short].sum())


def peak_phantom(backlog, unfilled_need, true_need, window_months: int = 12, *,
                 need_floor: float = NEED_FLOOR) -> tuple[float, int | None]:
    """The largest monthly phantom ratio and the month it first occurs.

    A weak test on its own: in shortage the peak sits near channels × inflation
    cap by construction, which is why §7 also reports the shortage-weighted ratio.

    Parameters
    ----------
    backlog, unfilled_need, true_need, window_months, need_floor
        As for :func:`phantom_ratio`.

    Returns
    -------
    peak : float
        Maximum of :func:`phantom_ratio` (dimensionless); NaN if there are no months.
    month : int or None
        Index of the earliest month attaining it; None if there are no months.

    Examples
    --------
    >>> peak_phantom([10, 40, 40], [10, 10, 10], [10, 10, 10], window_months=1)
    (4.0, 1)
    """
    ratio = phantom_ratio(backlog, unfilled_need, true_need, window_months,
                          need_floor=need_floor)
    if ratio.size == 0:
        return math.nan, None
    month = int(np.argmax(ratio))
    return float(ratio[month]), month


# --- the collapse --------------------------------------------------------------


def backlog_drop_1q(backlog, output, window: int = 3) -> float:
    """Largest fall of the backlog within a quarter after its peak.

    Parameters
    ----------
    backlog : array_like, shape (T,)
        Units on order, before allocation (units).
    output : array_like, shape (T,)
        Accelerators shipped per month (units/month).
    window : int, default 3
        Horizon of a fall (months).

    Returns
    -------
    float
        max over ``peak <= t``, ``1 <= k <= window`` of ``backlog[t] - backlog[t + k]``,
        as a share of the peak backlog (in [0, 1]). The peak is the earliest month
        of maximum backlog; the drop is 0.0 unless that peak is at least
        :data:`MIN_PEAK_MONTHS_OF_OUTPUT` months of output (its mean over the
        12 months up to the peak), so a short order queue's churn does not
        count as a collapse.

    Examples
    --------
    The backlog peaks at 100 (five months of output) and is 40 two months later.

    >>> backlog_drop_1q([50, 100, 70, 40, 40, 40], [20, 20, 20, 20, 20, 20])
    0.6
    """
    backlog, output = _series_of_equal_length(backlog=backlog, output=output)
    window = _positive_int("window", window)
    peak_value = _material_peak(backlog, output)
    if peak_value is None:
        return 0.0
    fall = _largest_fall(backlog, int(np.argmax(backlog)), window)
    return float(fall.max(initial=0.0) / peak_value)


def phantom_drop_1q(backlog, unfilled_need, output, window: int = 3) -> float:
    """Largest fall of the phantom excess within a quarter after its peak.

    The bubble-specific collapse of §7: the duplicates evaporating, as opposed to
    a backlog that shrinks because true need is being met.

    Parameters
    ----------
    backlog : array_like, shape (T,)
        Units on order, before allocation (units).
    unfilled_need : array_like, shape (T,)
        True need not yet received, at the same point (units).
    output : array_like, shape (T,)
        Accelerators shipped per month (units/month).
    window : int, default 3
        Horizon of a fall (months).

    Returns
    -------
    float
        max over ``peak_excess <= t``, ``1 <= k <= window`` of
        ``excess[t] - excess[t + k]``, as a share of the peak *backlog* (in [0, 1]),
        where ``excess`` is :func:`phantom_excess` and ``peak_excess`` the earliest
        month of its maximum. 0.0 under the same materiality rule as
        :func:`backlog_drop_1q`.

    Notes
    -----
    The fall is divided by the peak backlog rather than the peak excess so a
    phantom excess that is a sliver of the order book (rounding, one late
    cancellation) cannot score a full collapse; the result then reads "the share
    of the order book that vanished as phantom orders within a quarter", on the
    same scale as :func:`backlog_drop_1q` and as the threshold of
    :func:`collapse_month`.

    Examples
    --------
    The excess peaks at 80 (backlog 100, need 20) and is 20 a quarter later.

    >>> phantom_drop_1q([100, 80, 50, 40], [20, 20, 20, 20], [10, 10, 10, 10])
    0.6
    """
    backlog, unfilled, output = _series_of_equal_length(
        backlog=backlog, unfilled_need=unfilled_need, output=output)
    window = _positive_int("window", window)
    peak_value = _material_peak(backlog, output)
    if peak_value is None:
        return 0.0
    excess = np.maximum(backlog - unfilled, 0.0)
    fall = _largest_fall(excess, int(np.argmax(excess)), window)
    return float(fall.max(initial=0.0) / peak_value)


def collapse_month(backlog, unfilled_need, share: float = 0.25, window: int = 3) -> int | None:
    """First month from which the phantom excess collapses within a quarter.

    Parameters
    ----------
    backlog : array_like, shape (T,)
        Units on order, before allocation (units).
    unfilled_need : array_like, shape (T,)
        True need not yet received, at the same point (units).
    share : float, default 0.25
        Size of a collapse, as a share of the peak backlog (dimensionless, >= 0).
    window : int, default 3
        Horizon of a collapse (months).

    Returns
    -------
    int or None
        The first month index ``t`` with
        ``excess[t] - min(excess[t + 1 .. t + window]) > share * max(backlog)``
        (strictly), where ``excess`` is :func:`phantom_excess`; None if there is
        none, or if the backlog is never positive.

    Examples
    --------
    Peak backlog 100, excess [10, 50, 40, 30, 20]: it falls by 30 (> 25) from
    month 1 to month 4, and by no more than that anywhere.

    >>> collapse_month([60, 100, 90, 80, 70], [50, 50, 50, 50, 50])
    1
    >>> collapse_month([60, 100, 90, 80, 70], [50, 50, 50, 50, 50], share=0.3) is None
    True
    """
    backlog, unfilled = _series_of_equal_length(backlog=backlog, unfilled_need=unfilled_need)
    share = _nonnegative_number("share", share)
    window = _positive_int("window", window)
    if backlog.size == 0 or backlog.max() <= 0.0:
        return None
    excess = np.maximum(backlog - unfilled, 0.0)
    collapsing = _largest_fall(excess, 0, window) > share * backlog.max()
    return int(np.argmax(collapsing)) if collapsing.any() else None


# --- capacity ------------------------------------------------------------------


def capacity_overbuild(capacity, true_need, window_months: int = 12, *,
                       need_floor: float = NEED_FLOOR) -> float:
    """Peak capacity of one tier over the larger of peak need and starting capacity.

    Parameters
    ----------
    capacity : array_like, shape (T,)
        The tier's capacity in accelerator-equivalents (units/month).
    true_need : array_like, shape (T,)
        True need per month (units/month).
    window_months : int, default 12
        Window of the trailing mean N̄ (months).
    need_floor : float, default :data:`NEED_FLOOR`
        Smallest denominator (units/month), as in :func:`phantom_ratio`.

    Returns
    -------
    float
        ``max(capacity) / max(max(N̄), capacity[0], need_floor)`` (dimensionless);
        1.0 means no overbuild, and neither starting slack nor a demand bust
        raises it. NaN if there are no months.

    Examples
    --------
    Capacity grows from 100 to 300 while need peaks at 150.

    >>> capacity_overbuild([100, 200, 300], [150, 150, 150])
    2.0
    """
    capacity = _series("capacity", capacity)
    need = trailing_need(true_need, window_months)
    if need.size != capacity.size:
        raise ValueError(f"true_need: expected {capacity.size} months, the length of capacity, "
                         f"got {need.size}")
    floor = _nonnegative_number("need_floor", need_floor)
    if floor <= 0.0:
        raise ValueError(f"need_floor = {need_floor!r}: expected a number > 0")
    if capacity.size == 0:
        return math.nan
    return float(capacity.max() / max(need.max(), capacity[0], floor))


def max_capacity_overbuild(capacity_by_tier: Mapping[str, object], true_need,
                           window_months: int = 12, *, need_floor: float = NEED_FLOOR) -> float:
    """The largest :func:`capacity_overbuild` over the upstream tiers.

    Parameters
    ----------
    capacity_by_tier : mapping of str to array_like, shape (T,) each
        Capacity per tier, e.g. ``{"fab": ..., "hbm": ...}`` (units/month).
    true_need, window_months, need_floor
        As for :func:`capacity_overbuild`.

    Returns
    -------
    float
        The maximum over tiers (dimensionless); NaN if there are no months.

    Examples
    --------
    >>> max_capacity_overbuild({"fab": [100, 200], "hbm": [100, 300]}, [100, 100])
    3.0
    """
    tiers = _tiers("capacity_by_tier", capacity_by_tier)
    values = []
    for tier, capacity in tiers.items():
        try:
            values.append(capacity_overbuild(capacity, true_need, window_months,
                                             need_floor=need_floor))
        except ValueError as exc:
            raise ValueError(f"capacity_by_tier[{tier!r}]: {exc}") from exc
    return math.nan if math.isnan(values[0]) else max(values)


def trough_utilisation(utilisation_by_tier: Mapping[str, object]) -> float:
    """Lowest utilisation of any upstream tier in any month.

    Parameters
    ----------
    utilisation_by_tier : mapping of str to array_like, shape (T,) each
        Utilisation per tier and month (dimensionless, in [0, 1]); all tiers
        cover the same months.

    Returns
    -------
    float
        The minimum over months and tiers; NaN if there are no months.

    Examples
    --------
    >>> trough_utilisation({"fab": [1.0, 0.5], "hbm": [0.9, 0.75]})
    0.5
    """
    tiers = _tiers("utilisation_by_tier", utilisation_by_tier)
    arrays = {tier: _series(f"utilisation_by_tier[{tier!r}]", values, upper=1.0)
              for tier, values in tiers.items()}
    first, size = next(iter(arrays)), next(iter(arrays.values())).size
    for tier, array in arrays.items():
        if array.size != size:
            raise ValueError(f"utilisation_by_tier[{tier!r}]: expected {size} months, the length "
                             f"of utilisation_by_tier[{first!r}], got {array.size}")
    if size == 0:
        return math.nan
    return float(min(array.min() for array in arrays.values()))


# --- the run's summary -----------------------------------------------------------


def _column(data, name: str) -> np.ndarray:
    if name not in data:
        raise ValueError(f"frame_or_mapping: missing column {name!r}")
    return np.asarray(data[name])


def _month_label(months: np.ndarray, index: int | None):
    """The ``month`` column's value at ``index`` as a plain JSON-ready value."""
    if index is None:
        return None
    value = months[index]
    if isinstance(value, np.datetime64):
        return str(value)
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, bool | int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def summarise(frame_or_mapping, *, collapse_share: float = 0.25, window_months: int = 12,
              tiers: Sequence[str] = TIERS) -> dict[str, float | int | str | None]:
    """The per-run outcomes of DESIGN.md §7 from one run's monthly table.

    Parameters
    ----------
    frame_or_mapping : pandas.DataFrame or mapping of str to array_like
        One row per month, in time order, with the columns ``month``,
        ``backlog`` and ``unfilled_need`` (units), ``true_need`` and ``output``
        (units/month), and ``capacity_<tier>`` (units/month) and
        ``utilisation_<tier>`` (in [0, 1]) for each tier. Other columns are
        ignored; rows are taken by position, not by index label.
    collapse_share : float, default 0.25
        Size of a collapse for ``collapse_month``, as a share of the peak backlog.
    window_months : int, default 12
        Window of the trailing mean need N̄ (months).
    tiers : sequence of str, default :data:`TIERS`
        The upstream tiers to read capacity and utilisation for.

    Returns
    -------
    dict
        Keys :data:`SUMMARY_KEYS`, values plain Python ``float``, ``int`` or
        ``None`` (never NaN), ready for ``json.dumps``:

        ``peak_phantom_ratio``, ``peak_phantom_month``
            :func:`peak_phantom`, the month as the ``month`` column's value;
        ``phantom_ratio_shortage``
            :func:`phantom_ratio_shortage`, None with no month in shortage;
        ``shortage_months``
            the number of months in :func:`shortage_mask`;
        ``backlog_drop_1q``, ``phantom_drop_1q``
            :func:`backlog_drop_1q`, :func:`phantom_drop_1q`;
        ``collapse_month``
            :func:`collapse_month` as a ``month`` value, None if none;
        ``capacity_overbuild``
            :func:`max_capacity_overbuild` over ``tiers``;
        ``trough_utilisation``
            :func:`trough_utilisation` over ``tiers``.

        Ratios and the trough are None for a run with no months.

    Examples
    --------
    >>> run = {"month": [0, 1, 2, 3], "backlog": [20, 100, 60, 30],
    ...        "unfilled_need": [20, 40, 30, 30], "true_need": [10, 10, 10, 10],
    ...        "output": [10, 10, 10, 10], "capacity_fab": [10, 20, 20, 20],
    ...        "capacity_hbm": [10, 10, 10, 10], "utilisation_fab": [1, 1, 0.5, 0.5],
    ...        "utilisation_hbm": [1, 1, 1, 1]}
    >>> summary = summarise(run)
    >>> summary["peak_phantom_ratio"], summary["peak_phantom_month"]
    (2.5, 1)
    >>> summary["phantom_drop_1q"], summary["collapse_month"], summary["capacity_overbuild"]
    (0.6, 1, 2.0)
    """
    data = frame_or_mapping
    if not hasattr(data, "__contains__") or not hasattr(data, "__getitem__"):
        raise ValueError(f"frame_or_mapping: expected a DataFrame or a mapping of column name to "
                         f"values, got {type(data).__name__}")
    if isinstance(tiers, str) or not tiers:
        raise ValueError(f"tiers = {tiers!r}: expected a non-empty sequence of tier names")
    months = _column(data, "month")
    if months.ndim != 1:
        raise ValueError(f"month: expected one value per row, got shape {months.shape}")
    if months.dtype.kind == "f" and not np.isfinite(months).all():
        raise ValueError(f"month[{int(np.argmax(~np.isfinite(months)))}]: expected a finite value")
    if months.dtype.kind in "iufmM" and (months[1:] <= months[:-1]).any():
        raise ValueError("month: expected strictly increasing values (one run, in time order)")
    names = ["backlog", "unfilled_need", "true_need", "output"]
    names += [f"{kind}_{tier}" for kind in ("capacity", "utilisation") for tier in tiers]
    columns = dict(zip(names, _series_of_equal_length(
        **{name: _column(data, name) for name in names}), strict=True))
    if months.size != columns["backlog"].size:
        raise ValueError(f"month: expected {columns['backlog'].size} rows, the length of "
                         f"backlog, got {months.size}")
    for tier in tiers:
        _series(f"utilisation_{tier}", columns[f"utilisation_{tier}"], upper=1.0)
    backlog, unfilled, need, output = (columns[name] for name in names[:4])
    capacity = {tier: columns[f"capacity_{tier}"] for tier in tiers}
    utilisation = {tier: columns[f"utilisation_{tier}"] for tier in tiers}

    peak, peak_month = peak_phantom(backlog, unfilled, need, window_months)
    collapse = collapse_month(backlog, unfilled, collapse_share)
    return {
        "peak_phantom_ratio": _or_none(peak),
        "peak_phantom_month": _month_label(months, peak_month),
        "phantom_ratio_shortage": _or_none(
            phantom_ratio_shortage(backlog, unfilled, need, window_months)),
        "shortage_months": int(shortage_mask(unfilled, need, window_months).sum()),
        "backlog_drop_1q": backlog_drop_1q(backlog, output),
        "phantom_drop_1q": phantom_drop_1q(backlog, unfilled, output),
        "collapse_month": _month_label(months, collapse),
        "capacity_overbuild": _or_none(max_capacity_overbuild(capacity, need, window_months)),
        "trough_utilisation": _or_none(trough_utilisation(utilisation)),
    }


WRITEDOWN_PREFIX = "writedowns_"


def money_summary(frame_or_mapping) -> dict[str, object]:
    """The per-run money outcomes (Q4, Q6–Q8) from one run's monthly table.

    Parameters
    ----------
    frame_or_mapping : DataFrame or mapping of column → array
        Needs ``capex``, ``revenue`` (US$/month), ``writedowns_<kind>`` (US$/month),
        ``defaults`` and ``freezes`` (counts per month), ``lender_losses`` and
        ``loans_made`` (US$/month).

    Returns
    -------
    dict
        ``writedowns_by_kind`` (US$ per agent kind), ``lender_loss_rate`` (losses ÷
        amount lent; None when nothing was lent), ``defaults`` (count),
        ``freeze_months`` (hyperscaler-months under a board freeze),
        ``cumulative_capex`` and ``cumulative_revenue`` (US$).

    Examples
    --------
    >>> money_summary({"capex": [2.0, 2.0], "revenue": [1.0, 1.0],
    ...                "writedowns_vendor": [0.0, 3.0], "defaults": [0, 1],
    ...                "freezes": [0, 0], "lender_losses": [0.0, 1.0],
    ...                "loans_made": [4.0, 0.0]})["lender_loss_rate"]
    0.25
    """
    def total(name: str) -> float:
        return float(np.sum(_series(name, _column(frame_or_mapping, name))))

    lent = total("loans_made")
    return {
        "writedowns_by_kind": {name[len(WRITEDOWN_PREFIX):]: total(name)
                               for name in frame_or_mapping.keys()
                               if str(name).startswith(WRITEDOWN_PREFIX)},
        "lender_loss_rate": total("lender_losses") / lent if lent > 0.0 else None,
        "defaults": int(round(total("defaults"))),
        "freeze_months": int(round(total("freezes"))),
        "cumulative_capex": total("capex"),
        "cumulative_revenue": total("revenue"),
    }

"""Tests of the per-run outcomes in abm.metrics (DESIGN.md §7).

Hand-worked series pin each definition; plain-loop reference implementations,
written straight from the definitions, are held equal to the vectorised code on
random series; properties check ranges, the truthful case and scale invariance.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.metrics import (
    MIN_PEAK_MONTHS_OF_OUTPUT,
    NEED_FLOOR,
    SUMMARY_KEYS,
    backlog_drop_1q,
    capacity_overbuild,
    collapse_month,
    max_capacity_overbuild,
    peak_phantom,
    phantom_drop_1q,
    phantom_excess,
    phantom_ratio,
    phantom_ratio_shortage,
    shortage_mask,
    summarise,
    trailing_need,
    trough_utilisation,
)

# --- plain-loop references, straight from the definitions ----------------------


def reference_trailing_need(need, window):
    return [sum(need[max(0, t - window + 1):t + 1]) / min(t + 1, window)
            for t in range(len(need))]


def reference_fall_after(series, start, window):
    best = 0.0
    for t in range(start, len(series)):
        for k in range(1, window + 1):
            if t + k < len(series):
                best = max(best, series[t] - series[t + k])
    return best


def mean_output_to(output, peak):
    """Mean monthly output over the 12 months up to and including the peak."""
    months = output[max(0, peak - 11):peak + 1]
    return sum(months) / len(months)


def reference_backlog_drop(backlog, output, window=3):
    if not backlog:
        return 0.0
    peak = backlog.index(max(backlog))
    if backlog[peak] == 0 or backlog[peak] < 2 * mean_output_to(output, peak):
        return 0.0
    return reference_fall_after(backlog, peak, window) / backlog[peak]


def reference_phantom_drop(backlog, unfilled, output, window=3):
    if not backlog:
        return 0.0
    peak = backlog.index(max(backlog))
    if backlog[peak] == 0 or backlog[peak] < 2 * mean_output_to(output, peak):
        return 0.0
    excess = [max(0.0, b - u) for b, u in zip(backlog, unfilled, strict=True)]
    return reference_fall_after(excess, excess.index(max(excess)), window) / backlog[peak]


def reference_collapse_month(backlog, unfilled, share=0.25, window=3):
    if not backlog or max(backlog) == 0:
        return None
    excess = [max(0.0, b - u) for b, u in zip(backlog, unfilled, strict=True)]
    for t in range(len(excess) - 1):
        if excess[t] - min(excess[t + 1:t + 1 + window]) > share * max(backlog):
            return t
    return None


# --- strategies ------------------------------------------------------------------

units = st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False)
whole_units = st.integers(0, 10_000).map(float)


@st.composite
def runs(draw, values=units, min_months=0, max_months=30):
    """Equal-length backlog, unfilled need, true need and output series."""
    n = draw(st.integers(min_months, max_months))
    series = st.lists(values, min_size=n, max_size=n)
    return draw(series), draw(series), draw(series), draw(series)


def table(backlog, unfilled, need, output, capacity_fab=None, capacity_hbm=None,
          utilisation_fab=None, utilisation_hbm=None, month=None):
    n = len(backlog)
    return {
        "month": list(range(n)) if month is None else month,
        "backlog": backlog,
        "unfilled_need": unfilled,
        "true_need": need,
        "output": output,
        "capacity_fab": [100.0] * n if capacity_fab is None else capacity_fab,
        "capacity_hbm": [100.0] * n if capacity_hbm is None else capacity_hbm,
        "utilisation_fab": [1.0] * n if utilisation_fab is None else utilisation_fab,
        "utilisation_hbm": [1.0] * n if utilisation_hbm is None else utilisation_hbm,
    }


# --- trailing need ---------------------------------------------------------------


def test_trailing_need_hand_worked():
    assert trailing_need([3, 6, 9, 12], window_months=3).tolist() == [3.0, 4.5, 6.0, 9.0]


def test_trailing_need_is_a_cumulative_mean_when_the_window_exceeds_the_run():
    assert trailing_need([4, 8, 0], window_months=10**9).tolist() == [4.0, 6.0, 4.0]


def test_trailing_need_of_a_constant_and_of_nothing():
    assert trailing_need([7.0] * 30).tolist() == [7.0] * 30
    assert trailing_need([]).shape == (0,)


@settings(max_examples=50, deadline=None)
@given(need=st.lists(whole_units, max_size=40), window=st.integers(1, 15))
def test_trailing_need_matches_reference(need, window):
    expected = reference_trailing_need(need, window)
    np.testing.assert_allclose(trailing_need(need, window), expected, rtol=1e-12)


# --- phantom ratio and excess ------------------------------------------------------


def test_phantom_ratio_divides_by_the_larger_of_unfilled_need_and_trailing_need():
    # month 0: unfilled 20 > N̄ 10; month 1: N̄ 10 > unfilled 5
    ratio = phantom_ratio([40, 40], [20, 5], [10, 10], window_months=1)
    assert ratio.tolist() == [2.0, 4.0]


def test_phantom_ratio_without_any_need_is_zero_or_finite():
    ratio = phantom_ratio([0, 5], [0, 0], [0, 0])
    assert ratio[0] == 0.0
    assert ratio[1] == 5 / NEED_FLOOR
    assert phantom_ratio([0, 5], [0, 0], [0, 0], need_floor=1.0).tolist() == [0.0, 5.0]


def test_phantom_excess_hand_worked():
    assert phantom_excess([10, 5, 0], [4, 8, 0]).tolist() == [6.0, 0.0, 0.0]


def test_peak_phantom_takes_the_earliest_peak():
    assert peak_phantom([10, 40, 40], [10, 10, 10], [10, 10, 10], 1) == (4.0, 1)


def test_peak_phantom_of_an_empty_run():
    peak, month = peak_phantom([], [], [])
    assert math.isnan(peak) and month is None


# --- shortage --------------------------------------------------------------------


def test_shortage_ratio_weights_by_need_over_shortage_months_only():
    # N̄ = 10: month 0 (unfilled 1) is not in shortage, months 1 and 2 are.
    assert phantom_ratio_shortage([500, 30, 50], [1, 10, 30], [10, 10, 10], 1) == 2.0
    assert shortage_mask([1, 10, 30], [10, 10, 10], 1).tolist() == [False, True, True]


def test_no_shortage_month_gives_nan():
    assert math.isnan(phantom_ratio_shortage([50, 50], [5, 5], [10, 10]))
    assert math.isnan(phantom_ratio_shortage([0, 0], [0, 0], [0, 0]))
    assert math.isnan(phantom_ratio_shortage([], [], []))


def test_a_month_with_no_need_at_all_is_not_a_shortage():
    assert shortage_mask([0, 0], [0, 0]).tolist() == [False, False]


def test_a_steady_state_tie_is_a_shortage_in_every_month_despite_rounding():
    # The trailing mean of 0.1 rounds above 0.1 (0.1 + 0.1 + 0.1 > 0.3).
    assert trailing_need([0.1] * 3)[2] > 0.1
    assert shortage_mask([0.1] * 24, [0.1] * 24).all()


# --- backlog and phantom drops -----------------------------------------------------


def test_backlog_drop_rise_to_100_and_fall_to_40_within_a_quarter():
    assert backlog_drop_1q([20, 60, 100, 80, 40, 40, 40], [10] * 7) == pytest.approx(0.6)


def test_backlog_drop_counts_only_a_quarter():
    # 100 → 40 takes four months; the largest three-month fall is 100 → 55.
    assert backlog_drop_1q([100, 85, 70, 55, 40], [10] * 5) == pytest.approx(0.45)
    assert backlog_drop_1q([100, 85, 70, 55, 40], [10] * 5, window=4) == pytest.approx(0.6)
    assert backlog_drop_1q([100, 85, 70, 55, 40], [10] * 5, window=1) == pytest.approx(0.15)


def test_backlog_drop_ignores_falls_before_the_peak():
    assert backlog_drop_1q([80, 0, 100, 100], [10] * 4) == 0.0


def test_backlog_drop_needs_a_peak_of_two_months_of_output():
    assert MIN_PEAK_MONTHS_OF_OUTPUT == 2.0
    falling = [100, 40, 40]
    assert backlog_drop_1q(falling, [51, 51, 51]) == 0.0
    assert backlog_drop_1q(falling, [50, 50, 50]) == pytest.approx(0.6)
    # only the output of the peak month counts
    assert backlog_drop_1q(falling, [50, 1000, 1000]) == pytest.approx(0.6)
    assert backlog_drop_1q(falling, [1000, 0, 0]) == 0.0


@pytest.mark.parametrize("backlog", [[], [100.0], [0.0, 0.0, 0.0], [30.0] * 12])
def test_backlog_drop_without_a_fall_is_zero(backlog):
    assert backlog_drop_1q(backlog, [1.0] * len(backlog)) == 0.0


def test_phantom_drop_sees_duplicates_vanish_inside_a_flat_backlog():
    # excess 40, 80, 40, 10: the duplicates go while the order book stays at 100
    backlog, unfilled = [50, 100, 100, 100], [10, 20, 60, 90]
    assert backlog_drop_1q(backlog, [10] * 4) == 0.0
    assert phantom_drop_1q(backlog, unfilled, [10] * 4) == pytest.approx(0.7)


def test_phantom_drop_is_zero_when_the_backlog_falls_because_need_is_met():
    backlog = [100, 60, 20, 0]
    assert backlog_drop_1q(backlog, [10] * 4) == pytest.approx(1.0)
    assert phantom_drop_1q(backlog, backlog, [10] * 4) == 0.0


def test_phantom_drop_is_a_share_of_the_peak_backlog_not_of_the_peak_excess():
    # an excess of 10 on a book of 1000 vanishes: 1% of the book, not 100%
    assert phantom_drop_1q([1000, 1000], [990, 1000], [100, 100]) == pytest.approx(0.01)


def test_phantom_drop_measures_from_the_peak_excess_not_the_peak_backlog():
    # the backlog peaks in month 3, the excess (60) in month 1 and falls to 10
    backlog, unfilled = [40, 80, 70, 120, 120], [40, 20, 60, 110, 110]
    assert phantom_drop_1q(backlog, unfilled, [10] * 5) == pytest.approx(50 / 120)


def test_phantom_drop_uses_the_same_materiality_rule():
    backlog, unfilled = [50, 100, 100, 100], [10, 20, 60, 90]
    assert phantom_drop_1q(backlog, unfilled, [60, 51, 10, 10]) == 0.0  # mean 55.5 > 100 / 2
    assert phantom_drop_1q(backlog, unfilled, [10, 50, 10, 10]) == pytest.approx(0.7)


# --- collapse month --------------------------------------------------------------


def test_collapse_month_threshold_is_strict():
    # peak backlog 100; the excess falls by exactly 25 from month 1 to month 2
    backlog, unfilled = [60, 100, 75, 75], [50, 50, 50, 50]
    assert collapse_month(backlog, unfilled, share=0.25) is None
    assert collapse_month(backlog, unfilled, share=0.24) == 1
    assert collapse_month([60, 100, 74, 74], unfilled, share=0.25) == 1


def test_collapse_month_looks_only_a_quarter_ahead():
    backlog, unfilled = [100, 90, 80, 70, 60], [0, 0, 0, 0, 0]
    assert collapse_month(backlog, unfilled, share=0.35) is None
    assert collapse_month(backlog, unfilled, share=0.35, window=4) == 0


def test_collapse_month_is_the_first_of_several():
    excess_falls_twice = [100, 50, 50, 100, 50]
    assert collapse_month(excess_falls_twice, [0] * 5) == 0
    assert collapse_month([0, 0] + excess_falls_twice, [0] * 7) == 2


@pytest.mark.parametrize("backlog", [[], [5.0], [0.0, 0.0, 0.0], [10.0] * 6])
def test_collapse_month_none_without_a_fall(backlog):
    assert collapse_month(backlog, [0.0] * len(backlog)) is None


# --- capacity and utilisation ------------------------------------------------------


def test_capacity_overbuild_hand_worked():
    assert capacity_overbuild([100, 200, 300], [150, 150, 150]) == 2.0


def test_capacity_overbuild_does_not_score_starting_slack_or_a_demand_bust():
    assert capacity_overbuild([500] * 6, [100] * 6) == 1.0
    assert capacity_overbuild([200] * 6, [200, 200, 0, 0, 0, 0], window_months=1) == 1.0


def test_capacity_overbuild_compares_with_the_trailing_mean_not_a_spike():
    # one month of need 120 in a 12-month window: peak N̄ = 30
    assert capacity_overbuild([10, 10, 10, 60], [0, 0, 0, 120]) == 2.0


def test_capacity_overbuild_edge_cases():
    assert capacity_overbuild([0, 0], [0, 0]) == 0.0
    assert capacity_overbuild([0, 3], [0, 0], need_floor=1.0) == 3.0
    assert math.isnan(capacity_overbuild([], []))


def test_max_capacity_overbuild_takes_the_worst_tier():
    by_tier = {"fab": [100, 150], "hbm": [100, 300]}
    assert max_capacity_overbuild(by_tier, [100, 100]) == 3.0
    assert math.isnan(max_capacity_overbuild({"fab": [], "hbm": []}, []))


def test_trough_utilisation_over_months_and_tiers():
    assert trough_utilisation({"fab": [1.0, 0.5, 0.9], "hbm": [0.8, 0.7, 0.4]}) == 0.4
    assert math.isnan(trough_utilisation({"fab": [], "hbm": []}))


# --- input validation ------------------------------------------------------------


@pytest.mark.parametrize("bad", [[1.0, -1.0], [1.0, math.nan], [1.0, math.inf], [[1.0, 2.0]],
                                 "abc"])
def test_bad_backlog_is_rejected_by_name(bad):
    n = 2
    for call in (lambda: phantom_excess(bad, [0.0] * n),
                 lambda: phantom_ratio(bad, [0.0] * n, [1.0] * n),
                 lambda: backlog_drop_1q(bad, [0.0] * n),
                 lambda: collapse_month(bad, [0.0] * n)):
        with pytest.raises(ValueError, match="backlog"):
            call()


def test_unequal_lengths_are_rejected_by_name():
    with pytest.raises(ValueError, match="unfilled_need"):
        phantom_excess([1, 2], [1])
    with pytest.raises(ValueError, match="true_need"):
        phantom_ratio([1, 2], [1, 2], [1])
    with pytest.raises(ValueError, match="true_need"):
        phantom_ratio_shortage([1, 2], [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="output"):
        phantom_drop_1q([1, 2], [1, 2], [1])
    with pytest.raises(ValueError, match="true_need"):
        capacity_overbuild([1, 2], [1])
    with pytest.raises(ValueError, match="hbm"):
        trough_utilisation({"fab": [1, 1], "hbm": [1]})


@pytest.mark.parametrize("window", [0, -1, 1.5, True, None])
def test_bad_windows_are_rejected_by_name(window):
    with pytest.raises(ValueError, match="window_months"):
        trailing_need([1.0], window_months=window)
    with pytest.raises(ValueError, match="window"):
        backlog_drop_1q([1.0], [1.0], window=window)


@pytest.mark.parametrize("share", [-0.1, math.nan, math.inf, "0.25"])
def test_bad_share_is_rejected(share):
    with pytest.raises(ValueError, match="share"):
        collapse_month([1.0], [1.0], share=share)


def test_other_bad_arguments_are_rejected_by_name():
    with pytest.raises(ValueError, match="need_floor"):
        phantom_ratio([1], [1], [1], need_floor=0.0)
    with pytest.raises(ValueError, match=r"utilisation_by_tier\['fab'\]"):
        trough_utilisation({"fab": [1.01]})
    with pytest.raises(ValueError, match="utilisation_by_tier"):
        trough_utilisation({})
    with pytest.raises(ValueError, match=r"capacity_by_tier\['hbm'\]"):
        max_capacity_overbuild({"fab": [1.0], "hbm": [-1.0]}, [1.0])


# --- summary ----------------------------------------------------------------------


def bubble_run():
    """Shortage, inflated orders, then the duplicates cancelled within a quarter."""
    return table(
        backlog=[20, 100, 60, 30],
        unfilled=[20, 40, 30, 30],
        need=[10, 10, 10, 10],
        output=[10, 10, 10, 10],
        capacity_fab=[10, 20, 20, 20],
        capacity_hbm=[10, 10, 10, 10],
        utilisation_fab=[1.0, 1.0, 0.5, 0.5],
        utilisation_hbm=[1.0, 1.0, 1.0, 1.0],
        month=[24, 25, 26, 27],
    )


def test_summary_of_a_bubble_hand_worked():
    summary = summarise(pd.DataFrame(bubble_run(), index=[7, 3, 9, 1]))
    assert summary == {
        "peak_phantom_ratio": 2.5,
        "peak_phantom_month": 25,
        "phantom_ratio_shortage": pytest.approx(210 / 120),
        "shortage_months": 4,
        "backlog_drop_1q": pytest.approx(0.7),
        "phantom_drop_1q": pytest.approx(0.6),
        "collapse_month": 25,
        "capacity_overbuild": 2.0,
        "trough_utilisation": 0.5,
    }
    assert list(summary) == list(SUMMARY_KEYS)
    assert all(type(summary[key]) is float for key in (
        "peak_phantom_ratio", "phantom_ratio_shortage", "backlog_drop_1q", "phantom_drop_1q",
        "capacity_overbuild", "trough_utilisation"))
    assert all(type(summary[key]) is int for key in (
        "peak_phantom_month", "shortage_months", "collapse_month"))


def test_summary_reads_a_mapping_like_a_frame():
    assert summarise(bubble_run()) == summarise(pd.DataFrame(bubble_run()))


def test_summary_collapse_share_is_passed_on():
    assert summarise(bubble_run(), collapse_share=0.6)["collapse_month"] is None
    assert summarise(bubble_run(), collapse_share=0.59)["collapse_month"] == 25


def test_summary_of_an_empty_run():
    summary = summarise(table([], [], [], []))
    assert summary == {
        "peak_phantom_ratio": None,
        "peak_phantom_month": None,
        "phantom_ratio_shortage": None,
        "shortage_months": 0,
        "backlog_drop_1q": 0.0,
        "phantom_drop_1q": 0.0,
        "collapse_month": None,
        "capacity_overbuild": None,
        "trough_utilisation": None,
    }


def test_summary_of_one_month_and_of_all_zeros():
    one = summarise(table([30.0], [10.0], [10.0], [5.0], capacity_fab=[40.0],
                          capacity_hbm=[20.0], utilisation_fab=[0.25]))
    assert one["peak_phantom_ratio"] == 3.0 and one["peak_phantom_month"] == 0
    assert one["phantom_ratio_shortage"] == 3.0 and one["shortage_months"] == 1
    assert one["backlog_drop_1q"] == 0.0 and one["collapse_month"] is None
    assert one["capacity_overbuild"] == 1.0 and one["trough_utilisation"] == 0.25
    zeros = [0.0] * 5
    summary = summarise(table(zeros, zeros, zeros, zeros, zeros, zeros, zeros, zeros))
    assert summary["peak_phantom_ratio"] == 0.0
    assert summary["phantom_ratio_shortage"] is None and summary["shortage_months"] == 0
    assert summary["capacity_overbuild"] == 0.0 and summary["collapse_month"] is None
    json.dumps(summary, allow_nan=False)


def test_summary_without_a_shortage():
    summary = summarise(table([5.0] * 6, [5.0] * 6, [10.0] * 6, [10.0] * 6))
    assert summary["phantom_ratio_shortage"] is None
    assert summary["shortage_months"] == 0
    assert summary["peak_phantom_ratio"] == 0.5


def test_summary_reports_dates_as_text():
    run = bubble_run()
    run["month"] = pd.date_range("2023-01-01", periods=4, freq="MS")
    summary = summarise(pd.DataFrame(run))
    assert summary["peak_phantom_month"].startswith("2023-02-01")
    json.dumps(summary, allow_nan=False)


def test_summary_rejects_bad_tables_by_name():
    run = bubble_run()
    del run["capacity_hbm"]
    with pytest.raises(ValueError, match="capacity_hbm"):
        summarise(run)
    with pytest.raises(ValueError, match="month"):
        summarise({**bubble_run(), "month": [0, 2, 1, 3]})
    with pytest.raises(ValueError, match="month"):
        summarise({**bubble_run(), "month": [0, 1, 2]})
    with pytest.raises(ValueError, match=r"month\[3\]"):
        summarise({**bubble_run(), "month": [0.0, 1.0, 2.0, math.nan]})
    with pytest.raises(ValueError, match="output"):
        summarise({**bubble_run(), "output": [1, 2]})
    with pytest.raises(ValueError, match="unfilled_need"):
        summarise({**bubble_run(), "unfilled_need": [1, -2, 3, 4]})
    with pytest.raises(ValueError, match="utilisation_fab"):
        summarise({**bubble_run(), "utilisation_fab": [1, 2, 0, 0]})
    with pytest.raises(ValueError, match="frame_or_mapping"):
        summarise(42)


# --- properties ------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(run=runs())
def test_outcomes_are_finite_and_in_range(run):
    backlog, unfilled, need, output = run
    ratio = phantom_ratio(backlog, unfilled, need)
    assert ratio.shape == (len(backlog),)
    assert np.isfinite(ratio).all() and (ratio >= 0).all()
    assert (phantom_excess(backlog, unfilled) >= 0).all()
    for drop in (backlog_drop_1q(backlog, output), phantom_drop_1q(backlog, unfilled, output)):
        assert 0.0 <= drop <= 1.0
    shortage = phantom_ratio_shortage(backlog, unfilled, need)
    assert math.isnan(shortage) == (not shortage_mask(unfilled, need).any())
    summary = summarise(table(backlog, unfilled, need, output))
    assert list(summary) == list(SUMMARY_KEYS)
    json.dumps(summary, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(run=runs(), share=st.sampled_from([0.0, 0.1, 0.25, 0.5]), window=st.integers(1, 5))
def test_drops_and_collapse_match_the_references(run, share, window):
    backlog, unfilled, _, output = run
    assert backlog_drop_1q(backlog, output, window) == pytest.approx(
        reference_backlog_drop(backlog, output, window), abs=1e-12)
    assert phantom_drop_1q(backlog, unfilled, output, window) == pytest.approx(
        reference_phantom_drop(backlog, unfilled, output, window), abs=1e-12)
    assert collapse_month(backlog, unfilled, share, window) == reference_collapse_month(
        backlog, unfilled, share, window)


@settings(max_examples=40, deadline=None)
@given(run=runs(values=whole_units))
def test_a_truthful_order_book_has_no_phantom(run):
    unfilled, _, need, output = run
    assert (phantom_excess(unfilled, unfilled) == 0).all()
    assert phantom_drop_1q(unfilled, unfilled, output) == 0.0
    assert collapse_month(unfilled, unfilled, share=0.0) is None
    assert (phantom_ratio(unfilled, unfilled, need) <= 1.0).all()
    shortage = phantom_ratio_shortage(unfilled, unfilled, need)
    assert math.isnan(shortage) or shortage == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(run=runs(), share=st.sampled_from([0.1, 0.25, 0.5]))
def test_a_phantom_drop_above_the_share_implies_a_collapse_month(run, share):
    backlog, unfilled, _, output = run
    if phantom_drop_1q(backlog, unfilled, output) > share:
        assert collapse_month(backlog, unfilled, share) is not None
    wider = collapse_month(backlog, unfilled, share)
    narrower = collapse_month(backlog, unfilled, share / 2)
    assert wider is None or (narrower is not None and narrower <= wider)


@settings(max_examples=40, deadline=None)
@given(run=runs(values=whole_units, min_months=1),
       capacity=st.lists(whole_units, min_size=30, max_size=30),
       scale_exponent=st.integers(-10, 10))
def test_scaling_every_unit_series_leaves_the_outcomes_unchanged(run, capacity, scale_exponent):
    backlog, unfilled, need, output = run
    need = [value + 1.0 for value in need]  # keep need above the floor, which does not scale
    capacity = capacity[:len(backlog)]
    scale = 2.0**scale_exponent  # a power of two scales floats exactly

    def outcomes(factor):
        scaled = [[factor * value for value in series]
                  for series in (backlog, unfilled, need, output, capacity)]
        summary = summarise(table(*scaled[:4], capacity_fab=scaled[4], capacity_hbm=scaled[4]))
        return summary, phantom_ratio(*scaled[:3]).tolist()

    assert outcomes(scale) == outcomes(1.0)

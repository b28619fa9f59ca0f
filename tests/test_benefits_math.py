"""Tests for portfolio.benefits_math: progress, plan status, periods, combination, money from indicators and NPV."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import assume, example, given, strategies as st

from portfolio.benefits_math import (
    BenefitCalculation,
    CashflowYear,
    Direction,
    Frequency,
    MonetisedIndicator,
    MoneyYear,
    Status,
    calculate,
    format_period,
    improvement,
    indicator_money,
    indicator_money_year,
    is_overdue,
    is_period_start,
    money_years,
    next_period_start,
    parse_period,
    period_start,
    periods_of_year,
    planned_value,
    progress_to_target,
    status,
    with_indicator_money,
)
from workflows.vocabulary import Aggregation

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
# Whole numbers keep shift/mirror properties exact, so they can be compared tightly.
integers = st.integers(min_value=-1_000_000, max_value=1_000_000)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
frequencies = st.sampled_from(list(Frequency))
missing = st.sampled_from([None, math.nan])

SEVERITY = {Status.GREEN: 0, Status.AMBER: 1, Status.RED: 2}

PLAN = dict(baseline_date=date(2026, 1, 1), target_date=date(2027, 1, 1))


def light(**overrides):
    arguments = dict(
        baseline=10.0,
        target=20.0,
        direction=Direction.HIGHER,
        latest=15.0,
        latest_date=date(2027, 1, 1),
        amber_tolerance=0.05,
        red_tolerance=0.2,
        **PLAN,
    )
    arguments.update(overrides)
    return status(**arguments)


# --- Enums ------------------------------------------------------------------------------


def test_enum_values():
    assert [d.value for d in Direction] == ["higher", "lower"]
    assert [f.value for f in Frequency] == ["day", "week", "month", "quarter", "year"]
    assert [s.value for s in Status] == ["green", "amber", "red", "unknown"]
    assert Frequency("month") is Frequency.MONTH and Direction.LOWER == "lower"


# --- progress_to_target -----------------------------------------------------------------


def test_progress_falling_example():
    assert progress_to_target(200, 0, 100) == pytest.approx(0.5)


def test_progress_rising_example():
    assert progress_to_target(10, 20, 15) == pytest.approx(0.5)


def test_progress_is_not_clamped():
    assert progress_to_target(10, 20, 25) == pytest.approx(1.5)
    assert progress_to_target(10, 20, 5) == pytest.approx(-0.5)
    assert progress_to_target(200, 0, 250) == pytest.approx(-0.25)


@given(values, values)
def test_progress_at_baseline_is_zero_and_at_target_is_one(baseline, target):
    assume(baseline != target)
    assert progress_to_target(baseline, target, baseline) == 0.0
    assert progress_to_target(baseline, target, target) == 1.0
    # The falling mirror of the same indicator.
    assert progress_to_target(target, baseline, target) == 0.0
    assert progress_to_target(target, baseline, baseline) == 1.0


@given(integers, integers, integers, integers)
def test_progress_invariant_under_shift(baseline, target, latest, shift):
    assume(baseline != target)
    shifted = progress_to_target(baseline + shift, target + shift, latest + shift)
    assert math.isclose(shifted, progress_to_target(baseline, target, latest), rel_tol=1e-12, abs_tol=1e-12)


@given(integers, integers, integers)
def test_mirrored_falling_indicator_matches_rising(baseline, target, latest):
    assume(baseline != target)
    rising = progress_to_target(baseline, target, latest)
    falling = progress_to_target(-baseline, -target, -latest)
    assert math.isclose(rising, falling, rel_tol=1e-12, abs_tol=1e-12)


def test_progress_target_equals_baseline():
    assert progress_to_target(5, 5, 5) == 1.0
    assert progress_to_target(5, 5, 6) == 0.0
    assert progress_to_target(5, 5, 4) == 0.0
    assert progress_to_target(5, 5, 6, direction=Direction.HIGHER) == 1.0
    assert progress_to_target(5, 5, 4, direction=Direction.HIGHER) == 0.0
    assert progress_to_target(5, 5, 4, direction=Direction.LOWER) == 1.0
    assert progress_to_target(5, 5, 6, direction=Direction.LOWER) == 0.0
    assert progress_to_target(5, 5, 5, direction=Direction.LOWER) == 1.0


def test_direction_is_ignored_when_values_imply_it():
    assert progress_to_target(200, 0, 100, direction=Direction.HIGHER) == pytest.approx(0.5)


@given(missing, st.integers(0, 2), values, values)
def test_progress_missing_value_gives_none(gap, position, a, b):
    arguments = [a, b, a]
    arguments[position] = gap
    assert progress_to_target(*arguments) is None


# --- planned_value ----------------------------------------------------------------------


def test_planned_value_linear_examples():
    start, end = date(2026, 1, 1), date(2026, 1, 11)
    assert planned_value(0, 100, start, end, date(2026, 1, 6)) == pytest.approx(50)
    assert planned_value(200, 0, start, end, date(2026, 1, 3)) == pytest.approx(160)
    assert planned_value(0, 100, start, end, date(2025, 6, 1)) == 0
    assert planned_value(0, 100, start, end, start) == 0
    assert planned_value(0, 100, start, end, end) == 100
    assert planned_value(0, 100, start, end, date(2030, 1, 1)) == 100


def test_planned_value_degenerate_dates():
    day = date(2026, 6, 1)
    assert planned_value(1, 9, day, day, day) == 9
    assert planned_value(1, 9, day, day, day - timedelta(days=1)) == 1
    assert planned_value(1, 9, day, day - timedelta(days=10), day - timedelta(days=10)) == 9
    assert planned_value(1, 9, day, day - timedelta(days=10), day - timedelta(days=11)) == 1


@given(values, values, dates, st.integers(0, 4000), dates)
def test_planned_value_between_baseline_and_target(baseline, target, baseline_date, length, on):
    target_date = baseline_date + timedelta(days=length)
    value = planned_value(baseline, target, baseline_date, target_date, on)
    assert min(baseline, target) <= value <= max(baseline, target)


# --- status -----------------------------------------------------------------------------


def test_status_examples_rising():
    # Plan at 2027-01-01 is the target 20; scale is 10.
    assert light(latest=20.0) is Status.GREEN
    assert light(latest=19.5) is Status.GREEN  # 5 % behind
    assert light(latest=19.0) is Status.AMBER  # 10 % behind
    assert light(latest=18.0) is Status.AMBER  # 20 % behind
    assert light(latest=17.0) is Status.RED  # 30 % behind


def test_status_examples_falling():
    # Waiting time 200 -> 0; at mid-year the plan is about 100.
    mid = date(2026, 7, 2)
    args = dict(baseline=200.0, target=0.0, direction=Direction.LOWER, latest_date=mid)
    plan = planned_value(200.0, 0.0, PLAN["baseline_date"], PLAN["target_date"], mid)
    assert light(latest=plan, **args) is Status.GREEN
    assert light(latest=plan + 5, **args) is Status.GREEN
    assert light(latest=plan + 30, **args) is Status.AMBER
    assert light(latest=plan + 50, **args) is Status.RED
    assert light(latest=plan - 80, **args) is Status.GREEN


def test_status_target_equals_baseline_uses_baseline_as_scale():
    args = dict(baseline=100.0, target=100.0)
    assert light(latest=96.0, **args) is Status.GREEN
    assert light(latest=90.0, **args) is Status.AMBER
    assert light(latest=70.0, **args) is Status.RED
    zero = dict(baseline=0.0, target=0.0, direction=Direction.LOWER)
    assert light(latest=0.04, **zero) is Status.GREEN
    assert light(latest=0.1, **zero) is Status.AMBER
    assert light(latest=0.5, **zero) is Status.RED


@given(missing)
def test_status_missing_latest_is_unknown(gap):
    assert light(latest=gap) is Status.UNKNOWN
    assert light(latest=gap, direction=Direction.LOWER) is Status.UNKNOWN


def test_status_missing_date_or_plan_is_unknown():
    assert light(latest_date=None) is Status.UNKNOWN
    assert light(baseline=None) is Status.UNKNOWN
    assert light(target=math.nan) is Status.UNKNOWN


def test_status_tolerance_errors():
    with pytest.raises(ValueError, match="^red tolerance must be at least the amber tolerance$"):
        light(amber_tolerance=0.2, red_tolerance=0.1)
    with pytest.raises(ValueError, match="non-negative"):
        light(amber_tolerance=-0.1, red_tolerance=0.1)
    with pytest.raises(ValueError, match="non-negative"):
        light(amber_tolerance=-0.2, red_tolerance=-0.1)
    # Equal tolerances are allowed: there is simply no amber band.
    assert light(latest=18.0, amber_tolerance=0.1, red_tolerance=0.1) is Status.RED


plan_cases = st.tuples(values, values, dates, st.integers(1, 2000), st.integers(-100, 2100))


@given(plan_cases, st.sampled_from(list(Direction)))
def test_status_green_exactly_on_plan(case, direction):
    baseline, target, baseline_date, length, offset = case
    target_date = baseline_date + timedelta(days=length)
    on = baseline_date + timedelta(days=offset)
    plan = planned_value(baseline, target, baseline_date, target_date, on)
    result = status(
        baseline=baseline,
        target=target,
        baseline_date=baseline_date,
        target_date=target_date,
        direction=direction,
        latest=plan,
        latest_date=on,
        amber_tolerance=0.0,
        red_tolerance=0.0,
    )
    assert result is Status.GREEN


@given(plan_cases, st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_status_ahead_of_plan_is_green(case, ahead):
    baseline, target, baseline_date, length, offset = case
    target_date = baseline_date + timedelta(days=length)
    on = baseline_date + timedelta(days=offset)
    plan = planned_value(baseline, target, baseline_date, target_date, on)
    for direction, latest in ((Direction.HIGHER, plan + ahead), (Direction.LOWER, plan - ahead)):
        result = status(
            baseline=baseline,
            target=target,
            baseline_date=baseline_date,
            target_date=target_date,
            direction=direction,
            latest=latest,
            latest_date=on,
            amber_tolerance=0.0,
            red_tolerance=0.0,
        )
        assert result is Status.GREEN


@given(
    plan_cases,
    st.sampled_from(list(Direction)),
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=2, max_size=6),
    st.floats(min_value=0, max_value=1, allow_nan=False),
    st.floats(min_value=0, max_value=1, allow_nan=False),
)
def test_status_worsens_monotonically_when_further_behind(case, direction, gaps, tol_a, tol_b):
    baseline, target, baseline_date, length, offset = case
    target_date = baseline_date + timedelta(days=length)
    on = baseline_date + timedelta(days=offset)
    plan = planned_value(baseline, target, baseline_date, target_date, on)
    sign = -1 if direction is Direction.HIGHER else 1  # "behind" is below plan when higher is better
    severities = [
        SEVERITY[
            status(
                baseline=baseline,
                target=target,
                baseline_date=baseline_date,
                target_date=target_date,
                direction=direction,
                latest=plan + sign * gap,
                latest_date=on,
                amber_tolerance=min(tol_a, tol_b),
                red_tolerance=max(tol_a, tol_b),
            )
        ]
        for gap in sorted(gaps)
    ]
    assert severities == sorted(severities)


# --- Periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "day", "start"),
    [
        (Frequency.DAY, date(2026, 3, 5), date(2026, 3, 5)),
        (Frequency.WEEK, date(2026, 3, 5), date(2026, 3, 2)),  # Thursday -> Monday
        (Frequency.WEEK, date(2026, 3, 2), date(2026, 3, 2)),
        (Frequency.WEEK, date(2026, 1, 1), date(2025, 12, 29)),
        (Frequency.MONTH, date(2026, 3, 31), date(2026, 3, 1)),
        (Frequency.QUARTER, date(2026, 3, 31), date(2026, 1, 1)),
        (Frequency.QUARTER, date(2026, 4, 1), date(2026, 4, 1)),
        (Frequency.QUARTER, date(2026, 12, 31), date(2026, 10, 1)),
        (Frequency.YEAR, date(2026, 8, 15), date(2026, 1, 1)),
    ],
)
def test_period_start_examples(frequency, day, start):
    assert period_start(frequency, day) == start
    assert is_period_start(frequency, start)
    assert is_period_start(frequency, day) == (day == start)


@pytest.mark.parametrize(
    ("frequency", "start", "following"),
    [
        (Frequency.DAY, date(2026, 12, 31), date(2027, 1, 1)),
        (Frequency.WEEK, date(2025, 12, 29), date(2026, 1, 5)),
        (Frequency.MONTH, date(2026, 12, 1), date(2027, 1, 1)),
        (Frequency.MONTH, date(2026, 1, 1), date(2026, 2, 1)),
        (Frequency.QUARTER, date(2026, 10, 1), date(2027, 1, 1)),
        (Frequency.QUARTER, date(2026, 4, 1), date(2026, 7, 1)),
        (Frequency.YEAR, date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_next_period_start_examples(frequency, start, following):
    assert next_period_start(frequency, start) == following


@given(frequencies, dates)
def test_period_properties(frequency, day):
    start = period_start(frequency, day)
    following = next_period_start(frequency, start)
    assert start <= day < following
    assert is_period_start(frequency, start)
    assert is_period_start(frequency, following)
    assert period_start(frequency, following - timedelta(days=1)) == start


@given(frequencies, dates)
def test_parse_format_round_trip(frequency, day):
    start = period_start(frequency, day)
    text = format_period(frequency, start)
    assert parse_period(frequency, text) == start
    assert parse_period(frequency, f"  {text}\n") == start
    # The first day written as a plain ISO date is accepted for every frequency.
    assert parse_period(frequency, start.isoformat()) == start
    assert format_period(frequency, parse_period(frequency, text)) == text


@pytest.mark.parametrize(
    ("frequency", "start", "text"),
    [
        (Frequency.DAY, date(2026, 3, 5), "2026-03-05"),
        (Frequency.WEEK, date(2026, 1, 26), "2026-W05"),
        (Frequency.WEEK, date(2025, 12, 29), "2026-W01"),
        (Frequency.WEEK, date(2020, 12, 28), "2020-W53"),
        (Frequency.MONTH, date(2026, 3, 1), "2026-03"),
        (Frequency.QUARTER, date(2026, 1, 1), "2026-Q1"),
        (Frequency.QUARTER, date(2026, 10, 1), "2026-Q4"),
        (Frequency.YEAR, date(2026, 1, 1), "2026"),
    ],
)
def test_format_and_parse_examples(frequency, start, text):
    assert format_period(frequency, start) == text
    assert parse_period(frequency, text) == start


@pytest.mark.parametrize(
    ("frequency", "text", "message"),
    [
        (Frequency.MONTH, "2026-13", "'2026-13' is not a month period; expected YYYY-MM"),
        (Frequency.MONTH, " 2026-03-05 ", "'2026-03-05' is not a month period; expected YYYY-MM"),
        (Frequency.MONTH, "March 2026", "'March 2026' is not a month period; expected YYYY-MM"),
        (Frequency.DAY, "2026-02-30", "'2026-02-30' is not a day period; expected YYYY-MM-DD"),
        (Frequency.DAY, "20260305", "'20260305' is not a day period; expected YYYY-MM-DD"),
        (Frequency.DAY, "", "'' is not a day period; expected YYYY-MM-DD"),
        (Frequency.WEEK, "2026-W54", "'2026-W54' is not a week period; expected YYYY-Www"),
        (Frequency.WEEK, "2025-W53", "'2025-W53' is not a week period; expected YYYY-Www"),
        (Frequency.WEEK, "2026-03-05", "'2026-03-05' is not a week period; expected YYYY-Www"),
        (Frequency.WEEK, "2026-W5", "'2026-W5' is not a week period; expected YYYY-Www"),
        (Frequency.QUARTER, "2026-Q5", "'2026-Q5' is not a quarter period; expected YYYY-Qn"),
        (Frequency.QUARTER, "2026-02-01", "'2026-02-01' is not a quarter period; expected YYYY-Qn"),
        (Frequency.QUARTER, "2026-03", "'2026-03' is not a quarter period; expected YYYY-Qn"),
        (Frequency.YEAR, "26", "'26' is not a year period; expected YYYY"),
        (Frequency.YEAR, "2026-02-01", "'2026-02-01' is not a year period; expected YYYY"),
    ],
)
def test_parse_period_errors(frequency, text, message):
    with pytest.raises(ValueError) as error:
        parse_period(frequency, text)
    assert str(error.value) == message


def test_parse_period_accepts_first_day_dates():
    assert parse_period(Frequency.WEEK, "2026-03-02") == date(2026, 3, 2)
    assert parse_period(Frequency.MONTH, "2026-03-01") == date(2026, 3, 1)
    assert parse_period(Frequency.QUARTER, "2026-07-01") == date(2026, 7, 1)
    assert parse_period(Frequency.YEAR, "2026-01-01") == date(2026, 1, 1)
    assert parse_period("month", "2026-03") == date(2026, 3, 1)


def test_format_period_rejects_a_date_inside_a_period():
    with pytest.raises(ValueError, match="not the first day of a month period"):
        format_period(Frequency.MONTH, date(2026, 3, 5))


# --- is_overdue -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "last_period", "today", "grace", "expected"),
    [
        # Day: completed period is yesterday.
        (Frequency.DAY, date(2026, 3, 4), date(2026, 3, 5), 0, False),
        (Frequency.DAY, date(2026, 3, 3), date(2026, 3, 5), 0, True),
        (Frequency.DAY, None, date(2026, 3, 5), 0, True),
        (Frequency.DAY, date(2026, 3, 3), date(2026, 3, 5), 1, False),
        # Week: today Thursday 2026-03-05, completed week starts Monday 2026-02-23.
        (Frequency.WEEK, date(2026, 2, 23), date(2026, 3, 5), 0, False),
        (Frequency.WEEK, date(2026, 2, 16), date(2026, 3, 5), 0, True),
        (Frequency.WEEK, date(2026, 2, 16), date(2026, 3, 5), 3, True),  # 4th day of the week
        (Frequency.WEEK, date(2026, 2, 16), date(2026, 3, 5), 4, False),
        # Month: today 2026-03-05, completed month is February.
        (Frequency.MONTH, date(2026, 2, 1), date(2026, 3, 5), 0, False),
        (Frequency.MONTH, date(2026, 3, 1), date(2026, 3, 5), 0, False),  # newer than needed
        (Frequency.MONTH, date(2026, 1, 1), date(2026, 3, 5), 0, True),
        (Frequency.MONTH, date(2026, 1, 1), date(2026, 3, 5), 4, True),
        (Frequency.MONTH, date(2026, 1, 1), date(2026, 3, 5), 5, False),
        (Frequency.MONTH, None, date(2026, 3, 1), 0, True),
        (Frequency.MONTH, None, date(2026, 3, 1), 1, False),
        # Quarter: today 2026-05-15, completed quarter is Q1.
        (Frequency.QUARTER, date(2026, 1, 1), date(2026, 5, 15), 0, False),
        (Frequency.QUARTER, date(2025, 10, 1), date(2026, 5, 15), 0, True),
        (Frequency.QUARTER, date(2025, 10, 1), date(2026, 5, 15), 30, True),
        (Frequency.QUARTER, date(2025, 10, 1), date(2026, 4, 10), 30, False),
        # Year: today 2026-02-01, completed year is 2025.
        (Frequency.YEAR, date(2025, 1, 1), date(2026, 2, 1), 0, False),
        (Frequency.YEAR, date(2024, 1, 1), date(2026, 2, 1), 0, True),
        (Frequency.YEAR, None, date(2026, 2, 1), 60, False),
        (Frequency.YEAR, None, date(2026, 2, 1), 31, True),
    ],
)
def test_is_overdue_examples(frequency, last_period, today, grace, expected):
    assert is_overdue(frequency, last_period, today, grace_days=grace) is expected


def test_is_overdue_rejects_negative_grace():
    with pytest.raises(ValueError, match="grace days must not be negative"):
        is_overdue(Frequency.DAY, None, date(2026, 3, 5), grace_days=-1)


@given(frequencies, dates, st.integers(0, 400))
def test_is_overdue_never_when_completed_period_has_value(frequency, today, grace):
    completed = period_start(frequency, period_start(frequency, today) - timedelta(days=1))
    assert not is_overdue(frequency, completed, today, grace)
    assert is_overdue(frequency, None, today, 0)


# --- calculate (nyttokalkyl) ------------------------------------------------------------


def test_calculate_hand_computed_example():
    result = calculate(
        [
            CashflowYear(2028, benefit=60),
            CashflowYear(2026, investment=100),
            CashflowYear(2027, benefit=60),
        ],
        discount_rate=0.03,
    )
    assert isinstance(result, BenefitCalculation)
    assert [row.year for row in result.rows] == [2026, 2027, 2028]
    assert result.rows[0].discount_factor == 1.0
    assert result.rows[1].discount_factor == pytest.approx(1 / 1.03)
    assert result.rows[2].discount_factor == pytest.approx(1 / 1.03**2)
    assert [row.net for row in result.rows] == [-100, 60, 60]
    assert result.rows[1].discounted_net == pytest.approx(58.2524272)
    assert result.rows[1].cumulative_discounted_net == pytest.approx(-41.7475728)
    assert result.npv == pytest.approx(-100 + 60 / 1.03 + 60 / 1.03**2)
    assert result.npv == pytest.approx(14.8081817)
    assert result.rows[-1].cumulative_discounted_net == result.npv
    assert result.npv_low == result.npv == result.npv_high
    assert result.payback_year == 2028
    assert result.discount_rate == 0.03


def test_calculate_low_and_high():
    result = calculate(
        [
            CashflowYear(2026, investment=100, operation=10),
            CashflowYear(2027, operation=10, benefit=80, benefit_low=40, benefit_high=120),
        ],
        discount_rate=0.0,
    )
    assert result.npv == pytest.approx(-40)
    assert result.npv_low == pytest.approx(-80)
    assert result.npv_high == pytest.approx(0)
    assert result.payback_year is None


def test_calculate_default_rate_and_gaps():
    result = calculate([CashflowYear(2026, investment=10), CashflowYear(2028, benefit=20)])
    assert result.discount_rate == 0.03
    # The gap year still counts when discounting.
    assert result.rows[1].discount_factor == pytest.approx(1 / 1.03**2)


def test_calculate_payback_first_year_when_never_negative():
    result = calculate([CashflowYear(2026, benefit=5), CashflowYear(2027, benefit=5)])
    assert result.payback_year == 2026


def test_calculate_payback_none_when_never_positive():
    result = calculate([CashflowYear(2026, investment=100), CashflowYear(2027, benefit=50, operation=10)])
    assert result.payback_year is None
    assert result.npv < 0


def test_calculate_empty():
    result = calculate([])
    assert result.rows == []
    assert result.npv == result.npv_low == result.npv_high == 0
    assert result.payback_year is None


@pytest.mark.parametrize("rate", [-1, -1.5, math.nan, math.inf])
def test_calculate_rejects_bad_rate(rate):
    with pytest.raises(ValueError, match="^discount rate must be a finite number greater than -1$"):
        calculate([CashflowYear(2026)], discount_rate=rate)


def test_calculate_rejects_duplicate_years():
    with pytest.raises(ValueError, match="^year 2026 appears more than once$"):
        calculate([CashflowYear(2026, investment=1), CashflowYear(2027), CashflowYear(2026, benefit=1)])


@pytest.mark.parametrize("row", [CashflowYear(2027, investment=-1), CashflowYear(2027, operation=-0.5)])
def test_calculate_rejects_negative_costs(row):
    with pytest.raises(ValueError, match="^costs for year 2027 must not be negative$"):
        calculate([CashflowYear(2026), row])


def test_calculate_rejects_non_finite_amounts():
    with pytest.raises(ValueError, match="^amounts for year 2026 must be finite numbers$"):
        calculate([CashflowYear(2026, benefit=math.nan)])


costs = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@st.composite
def cashflows(draw, with_range=False):
    years = draw(st.lists(st.integers(2000, 2060), unique=True, max_size=8))
    rows = []
    for year in years:
        benefit = draw(values)
        low = high = None
        if with_range:
            low = benefit - draw(costs)
            high = benefit + draw(costs)
        rows.append(CashflowYear(year, draw(costs), draw(costs), benefit, low, high))
    return rows


@given(cashflows())
def test_zero_rate_equals_plain_sum(rows):
    result = calculate(rows, discount_rate=0.0)
    plain = math.fsum(row.benefit - row.investment - row.operation for row in rows)
    assert math.isclose(result.npv, plain, rel_tol=1e-9, abs_tol=1e-3)
    assert all(row.discount_factor == 1.0 for row in result.rows)


@given(cashflows(with_range=True), st.floats(min_value=0, max_value=0.2, allow_nan=False))
def test_low_npv_high_ordering(rows, rate):
    result = calculate(rows, discount_rate=rate)
    assert result.npv_low <= result.npv <= result.npv_high


@given(cashflows(), st.floats(min_value=0, max_value=0.2, allow_nan=False))
def test_payback_year_is_first_non_negative_cumulative(rows, rate):
    result = calculate(rows, discount_rate=rate)
    assert result.npv == (result.rows[-1].cumulative_discounted_net if result.rows else 0)
    reached = [row.year for row in result.rows if row.cumulative_discounted_net >= 0]
    assert result.payback_year == (reached[0] if reached else None)
    assert [row.year for row in result.rows] == sorted(row.year for row in rows)


# --- money from indicators --------------------------------------------------------------

# Waiting time per visit, measured once a year: baseline 40 minutes on 2025-01-01, target 25 minutes on
# 2028-01-01 (lower is better, a mean across units), 1,200 visits a year, 850 SEK per minute and visit.
def _table(money: dict[int, MoneyYear]) -> dict[int, tuple]:
    """Each year's planned, realised and expected money, to the öre."""
    return {year: tuple(None if x is None else round(x, 2) for x in (m.planned, m.realised, m.expected))
            for year, m in money.items()}


WAITS = MonetisedIndicator(
    direction=Direction.LOWER, frequency=Frequency.YEAR, aggregation=Aggregation.MEAN,
    baseline=40, target=25, baseline_date=date(2025, 1, 1), target_date=date(2028, 1, 1),
    money_per_unit=850, volume_per_year=1200,
    measured=((date(2026, 1, 1), 36.0), (date(2027, 1, 1), 31.0)),
)


def test_money_of_a_yearly_indicator_by_hand():
    # The planned path falls 15 minutes over 3 × 365 days, 5 minutes a year: 40, 35, 30, 25 on the first
    # day of 2025 ... 2028, and stays at 25 after. One minute saved is worth 850 × 1,200 = 1,020,000 SEK.
    #   planned:  2025: 0 min → 0;  2026: 5 → 5,100,000;  2027: 10 → 10,200,000;  2028 and 2029: 15 → 15,300,000
    #   realised: 2026: 40 − 36 = 4 → 4,080,000;  2027: 40 − 31 = 9 → 9,180,000;  2028: not measured
    #   expected: the realised figure where measured, else the planned one
    assert money_years([WAITS]) == [2025, 2026, 2027, 2028]
    money = indicator_money([WAITS], [2025, 2026, 2027, 2028, 2029])
    assert _table(money) == {
        2025: (0, None, 0),
        2026: (5_100_000, 4_080_000, 4_080_000),
        2027: (10_200_000, 9_180_000, 9_180_000),
        2028: (15_300_000, None, 15_300_000),
        2029: (15_300_000, None, 15_300_000),
    }


def test_money_of_a_weekly_sum_indicator_measured_for_part_of_a_year_by_hand():
    # Calls the chatbot answers per week (a count: the weeks add up), higher is better: baseline 0 on
    # Monday 2026-01-05, target 100 on Monday 2026-03-16, ten weeks later; 120 SEK per call, and the count
    # already holds every call, so the volume is 1.
    #   2026 has 52 Mondays (Jan 5 ... Dec 28). Planned: 0, 10, 20, ... 100 on the first 11 Mondays (sum 550),
    #   then 100 on each of the other 41 (4,100): 4,650 calls → 558,000 SEK.
    #   Measured weeks Jan 12, 19, 26, Feb 2: 5 + 25 + 30 + 35 = 95 calls → realised 11,400 SEK.
    #   Expected: the plan with those four weeks replaced by what was measured: 4,650 − (10 + 20 + 30 + 40)
    #   + 95 = 4,645 calls → 557,400 SEK.
    #   2025: its Mondays lie before the baseline: 0. 2027: 52 Mondays at 100: 5,200 calls → 624,000 SEK.
    calls = MonetisedIndicator(
        direction=Direction.HIGHER, frequency=Frequency.WEEK, aggregation=Aggregation.SUM,
        baseline=0, target=100, baseline_date=date(2026, 1, 5), target_date=date(2026, 3, 16),
        money_per_unit=120, volume_per_year=1,
        measured=((date(2026, 1, 12), 5.0), (date(2026, 1, 19), 25.0), (date(2026, 1, 26), 30.0),
                  (date(2026, 2, 2), 35.0)),
    )
    money = indicator_money([calls], [2025, 2026, 2027])
    assert _table(money) == {
        2025: (0, None, 0),
        2026: (558_000, 11_400, 557_400),
        2027: (624_000, None, 624_000),
    }


def test_a_dis_benefit_costs_money_and_indicators_add_up_by_hand():
    # Beside WAITS, a dis-benefit: minutes of documentation per visit rise from 10 (2025-01-01) to the
    # accepted 13 (2028-01-01), one minute a year, at the same 850 SEK × 1,200 visits: −1,020,000 a year.
    # Measured 2026: 11.5 → 1.5 minutes → −1,530,000.
    #   2026: planned 5,100,000 − 1,020,000 = 4,080,000; realised 4,080,000 − 1,530,000 = 2,550,000
    #   2028: planned 15,300,000 − 3,060,000 = 12,240,000; neither is measured: realised None
    documentation = MonetisedIndicator(
        direction=Direction.HIGHER, frequency=Frequency.YEAR, aggregation=Aggregation.MEAN,
        baseline=10, target=13, baseline_date=date(2025, 1, 1), target_date=date(2028, 1, 1),
        money_per_unit=850, volume_per_year=1200, dis_benefit=True, measured=((date(2026, 1, 1), 11.5),),
    )
    money = indicator_money([WAITS, documentation], [2026, 2027, 2028])
    # 2027: WAITS is measured (9,180,000), documentation is not: its plan (−2,040,000) fills the expectation.
    assert _table(money) == {
        2026: (4_080_000, 2_550_000, 2_550_000),
        2027: (10_200_000 - 2_040_000, 9_180_000, 9_180_000 - 2_040_000),
        2028: (12_240_000, None, 12_240_000),
    }


def test_a_calculation_from_indicators_by_hand():
    # WAITS's expected money as the benefit of 2025-2028; 6,000,000 invested in 2025, 500,000 operation a year.
    #   net: −6,500,000; 4,080,000 − 500,000 = 3,580,000; 8,680,000; 15,300,000 − 500,000 = 14,800,000
    #   discounted at 3 %: −6,500,000; 3,580,000 / 1.03 = 3,475,728.16; 8,680,000 / 1.0609 = 8,181,732.49;
    #   14,800,000 / 1.092727 = 13,544,096.56; cumulative −6,500,000, −3,024,271.84, 5,157,460.65 (payback
    #   2027), 18,701,557.21 = the NPV.
    # 2027's typed range 8,000,000-10,000,000 holds its figure; 2028's typed high (14,000,000) lies below its
    # figure, so it widens to 15,300,000; a year typed by hand keeps its figure.
    years = [
        CashflowYear(2025, investment=6_000_000, operation=500_000, from_indicators=True),
        CashflowYear(2026, operation=500_000, from_indicators=True),
        CashflowYear(2027, operation=500_000, benefit_low=8_000_000, benefit_high=10_000_000, from_indicators=True),
        CashflowYear(2028, operation=500_000, benefit_high=14_000_000, from_indicators=True),
        CashflowYear(2029, operation=500_000, benefit=1_000_000),
    ]
    money = indicator_money([WAITS], money_years([WAITS]) + [2029])
    used = with_indicator_money(years, money)
    assert [(y.benefit, y.benefit_low, y.benefit_high) for y in used] == [
        (0, None, None), (pytest.approx(4_080_000), None, None),
        (pytest.approx(9_180_000), 8_000_000, 10_000_000),
        (pytest.approx(15_300_000), None, pytest.approx(15_300_000)),
        (1_000_000, None, None),
    ]
    result = calculate(used[:4], discount_rate=0.03)
    assert [r.discounted_net for r in result.rows] == pytest.approx(
        [-6_500_000, 3_475_728.16, 8_181_732.49, 13_544_096.56])
    assert [r.cumulative_discounted_net for r in result.rows] == pytest.approx(
        [-6_500_000, -3_024_271.84, 5_157_460.65, 18_701_557.21])
    assert result.npv == pytest.approx(18_701_557.21)
    assert result.payback_year == 2027


def test_a_marked_year_without_a_figure_keeps_its_stored_benefit():
    assert with_indicator_money([CashflowYear(2026, benefit=7, from_indicators=True)], {}) == [
        CashflowYear(2026, benefit=7, from_indicators=True)]


def test_measurements_before_the_baseline_are_not_realised():
    history = MonetisedIndicator(**{**WAITS.__dict__, "baseline_date": date(2025, 6, 1),
                                    "measured": ((date(2025, 1, 1), 30.0),)})
    assert indicator_money_year(history, 2025).realised is None


@pytest.mark.parametrize("frequency, year, count, first, last", [
    (Frequency.DAY, 2024, 366, date(2024, 1, 1), date(2024, 12, 31)),
    (Frequency.DAY, 2026, 365, date(2026, 1, 1), date(2026, 12, 31)),
    (Frequency.WEEK, 2026, 52, date(2026, 1, 5), date(2026, 12, 28)),
    (Frequency.WEEK, 2018, 53, date(2018, 1, 1), date(2018, 12, 31)),
    (Frequency.MONTH, 2026, 12, date(2026, 1, 1), date(2026, 12, 1)),
    (Frequency.QUARTER, 2026, 4, date(2026, 1, 1), date(2026, 10, 1)),
    (Frequency.YEAR, 2026, 1, date(2026, 1, 1), date(2026, 1, 1)),
])
def test_periods_of_year(frequency, year, count, first, last):
    periods = periods_of_year(frequency, year)
    assert (len(periods), periods[0], periods[-1]) == (count, first, last)
    assert all(next_period_start(frequency, a) == b for a, b in zip(periods, periods[1:]))


def test_improvement_is_direction_aware():
    assert improvement(Direction.LOWER, 40, 36) == 4
    assert improvement(Direction.HIGHER, 40, 36) == -4


plan_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
amounts = st.floats(min_value=0, max_value=1e4, allow_nan=False)
levels = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)


@st.composite
def monetised(draw, measured=True):
    """An indicator whose target lies on the side its direction points to, as validation demands."""
    direction = draw(st.sampled_from(list(Direction)))
    baseline = draw(levels)
    step = draw(st.floats(min_value=0, max_value=1e4, allow_nan=False))
    target = baseline + step if direction is Direction.HIGHER else baseline - step
    baseline_date = draw(plan_dates)
    target_date = baseline_date + timedelta(days=draw(st.integers(1, 4 * 366)))
    frequency = draw(st.sampled_from([Frequency.WEEK, Frequency.MONTH, Frequency.QUARTER, Frequency.YEAR]))
    values = {}
    if measured:
        for day in draw(st.lists(st.dates(min_value=baseline_date, max_value=target_date), max_size=8)):
            values[period_start(frequency, day)] = draw(levels)
    return MonetisedIndicator(
        direction=direction, frequency=frequency, aggregation=draw(st.sampled_from(list(Aggregation))),
        baseline=baseline, target=target, baseline_date=baseline_date, target_date=target_date,
        money_per_unit=draw(amounts), volume_per_year=draw(amounts), dis_benefit=draw(st.booleans()),
        measured=tuple(sorted(values.items())),
    )


def _figures(money: MoneyYear) -> tuple:
    return (money.planned, money.realised, money.expected)


def _close(a: MoneyYear, b: MoneyYear, factor: float = 1.0) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None
                                              and math.isclose(x * factor, y, rel_tol=1e-9, abs_tol=1e-6))
               for x, y in zip(_figures(a), _figures(b)))


@given(monetised(), st.integers(2019, 2036))
def test_money_doubles_with_the_volume_and_turns_negative_for_a_dis_benefit(indicator, year):
    money = indicator_money_year(indicator, year)
    doubled = MonetisedIndicator(**{**indicator.__dict__, "volume_per_year": 2 * indicator.volume_per_year})
    flipped = MonetisedIndicator(**{**indicator.__dict__, "dis_benefit": not indicator.dis_benefit})
    assert _close(money, indicator_money_year(doubled, year), 2.0)
    assert _close(money, indicator_money_year(flipped, year), -1.0)


@given(monetised(), st.integers(2019, 2036))
def test_a_falling_indicator_is_worth_what_its_mirror_image_is(indicator, year):
    mirror = MonetisedIndicator(**{
        **indicator.__dict__, "baseline": -indicator.baseline, "target": -indicator.target,
        "direction": Direction.LOWER if indicator.direction is Direction.HIGHER else Direction.HIGHER,
        "measured": tuple((period, -value) for period, value in indicator.measured)})
    assert _close(indicator_money_year(indicator, year), indicator_money_year(mirror, year))


@given(monetised(measured=False), st.integers(2019, 2036))
def test_planned_money_lies_between_nothing_and_the_target_reached_all_year(indicator, year):
    money = indicator_money_year(indicator, year)
    periods = len(periods_of_year(indicator.frequency, year)) if indicator.aggregation is Aggregation.SUM else 1
    full = abs(indicator.target - indicator.baseline) * periods * abs(indicator.money_per_improvement)
    assert -1e-6 <= abs(money.planned) <= full * (1 + 1e-9) + 1e-6
    # Nothing is measured: nothing realised, and the plan is what is expected.
    assert money.realised is None and money.expected == money.planned
    if year > indicator.target_date.year:
        assert math.isclose(abs(money.planned), full, rel_tol=1e-9, abs_tol=1e-6)
    if year < indicator.baseline_date.year or (year == indicator.baseline_date.year
                                               and indicator.frequency is Frequency.YEAR):
        assert money.planned == 0


@given(monetised(measured=False), st.integers(2019, 2035))
# Past the target date, two years' equal sums that differed in their last bit (8,588,202,731.4995...).
@example(MonetisedIndicator(direction=Direction.HIGHER, frequency=Frequency.WEEK, aggregation=Aggregation.SUM,
                            baseline=1334.0, target=4096.723647783438, baseline_date=date(2020, 1, 1),
                            target_date=date(2020, 1, 2), money_per_unit=1256.0, volume_per_year=2475.0,
                            dis_benefit=False, measured=()), 2029)
def test_planned_money_of_a_mean_never_falls_from_one_year_to_the_next(indicator, year):
    indicator = MonetisedIndicator(**{**indicator.__dict__, "aggregation": Aggregation.MEAN, "dis_benefit": False})
    this, following = indicator_money_year(indicator, year), indicator_money_year(indicator, year + 1)
    # The two years' sums are equal once the target date has passed; they may then differ in the last bit.
    assert following.planned >= this.planned or math.isclose(following.planned, this.planned, rel_tol=1e-12)


@given(monetised(measured=False), st.integers(1, 5))
def test_measurements_on_the_plan_realise_the_planned_money(indicator, years_after_baseline):
    year = indicator.baseline_date.year + years_after_baseline
    on_plan = tuple((period, planned_value(indicator.baseline, indicator.target, indicator.baseline_date,
                                           indicator.target_date, period))
                    for period in periods_of_year(indicator.frequency, year))
    money = indicator_money_year(MonetisedIndicator(**{**indicator.__dict__, "measured": on_plan}), year)
    # Every period of a year after the baseline's is measured, so the realised money is the expected money.
    assert math.isclose(money.realised, money.expected, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(money.realised, money.planned, rel_tol=1e-9, abs_tol=1e-6)


@given(st.lists(monetised(), max_size=4), st.lists(st.integers(2019, 2036), max_size=5))
def test_indicators_add_up(indicators, years):
    money = indicator_money(indicators, years)
    assert sorted(money) == sorted(set(years))
    for year, total in money.items():
        alone = [indicator_money_year(i, year) for i in indicators]
        assert math.isclose(total.planned, math.fsum(m.planned for m in alone), rel_tol=1e-9, abs_tol=1e-6)
        assert math.isclose(total.expected, math.fsum(m.expected for m in alone), rel_tol=1e-9, abs_tol=1e-6)
        realised = [m.realised for m in alone if m.realised is not None]
        assert (total.realised is None) == (not realised)


@given(st.lists(monetised(), min_size=1, max_size=3), cashflows(with_range=True), st.data())
def test_marked_years_take_the_expected_money_within_their_range(indicators, rows, data):
    marks = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    rows = [CashflowYear(**{**row.__dict__, "from_indicators": mark}) for row, mark in zip(rows, marks)]
    money = indicator_money(indicators, [row.year for row in rows])
    for row, used in zip(rows, with_indicator_money(rows, money)):
        if not row.from_indicators:
            assert used == row
            continue
        assert used.benefit == money[row.year].expected
        assert used.low <= used.benefit <= used.high
        assert (used.year, used.investment, used.operation) == (row.year, row.investment, row.operation)

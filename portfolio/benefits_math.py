"""Pure arithmetic for benefits tracking: progress, plan status, periods, the money an indicator's
improvement is worth, and the benefit calculation.

Nothing here touches the database, Streamlit or the file system, so every function can be
tested in isolation and reused from pages, the CLI and background jobs alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Iterable, Mapping, Optional

from workflows.vocabulary import Aggregation, Direction, Frequency, IndicatorStatus

# The traffic light of an indicator compared with its planned path, by its name here.
Status = IndicatorStatus


def _missing(value: float | None) -> bool:
    # NaN arrives from pandas for empty cells; treat it exactly like None.
    return value is None or math.isnan(value)


# --- Progress and plan --------------------------------------------------------------------


def progress_to_target(
    baseline: float | None,
    target: float | None,
    latest: float | None,
    *,
    direction: Direction | None = None,
) -> float | None:
    """Return progress from baseline towards target as a fraction: (latest - baseline) / (target - baseline).

    Direction-aware by construction: a falling indicator 200 -> 0 that stands at 100 gives 0.5.
    The result is NOT clamped: it is negative when latest moved the wrong way and above 1 when
    the target was overshot. Returns None when any value is None or NaN.

    When target == baseline there is no distance to cover: the result is 1.0 if latest equals
    the target; otherwise, with ``direction`` given, 1.0 if latest is at least as good as the
    target and 0.0 if worse; without ``direction`` 0.0. ``direction`` is ignored otherwise,
    because baseline and target already imply it.
    """
    if _missing(baseline) or _missing(target) or _missing(latest):
        return None
    if target == baseline:
        if latest == target:
            return 1.0
        if direction is None:
            return 0.0
        better_or_equal = latest >= target if Direction(direction) is Direction.HIGHER else latest <= target
        return 1.0 if better_or_equal else 0.0
    return (latest - baseline) / (target - baseline)


def planned_value(
    baseline: float,
    target: float,
    baseline_date: date,
    target_date: date,
    on: date,
) -> float:
    """Return the planned value on a date: linear from (baseline_date, baseline) to (target_date, target).

    Before baseline_date the plan is the baseline, from target_date on it is the target. If
    target_date <= baseline_date the plan jumps: target from target_date on, baseline before.
    """
    if target_date <= baseline_date or on >= target_date:
        return target if on >= target_date else baseline
    if on <= baseline_date:
        return baseline
    fraction = (on - baseline_date).days / (target_date - baseline_date).days
    value = baseline + (target - baseline) * fraction
    # Rounding in (target - baseline) * fraction can step a hair outside the segment; clamp it.
    return min(max(value, min(baseline, target)), max(baseline, target))


def status(
    *,
    baseline: float | None,
    target: float | None,
    baseline_date: date,
    target_date: date,
    direction: Direction,
    latest: float | None,
    latest_date: date | None,
    amber_tolerance: float,
    red_tolerance: float,
) -> Status:
    """Return the traffic light for ``latest`` measured on ``latest_date`` against the planned path.

    The shortfall is how far latest lies behind ``planned_value(..., on=latest_date)`` in the
    worse direction, as a fraction of |target - baseline| (if target == baseline, of |baseline|,
    or of 1.0 when the baseline is 0). Being on or ahead of plan is a shortfall of 0.
    shortfall <= amber_tolerance -> GREEN, <= red_tolerance -> AMBER, otherwise RED.
    Tolerances are fractions (0.05 = 5 %). A missing (None/NaN) latest, baseline or target, or a
    missing latest_date, gives UNKNOWN.

    Raises ValueError for a negative tolerance or when red_tolerance < amber_tolerance.
    """
    if _missing(amber_tolerance) or _missing(red_tolerance) or amber_tolerance < 0 or red_tolerance < 0:
        raise ValueError("tolerances must be non-negative numbers")
    if red_tolerance < amber_tolerance:
        raise ValueError("red tolerance must be at least the amber tolerance")
    if _missing(latest) or _missing(baseline) or _missing(target) or latest_date is None:
        return Status.UNKNOWN

    plan = planned_value(baseline, target, baseline_date, target_date, latest_date)
    behind = plan - latest if Direction(direction) is Direction.HIGHER else latest - plan
    scale = abs(target - baseline) or abs(baseline) or 1.0
    shortfall = max(behind, 0.0) / scale
    if shortfall <= amber_tolerance:
        return Status.GREEN
    if shortfall <= red_tolerance:
        return Status.AMBER
    return Status.RED


# --- Periods ------------------------------------------------------------------------------


def period_start(frequency: Frequency, day: date) -> date:
    """Return the first day of the period containing ``day`` (Monday, 1st of month, quarter or year)."""
    frequency = Frequency(frequency)
    if frequency is Frequency.DAY:
        return day
    if frequency is Frequency.WEEK:
        return day - timedelta(days=day.weekday())
    if frequency is Frequency.MONTH:
        return day.replace(day=1)
    if frequency is Frequency.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def is_period_start(frequency: Frequency, day: date) -> bool:
    """Return True if ``day`` is the first day of its period (the day that identifies the period)."""
    return period_start(frequency, day) == day


def next_period_start(frequency: Frequency, start: date) -> date:
    """Return the first day of the period after the one containing ``start``."""
    frequency = Frequency(frequency)
    start = period_start(frequency, start)
    if frequency is Frequency.DAY:
        return start + timedelta(days=1)
    if frequency is Frequency.WEEK:
        return start + timedelta(days=7)
    if frequency is Frequency.YEAR:
        return date(start.year + 1, 1, 1)
    months = 1 if frequency is Frequency.MONTH else 3
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# Canonical text form per frequency, as named in parse error messages (each Frequency carries its own).
PERIOD_FORMATS = {frequency: frequency.period_format for frequency in Frequency}

# Strict patterns: date.fromisoformat also accepts forms like 20260305 that users should not type.
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_QUARTER_RE = re.compile(r"(\d{4})-Q([1-4])")
_YEAR_RE = re.compile(r"(\d{4})")


def _parse_date(text: str) -> date | None:
    match = _DATE_RE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _parse_short_form(frequency: Frequency, text: str) -> date | None:
    try:
        if frequency is Frequency.WEEK and (match := _WEEK_RE.fullmatch(text)):
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        if frequency is Frequency.MONTH and (match := _MONTH_RE.fullmatch(text)):
            return date(int(match[1]), int(match[2]), 1)
        if frequency is Frequency.QUARTER and (match := _QUARTER_RE.fullmatch(text)):
            return date(int(match[1]), 3 * (int(match[2]) - 1) + 1, 1)
        if frequency is Frequency.YEAR and (match := _YEAR_RE.fullmatch(text)):
            return date(int(match[1]), 1, 1)
    except ValueError:
        # Out-of-range parts (week 54, month 13, year 0000) are reported like any other bad text.
        return None
    return None


def parse_period(frequency: Frequency, text: str) -> date:
    """Parse a period written as text and return its first day.

    Accepted forms (surrounding whitespace is ignored):

    - day: ``YYYY-MM-DD``
    - week: ``YYYY-Www`` (ISO week, e.g. ``2026-W05``) or a Monday as ``YYYY-MM-DD``
    - month: ``YYYY-MM`` or the 1st of the month as ``YYYY-MM-DD``
    - quarter: ``YYYY-Qn`` (n = 1-4) or the quarter's first day as ``YYYY-MM-DD``
    - year: ``YYYY`` or ``YYYY-01-01``

    Anything else raises ValueError with the message
    ``"'<text>' is not a <frequency> period; expected <format>"``, where <text> is the stripped
    input and <format> is the canonical form above (``YYYY-MM-DD``, ``YYYY-Www``, ``YYYY-MM``,
    ``YYYY-Qn`` or ``YYYY``), e.g. ``"'2026-13' is not a month period; expected YYYY-MM"``.
    A valid date that does not start a period (e.g. ``2026-03-05`` for a month) is refused too.
    """
    frequency = Frequency(frequency)
    text = text.strip()
    parsed = _parse_short_form(frequency, text)
    if parsed is None:
        day = _parse_date(text)
        if day is not None and is_period_start(frequency, day):
            parsed = day
    if parsed is None:
        raise ValueError(f"'{text}' is not a {frequency.value} period; expected {frequency.period_format}")
    return parsed


def format_period(frequency: Frequency, start: date) -> str:
    """Return the canonical text of the period starting on ``start`` (e.g. ``2026-W05``, ``2026-Q1``).

    Raises ValueError if ``start`` is not the first day of a period, since that usually means
    a caller forgot to normalise with period_start.
    """
    frequency = Frequency(frequency)
    if not is_period_start(frequency, start):
        raise ValueError(f"{start.isoformat()} is not the first day of a {frequency.value} period")
    if frequency is Frequency.DAY:
        return start.isoformat()
    if frequency is Frequency.WEEK:
        iso_year, iso_week, _ = start.isocalendar()
        return f"{iso_year:04d}-W{iso_week:02d}"
    if frequency is Frequency.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if frequency is Frequency.QUARTER:
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def is_overdue(frequency: Frequency, last_period: date | None, today: date, grace_days: int = 0) -> bool:
    """Return True if the measurement for the most recent completed period is overdue.

    The most recent completed period is the one before the period containing ``today``. It is
    missing when ``last_period`` (the start of the latest period that has a value) is None or
    earlier than that completed period's start. A missing value is overdue once more than
    ``grace_days`` whole days have passed since the completed period's last day, i.e. when
    ``today >= period_start(frequency, today) + grace_days days``: with grace_days=0 it is
    overdue from the first day of the current period, with grace_days=5 from its sixth day.
    Raises ValueError for negative grace_days.
    """
    if grace_days < 0:
        raise ValueError("grace days must not be negative")
    current_start = period_start(frequency, today)
    completed_start = period_start(frequency, current_start - timedelta(days=1))
    if last_period is not None and last_period >= completed_start:
        return False
    # Days since the completed period's last day (current_start - 1) must exceed the grace.
    return (today - current_start).days >= grace_days


# --- Money from indicators -----------------------------------------------------------------


@dataclass(frozen=True)
class MonetisedIndicator:
    """An indicator whose improvement is worth money, as plain values.

    ``measured`` holds the indicator's value per period (its first day), already combined across org
    units. One unit of improvement is worth ``money_per_unit`` (the benefit's money value per indicator
    unit) for each of the ``volume_per_year`` cases (visits, patients, ...) it applies to in a year. For a
    dis-benefit the movement from baseline towards target is what it costs, so its money counts negative.
    """

    direction: Direction
    frequency: Frequency
    aggregation: Aggregation
    baseline: float
    target: float
    baseline_date: date
    target_date: date
    money_per_unit: float
    volume_per_year: float
    dis_benefit: bool = False
    measured: tuple[tuple[date, float], ...] = ()

    @property
    def money_per_improvement(self) -> float:
        """What one unit of improvement is worth in a year: money per unit × volume, negative for a dis-benefit."""
        worth = self.money_per_unit * self.volume_per_year
        return -worth if self.dis_benefit else worth


@dataclass(frozen=True)
class MoneyYear:
    """The indicators' money in one calendar year.

    ``planned``: the improvement on the planned path; ``realised``: the improvement of the measured
    periods (None when no period of the year is measured); ``expected``: the year's periods with the
    measured value where there is one and the planned one elsewhere, which is the calculation's proposal.
    """

    year: int
    planned: float
    realised: float | None
    expected: float


def improvement(direction: Direction, baseline: float, value: float) -> float:
    """How far ``value`` lies from ``baseline`` in the better direction (negative when it is worse)."""
    return value - baseline if Direction(direction) is Direction.HIGHER else baseline - value


def periods_of_year(frequency: Frequency, year: int) -> list[date]:
    """The first days of the periods that start in ``year`` (a week belongs to the year of its Monday)."""
    start = period_start(frequency, date(year, 1, 1))
    if start.year < year:
        start = next_period_start(frequency, start)
    periods = []
    while start.year == year:
        periods.append(start)
        start = next_period_start(frequency, start)
    return periods


def _combine(aggregation: Aggregation, values: list[float]) -> float:
    # A year's periods combine as the indicator's values do across org units: a count adds up, a level averages.
    total = math.fsum(values)
    return total if Aggregation(aggregation) is Aggregation.SUM else total / len(values)


def _planned_improvement(indicator: MonetisedIndicator, period: date) -> float:
    plan = planned_value(indicator.baseline, indicator.target, indicator.baseline_date, indicator.target_date, period)
    return improvement(indicator.direction, indicator.baseline, plan)


def indicator_money_year(indicator: MonetisedIndicator, year: int) -> MoneyYear:
    """One indicator's planned, realised and expected money in ``year``.

    A period's planned improvement is read off the planned path on its first day (as its status is);
    the year's periods combine by the indicator's aggregation (sum or mean). Measured periods before
    the baseline date are history, not improvement: they are left out of the realised figure.
    """
    measured = {period: value for period, value in indicator.measured
                if period.year == year and period >= indicator.baseline_date}
    periods = periods_of_year(indicator.frequency, year)
    planned = [_planned_improvement(indicator, period) for period in periods]
    expected = [improvement(indicator.direction, indicator.baseline, measured[period]) if period in measured else plan
                for period, plan in zip(periods, planned)]
    realised = [improvement(indicator.direction, indicator.baseline, value) for value in measured.values()]
    worth = indicator.money_per_improvement
    return MoneyYear(
        year=year,
        planned=_combine(indicator.aggregation, planned) * worth,
        realised=_combine(indicator.aggregation, realised) * worth if realised else None,
        expected=_combine(indicator.aggregation, expected) * worth,
    )


def indicator_money(indicators: Iterable[MonetisedIndicator], years: Iterable[int]) -> dict[int, MoneyYear]:
    """The money of all ``indicators`` together in each of ``years``: each figure is the indicators' sum,
    and a year's realised money is None only when none of them is measured in it."""
    indicators = list(indicators)
    money = {}
    for year in sorted(set(years)):
        per_indicator = [indicator_money_year(indicator, year) for indicator in indicators]
        realised = [m.realised for m in per_indicator if m.realised is not None]
        money[year] = MoneyYear(
            year=year,
            planned=math.fsum(m.planned for m in per_indicator),
            realised=math.fsum(realised) if realised else None,
            expected=math.fsum(m.expected for m in per_indicator),
        )
    return money


def money_years(indicators: Iterable[MonetisedIndicator]) -> list[int]:
    """The years a calculation from ``indicators`` covers: from the first baseline's year to the last
    target's year, or to the last measured year when that is later; none without indicators."""
    indicators = list(indicators)
    if not indicators:
        return []
    first = min(i.baseline_date.year for i in indicators)
    last = max(max(i.target_date.year for i in indicators),
               max((period.year for i in indicators for period, _value in i.measured), default=first))
    return list(range(first, last + 1))


def with_indicator_money(years: Iterable[CashflowYear], money: Mapping[int, MoneyYear]) -> list[CashflowYear]:
    """The calculation's years with the indicators' expected money as the benefit of each year marked
    ``from_indicators``; years typed by hand, and marked years the indicators give no figure for, stay
    as they are. A marked year's low and high benefit widen to include the figure, which moves as
    measurements arrive after the range was typed."""
    result = []
    for row in years:
        figure: Optional[MoneyYear] = money.get(row.year) if row.from_indicators else None
        if figure is None:
            result.append(row)
            continue
        benefit = figure.expected
        low = None if row.benefit_low is None else min(row.benefit_low, benefit)
        high = None if row.benefit_high is None else max(row.benefit_high, benefit)
        result.append(replace(row, benefit=benefit, benefit_low=low, benefit_high=high))
    return result


# --- Benefit calculation (nyttokalkyl) ----------------------------------------------------


@dataclass(frozen=True)
class CashflowYear:
    """One calendar year of the benefit calculation; costs are positive amounts.

    benefit_low / benefit_high are the pessimistic and optimistic benefit; None means ``benefit``.
    ``from_indicators`` marks a year whose expected benefit is the indicators' money (see
    ``with_indicator_money``) rather than a figure typed by hand; ``calculate`` itself ignores it.
    """

    year: int
    investment: float = 0
    operation: float = 0
    benefit: float = 0
    benefit_low: float | None = None
    benefit_high: float | None = None
    from_indicators: bool = False

    @property
    def low(self) -> float:
        """The pessimistic benefit, defaulting to ``benefit``."""
        return self.benefit if self.benefit_low is None else self.benefit_low

    @property
    def high(self) -> float:
        """The optimistic benefit, defaulting to ``benefit``."""
        return self.benefit if self.benefit_high is None else self.benefit_high


@dataclass(frozen=True)
class YearResult:
    """One calculated year: net = benefit - investment - operation, discounted to the first year."""

    year: int
    investment: float
    operation: float
    benefit: float
    net: float
    discount_factor: float
    discounted_net: float
    cumulative_discounted_net: float


@dataclass(frozen=True)
class BenefitCalculation:
    """The result of ``calculate``: per-year rows, NPV with its low/high range, and the payback year."""

    rows: list[YearResult]
    npv: float
    npv_low: float
    npv_high: float
    payback_year: int | None
    discount_rate: float


def _validate(years: list[CashflowYear], discount_rate: float) -> None:
    if not math.isfinite(discount_rate) or discount_rate <= -1:
        raise ValueError("discount rate must be a finite number greater than -1")
    seen: set[int] = set()
    for row in years:
        if row.year in seen:
            raise ValueError(f"year {row.year} appears more than once")
        seen.add(row.year)
        amounts = (row.investment, row.operation, row.benefit, row.low, row.high)
        if not all(math.isfinite(amount) for amount in amounts):
            raise ValueError(f"amounts for year {row.year} must be finite numbers")
        if row.investment < 0 or row.operation < 0:
            raise ValueError(f"costs for year {row.year} must not be negative")


def calculate(years: list[CashflowYear], discount_rate: float = 0.03) -> BenefitCalculation:
    """Discount the yearly cash flows and return NPV (with low/high range) and the payback year.

    Years are sorted; the first year has discount factor 1 and a later year ``y`` is discounted
    by 1 / (1 + rate) ** (y - first year), so gaps between years count. net = benefit -
    investment - operation; NPV is the sum of discounted nets, npv_low/npv_high use benefit_low /
    benefit_high. payback_year is the first calendar year whose cumulative discounted net is
    >= 0 (the first year itself if it is already >= 0), or None if that never happens.
    An empty list gives NPV 0 and no payback year.

    Raises ValueError for a rate <= -1, duplicate years, negative costs or non-finite amounts.
    """
    _validate(years, discount_rate)
    ordered = sorted(years, key=lambda row: row.year)
    rows: list[YearResult] = []
    # Plain running sums (not fsum) so that npv equals the last cumulative value exactly and the
    # low <= npv <= high ordering survives rounding.
    cumulative = cumulative_low = cumulative_high = 0.0
    payback_year: int | None = None
    for row in ordered:
        factor = 1.0 / (1.0 + discount_rate) ** (row.year - ordered[0].year)
        costs = row.investment + row.operation
        net = row.benefit - costs
        discounted = net * factor
        cumulative += discounted
        cumulative_low += (row.low - costs) * factor
        cumulative_high += (row.high - costs) * factor
        if payback_year is None and cumulative >= 0:
            payback_year = row.year
        rows.append(
            YearResult(
                year=row.year,
                investment=row.investment,
                operation=row.operation,
                benefit=row.benefit,
                net=net,
                discount_factor=factor,
                discounted_net=discounted,
                cumulative_discounted_net=cumulative,
            )
        )
    return BenefitCalculation(
        rows=rows,
        npv=cumulative,
        npv_low=cumulative_low,
        npv_high=cumulative_high,
        payback_year=payback_year,
        discount_rate=discount_rate,
    )

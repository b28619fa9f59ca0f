"""The steering group's benefit report for one portfolio (its sub-portfolios included) and one period.

``benefit_report`` reads everything the report shows in a fixed number of queries, whatever the portfolio's
size: counts per stage at the start and end of the period, the decisions taken in it, each indicator's series
up to the period's end with its latest value, progress and status, the money the indicators give, and the
costs of the benefit calculations. The result is a frozen tree of plain values, so that it renders (HTML, PDF,
Excel, CSV) without the database, and round-trips through JSON (``to_payload`` / ``from_payload``): a meeting
snapshot stores it and later renders it exactly as it was.

The period is a pair of days in the organisation's time zone (``PORTFOLIO_TIMEZONE``): a decision belongs to
it when it was taken from the first day's midnight up to the midnight after the last day.
"""

from __future__ import annotations

import gc
import math
import types
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Optional, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, case, func, literal_column
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.models import (
    Benefit,
    BenefitCalculation,
    CalculationYear,
    GateDecision,
    Indicator,
    Initiative,
    Measurement,
    OrgUnit,
    Portfolio,
    User,
)
from db.settings import get_settings
from portfolio import benefits_math
from portfolio.choices import Choice, Choices
from portfolio.errors import DomainError, FieldProblem, NotFound, ValidationError
from portfolio.i18n import N_, Message
from portfolio.permissions import Actor, Scope, refusal, require, subtree_ids
from workflows.lifecycle import FINAL_STAGES, STAGES
from workflows.vocabulary import Aggregation, BenefitKind, IndicatorStatus, Outcome

# The version of ``BenefitReport.to_payload``'s layout; a snapshot stores it beside the payload.
PAYLOAD_VERSION = 1

# The longest period a report covers: its money is computed per indicator period, so a daily indicator over
# decades would be slow for no reader's benefit.
MAX_PERIOD_DAYS = 366 * 5


# ------------------------------------------------------------------ the report's records


@dataclass(frozen=True)
class StageCount:
    """How many of the portfolio's initiatives stood in ``stage`` when the period began and when it ended."""

    stage: str
    at_start: int
    at_end: int

    @property
    def change(self) -> int:
        """The change over the period (negative when fewer stand in the stage at its end)."""
        return self.at_end - self.at_start


@dataclass(frozen=True)
class OutcomeCount:
    """How many gate decisions of the period had ``outcome``."""

    outcome: str
    count: int


@dataclass(frozen=True)
class DecisionLine:
    """One gate decision taken in the period."""

    initiative_id: int
    initiative_title: str
    decided_at: datetime
    outcome: str
    from_stage: str
    to_stage: str
    decided_by: str
    rationale: str
    conditions: str
    stop_reason: str
    lessons_learned: str


@dataclass(frozen=True)
class StatusCounts:
    """Benefits (or indicators) by status at the period's end: on track (green), at risk (amber), off track
    (red), and without a status (no measurement, or no baseline and target with their dates)."""

    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        """Every benefit (or indicator) counted."""
        return self.on_track + self.at_risk + self.off_track + self.unknown


@dataclass(frozen=True)
class MoneySummary:
    """The benefit in money: what the indicators' planned paths promise in the period and what their
    measurements realised, and the expected benefit the calculations count on in the period's years.

    ``initiatives_with_money``: how many initiatives have an indicator that turns into money."""

    planned: float
    realised: float
    calculation_benefit: float
    initiatives_with_money: int


@dataclass(frozen=True)
class CostSummary:
    """Investment and operating cost in the benefit calculations (all their years, and the period's years)
    against the initiatives' estimated cost. ``without_calculation``: initiatives that have no calculation."""

    estimated: float
    investment: float
    operation: float
    investment_in_period: float
    operation_in_period: float
    without_calculation: int


@dataclass(frozen=True)
class StoppedInitiative:
    """An initiative stopped in the period, with the reason and lessons learned of its stop decision."""

    initiative_id: int
    title: str
    stopped_at: datetime
    from_stage: str
    reason: str
    lessons_learned: str


@dataclass(frozen=True)
class ReportSummary:
    """The report's first part: the whole portfolio at a glance."""

    stages: tuple[StageCount, ...]
    outcomes: tuple[OutcomeCount, ...]
    decisions: int
    benefits: StatusCounts
    indicators: StatusCounts
    money: MoneySummary
    costs: CostSummary
    stopped: tuple[StoppedInitiative, ...]


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One period of an indicator's series: its first day and the value, combined across org units."""

    period: date
    value: float


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator as the report shows it, at the period's end: baseline, target, latest value, progress
    (``(latest − baseline) / (target − baseline)``, not clamped), status and the series for its chart."""

    indicator_id: int
    code: str
    name: str
    unit: str
    direction: str
    frequency: str
    benefit_title: str
    dis_benefit: bool
    baseline_value: Optional[float]
    original_baseline_value: Optional[float]
    baseline_date: Optional[date]
    target_value: Optional[float]
    target_date: Optional[date]
    latest_period: Optional[date]
    latest_value: Optional[float]
    progress: Optional[float]
    status: str
    series: tuple[SeriesPoint, ...]


@dataclass(frozen=True)
class InitiativeSection:
    """One initiative of the report: where it stood when the period began (None: it did not exist yet) and
    ended, its decisions in the period, its money and costs, and its indicators."""

    initiative_id: int
    title: str
    portfolio: str
    org_unit: Optional[str]
    lead: Optional[str]
    stage_at_start: Optional[str]
    stage: str
    on_hold: bool
    estimated_cost: Optional[float]
    investment: Optional[float]
    operation: Optional[float]
    planned_money: Optional[float]
    realised_money: Optional[float]
    decisions: tuple[DecisionLine, ...]
    indicators: tuple[IndicatorLine, ...]


@dataclass(frozen=True)
class BenefitReport:
    """The benefit report of one portfolio and period, as plain values (see the module's docstring).

    ``timezone`` is the organisation's time zone the report was made in: times render in it, so a snapshot
    reads the same wherever it is opened. ``initiatives`` holds every initiative that was open at some time in
    the period (those closed before it began are only counted in the stages)."""

    portfolio_id: int
    portfolio: str
    period_from: date
    period_to: date
    generated_at: datetime
    generated_by: str
    timezone: str
    summary: ReportSummary
    initiatives: tuple[InitiativeSection, ...]

    @property
    def decisions(self) -> tuple[DecisionLine, ...]:
        """Every decision of the period, oldest first."""
        return tuple(sorted((d for s in self.initiatives for d in s.decisions),
                            key=lambda d: (d.decided_at, d.initiative_id)))

    def to_payload(self) -> dict:
        """The report as JSON-ready data (dates and times as ISO strings), with ``version`` = PAYLOAD_VERSION."""
        return {"version": PAYLOAD_VERSION, "report": _encode(self)}

    @classmethod
    def from_payload(cls, payload: dict) -> "BenefitReport":
        """The report ``to_payload`` gave; ValueError for a payload of another version."""
        if payload.get("version") != PAYLOAD_VERSION:
            raise ValueError(f"a benefit report payload of version {payload.get('version')!r} cannot be read "
                             f"(this is version {PAYLOAD_VERSION})")
        return _decode(cls, payload["report"])


# ------------------------------------------------------------------ JSON round trip


def _encode(value: Any) -> Any:
    if is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [_encode(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(kind) if arg is not type(None)]
        return _decode(inner, value)
    if origin is tuple:
        item = get_args(kind)[0]
        return tuple(_decode(item, v) for v in value)
    if is_dataclass(kind):
        hints = _HINTS.get(kind) or _HINTS.setdefault(kind, get_type_hints(kind))
        return kind(**{f.name: _decode(hints[f.name], value[f.name]) for f in fields(kind)})
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is float:
        return float(value)
    return value


# ------------------------------------------------------------------ reading


def period_bounds(period_from: date, period_to: date, zone: str) -> tuple[datetime, datetime]:
    """The period as UTC instants: its first day's midnight and the midnight after its last day, in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(period_from, time(0), tz).astimezone(timezone.utc)
    end = datetime.combine(period_to + timedelta(days=1), time(0), tz).astimezone(timezone.utc)
    return start, end


# The report's statements are built once, with the portfolio and the period as bound parameters: building a
# statement of correlated subqueries took longer than running it.
_PORTFOLIOS, _START, _END, _PERIOD_TO = (bindparam("portfolios", expanding=True), bindparam("start"),
                                         bindparam("end"), bindparam("period_to"))


def _stage_at(moment: ColumnElement) -> ColumnElement:
    """The initiative's stage at ``moment``, as SQL over ``Initiative``: where the last decision before it took
    the initiative; without one, where the first decision after it took it from; without any, its stage now."""
    before = aliased(GateDecision)
    after = aliased(GateDecision)
    last_before = (select(before.to_stage).where(before.initiative_id == Initiative.id, before.decided_at < moment)
                   .order_by(col(before.decided_at).desc(), col(before.id).desc()).limit(literal_column("1"))
                   .correlate(Initiative).scalar_subquery())
    first_after = (select(after.from_stage).where(after.initiative_id == Initiative.id, after.decided_at >= moment)
                   .order_by(col(after.decided_at), col(after.id)).limit(literal_column("1"))
                   .correlate(Initiative).scalar_subquery())
    return func.coalesce(last_before, first_after, Initiative.stage)


def _in_scope() -> ColumnElement[bool]:
    """The initiatives of the portfolio and its sub-portfolios (``portfolios``, read first: a handful of ids, which
    PostgreSQL estimates well where it took a recursive subquery for a hundred portfolios) that existed by the
    period's end. A new clause for each statement: one clause shared by two statements gave the second a new
    cache key on every run."""
    return and_(col(Initiative.portfolio_id).in_(_PORTFOLIOS), Initiative.created_at < _END)


def _open_in_period() -> ColumnElement[bool]:
    """The portfolio's initiatives open at some time in the period, as a condition on ``Initiative``. The
    statements below start from the initiative and join their way down (never a list of bound ids): PostgreSQL
    planned ``measurement.indicator_id IN (...)`` as a scan of every measurement of a national database."""
    return and_(_in_scope(), _stage_at(_START).not_in(FINAL_STAGES) | (Initiative.created_at >= _START))


@lru_cache(maxsize=None)
def _initiatives_query() -> Select:
    lead = aliased(User)
    return (
        select(Initiative.id, Initiative.title, Initiative.on_hold, Initiative.estimated_cost,
               Portfolio.name.label("portfolio"), OrgUnit.name.label("org_unit"), lead.display_name.label("lead"),
               case((Initiative.created_at < _START, _stage_at(_START)), else_=None).label("stage_at_start"),
               _stage_at(_END).label("stage_at_end"))
        .join(Portfolio, Portfolio.id == Initiative.portfolio_id)
        .join(OrgUnit, OrgUnit.id == Initiative.org_unit_id, isouter=True)
        .join(lead, lead.id == Initiative.lead_id, isouter=True)
        .where(_in_scope())
        .order_by(Initiative.id)
    )


@lru_cache(maxsize=None)
def _decisions_query() -> Select:
    d = GateDecision
    return (
        select(d.initiative_id, Initiative.title, d.decided_at, d.outcome, d.from_stage, d.to_stage,
               User.display_name, d.rationale, d.conditions, d.stop_reason, d.lessons_learned)
        .join(Initiative, Initiative.id == d.initiative_id)
        .join(User, User.id == d.decided_by_id)
        .where(_in_scope(), d.decided_at >= _START, d.decided_at < _END)
        .order_by(d.decided_at, d.id)
    )


@lru_cache(maxsize=None)
def _indicators_query() -> Select:
    n = Indicator
    return (
        select(n.id, n.benefit_id, n.code, n.name, n.unit, n.direction, n.frequency, n.aggregation, n.baseline_value,
               n.original_baseline_value, n.baseline_date, n.target_value, n.target_date, n.amber_tolerance,
               n.red_tolerance, n.volume_per_year, Benefit.initiative_id, Benefit.title.label("benefit_title"),
               Benefit.kind, Benefit.money_per_unit)
        .select_from(Initiative)
        .join(Benefit, Benefit.initiative_id == Initiative.id)
        .join(n, n.benefit_id == Benefit.id)
        .where(_open_in_period())
        .order_by(Benefit.initiative_id, Benefit.id, n.id)
    )


@lru_cache(maxsize=None)
def _series_query() -> Select:
    """Each indicator's value per period up to the period's end, combined across org units as the initiative page
    combines them: a value for the whole initiative is the period's figure; otherwise the units' values are
    summed or averaged, as the indicator declares."""
    m = Measurement
    whole = col(m.org_unit_id).is_(None)
    has_whole = func.max(case((whole, 1), else_=0)) == 1
    whole_values, unit_values = case((whole, m.value), else_=None), case((whole, None), else_=m.value)
    value = case(
        (has_whole, case((Indicator.aggregation == Aggregation.SUM, func.sum(whole_values)),
                         else_=func.avg(whole_values))),
        else_=case((Indicator.aggregation == Aggregation.SUM, func.sum(unit_values)), else_=func.avg(unit_values)))
    return (
        select(m.indicator_id, m.period_start, value)
        .select_from(Initiative)
        .join(Benefit, Benefit.initiative_id == Initiative.id)
        .join(Indicator, Indicator.benefit_id == Benefit.id)
        .join(m, m.indicator_id == Indicator.id)
        .where(_open_in_period(), m.period_start <= _PERIOD_TO)
        .group_by(m.indicator_id, m.period_start, Indicator.aggregation)
        .order_by(m.indicator_id, m.period_start)
    )


@lru_cache(maxsize=None)
def _calculations_query() -> Select:
    y = CalculationYear
    return (
        select(BenefitCalculation.initiative_id, y.year, y.investment, y.operation, y.benefit, y.benefit_low,
               y.benefit_high, y.benefit_from_indicators)
        .select_from(Initiative)
        .join(BenefitCalculation, BenefitCalculation.initiative_id == Initiative.id)
        .join(y, y.calculation_id == BenefitCalculation.id)
        .where(_open_in_period())
        .order_by(BenefitCalculation.initiative_id, y.year)
    )


@contextmanager
def _no_collection_pauses() -> Iterator[None]:
    """Python's cyclic garbage collector off while the block runs (if it was on), then on again. Reading a
    portfolio's values makes tens of thousands of short-lived rows and points, none of them cyclic; collections of
    the whole heap in the middle took a third of the read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_period(period_from: date, period_to: date) -> None:
    problems = []
    if period_to < period_from:
        problems.append(FieldProblem("period_to", Message(N_("The period must not end before it begins."))))
    elif (period_to - period_from).days > MAX_PERIOD_DAYS:
        problems.append(FieldProblem("period_to", Message(
            N_("A report covers at most {years} years."), {"years": MAX_PERIOD_DAYS // 366})))
    if problems:
        raise ValidationError(problems)


def benefit_report(session: Session, actor: Actor, portfolio_id: int, period_from: date, period_to: date, *,
                   now: Optional[datetime] = None) -> BenefitReport:
    """The benefit report of ``portfolio_id`` (its sub-portfolios included) for the days ``period_from`` to
    ``period_to``, for ``actor`` (permission "report.read": the steering group, the portfolio's owners and
    administrators). Reads a fixed number of queries, whatever the portfolio's size."""
    portfolio = session.get(Portfolio, portfolio_id) if 0 < portfolio_id < 2**31 else None
    if portfolio is None:
        raise NotFound(Message(N_("There is no portfolio number {id}."), {"id": portfolio_id}))
    require("report.read", actor, Scope(portfolio_id=portfolio_id))
    _check_period(period_from, period_to)
    zone = get_settings().timezone
    start, end = period_bounds(period_from, period_to, zone)
    connection = session.connection()
    portfolios = connection.execute(subtree_ids(Portfolio, {portfolio_id})).scalars().all()
    params = {"portfolios": portfolios, "start": start, "end": end, "period_to": period_to}
    with _no_collection_pauses():
        everyone = _initiatives(connection, params)
        decisions = _decisions(connection, params)
        indicators = _indicators(connection, params, period_from)
        calculations = _calculations(connection, params)
    # The initiatives open at some time in the period; those closed before it began are only counted.
    sections = [row for row in everyone if row["stage_at_start"] not in FINAL_STAGES]
    section_ids = [row["id"] for row in sections]

    by_initiative: dict[int, list[IndicatorLine]] = defaultdict(list)
    monetised: dict[int, list[benefits_math.MonetisedIndicator]] = defaultdict(list)
    benefit_statuses: dict[int, list[str]] = defaultdict(list)
    for row in indicators:
        by_initiative[row.initiative_id].append(row.line)
        benefit_statuses[row.benefit_id].append(row.line.status)
        if row.money is not None:
            monetised[row.initiative_id].append(row.money)

    decided: dict[int, list[DecisionLine]] = defaultdict(list)
    for decision in decisions:
        decided[decision.initiative_id].append(decision)
    period_years = range(period_from.year, period_to.year + 1)
    money_planned = money_realised = calculation_benefit = 0.0
    estimated = investment = operation = investment_in_period = operation_in_period = 0.0
    built = []
    for row in sections:
        initiative_id = row["id"]
        money = [_money_in_period(m, period_from, period_to) for m in monetised.get(initiative_id, [])]
        planned = math.fsum(p for p, _r in money) if money else None
        realised = math.fsum(r for _p, r in money) if money else None
        years = calculations.get(initiative_id)
        if years is not None:
            used = _calculation_years(years, monetised.get(initiative_id, []))
            investment += math.fsum(y.investment for y in used)
            operation += math.fsum(y.operation for y in used)
            investment_in_period += math.fsum(y.investment for y in used if y.year in period_years)
            operation_in_period += math.fsum(y.operation for y in used if y.year in period_years)
            calculation_benefit += math.fsum(y.benefit for y in used if y.year in period_years)
        money_planned += planned or 0.0
        money_realised += realised or 0.0
        estimated += row["estimated_cost"] or 0.0
        built.append(InitiativeSection(
            initiative_id=initiative_id, title=row["title"], portfolio=row["portfolio"], org_unit=row["org_unit"],
            lead=row["lead"], stage_at_start=row["stage_at_start"], stage=row["stage_at_end"],
            on_hold=row["on_hold"], estimated_cost=row["estimated_cost"],
            investment=math.fsum(y.investment for y in years) if years is not None else None,
            operation=math.fsum(y.operation for y in years) if years is not None else None,
            planned_money=planned, realised_money=realised,
            decisions=tuple(decided.get(initiative_id, ())),
            indicators=tuple(by_initiative.get(initiative_id, ())),
        ))

    # Counted from the rows the report lists anyway: one pass of the stages over the portfolio, not three.
    summary = ReportSummary(
        stages=_stage_counts(everyone),
        outcomes=_outcome_counts(decisions),
        decisions=len(decisions),
        benefits=_count_statuses(_worst(statuses) for statuses in benefit_statuses.values()),
        indicators=_count_statuses(row.line.status for row in indicators),
        money=MoneySummary(planned=money_planned, realised=money_realised, calculation_benefit=calculation_benefit,
                           initiatives_with_money=sum(1 for i in section_ids if monetised.get(i))),
        costs=CostSummary(estimated=estimated, investment=investment, operation=operation,
                          investment_in_period=investment_in_period, operation_in_period=operation_in_period,
                          without_calculation=sum(1 for i in section_ids if i not in calculations)),
        stopped=tuple(StoppedInitiative(d.initiative_id, d.initiative_title, d.decided_at, d.from_stage,
                                        d.stop_reason, d.lessons_learned)
                      for d in decisions if d.outcome == Outcome.STOP),
    )
    return BenefitReport(
        portfolio_id=portfolio_id, portfolio=portfolio.name, period_from=period_from, period_to=period_to,
        generated_at=(now or datetime.now(timezone.utc)).astimezone(timezone.utc), generated_by=actor.display_name,
        timezone=zone, summary=summary, initiatives=tuple(built),
    )


def _stage_counts(rows: list[dict[str, Any]]) -> tuple[StageCount, ...]:
    """Per stage, the initiatives standing in it at the period's start and end (``_initiatives``' rows)."""
    first = Counter(row["stage_at_start"] for row in rows if row["stage_at_start"] is not None)
    last = Counter(row["stage_at_end"] for row in rows)
    return tuple(StageCount(str(stage), first[stage], last[stage]) for stage in STAGES)


def _initiatives(connection: Connection, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every initiative of the portfolio that existed by the period's end, with where it stood at its start
    (None: proposed during the period) and at its end, in one query."""
    return [{**row, "stage_at_start": None if row["stage_at_start"] is None else str(row["stage_at_start"]),
             "stage_at_end": str(row["stage_at_end"]), "on_hold": bool(row["on_hold"]),
             "estimated_cost": None if row["estimated_cost"] is None else float(row["estimated_cost"])}
            for row in connection.execute(_initiatives_query(), params).mappings().all()]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive times; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _decisions(connection: Connection, params: dict[str, Any]) -> list[DecisionLine]:
    """The gate decisions taken in the period on the portfolio's initiatives, oldest first."""
    return [DecisionLine(
        initiative_id=r[0], initiative_title=r[1], decided_at=_aware(r[2]), outcome=str(r[3]), from_stage=str(r[4]),
        to_stage=str(r[5]), decided_by=r[6], rationale=r[7], conditions=r[8], stop_reason=r[9],
        lessons_learned=r[10]) for r in connection.execute(_decisions_query(), params).all()]


def _outcome_counts(decisions: list[DecisionLine]) -> tuple[OutcomeCount, ...]:
    """The period's decisions counted per outcome (from the decisions the report lists), every outcome listed
    in the gate's order."""
    counts = Counter(decision.outcome for decision in decisions)
    return tuple(OutcomeCount(str(outcome), counts[outcome]) for outcome in Outcome)


@dataclass(frozen=True)
class _IndicatorRow:
    initiative_id: int
    benefit_id: int
    line: IndicatorLine
    money: Optional[benefits_math.MonetisedIndicator]


def _series(connection: Connection, params: dict[str, Any]) -> dict[int, list[tuple[date, float]]]:
    """Each indicator's (period, value) up to the period's end, oldest first (``_series_query``); plain tuples,
    as the benefit calculation takes them: only a chart's points become records."""
    series: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for indicator_id, period, value in connection.execute(_series_query(), params).all():
        series[indicator_id].append((period, float(value)))
    return series


def _indicators(connection: Connection, params: dict[str, Any], period_from: date) -> list[_IndicatorRow]:
    """Every indicator of the initiatives open in the period with its figures at the period's end."""
    rows = connection.execute(_indicators_query(), params).all()
    series = _series(connection, params) if rows else {}
    result = []
    for r in rows:
        points = series.get(r.id, [])
        period, value = points[-1] if points else (None, None)
        line = IndicatorLine(
            indicator_id=r.id, code=r.code, name=r.name, unit=r.unit, direction=str(r.direction),
            frequency=str(r.frequency), benefit_title=r.benefit_title, dis_benefit=r.kind == BenefitKind.DIS_BENEFIT,
            baseline_value=r.baseline_value, original_baseline_value=r.original_baseline_value,
            baseline_date=r.baseline_date, target_value=r.target_value, target_date=r.target_date,
            latest_period=period, latest_value=value,
            progress=benefits_math.progress_to_target(r.baseline_value, r.target_value, value, direction=r.direction),
            status=str(_status(r, period, value)),
            series=_chart_points(points, period_from),
        )
        result.append(_IndicatorRow(r.initiative_id, r.benefit_id, line, _monetised(r, points)))
    return result


def _chart_points(points: list[tuple[date, float]], period_from: date) -> tuple[SeriesPoint, ...]:
    """The series a chart of the period draws: the period's points, and the last one before it as their start."""
    first = bisect_left(points, (period_from,))
    return tuple(SeriesPoint(period, value) for period, value in points[max(first - 1, 0):])


def _status(indicator: Any, period: Optional[date], value: Optional[float]) -> IndicatorStatus:
    """The initiative page's status (``indicator_figures``): the latest value against the planned path."""
    if indicator.baseline_date is None or indicator.target_date is None:
        return IndicatorStatus.UNKNOWN
    return benefits_math.status(
        baseline=indicator.baseline_value, target=indicator.target_value, baseline_date=indicator.baseline_date,
        target_date=indicator.target_date, direction=indicator.direction, latest=value, latest_date=period,
        amber_tolerance=indicator.amber_tolerance, red_tolerance=indicator.red_tolerance)


def _monetised(r: Any, points: list[tuple[date, float]]) -> Optional[benefits_math.MonetisedIndicator]:
    """The indicator (a row of ``_indicators``) as the benefit calculation turns it into money, or None when it
    lacks what that needs (the same conditions as ``benefits._missing_for_money``)."""
    if None in (r.money_per_unit, r.volume_per_year, r.baseline_value, r.baseline_date, r.target_value,
                r.target_date):
        return None
    return benefits_math.MonetisedIndicator(
        direction=r.direction, frequency=r.frequency, aggregation=r.aggregation, baseline=r.baseline_value,
        target=r.target_value, baseline_date=r.baseline_date, target_date=r.target_date,
        money_per_unit=r.money_per_unit, volume_per_year=r.volume_per_year,
        dis_benefit=r.kind == BenefitKind.DIS_BENEFIT, measured=tuple(points))


def _money_in_period(indicator: benefits_math.MonetisedIndicator, period_from: date,
                     period_to: date) -> tuple[float, float]:
    """The indicator's planned and realised money in the periods (of its frequency) that start in the report's
    period: each period's share of its year's money in ``benefits_math.indicator_money_year``. Over a whole
    year the shares add up to that year's planned money, and to its realised money when every period is
    measured; a period without a measurement realises nothing."""
    measured = dict(indicator.measured)
    worth = indicator.money_per_improvement
    planned = realised = 0.0
    for year in range(period_from.year, period_to.year + 1):
        periods = benefits_math.periods_of_year(indicator.frequency, year)
        # A sum adds its periods' improvements up; a mean averages them over the year's periods.
        share = 1.0 if Aggregation(indicator.aggregation) is Aggregation.SUM else 1.0 / len(periods)
        chosen = [p for p in periods if period_from <= p <= period_to]
        planned += share * worth * math.fsum(
            benefits_math.improvement(indicator.direction, indicator.baseline, benefits_math.planned_value(
                indicator.baseline, indicator.target, indicator.baseline_date, indicator.target_date, p))
            for p in chosen)
        realised += share * worth * math.fsum(
            benefits_math.improvement(indicator.direction, indicator.baseline, measured[p])
            for p in chosen if p in measured and p >= indicator.baseline_date)
    return planned, realised


def _calculations(connection: Connection, params: dict[str, Any]) -> dict[int, list[benefits_math.CashflowYear]]:
    """The years of each initiative's benefit calculation (initiatives without one are absent)."""
    years: dict[int, list[benefits_math.CashflowYear]] = defaultdict(list)
    for initiative_id, *fields_ in connection.execute(_calculations_query(), params).all():
        years[initiative_id].append(benefits_math.CashflowYear(*fields_[:6], from_indicators=bool(fields_[6])))
    return dict(years)


def _calculation_years(years: list[benefits_math.CashflowYear],
                       monetised: list[benefits_math.MonetisedIndicator]) -> list[benefits_math.CashflowYear]:
    """The calculation's years as the Benefits tab uses them: a year from indicators takes their current money."""
    if not monetised:
        return years
    money = benefits_math.indicator_money(monetised, [y.year for y in years])
    return benefits_math.with_indicator_money(years, money)


_SEVERITY = {IndicatorStatus.RED: 3, IndicatorStatus.AMBER: 2, IndicatorStatus.GREEN: 1, IndicatorStatus.UNKNOWN: 0}


def _worst(statuses: list[str]) -> str:
    """A benefit's status: the worst of its indicators' (one off track makes it off track); unknown when none
    of them has a status."""
    return max(statuses, key=lambda s: _SEVERITY[IndicatorStatus(s)], default=IndicatorStatus.UNKNOWN)


def _count_statuses(statuses) -> StatusCounts:
    counts = defaultdict(int)
    for status in statuses:
        counts[IndicatorStatus(status)] += 1
    return StatusCounts(on_track=counts[IndicatorStatus.GREEN], at_risk=counts[IndicatorStatus.AMBER],
                        off_track=counts[IndicatorStatus.RED], unknown=counts[IndicatorStatus.UNKNOWN])


@dataclass(frozen=True)
class ReportPage:
    """The report page's one read: the portfolios the reader may report on, the chosen one, and its report for
    the period, or the problems to show instead (a refusal, a period that ends before it begins)."""

    portfolios: Choices
    portfolio_id: Optional[int]
    report: Optional[BenefitReport]
    problems: tuple[Message, ...] = ()


def report_page(*, session: Session, actor: Actor, portfolio_id: Optional[int], period_from: date,
                period_to: date) -> ReportPage:
    """The portfolios ``actor`` may read the report of (all for administrators; their steering-group and owned
    portfolios with those below them for the others) and the report of ``portfolio_id`` (default: the first)."""
    readable = select(Portfolio.id, Portfolio.name).order_by(Portfolio.name, Portfolio.id)
    if not actor.is_admin:
        readable = readable.where(col(Portfolio.id).in_(actor.steering_portfolios | actor.owned_portfolios or {-1}))
    portfolios = Choices(tuple(Choice(i, name) for i, name in session.exec(readable).all()))
    if portfolio_id is None and portfolios.entries:
        portfolio_id = portfolios.entries[0].id
    if portfolio_id is None:
        return ReportPage(portfolios, None, None, (refusal("report.read", actor, Scope()),))
    try:
        report = benefit_report(session, actor, portfolio_id, period_from, period_to)
    except DomainError as error:
        return ReportPage(portfolios, portfolio_id, None, tuple(error.messages))
    return ReportPage(portfolios, portfolio_id, report)


def this_year_so_far(today: Optional[date] = None) -> tuple[date, date]:
    """The page's default period: the first of January to today."""
    today = today or date.today()
    return date(today.year, 1, 1), today


__all__ = [
    "PAYLOAD_VERSION", "BenefitReport", "CostSummary", "DecisionLine", "IndicatorLine", "InitiativeSection",
    "MoneySummary", "OutcomeCount", "ReportSummary", "SeriesPoint", "StageCount", "StatusCounts",
    "ReportPage", "StoppedInitiative", "benefit_report", "report_page", "this_year_so_far",
]

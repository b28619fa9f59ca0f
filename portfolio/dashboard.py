"""The portfolio dashboard: the steering group's start page, as one read model.

``dashboard`` reads, for the initiatives a user may see and the filters they chose, in a fixed number of
queries whatever the portfolio's size:

- the **funnel**: per stage the count of initiatives and their total estimated cost;
- the **status distribution**: active, on hold, realised and stopped;
- **time in the current stage**: an initiative is past its stage's limit when it has stood in a stage with a gate
  more days than ``PORTFOLIO_STAGE_LIMIT_DAYS`` allow (default 180, per stage if configured). Days count from the
  day it entered the stage, in the organisation's time zone: entered on 1 March, it has stood 1 day on 2 March;
  with a limit of 180 days it is flagged on the 181st day, not on the 180th;
- **gates coming up and gates overdue**. Nothing stores a gate's date, so it is read from what is stored: the gate
  of an initiative on hold falls due on the hold's review date; the gate of any other initiative falls due when
  its stage limit runs out (the day it entered the stage + the limit), which is why a gate is overdue exactly when
  its initiative is past the limit. A gate is **overdue** when its due date lies before today and **coming up**
  when it lies from today up to ``UPCOMING_DAYS`` days ahead; each is shown with its recorded decision owner;
- **overdue measurements**: an indicator's measurement is overdue as on the worklists and the Benefits tab
  (``portfolio.worklists``: the figure of the last completed period is missing), with the same due date;
- **conditions past their due date**: the conditions of a conditional go that are not yet marked met. They must
  be met within the stage the go opened, so they fall due when that stage's limit runs out, counted from the day
  of the decision, and are past due from the day after;
- the **value/cost bubbles**: per initiative with a benefit calculation, the expected net present value against
  the investment (the sum of the calculation's investment per year), with its stage and estimated cost. The NPV is
  ``benefits_math.calculate`` over the stored years, as the Benefits tab computes it; a year whose benefit follows
  the indicators counts with the figure stored when the calculation was last saved. Discounting needs a power
  function that SQLite does not always have, so the years of the shown initiatives come in one query and their
  NPVs are computed in one pass over those rows. At most ``BUBBLE_LIMIT`` initiatives are drawn: the largest
  investments.

Gates, measurements and conditions concern initiatives under way only (neither realised nor stopped). Counts,
sums and flags are computed in SQL (GROUP BY); only the rows of each list that the page shows are read (at most
``LIST_LIMIT``), with the count of all. Who sees what: administrators every portfolio; everyone else the
portfolios whose steering group or owners they belong to, with the portfolios below them (the grants of
"report.read": the dashboard is the steering group's report).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Generic, Optional, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, and_, case, func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.models import (
    Benefit,
    BenefitCalculation,
    CalculationYear,
    GateDecision,
    GateDecisionOwner,
    Indicator,
    Initiative,
    OrgUnit,
    Portfolio,
    User,
)
from db.settings import get_settings
from portfolio import benefits_math
from portfolio.choices import Choices, portfolio_choices, unit_choices
from portfolio.errors import DomainError, FieldProblem, PermissionDenied, ValidationError
from portfolio.i18n import N_, Message
from portfolio.initiatives import parse_stage
from portfolio.permissions import Actor, subtree_ids
from portfolio.queries import without_jit
from portfolio.reports import status_clause
from portfolio.worklists import latest_period, per_frequency, two_periods_after, due_period
from workflows.lifecycle import FINAL_STAGES, STAGE_ORDER, STAGES
from workflows.vocabulary import Frequency, InitiativeStatus, Outcome, Stage

# The statuses the dashboard counts and filters by: the overview's two of initiatives under way, and the two
# final stages apart (the overview's "closed" is both).
STATUSES: tuple[str, ...] = (InitiativeStatus.ACTIVE, InitiativeStatus.ON_HOLD, Stage.REALISED, Stage.STOPPED)
STATUS_LABELS: dict[str, str] = {InitiativeStatus.ACTIVE: InitiativeStatus.ACTIVE.label,
                                 InitiativeStatus.ON_HOLD: InitiativeStatus.ON_HOLD.label,
                                 Stage.REALISED: Stage.REALISED.label, Stage.STOPPED: Stage.STOPPED.label}
# How far ahead a gate counts as coming up.
UPCOMING_DAYS = 30
# The rows each list shows (its count covers them all), and the initiatives the bubble chart draws.
LIST_LIMIT = 20
BUBBLE_LIMIT = 200

NO_PORTFOLIOS = N_("The dashboard shows the portfolios whose steering group or owners you belong to, and you "
                   "belong to none.")
NOT_YOURS = N_("Only the portfolio's steering group, its owners and administrators may see its dashboard.")


@dataclass(frozen=True)
class DashboardFilters:
    """What the dashboard shows: a portfolio and an org unit (each with everything below it), a stage, a status
    (one of ``STATUSES``); None shows all."""

    portfolio_id: Optional[int] = None
    org_unit_id: Optional[int] = None
    stage: Optional[str] = None
    status: Optional[str] = None


@dataclass(frozen=True)
class StageFigures:
    """One stage of the funnel: its initiatives, their estimated cost, and how many stand there past the stage's
    limit (``limit_days``; None for a final stage, which has no limit)."""

    stage: str
    count: int
    cost: float
    past_limit: int
    limit_days: Optional[int]


@dataclass(frozen=True)
class StatusCount:
    """How many initiatives have one of ``STATUSES``."""

    status: str
    count: int


@dataclass(frozen=True)
class InStage:
    """An initiative past its stage's limit: since when it stands in its stage, and for how many days."""

    id: int
    title: str
    stage: str
    on_hold: bool
    since: date
    days: int
    limit_days: int


@dataclass(frozen=True)
class GateDue:
    """A gate with its due date: the hold's review date when ``on_hold``, else the day the stage limit runs out."""

    id: int
    title: str
    stage: str
    on_hold: bool
    due: date
    decision_owner: Optional[str]


@dataclass(frozen=True)
class MeasurementsDue:
    """An initiative with overdue measurements: how many of its indicators are overdue, and since when the oldest
    missing figure is due."""

    id: int
    title: str
    stage: str
    indicators: int
    overdue: int
    due: date


@dataclass(frozen=True)
class ConditionsDue:
    """The unmet conditions of a conditional go past their due date."""

    id: int
    title: str
    stage: str
    decided_on: date
    decided_by: str
    due: date
    conditions: str


@dataclass(frozen=True)
class Bubble:
    """One initiative in the value/cost chart: its expected NPV against its investment."""

    id: int
    title: str
    stage: str
    investment: float
    npv: float
    estimated_cost: Optional[float]


Row = TypeVar("Row")


@dataclass(frozen=True)
class Listing(Generic[Row]):
    """The first rows of a list and how many rows the whole list has."""

    rows: tuple[Row, ...]
    total: int


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for one set of filters on one day."""

    filters: DashboardFilters
    today: date
    initiatives: int
    cost: float
    funnel: tuple[StageFigures, ...]
    statuses: tuple[StatusCount, ...]
    in_stage: Listing[InStage]
    gates_overdue: Listing[GateDue]
    gates_coming: Listing[GateDue]
    measurements: Listing[MeasurementsDue]
    overdue_indicators: int
    conditions: Listing[ConditionsDue]
    bubbles: Listing[Bubble]


# ------------------------------------------------------------------ days and limits


def organisation_today() -> date:
    """Today in the organisation's time zone (``PORTFOLIO_TIMEZONE``)."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def _midnight(day: date, zone: ZoneInfo):
    """The first moment of ``day`` in the organisation's zone, in UTC, typed for both databases (SQLite keeps
    times as UTC text without a zone)."""
    moment = datetime.combine(day, time(), zone).astimezone(timezone.utc)
    return literal(moment, DateTime(timezone=True))


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    # SQLite hands back naive times; every stored time is UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(zone).date()


# Initiatives neither realised nor stopped: the only ones with gates, measurements due and conditions to meet.
UNDER_WAY = col(Initiative.stage).not_in(FINAL_STAGES)


def _per_stage(column, values: dict[str, object]):
    """A CASE choosing ``values[stage]`` by a stage column; NULL for a final stage."""
    return case({stage: value for stage, value in values.items()}, value=column)


# ------------------------------------------------------------------ who sees what, and the filters


def _readable(actor: Actor) -> Optional[frozenset[int]]:
    """The portfolios ``actor`` sees on the dashboard (None: all, for administrators): those "report.read"
    grants them, the steering group's and the owners'. Refused when they see none."""
    if actor.is_admin:
        return None
    portfolios = actor.owned_portfolios | actor.steering_portfolios
    if not portfolios:
        raise PermissionDenied(Message(NO_PORTFOLIOS))
    return portfolios


def _conditions(actor: Actor, filters: DashboardFilters) -> list:
    """The SQL conditions on ``Initiative`` of what ``actor`` sees and ``filters`` choose, every problem of the
    filters listed at once."""
    readable = _readable(actor)
    if readable is not None and filters.portfolio_id is not None and filters.portfolio_id not in readable:
        raise PermissionDenied(Message(NOT_YOURS))
    problems: list[FieldProblem] = []
    if filters.stage is not None:
        try:
            parse_stage(filters.stage)
        except ValidationError as error:
            problems += error.problems
    if filters.status is not None and filters.status not in STATUSES:
        problems.append(FieldProblem("status", Message(
            N_("Unknown status {status}. The statuses are: {statuses}."),
            {"status": repr(filters.status), "statuses": ", ".join(STATUSES)})))
    if problems:
        raise ValidationError(problems)
    where = []
    if readable is not None:
        where.append(col(Initiative.portfolio_id).in_(sorted(readable)))
    if filters.portfolio_id is not None:
        where.append(col(Initiative.portfolio_id).in_(subtree_ids(Portfolio, {filters.portfolio_id})))
    if filters.org_unit_id is not None:
        where.append(col(Initiative.org_unit_id).in_(subtree_ids(OrgUnit, {filters.org_unit_id})))
    if filters.stage is not None:
        where.append(Initiative.stage == filters.stage)
    if filters.status in FINAL_STAGES:
        where.append(Initiative.stage == filters.status)
    elif filters.status is not None:
        where.append(status_clause(filters.status))
    return where


# ------------------------------------------------------------------ the read


def dashboard(*, session: Session, actor: Actor, filters: DashboardFilters, today: Optional[date] = None) -> Dashboard:
    """The dashboard of the initiatives ``actor`` may see that match ``filters``, on ``today`` (default: today in
    the organisation's time zone). Raises PermissionDenied for a portfolio they may not see (or when they may see
    none) and ValidationError naming every unknown stage or status."""
    where = _conditions(actor, filters)
    # The overdue measurements' plan has a subplan per indicator: PostgreSQL's JIT would spend longer compiling it
    # than running it.
    with without_jit(session):
        return _read(session, filters, where, today or organisation_today())


def _read(session: Session, filters: DashboardFilters, where: list, today: date) -> Dashboard:
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    limits = {stage: settings.stage_limit(stage) for stage in STAGE_ORDER}
    # Entered before its stage's cutoff, an initiative has stood there more days than the limit allows.
    cutoff = _per_stage(Initiative.stage, {s: _midnight(today - timedelta(days=d), zone) for s, d in limits.items()})
    horizon = _per_stage(Initiative.stage, {s: _midnight(today + timedelta(days=UPCOMING_DAYS + 1 - d), zone)
                                            for s, d in limits.items()})
    on_hold = and_(col(Initiative.on_hold).is_(True), UNDER_WAY)
    past_limit = Initiative.stage_entered_at < cutoff
    # An initiative not on hold whose stage limit runs out from today up to UPCOMING_DAYS ahead.
    limit_coming = and_(Initiative.stage_entered_at >= cutoff, Initiative.stage_entered_at < horizon)
    review_coming = and_(Initiative.hold_review_date >= today,
                         Initiative.hold_review_date <= today + timedelta(days=UPCOMING_DAYS))
    gate_overdue = case((on_hold, Initiative.hold_review_date < today), else_=past_limit)
    gate_coming = case((on_hold, review_coming), else_=limit_coming)

    def flagged(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    groups = session.exec(
        select(Initiative.stage, Initiative.on_hold, func.count(), func.coalesce(func.sum(Initiative.estimated_cost), 0),
               flagged(past_limit), flagged(gate_overdue), flagged(gate_coming))
        .where(*where).group_by(Initiative.stage, Initiative.on_hold)
    ).all()
    counts: dict[str, list] = defaultdict(lambda: [0, 0.0, 0])
    statuses: dict[str, int] = dict.fromkeys(STATUSES, 0)
    overdue_gates = coming_gates = 0
    for stage, held, count, cost, past, overdue, coming in groups:
        figures = counts[stage]
        figures[0] += count
        figures[1] += float(cost)
        figures[2] += int(past)
        overdue_gates += int(overdue)
        coming_gates += int(coming)
        status = stage if stage in FINAL_STAGES else InitiativeStatus.ON_HOLD if held else InitiativeStatus.ACTIVE
        statuses[status] += count
    funnel = tuple(StageFigures(stage, counts[stage][0], counts[stage][1], counts[stage][2], limits.get(stage))
                   for stage in STAGES)

    context = _Context(session, where, today, zone, limits)
    in_stage, limit_overdue, limit_coming_rows = context.by_stage_limit(past_limit, on_hold, limit_coming)
    review_overdue, review_coming_rows = context.by_review(on_hold, review_coming)
    return Dashboard(
        filters=filters, today=today, initiatives=sum(f.count for f in funnel), cost=sum(f.cost for f in funnel),
        funnel=funnel, statuses=tuple(StatusCount(s, n) for s, n in statuses.items()),
        in_stage=Listing(in_stage, sum(f.past_limit for f in funnel)),
        gates_overdue=Listing(_earliest(limit_overdue + review_overdue), overdue_gates),
        gates_coming=Listing(_earliest(limit_coming_rows + review_coming_rows), coming_gates),
        **context.measurements(),
        conditions=context.conditions(),
        bubbles=context.bubbles(),
    )


def _earliest(gates: list[GateDue]) -> tuple[GateDue, ...]:
    return tuple(sorted(gates, key=lambda gate: (gate.due, gate.id))[:LIST_LIMIT])


@dataclass(frozen=True)
class _Context:
    """What the list queries of one dashboard share."""

    session: Session
    where: list
    today: date
    zone: ZoneInfo
    limits: dict[str, int]

    def _gate_columns(self):
        """The columns of a gate's row, and the query's joins to its decision owner."""
        owner = aliased(User)
        columns = (Initiative.id, Initiative.title, Initiative.stage, Initiative.on_hold, Initiative.stage_entered_at,
                   Initiative.hold_review_date, owner.display_name.label("decision_owner"))

        def joined(query):
            return (query.outerjoin(GateDecisionOwner, and_(GateDecisionOwner.initiative_id == Initiative.id,
                                                            GateDecisionOwner.gate == Initiative.stage))
                    .outerjoin(owner, owner.id == GateDecisionOwner.user_id))
        return columns, joined

    def _gate(self, row, due: date) -> GateDue:
        return GateDue(row.id, row.title, row.stage, bool(row.on_hold), due, row.decision_owner)

    def by_stage_limit(self, past_limit, on_hold, limit_coming
                       ) -> tuple[tuple[InStage, ...], list[GateDue], list[GateDue]]:
        """The initiatives longest in their stage among those past its limit, and the gates of the others (not on
        hold) whose stage limit has run out or runs out soon, earliest due first.

        One query reads the first rows of each stage, past the limit or not, on hold or not: the due dates of
        different stages depend on their limits, so the lists are put in order here."""
        columns, joined = self._gate_columns()
        past = past_limit.label("past")
        rank = func.row_number().over(partition_by=(Initiative.stage, past_limit, Initiative.on_hold),
                                      order_by=(Initiative.stage_entered_at, Initiative.id)).label("rank")
        first = (joined(select(*columns, past, rank))
                 .where(*self.where, or_(past_limit, and_(~on_hold, limit_coming))).subquery("first"))
        rows = self.session.exec(select(*(c for c in first.c if c.name != "rank"))
                                 .where(first.c.rank <= LIST_LIMIT)).all()
        in_stage, overdue, coming = [], [], []
        for row in rows:
            since = _local_day(row.stage_entered_at, self.zone)
            if row.past:
                in_stage.append(InStage(row.id, row.title, row.stage, bool(row.on_hold), since,
                                        (self.today - since).days, self.limits[row.stage]))
            if not row.on_hold:
                (overdue if row.past else coming).append(
                    self._gate(row, since + timedelta(days=self.limits[row.stage])))
        in_stage.sort(key=lambda row: (-row.days, row.id))
        return tuple(in_stage[:LIST_LIMIT]), overdue, coming

    def by_review(self, on_hold, review_coming) -> tuple[list[GateDue], list[GateDue]]:
        """The gates of initiatives on hold whose review date has passed, and those whose review date comes soon,
        earliest first."""
        columns, joined = self._gate_columns()
        overdue = (Initiative.hold_review_date < self.today).label("overdue")
        rank = func.row_number().over(partition_by=overdue, order_by=(Initiative.hold_review_date, Initiative.id)
                                      ).label("rank")
        first = (joined(select(*columns, overdue, rank))
                 .where(*self.where, on_hold, or_(Initiative.hold_review_date < self.today, review_coming))
                 .subquery("first"))
        rows = self.session.exec(select(*(c for c in first.c if c.name != "rank"))
                                 .where(first.c.rank <= LIST_LIMIT)).all()
        return ([self._gate(row, row.hold_review_date) for row in rows if row.overdue],
                [self._gate(row, row.hold_review_date) for row in rows if not row.overdue])

    def measurements(self) -> dict:
        """The initiatives with overdue measurements, the longest overdue first, and the count of overdue
        indicators: the SQL of the lead's worklist (``portfolio.worklists``) over the filtered initiatives."""
        dialect = self.session.get_bind().dialect.name
        today = self.today
        indicators = (select(Benefit.initiative_id, Indicator.frequency, latest_period().label("latest"))
                      .select_from(Indicator).join(Benefit, Benefit.id == Indicator.benefit_id)
                      .join(Initiative, Initiative.id == Benefit.initiative_id).where(*self.where, UNDER_WAY)
                      .subquery("indicators"))
        latest, frequency = indicators.c.latest, indicators.c.frequency
        overdue = or_(col(latest).is_(None), latest < per_frequency(frequency, {f: due_period(f, today)
                                                                                for f in Frequency}))
        due = case((col(latest).is_(None), per_frequency(frequency, {f: benefits_math.period_start(f, today)
                                                                      for f in Frequency})),
                   else_=two_periods_after(latest, frequency, dialect))
        overdue_count = func.sum(case((overdue, 1), else_=0))
        figures = (select(indicators.c.initiative_id, func.count().label("indicators"),
                          overdue_count.label("overdue"), func.min(due).label("due"))
                   .group_by(indicators.c.initiative_id).having(overdue_count > 0).subquery("figures"))
        rows = self.session.exec(
            select(Initiative.id, Initiative.title, Initiative.stage, figures.c.indicators, figures.c.overdue,
                   figures.c.due, func.count().over(), func.sum(figures.c.overdue).over())
            .join(figures, figures.c.initiative_id == Initiative.id)
            .order_by(figures.c.due, Initiative.id).limit(LIST_LIMIT)
        ).all()
        listed = tuple(MeasurementsDue(row[0], row[1], row[2], row[3], int(row[4]), row[5]) for row in rows)
        return {"measurements": Listing(listed, rows[0][6] if rows else 0),
                "overdue_indicators": int(rows[0][7]) if rows else 0}

    def conditions(self) -> Listing[ConditionsDue]:
        """The unmet conditions of conditional goes past their due date, the longest overdue first."""
        decider = aliased(User)
        cutoff = _per_stage(GateDecision.to_stage, {s: _midnight(self.today - timedelta(days=d), self.zone)
                                                    for s, d in self.limits.items()})
        rank = func.row_number().over(partition_by=GateDecision.to_stage,
                                      order_by=(GateDecision.decided_at, GateDecision.id)).label("rank")
        first = (
            select(Initiative.id, Initiative.title, Initiative.stage, GateDecision.to_stage, GateDecision.decided_at,
                   decider.display_name, GateDecision.conditions, func.count().over().label("total"), rank)
            .join(GateDecision, GateDecision.initiative_id == Initiative.id)
            .join(decider, decider.id == GateDecision.decided_by_id)
            .where(*self.where, UNDER_WAY, GateDecision.outcome == Outcome.CONDITIONAL_GO,
                   col(GateDecision.conditions_met).is_(False), GateDecision.decided_at < cutoff)
            .subquery("first"))
        rows = self.session.exec(select(*(c for c in first.c if c.name != "rank"))
                                 .where(first.c.rank <= LIST_LIMIT)).all()
        listed = []
        for initiative_id, title, stage, to_stage, decided_at, decided_by, conditions, _total in rows:
            decided_on = _local_day(decided_at, self.zone)
            listed.append(ConditionsDue(initiative_id, title, stage, decided_on, decided_by,
                                        decided_on + timedelta(days=self.limits[to_stage]), conditions))
        listed.sort(key=lambda row: (row.due, row.id))
        return Listing(tuple(listed[:LIST_LIMIT]), rows[0][-1] if rows else 0)

    def bubbles(self) -> Listing[Bubble]:
        """The initiatives with a benefit calculation, the largest investments first, with their expected NPV."""
        investment = func.sum(CalculationYear.investment).label("investment")
        largest = (
            select(BenefitCalculation.id.label("calculation_id"), BenefitCalculation.initiative_id, investment,
                   func.count().over().label("total"))
            .join(CalculationYear, CalculationYear.calculation_id == BenefitCalculation.id)
            .join(Initiative, Initiative.id == BenefitCalculation.initiative_id).where(*self.where)
            .group_by(BenefitCalculation.id, BenefitCalculation.initiative_id)
            .order_by(investment.desc(), BenefitCalculation.initiative_id).limit(BUBBLE_LIMIT)
            .subquery("largest"))
        rows = self.session.exec(
            select(largest.c.initiative_id, Initiative.title, Initiative.stage, Initiative.estimated_cost,
                   largest.c.investment, largest.c.total, BenefitCalculation.discount_rate, CalculationYear.year,
                   CalculationYear.investment, CalculationYear.operation, CalculationYear.benefit,
                   CalculationYear.benefit_low, CalculationYear.benefit_high)
            .join(Initiative, Initiative.id == largest.c.initiative_id)
            .join(BenefitCalculation, BenefitCalculation.id == largest.c.calculation_id)
            .join(CalculationYear, CalculationYear.calculation_id == largest.c.calculation_id)
            .order_by(largest.c.investment.desc(), largest.c.initiative_id, CalculationYear.year)
        ).all()
        years: dict[int, list[benefits_math.CashflowYear]] = defaultdict(list)
        heads: dict[int, tuple] = {}
        for (initiative_id, title, stage, cost, total_investment, _total, rate, year, invested, operation, benefit,
             low, high) in rows:
            heads.setdefault(initiative_id, (title, stage, cost, total_investment, rate))
            years[initiative_id].append(benefits_math.CashflowYear(year, invested, operation, benefit, low, high))
        bubbles = tuple(
            Bubble(initiative_id, title, stage, float(total_investment),
                   benefits_math.calculate(years[initiative_id], rate).npv, cost)
            for initiative_id, (title, stage, cost, total_investment, rate) in heads.items())
        return Listing(bubbles, rows[0][5] if rows else 0)


# ------------------------------------------------------------------ the page's one read


@dataclass(frozen=True)
class DashboardPage:
    """The dashboard page's one read: the choices of its filters (the portfolios the user sees, the org units
    searched by name), and the dashboard or, for filters it cannot show, the problems to show instead."""

    portfolios: Choices
    units: Choices
    dashboard: Optional[Dashboard]
    problems: tuple[Message, ...] = ()


def dashboard_page(*, session: Session, actor: Actor, filters: DashboardFilters, unit_search: str = "",
                   today: Optional[date] = None) -> DashboardPage:
    """The dashboard with the choices of its filters (org units searched by ``unit_search``; the chosen unit is
    always among them)."""
    portfolios = portfolio_choices(session=session)
    if not actor.is_admin:
        readable = actor.owned_portfolios | actor.steering_portfolios
        portfolios = Choices(tuple(entry for entry in portfolios.entries if entry.id in readable))
    units = unit_choices(session=session, search=unit_search, keep=[filters.org_unit_id])
    try:
        return DashboardPage(portfolios, units, dashboard(session=session, actor=actor, filters=filters, today=today))
    except DomainError as error:
        return DashboardPage(portfolios, units, None, tuple(error.messages))

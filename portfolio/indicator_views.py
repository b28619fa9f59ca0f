"""Follow-up by level: the indicator figures of an org unit and the units below it at the three levels of
Socialstyrelsen's capacity-planning support (PKS), as one read model.

| level | span | grouped by |
|---|---|---|
| strategic | 1–4 calendar years, this one included | year or quarter |
| tactical | 1–24 months, this one included | month |
| operational | 1–26 ISO weeks, this one included | ISO week or day |

Which figures count: a measurement reported for a unit in the chosen sub-tree; one reported for a whole initiative
(no unit) counts for the initiative's owning unit. As on the initiative page, a whole-initiative figure replaces
the units' figures of the same indicator and period, so the same work is not counted twice.

Each indicator's figures are grouped by period bucket in SQL (``GROUP BY`` the bucket, with ``SUM`` or ``AVG`` as
the indicator declares in ``Indicator.aggregation``). A measurement falls in the bucket of its period's first day:
a weekly figure belongs to the month, quarter and year of its Monday. A bucket is labelled by its first day.

The plan and the status are those of the initiative page (``portfolio.indicator_figures``), per bucket: the planned
value is read on the middle day of the bucket's reported periods (the plan is a straight line, so this is the mean
of the plan over them). A sum adds the values of every reported period in the bucket, so its plan is that planned
value times the number of periods reported, and its status is judged on the mean per period. With one period in a
bucket the figure, plan and status are exactly the initiative page's.

**Not available at this level:** a bucket finer than the indicator's frequency (a monthly indicator per week or
per day, a yearly one per quarter) would have to invent figures, so such an indicator is listed as not available
at this level, with no buckets.

Who sees what: administrators every initiative; everyone else the initiatives of the portfolios whose steering
group or owners they belong to, with the portfolios below them (the grants of "report.read", as on the dashboard).
At most ``INDICATOR_LIMIT`` indicators are shown (by initiative title and indicator name), with the count of all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import Date, Integer, String, and_, case, cast, exists, func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.models import Benefit, Indicator, IndicatorPublic, Initiative, Measurement, OrgUnit
from portfolio import benefits_math
from portfolio.choices import Choices, unit_choices
from portfolio.errors import DomainError, FieldProblem, PermissionDenied, ValidationError
from portfolio.i18n import N_, Message
from portfolio.indicator_figures import IndicatorPlan, _status
from portfolio.permissions import Actor, subtree_ids
from workflows.vocabulary import Aggregation, Frequency, IndicatorStatus, Level

INDICATOR_LIMIT = 20

NO_PORTFOLIOS = N_("Follow-up by level shows the portfolios whose steering group or owners you belong to, and "
                   "you belong to none.")
UNKNOWN_UNIT = N_("There is no org unit number {unit}.")
UNKNOWN_LEVEL = N_("Unknown level {level}. The levels are: {levels}.")
WRONG_GROUPING = N_("The {level} level is grouped by {groupings}, not by {grouping}.")
WRONG_SPAN = N_("The span of the {level} level is {low} to {high}, not {span}.")


@dataclass(frozen=True)
class LevelRule:
    """What a level allows: its groupings (the first is the default), its span's unit, range and default, and a
    one-line explanation for the page."""

    groupings: tuple[Frequency, ...]
    span_unit: Frequency
    spans: range
    default_span: int
    explanation: str


LEVELS: dict[Level, LevelRule] = {
    Level.STRATEGIC: LevelRule((Frequency.YEAR, Frequency.QUARTER), Frequency.YEAR, range(1, 5), 4, N_(
        "Strategic: one to four years, by year or quarter, for long-term direction and resources.")),
    Level.TACTICAL: LevelRule((Frequency.MONTH,), Frequency.MONTH, range(1, 25), 12, N_(
        "Tactical: the last months, by month, for planning the coming months.")),
    Level.OPERATIONAL: LevelRule((Frequency.WEEK, Frequency.DAY), Frequency.WEEK, range(1, 27), 8, N_(
        "Operational: the last weeks, by week or day, for running the daily work.")),
}

# From finest to coarsest: an indicator can be shown per bucket of its own frequency or coarser only.
_FINENESS = (Frequency.DAY, Frequency.WEEK, Frequency.MONTH, Frequency.QUARTER, Frequency.YEAR)


def available(frequency: Frequency, grouping: Frequency) -> bool:
    """True when figures measured at ``frequency`` can be grouped by ``grouping`` without inventing any."""
    return _FINENESS.index(Frequency(frequency)) <= _FINENESS.index(Frequency(grouping))


@dataclass(frozen=True)
class Bucket:
    """One period bucket of one indicator: its first day, the figure (sum or mean, as declared; None when
    nothing was reported), the planned figure, the number of reported periods and the status."""

    start: date
    actual: Optional[float]
    planned: Optional[float]
    periods: int
    status: IndicatorStatus


@dataclass(frozen=True)
class IndicatorLevelFigures:
    """One indicator at the chosen level: its plan, the initiative it belongs to, and its buckets (every bucket
    of the span, oldest first), or ``available`` False when its frequency is coarser than the grouping."""

    indicator: IndicatorPublic
    plan: IndicatorPlan
    initiative_id: int
    initiative_title: str
    available: bool
    buckets: tuple[Bucket, ...]


@dataclass(frozen=True)
class IndicatorLevelView:
    """What the follow-up page shows: the chosen unit, level, span and grouping, the span's first and last day,
    and the indicators with figures in the span (at most ``INDICATOR_LIMIT``; ``total`` counts them all)."""

    org_unit_id: int
    org_unit_name: str
    level: Level
    span: int
    grouping: Frequency
    first_day: date
    last_day: date
    indicators: tuple[IndicatorLevelFigures, ...]
    total: int


def _check(session: Session, actor: Actor, org_unit_id: int, level: str, span: int,
           grouping: str) -> tuple[Optional[frozenset[int]], OrgUnit, Level, Frequency]:
    """Who sees what, then every problem of the choices at once."""
    readable: Optional[frozenset[int]] = None
    if not actor.is_admin:
        readable = actor.owned_portfolios | actor.steering_portfolios
        if not readable:
            raise PermissionDenied(Message(NO_PORTFOLIOS))
    problems: list[FieldProblem] = []
    unit = session.get(OrgUnit, org_unit_id)
    if unit is None:
        problems.append(FieldProblem("org_unit_id", Message(UNKNOWN_UNIT, {"unit": org_unit_id})))
    if not Level.has(level):
        problems.append(FieldProblem("level", Message(UNKNOWN_LEVEL, {
            "level": repr(level), "levels": ", ".join(Level)})))
        raise ValidationError(problems)
    rule = LEVELS[Level(level)]
    if not Frequency.has(grouping) or Frequency(grouping) not in rule.groupings:
        problems.append(FieldProblem("grouping", Message(WRONG_GROUPING, {
            "level": level, "groupings": ", ".join(rule.groupings), "grouping": repr(grouping)})))
    if span not in rule.spans:
        problems.append(FieldProblem("span", Message(WRONG_SPAN, {
            "level": level, "low": rule.spans.start, "high": rule.spans.stop - 1, "span": span})))
    if problems:
        raise ValidationError(problems)
    return readable, unit, Level(level), Frequency(grouping)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def window(level: Level, span: int, today: date) -> tuple[date, date]:
    """The first and last day of the span: ``span`` calendar years, months or ISO weeks, the current one last."""
    unit = LEVELS[Level(level)].span_unit
    end = benefits_math.next_period_start(unit, today) - timedelta(days=1)
    if unit is Frequency.YEAR:
        return date(today.year - span + 1, 1, 1), end
    if unit is Frequency.MONTH:
        return _months_back(today, span - 1), end
    return benefits_math.period_start(Frequency.WEEK, today) - timedelta(weeks=span - 1), end


def bucket_starts(grouping: Frequency, first_day: date, last_day: date) -> list[date]:
    """The first day of every bucket from ``first_day`` to ``last_day``."""
    starts, start = [], benefits_math.period_start(grouping, first_day)
    while start <= last_day:
        starts.append(start)
        start = benefits_math.next_period_start(grouping, start)
    return starts


def bucket_expression(dialect: str, grouping: Frequency, day):
    """The first day of the bucket holding ``day`` (a date column), in SQL for SQLite or PostgreSQL; SQLite
    answers with ISO text, which ``_as_date`` reads."""
    grouping = Frequency(grouping)
    if grouping is Frequency.DAY:
        return day
    if dialect == "postgresql":
        return cast(func.date_trunc(grouping.value, day), Date)
    if grouping is Frequency.WEEK:
        # strftime('%w') counts from Sunday = 0; the ISO week starts on Monday.
        back = (cast(func.strftime("%w", day), Integer) + 6) % 7
        return func.date(day, literal("-") + cast(back, String) + literal(" days"))
    if grouping is Frequency.MONTH:
        return func.strftime("%Y-%m-01", day)
    if grouping is Frequency.QUARTER:
        month = (cast(func.strftime("%m", day), Integer) - 1) // 3 * 3 + 1
        return func.printf("%s-%02d-01", func.strftime("%Y", day), month)
    return func.strftime("%Y-01-01", day)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _in_scope(readable: Optional[frozenset[int]], unit_id: int, first_day: date, last_day: date):
    """The SQL conditions on measurements joined to their indicator, benefit and initiative: what the actor sees,
    in the span, reported for a unit of the sub-tree (or for the whole of an initiative the sub-tree owns), and
    not replaced by a whole-initiative figure of the same period."""
    units = subtree_ids(OrgUnit, [unit_id])
    owned = col(Initiative.org_unit_id).in_(units)
    whole = aliased(Measurement)
    replaced = exists().where(whole.indicator_id == Measurement.indicator_id,
                              whole.period_start == Measurement.period_start, col(whole.org_unit_id).is_(None))
    where = [
        Measurement.period_start >= first_day, Measurement.period_start <= last_day,
        or_(and_(col(Measurement.org_unit_id).in_(units), ~and_(owned, replaced)),
            and_(col(Measurement.org_unit_id).is_(None), owned)),
    ]
    if readable is not None:
        where.append(col(Initiative.portfolio_id).in_(sorted(readable)))
    return where


def _joined(query):
    return (query.join(Indicator, Indicator.id == Measurement.indicator_id)
            .join(Benefit, Benefit.id == Indicator.benefit_id).join(Initiative, Initiative.id == Benefit.initiative_id))


def indicator_view(*, session: Session, actor: Actor, org_unit_id: int, level: str, span: int, grouping: str,
                   today: Optional[date] = None, limit: int = INDICATOR_LIMIT) -> IndicatorLevelView:
    """The indicators with figures of ``org_unit_id`` and the units below it in the last ``span`` years, months or
    weeks (as ``level`` counts them) up to ``today``, grouped by ``grouping``, each bucket with its plan and status.

    Raises PermissionDenied for someone who sees no portfolio's figures, and ValidationError naming every problem
    of the choices (an unknown unit or level, a grouping or span the level does not have)."""
    readable, unit, level, grouping = _check(session, actor, org_unit_id, level, span, grouping)
    today = today or date.today()
    first_day, last_day = window(level, span, today)
    where = _in_scope(readable, unit.id, first_day, last_day)

    # Which indicators: the first ``limit`` by initiative and name, and the count of all, in one query.
    shown = _joined(select(Indicator.id.label("indicator_id"), Initiative.title, Indicator.name,
                           Initiative.id.label("initiative_id")).distinct().select_from(Measurement)
                    ).where(*where).subquery("shown")
    rows = session.exec(select(shown.c.indicator_id, shown.c.title, shown.c.name, shown.c.initiative_id,
                               func.count().over())
                        .order_by(shown.c.title, shown.c.name, shown.c.indicator_id).limit(limit)).all()
    count = rows[0][4] if rows else 0
    ids = [row[0] for row in rows]
    indicators = {i.id: i for i in session.exec(select(Indicator).where(col(Indicator.id).in_(ids))).all()} if ids \
        else {}

    # The figures: per indicator and bucket, the declared SUM or AVG, only for indicators the grouping suits.
    groupable = [i for i in ids if available(indicators[i].frequency, grouping)]
    figures: dict[int, dict[date, tuple]] = {i: {} for i in groupable}
    if groupable:
        bucket = bucket_expression(session.get_bind().dialect.name, grouping, Measurement.period_start).label("bucket")
        declared = case((Indicator.aggregation == Aggregation.SUM, func.sum(Measurement.value)),
                        else_=func.avg(Measurement.value))
        query = _joined(select(Measurement.indicator_id, bucket, declared, func.count(Measurement.period_start.distinct()),
                               func.min(Measurement.period_start), func.max(Measurement.period_start))
                        .select_from(Measurement)).where(*where, col(Measurement.indicator_id).in_(groupable)) \
            .group_by(Measurement.indicator_id, bucket, Indicator.aggregation)
        for indicator_id, start, value, periods, first, last in session.exec(query).all():
            figures[indicator_id][_as_date(start)] = (float(value), periods, _as_date(first), _as_date(last))

    starts = bucket_starts(grouping, first_day, last_day)
    result = []
    for indicator_id, title, _name, initiative_id, _total in rows:
        indicator = indicators[indicator_id]
        buckets: tuple[Bucket, ...] = ()
        if indicator_id in figures:
            buckets = tuple(_bucket(indicator, start, figures[indicator_id].get(start)) for start in starts)
        result.append(IndicatorLevelFigures(
            indicator=IndicatorPublic.model_validate(indicator), plan=IndicatorPlan.of(indicator),
            initiative_id=initiative_id, initiative_title=title, available=indicator_id in figures, buckets=buckets))
    return IndicatorLevelView(org_unit_id=unit.id, org_unit_name=unit.name, level=level, span=span, grouping=grouping,
                              first_day=first_day, last_day=last_day, indicators=tuple(result), total=count)


def _bucket(indicator: Indicator, start: date, figure: Optional[tuple]) -> Bucket:
    """One bucket's figure against the plan on the middle day of its reported periods (see the module's notes)."""
    if figure is None:
        return Bucket(start, None, None, 0, IndicatorStatus.UNKNOWN)
    value, periods, first, last = figure
    middle = first + (last - first) / 2
    per_period = value / periods if indicator.aggregation == Aggregation.SUM else value
    planned = None
    if None not in (indicator.baseline_value, indicator.target_value, indicator.baseline_date, indicator.target_date):
        planned = benefits_math.planned_value(indicator.baseline_value, indicator.target_value,
                                              indicator.baseline_date, indicator.target_date, middle)
        if indicator.aggregation == Aggregation.SUM:
            planned *= periods
    return Bucket(start, value, planned, periods, _status(indicator, middle, per_period))


@dataclass(frozen=True)
class IndicatorViewPage:
    """What the follow-up page shows: the org units to choose from (searched by name, each with its path), and the
    view of the chosen unit, or the problems of the choices instead (None and none before a unit is chosen)."""

    units: Choices
    view: Optional[IndicatorLevelView]
    problems: tuple[Message, ...] = ()


def indicator_view_page(*, session: Session, actor: Actor, org_unit_id: Optional[int], level: str, span: int,
                        grouping: str, unit_search: str = "", today: Optional[date] = None) -> IndicatorViewPage:
    """The follow-up page's one read: the unit choices (the chosen unit always among them) and the view."""
    units = unit_choices(session=session, search=unit_search, keep=[org_unit_id])
    if org_unit_id is None:
        return IndicatorViewPage(units, None)
    try:
        return IndicatorViewPage(units, indicator_view(session=session, actor=actor, org_unit_id=org_unit_id,
                                                       level=level, span=span, grouping=grouping, today=today))
    except DomainError as error:
        return IndicatorViewPage(units, None, tuple(error.messages))

"""Worklists: the page each role lands on after signing in, and what it lists.

- The **portfolio owner** lands on the gates waiting for them ("My decisions", ``portfolio.decision_queue``).
- The **implementation lead** lands on the initiatives they lead (``lead_worklist``), each with its open
  checklist items and overdue measurements.
- The **unit reporter** lands on the figures they report for their units (``reporter_worklist``), with what
  is overdue, and a one-screen entry form for the due period whose changed cells ``entry_rows`` turns into
  rows for the one way figures are saved, ``portfolio.measurements.import_measurements``.
- The **steering group** lands on the portfolio dashboard (``portfolio.dashboard``).

A user with several roles lands on the first of them in that order (``landing_roles``). Worklists hold only
initiatives that are neither realised nor stopped, and are sorted by due date, then by initiative number.

Due dates and overdue measurements
----------------------------------
An indicator is measured period by period (its ``Frequency``); the figure of a period falls due on the first
day after the period ends. On a day ``today`` the **due period** is the last completed period, the one before
the period that holds ``today`` (``due_period``: on 2026-11-02 the monthly due period is 2026-10, the weekly
one 2026-W44, the quarterly one 2026-Q3).

A **measurement is overdue** when the latest period with a reported value is older than the due period, or
when nothing was reported at all. This is the Benefits tab's flag (``benefits_math.is_overdue`` without grace
days), so both pages agree.

The **due date** (``due_date``) is when the oldest missing figure fell due, or when the next one will: the
first day after the period that follows the latest reported one; with nothing reported, the first day of the
current period (when the due period's figure fell due). A measurement is overdue exactly when its due date is
today or earlier, so sorting by due date puts the longest overdue first.

For the lead an indicator's latest period is the latest reported for any org unit or the whole initiative.
For the reporter it is per indicator and org unit: each of their units reports its own figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping, Optional, Sequence

from sqlalchemy import Date, Interval, and_, case, cast, func, nulls_last, or_, type_coerce, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.models import Benefit, ChecklistItem, Indicator, Initiative, Measurement, OrgUnit
from portfolio.benefits_math import format_period, next_period_start, period_start
from portfolio.measurement_files import RawRow, typed_number
from portfolio.permissions import Actor
from portfolio.queries import without_jit
from workflows.lifecycle import FINAL_STAGES
from workflows.vocabulary import ChecklistStatus, Frequency, Role

# The roles that have a landing page, in the order that decides where a user with several of them lands.
LANDING_ORDER = (Role.PORTFOLIO_OWNER, Role.IMPLEMENTATION_LEAD, Role.REPORTER, Role.STEERING)
LEAD_PER_PAGE = 50


def landing_roles(actor: Actor) -> tuple[Role, ...]:
    """The roles of ``actor`` that have a worklist, in ``LANDING_ORDER``: the first is where they land."""
    held = {Role.PORTFOLIO_OWNER: actor.owned_portfolios, Role.IMPLEMENTATION_LEAD: actor.lead_portfolios,
            Role.REPORTER: actor.reporting_units, Role.STEERING: actor.steering_portfolios}
    return tuple(role for role in LANDING_ORDER if held[role])


# ------------------------------------------------------------------ due periods and dates


def due_period(frequency: Frequency, today: date) -> date:
    """The first day of the period whose figure is due on ``today``: the last completed period."""
    current = period_start(frequency, today)
    return period_start(frequency, current - timedelta(days=1))


def due_date(frequency: Frequency, latest: Optional[date], today: date) -> date:
    """When the oldest figure missing after ``latest`` (the latest period reported) fell or falls due: the day
    after the period that follows ``latest`` ends. With nothing reported, the first day of the current period."""
    if latest is None:
        return period_start(frequency, today)
    return next_period_start(frequency, next_period_start(frequency, latest))


def is_overdue(frequency: Frequency, latest: Optional[date], today: date) -> bool:
    """True when the figure of the due period is missing: ``latest`` is None or older than the due period."""
    return latest is None or latest < due_period(frequency, today)


# The SQL twin of ``due_date`` for a reported period: two periods after it.
_TWO_PERIODS = {Frequency.DAY: "2 days", Frequency.WEEK: "14 days", Frequency.MONTH: "2 months",
                Frequency.QUARTER: "6 months", Frequency.YEAR: "2 years"}


def per_frequency(frequency, values: dict[Frequency, Any]):
    """A CASE choosing ``values[frequency]`` by the indicator's frequency column."""
    return case({member.value: value for member, value in values.items()}, value=frequency)


def two_periods_after(period, frequency, dialect: str):
    """SQL for the day two periods (of the indicator's frequency) after ``period``, in ``dialect``."""
    if dialect == "postgresql":
        return cast(period.op("+")(cast(per_frequency(frequency, _TWO_PERIODS), Interval)), Date)
    return type_coerce(func.date(period, per_frequency(frequency, {f: "+" + s for f, s in _TWO_PERIODS.items()})),
                       Date)


def latest_period():
    """The latest period of the indicator with a value, for any org unit or the whole initiative: a column of the
    indicator that the database keeps as measurements are written (no probe of the measurements)."""
    return col(Indicator.latest_period)


# ------------------------------------------------------------------ the lead


@dataclass(frozen=True)
class LeadRow:
    """One initiative on its lead's worklist."""

    id: int
    title: str
    stage: str
    on_hold: bool
    # The items of the current stage's checklist that are still open.
    open_items: int
    indicators: int
    # Its indicators whose measurement is overdue.
    overdue: int
    # The earliest due date of its indicators; None when it has none.
    due: Optional[date]


@dataclass(frozen=True)
class LeadWorklist:
    """One page of the initiatives a lead leads, with where the page lies."""

    rows: list[LeadRow]
    total: int
    page: int
    pages: int
    today: date


def lead_worklist(*, session: Session, actor: Actor, page: int = 1, per_page: int = LEAD_PER_PAGE,
                  today: Optional[date] = None) -> LeadWorklist:
    """One page (from 1; past the end, the last) of the initiatives ``actor`` leads (the "implementation
    lead" grant of ``portfolio.permissions``: nobody sees another lead's initiatives), earliest due date first,
    those without indicators last, then by number.

    Counts, overdue flags and due dates are computed in SQL for all of them; only the page's rows are read."""
    today = today or date.today()
    dialect = session.get_bind().dialect.name
    led = (Initiative.lead_id == actor.user_id, col(Initiative.stage).not_in(FINAL_STAGES))
    total = session.exec(select(func.count()).select_from(Initiative).where(*led)).one()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)

    indicators = (select(Benefit.initiative_id, Indicator.frequency, latest_period().label("latest"))
                  .select_from(Indicator).join(Benefit, Benefit.id == Indicator.benefit_id)
                  .join(Initiative, Initiative.id == Benefit.initiative_id).where(*led)
                  .subquery("indicators"))
    latest, frequency = indicators.c.latest, indicators.c.frequency
    due_periods = per_frequency(frequency, {f: due_period(f, today) for f in Frequency})
    current_periods = per_frequency(frequency, {f: period_start(f, today) for f in Frequency})
    overdue = or_(col(latest).is_(None), latest < due_periods)
    due = case((col(latest).is_(None), current_periods), else_=two_periods_after(latest, frequency, dialect))
    figures = (select(indicators.c.initiative_id, func.count().label("indicators"),
                      func.sum(case((overdue, 1), else_=0)).label("overdue"), func.min(due).label("due"))
               .group_by(indicators.c.initiative_id).subquery("figures"))
    open_items = (select(func.count()).select_from(ChecklistItem)
                  .where(ChecklistItem.initiative_id == Initiative.id, ChecklistItem.stage == Initiative.stage,
                         ChecklistItem.status == ChecklistStatus.OPEN)
                  .correlate(Initiative).scalar_subquery())
    rows = session.exec(
        select(Initiative.id, Initiative.title, Initiative.stage, Initiative.on_hold, open_items,
               figures.c.indicators, figures.c.overdue, figures.c.due)
        .outerjoin(figures, figures.c.initiative_id == Initiative.id).where(*led)
        .order_by(nulls_last(figures.c.due), Initiative.id)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return LeadWorklist(
        rows=[LeadRow(id=row[0], title=row[1], stage=row[2], on_hold=bool(row[3]), open_items=row[4],
                      indicators=row[5] or 0, overdue=row[6] or 0, due=row[7]) for row in rows],
        total=total, page=page, pages=pages, today=today)


# ------------------------------------------------------------------ the reporter


@dataclass(frozen=True)
class ReportCell:
    """One row of the reporter's entry form: an indicator, one of their org units, and the figure of the due
    period (the stored value and its version, 0 when there is none)."""

    initiative_id: int
    initiative: str
    indicator_code: str
    indicator: str
    frequency: Frequency
    unit_id: int
    unit: str
    # How the import names the unit: its register code, else its name.
    unit_key: str
    # The due period and the latest period reported, as files write periods (2026-10, 2026-W44, ...).
    period: str
    latest: Optional[str]
    due: date
    overdue: bool
    value: Optional[float]
    version: int


@dataclass(frozen=True)
class ReportedInitiative:
    """One initiative on a reporter's worklist: how many figures (indicator and unit) they report for it,
    how many of them are overdue, and the earliest due date."""

    id: int
    title: str
    stage: str
    figures: int
    overdue: int
    due: date


@dataclass(frozen=True)
class ReporterWorklist:
    """The reporter's initiatives and the cells of their entry form, both sorted by due date."""

    initiatives: list[ReportedInitiative]
    cells: list[ReportCell]
    today: date


def reporter_worklist(*, session: Session, actor: Actor, today: Optional[date] = None) -> ReporterWorklist:
    """Every figure ``actor`` reports: each indicator of an initiative that one of their org units reports for
    (the "unit reporter" grant of ``portfolio.permissions``: their units and the units below them), per unit.

    A unit reports an initiative's figures when it is the initiative's owning unit or lies below it, or when
    it has reported a figure for the initiative already (as the Benefits tab's unit choices have it). Cells are
    sorted by due date, initiative number, indicator code and unit name."""
    today = today or date.today()
    units = actor.reporting_units
    if not units:
        return ReporterWorklist([], [], today)
    active = col(Initiative.stage).not_in(FINAL_STAGES)
    measured = (select(Measurement.indicator_id, Measurement.org_unit_id,
                       func.max(Measurement.period_start).label("latest"))
                .where(col(Measurement.org_unit_id).in_(sorted(units)))
                .group_by(Measurement.indicator_id, Measurement.org_unit_id).cte("measured"))
    # Each of the reporter's units with itself and every unit above it: an initiative owned there is theirs.
    upward = (select(OrgUnit.id.label("unit_id"), OrgUnit.id.label("owner_id"), OrgUnit.parent_id.label("parent_id"))
              .where(col(OrgUnit.id).in_(sorted(units))).cte("upward", recursive=True))
    parent = aliased(OrgUnit)
    # UNION (not UNION ALL) ends the walk even if a corrupt tree has a cycle.
    upward = upward.union(select(upward.c.unit_id, parent.id, parent.parent_id)
                          .join(parent, parent.id == upward.c.parent_id))
    owned = (select(Initiative.id.label("initiative_id"), upward.c.unit_id.label("unit_id"))
             .join(upward, upward.c.owner_id == Initiative.org_unit_id).where(active))
    reported = (select(Benefit.initiative_id, measured.c.org_unit_id).select_from(measured)
                .join(Indicator, Indicator.id == measured.c.indicator_id)
                .join(Benefit, Benefit.id == Indicator.benefit_id))
    pairs = union(owned, reported).subquery("pairs")

    def stored(column):
        # Looked up cell by cell through the unit index: a join may read the whole measurement table instead.
        return (select(column).where(Measurement.indicator_id == Indicator.id, Measurement.org_unit_id == OrgUnit.id,
                                     Measurement.period_start == per_frequency(
                                         Indicator.frequency, {f: due_period(f, today) for f in Frequency}))
                .correlate(Indicator, OrgUnit).scalar_subquery())

    # PostgreSQL cannot know how few (indicator, unit) groups the reporter's units have, so it overestimates
    # the plan's cost and compiles it (a second at 20,000 initiatives) to run it in a tenth of that.
    with without_jit(session):
        rows = session.exec(
            select(Initiative.id, Initiative.title, Initiative.stage, Indicator.code, Indicator.name,
                   Indicator.frequency, OrgUnit.id, OrgUnit.name, OrgUnit.code, measured.c.latest,
                   stored(Measurement.value), stored(Measurement.version))
            .select_from(pairs)
            .join(Initiative, Initiative.id == pairs.c.initiative_id)
            .join(Benefit, Benefit.initiative_id == Initiative.id)
            .join(Indicator, Indicator.benefit_id == Benefit.id)
            .join(OrgUnit, OrgUnit.id == pairs.c.unit_id)
            .outerjoin(measured, and_(measured.c.indicator_id == Indicator.id,
                                      measured.c.org_unit_id == OrgUnit.id))
            .where(active)
        ).all()
    due_periods = {f: format_period(f, due_period(f, today)) for f in Frequency}
    # (frequency, latest period) -> its text and due date: periods repeat from row to row.
    latest_of: dict[tuple[Frequency, Optional[date]], tuple[Optional[str], date]] = {}
    cells, stages = [], {}
    for (initiative_id, title, stage, code, name, frequency, unit_id, unit, unit_code, latest, value,
         version) in rows:
        stages[initiative_id] = stage
        frequency = Frequency(frequency)
        key = (frequency, latest)
        if key not in latest_of:
            latest_of[key] = (format_period(frequency, latest) if latest is not None else None,
                              due_date(frequency, latest, today))
        latest_text, due = latest_of[key]
        cells.append(ReportCell(
            initiative_id=initiative_id, initiative=title, indicator_code=code, indicator=name,
            frequency=frequency, unit_id=unit_id, unit=unit, unit_key=unit_code or unit,
            period=due_periods[frequency], latest=latest_text, due=due, overdue=due <= today, value=value,
            version=version or 0))
    # Python's order, not the database's collation, so that both databases sort names alike.
    cells.sort(key=lambda c: (c.due, c.initiative_id, c.indicator_code, c.unit, c.unit_id))
    # Every cell is on the page's form, so the initiatives are summed up from the rows already read.
    by_initiative: dict[int, list[ReportCell]] = defaultdict(list)
    for cell in cells:
        by_initiative[cell.initiative_id].append(cell)
    initiatives = [ReportedInitiative(id=initiative_id, title=own[0].initiative, stage=stages[initiative_id],
                                      figures=len(own), overdue=sum(c.overdue for c in own), due=own[0].due)
                   for initiative_id, own in by_initiative.items()]
    return ReporterWorklist(initiatives=initiatives, cells=cells, today=today)


def entry_rows(cells: Sequence[ReportCell], edited: Mapping[Any, Mapping[str, Any]],
               *, language: str) -> list[RawRow]:
    """The entry form's changed values as rows for ``import_measurements``, numbered as the form numbers its
    rows (from 1), each value read as a reader of ``language`` writes it (``typed_number``). ``edited`` holds
    the changed cells by row index, as the grid reports them. Each row carries the version of the value the
    reporter saw (0 for an empty cell), so a value someone else saved meanwhile is a conflict, never silently
    overwritten."""
    rows = []
    for index in sorted(edited, key=int):
        change = edited[index]
        if "value" not in change:
            continue
        cell = cells[int(index)]
        rows.append(RawRow(int(index) + 1, cell.indicator_code, cell.period, cell.unit_key,
                           typed_number(change["value"], language), seen_version=cell.version))
    return rows

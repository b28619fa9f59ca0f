"""Portfolio-level reads: the overview of initiatives with its counts per stage, and the overview page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import Initiative, OrgUnit, Portfolio, User
from portfolio.choices import Choices, portfolio_choices, unit_choices
from portfolio.errors import DomainError, FieldProblem, ValidationError
from portfolio.i18n import N_, Message
from portfolio.initiatives import STATUSES, parse_stage, status_of
from portfolio.permissions import subtree_ids
from workflows.lifecycle import FINAL_STAGES, STAGES


@dataclass(frozen=True)
class OverviewFilters:
    portfolio_id: Optional[int] = None
    stage: Optional[str] = None
    org_unit_id: Optional[int] = None
    status: Optional[str] = None


@dataclass(frozen=True)
class OverviewRow:
    id: int
    title: str
    stage: str
    status: str
    portfolio: str
    org_unit: Optional[str]
    lead: Optional[str]
    stage_entered_at: date
    hold_review_date: Optional[date]


@dataclass(frozen=True)
class Overview:
    """One page of the overview's rows, the count per stage over all pages, and where the page lies."""

    rows: list[OverviewRow]
    count_per_stage: dict[str, int]
    total: int = 0
    page: int = 1
    pages: int = 1


OVERVIEW_PER_PAGE = 100


def status_clause(status: str):
    """The WHERE clause of an initiative status (active, on hold, realised, stopped); the overview and the
    dashboard filter by it."""
    if status == "on_hold":
        return col(Initiative.on_hold).is_(True) & col(Initiative.stage).not_in(FINAL_STAGES)
    if status == "closed":
        return col(Initiative.stage).in_(FINAL_STAGES)
    return col(Initiative.on_hold).is_(False) & col(Initiative.stage).not_in(FINAL_STAGES)


def portfolio_overview(*, session: Session, filters: OverviewFilters, page: int = 1,
                       per_page: Optional[int] = None) -> Overview:
    """Initiatives matching the filters (sub-portfolios and sub-units included) and a count per stage.

    With ``per_page`` only that page's rows are read (pages count from 1; a page past the end gives the
    last one); without it, every row. Counts and sub-trees are computed in SQL.
    """
    conditions = []
    if filters.portfolio_id is not None:
        conditions.append(col(Initiative.portfolio_id).in_(subtree_ids(Portfolio, {filters.portfolio_id})))
    if filters.org_unit_id is not None:
        conditions.append(col(Initiative.org_unit_id).in_(subtree_ids(OrgUnit, {filters.org_unit_id})))
    if filters.stage is not None:
        conditions.append(Initiative.stage == parse_stage(filters.stage))
    if filters.status is not None:
        if filters.status not in STATUSES:
            raise ValidationError([FieldProblem("status", Message(
                N_("Unknown status {status}. The statuses are: {statuses}."),
                {"status": repr(filters.status), "statuses": ", ".join(STATUSES)}))])
        conditions.append(status_clause(filters.status))

    counts = dict(
        session.exec(
            select(Initiative.stage, func.count()).where(*conditions).group_by(Initiative.stage)
        ).all()
    )
    total = sum(counts.values())
    pages = max(1, -(-total // per_page)) if per_page else 1
    page = min(max(1, page), pages)
    lead = User.__table__.alias("lead")
    query = (
        select(
            Initiative.id, Initiative.title, Initiative.stage, Initiative.on_hold, Portfolio.name,
            OrgUnit.name, lead.c.display_name, Initiative.stage_entered_at, Initiative.hold_review_date,
        )
        .join(Portfolio, Portfolio.id == Initiative.portfolio_id)
        .join(OrgUnit, OrgUnit.id == Initiative.org_unit_id, isouter=True)
        .join(lead, lead.c.id == Initiative.lead_id, isouter=True)
        .where(*conditions)
        .order_by(col(Initiative.id))
    )
    if per_page:
        query = query.offset((page - 1) * per_page).limit(per_page)
    rows = [
        OverviewRow(
            id=r[0], title=r[1], stage=r[2], status=status_of(r[2], bool(r[3])), portfolio=r[4],
            org_unit=r[5], lead=r[6], stage_entered_at=r[7].date(), hold_review_date=r[8],
        )
        for r in session.exec(query).all()
    ]
    return Overview(rows=rows, count_per_stage={stage: counts.get(stage, 0) for stage in STAGES}, total=total,
                    page=page, pages=pages)


@dataclass(frozen=True)
class OverviewPage:
    """The overview page's one read: the filters' choices, and one page of the overview or, for filters
    that name no stage or status (a hand-edited link), the problems to show instead."""

    portfolios: Choices
    units: Choices
    overview: Optional[Overview]
    problems: tuple[Message, ...] = ()


def overview_page(*, session: Session, filters: OverviewFilters, page: int = 1,
                  per_page: int = OVERVIEW_PER_PAGE, unit_search: str = "") -> OverviewPage:
    """One page of the overview with the choices of its filters (org units searched by ``unit_search``;
    the chosen unit is always among them)."""
    choices = {"portfolios": portfolio_choices(session=session),
               "units": unit_choices(session=session, search=unit_search, keep=[filters.org_unit_id])}
    try:
        overview = portfolio_overview(session=session, filters=filters, page=page, per_page=per_page)
    except DomainError as error:
        return OverviewPage(**choices, overview=None, problems=tuple(error.messages))
    return OverviewPage(**choices, overview=overview)

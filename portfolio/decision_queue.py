""""My decisions": the gates waiting for a user's decision, grouped by portfolio and readiness, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    literal_column,
    not_,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased
from sqlmodel import Session, cast, col, or_, select

from db.models import (
    Benefit,
    BenefitCalculation,
    CalculationYear,
    ChecklistItem,
    GateDecisionOwner,
    Indicator,
    Initiative,
    Measurement,
    Portfolio,
)
from portfolio.gate_facts import benefit_facts, build_context, checklist_facts
from portfolio.i18n import Message
from portfolio.permissions import Actor
from portfolio.queries import without_jit
from workflows import lifecycle
from workflows.process import load_process
from workflows.rules import BenefitFacts, evaluate


@dataclass(frozen=True)
class PendingInitiative:
    """What a card on "My decisions" shows of an initiative."""

    id: int
    title: str
    stage: str
    portfolio_id: int
    portfolio: str


@dataclass(frozen=True)
class PendingGate:
    """One card: the initiative, whether every rule of its gate holds, and the unmet rules' messages."""

    initiative: PendingInitiative
    ready: bool
    unmet: list[Message]


@dataclass(frozen=True)
class PendingGroup:
    """One portfolio's waiting gates that are ready (or not), counted over every page."""

    portfolio_id: int
    portfolio: str
    ready: bool
    count: int


@dataclass(frozen=True)
class DecisionsPage:
    """One page of "My decisions": its cards in group order, the groups with their counts, the totals."""

    gates: list[PendingGate]
    groups: list[PendingGroup]
    total: int
    ready: int
    page: int
    pages: int


DECISIONS_PER_PAGE = 50

# ------------------------------------------------------------------ the gate rules, as SQL
#
# Readiness decides a gate's group and place in the queue, so it is computed in SQL for every waiting
# gate; only the shown page's gates are then read as rows and checked by the rules themselves
# (workflows.rules), which give the messages. Each rule has a twin here that holds exactly when the
# rule does (tests compare the two), written against the initiative of the enclosing query.

# str.strip(), which the rules use, removes every character for which str.isspace() holds; none lies
# above U+3000.
_WHITESPACE = bindparam("whitespace", "".join(c for c in map(chr, range(0x3001)) if c.isspace()))

SqlRule = Callable[[str, str], ColumnElement[bool]]


def _filled(text: ColumnElement[str], dialect: str) -> ColumnElement[bool]:
    """``text`` holds more than whitespace (the rules' ``not _blank(text)``)."""
    trim = func.btrim if dialect == "postgresql" else func.trim
    return trim(text, _WHITESPACE) != ""


def _some(rows: Select) -> ColumnElement[bool]:
    """``rows`` has a row. Written as a scalar subquery with LIMIT 1, not as EXISTS: PostgreSQL may run an
    EXISTS as one hash over the whole table, and does so for every rule when it overestimates how many
    gates wait (13,000 for 2,000 at 20,000 initiatives), where each waiting gate needs a few index probes."""
    return rows.with_only_columns(literal_column("1")).limit(literal_column("1")).scalar_subquery().is_not(None)


def _none(rows: Select) -> ColumnElement[bool]:
    """``rows`` has no row (see ``_some``)."""
    return rows.with_only_columns(literal_column("1")).limit(literal_column("1")).scalar_subquery().is_(None)


def _checklist_done(stage: str, dialect: str) -> ColumnElement[bool]:
    """No required item of the ``stage`` checklist is open (``incomplete_items`` is empty)."""
    settled = or_(ChecklistItem.status == "done",
                  and_(ChecklistItem.status == "not_applicable", _filled(ChecklistItem.not_applicable_reason, dialect)))
    return _none(select(ChecklistItem.id).where(
        ChecklistItem.initiative_id == Initiative.id, ChecklistItem.stage == stage,
        col(ChecklistItem.required).is_(True), not_(settled)).correlate(Initiative))


def _indicators():
    """The indicators of the initiative, over its benefits."""
    return (select(Indicator.id).join(Benefit, Benefit.id == Indicator.benefit_id)
            .where(Benefit.initiative_id == Initiative.id).correlate(Initiative))


def _latest_value() -> ColumnElement[float]:
    """The indicator's value in its latest period, as ``gate_facts.benefit_facts`` reads it: the whole
    initiative's figure when one was reported, else the org units' combined; NULL without measurements."""
    value = aliased(Measurement)
    latest = col(Indicator.latest_period)
    whole = col(value.org_unit_id).is_(None)
    return (select(case((Indicator.aggregation == "sum", func.sum(value.value)), else_=func.avg(value.value)))
            .where(value.indicator_id == Indicator.id, value.period_start == latest)
            .group_by(whole).order_by(whole.desc()).limit(literal_column("1")).correlate(Indicator)
            .scalar_subquery())


def _at_target() -> ColumnElement[bool]:
    """The latest value has reached the target (``progress_to_target(...) >= 1``).

    With d = target - baseline non-zero, (latest - baseline) / d >= 1 holds in floating point exactly
    when latest - baseline >= d (d > 0) or <= d (d < 0), so no division is needed."""
    baseline, target, latest = Indicator.baseline_value, Indicator.target_value, _latest_value()
    reached = case(
        (or_(col(baseline).is_(None), col(target).is_(None)), false()),
        (target > baseline, latest - baseline >= target - baseline),
        (target < baseline, latest - baseline <= target - baseline),
        (Indicator.direction == "higher", latest >= target),
        else_=latest <= target,
    )
    return func.coalesce(reached, false())


def _measured_after_baseline(stage: str, dialect: str) -> ColumnElement[bool]:
    """The initiative has indicators, and each has a measurement for a period after its baseline date."""
    measured = select(Measurement.id).where(Measurement.indicator_id == Indicator.id).correlate(Indicator)
    after = case((col(Indicator.baseline_date).is_(None), _some(measured)),
                 else_=_some(measured.where(Measurement.period_start > Indicator.baseline_date)))
    return and_(_some(_indicators()), _none(_indicators().where(not_(after))))


def _benefit_owners_and_schedules(stage: str, dialect: str) -> ColumnElement[bool]:
    """The initiative has benefits, and each has an owner and at least one indicator."""
    benefits = select(Benefit.id).where(Benefit.initiative_id == Initiative.id).correlate(Initiative)
    measured = select(Indicator.id).where(Indicator.benefit_id == Benefit.id).correlate(Benefit)
    return and_(_some(benefits), _none(benefits.where(col(Benefit.owner_id).is_(None))),
                _none(benefits.where(_none(measured))))


def _indicators_at_target_or_explained(stage: str, dialect: str) -> ColumnElement[bool]:
    """Every indicator of the initiative has an explained deviation or has reached its target."""
    missing = case((_filled(Indicator.deviation_explanation, dialect), false()), else_=not_(_at_target()))
    return _none(_indicators().where(missing))


SQL_RULES: dict[str, SqlRule] = {
    "need_described": lambda stage, dialect: _filled(Initiative.need_description, dialect),
    "need_owner_named": lambda stage, dialect: _filled(Initiative.need_owner, dialect),
    "owning_unit_named": lambda stage, dialect: col(Initiative.org_unit_id).is_not(None),
    "expected_effects_described": lambda stage, dialect: _filled(Initiative.expected_effects, dialect),
    "checklist_complete": _checklist_done,
    "fast_track_checklist_complete": lambda stage, dialect: _checklist_done("fast_track", dialect),
    "indicator_with_baseline_and_target": lambda stage, dialect: _some(_indicators().where(
        col(Indicator.baseline_value).is_not(None), col(Indicator.target_value).is_not(None))),
    "measured_after_baseline": _measured_after_baseline,
    "benefit_calculation_present": lambda stage, dialect: _some(select(BenefitCalculation.id).join(
        CalculationYear, CalculationYear.calculation_id == BenefitCalculation.id).where(
        BenefitCalculation.initiative_id == Initiative.id).correlate(Initiative)),
    "benefit_owners_and_schedules": _benefit_owners_and_schedules,
    "indicators_at_target_or_explained": _indicators_at_target_or_explained,
}


def _ready_in_sql(dialect: str) -> ColumnElement[bool]:
    """Whether every rule of the initiative's current gate holds, as SQL over ``Initiative``."""
    process = load_process()
    whens = [(Initiative.stage == stage, and_(true(), *(SQL_RULES[name](stage, dialect) for name in rules)))
             for stage, rules in process.gate_rules.items() if stage in lifecycle.STAGES and rules]
    return case(*whens, else_=true()) if whens else true()


# ------------------------------------------------------------------ the queue


def _waiting(actor: Actor, dialect: str) -> tuple[ColumnElement[bool], ...]:
    """The conditions that make an initiative's gate wait for ``actor``.

    A gate waits for them where they are the recorded decision owner of the current gate, or the owner
    of a portfolio that lets owners decide; never on initiatives they lead or led since the last gate
    decision: the denials of "gate.decide" (``LEAD_NEVER_DECIDES``, ``FORMER_LEAD_NEVER_DECIDES``)."""
    owner_match = (
        select(GateDecisionOwner.initiative_id)
        .where(GateDecisionOwner.user_id == actor.user_id, GateDecisionOwner.gate == Initiative.stage,
               GateDecisionOwner.initiative_id == Initiative.id)
        .correlate(Initiative).exists()
    )
    owns_portfolio = col(Initiative.portfolio_id).in_(
        select(Portfolio.id).where(Portfolio.owner_decides, col(Portfolio.id).in_(actor.owned_portfolios or {-1}))
    )
    if dialect == "postgresql":
        led = cast(Initiative.leads_since_last_gate, JSONB).contains([actor.user_id])
    else:
        leads = func.json_each(Initiative.leads_since_last_gate).table_valued("value")
        led = select(literal(1)).select_from(leads).where(leads.c.value == actor.user_id).correlate(
            Initiative).exists()
    return (col(Initiative.stage).not_in(lifecycle.FINAL_STAGES), or_(owner_match, owns_portfolio),
            or_(col(Initiative.lead_id).is_(None), Initiative.lead_id != actor.user_id), not_(led))


def _groups(session: Session, waiting, ready) -> list[PendingGroup]:
    """Every portfolio-and-readiness group of the waiting gates with its count, in queue order."""
    # OFFSET 0 keeps SQLite from merging the subquery into the grouping, which evaluates readiness twice.
    each = select(Initiative.portfolio_id, ready.label("ready")).where(*waiting).offset(0).subquery()
    rows = session.exec(
        select(each.c.portfolio_id, Portfolio.name, each.c.ready, func.count())
        .join(Portfolio, Portfolio.id == each.c.portfolio_id)
        .group_by(each.c.portfolio_id, Portfolio.name, each.c.ready)
    ).all()
    groups = [PendingGroup(portfolio_id, name, bool(is_ready), count) for portfolio_id, name, is_ready, count in rows]
    # Sorted here, not in SQL, so that names order as Python orders them whatever the database's collation.
    return sorted(groups, key=lambda g: (g.portfolio, g.portfolio_id, not g.ready))


def _cards(session: Session, waiting, ready, group: PendingGroup, offset: int, limit: int) -> list[PendingGate]:
    """Gates ``offset`` to ``offset + limit`` of one group, oldest in stage first, with their unmet rules."""
    rows = session.exec(
        select(Initiative.id, Initiative.title, Initiative.stage, Initiative.need_description,
               Initiative.need_owner, Initiative.expected_effects, Initiative.org_unit_id)
        .where(*waiting, Initiative.portfolio_id == group.portfolio_id, ready == group.ready)
        .order_by(Initiative.stage_entered_at, Initiative.id).offset(offset).limit(limit)
    ).all()
    if not rows:
        return []
    shown = select(Initiative.id).where(col(Initiative.id).in_([row.id for row in rows]))
    checklists, facts = checklist_facts(session, shown), benefit_facts(session, shown)
    process = load_process()
    cards = []
    for row in rows:
        ctx = build_context(row, checklists.get(row.id, []), facts.get(row.id, BenefitFacts()))
        unmet = [r.message for r in evaluate(process.rules_for(row.stage), ctx) if r.message is not None]
        cards.append(PendingGate(PendingInitiative(row.id, row.title, row.stage, group.portfolio_id,
                                                   group.portfolio), ready=group.ready, unmet=unmet))
    return cards


def my_decisions_page(*, session: Session, actor: Actor, page: int = 1,
                      per_page: int = DECISIONS_PER_PAGE) -> DecisionsPage:
    """One page of the gates waiting for ``actor`` (pages count from 1; a page past the end shows the last
    one), with the count of every portfolio-and-readiness group over all pages.

    Gates are ordered by portfolio, ready ones first, then oldest in stage first. Readiness and the
    counts are computed in SQL; only the page's gates are read as rows."""
    dialect = session.get_bind().dialect.name
    waiting, ready = _waiting(actor, dialect), _ready_in_sql(dialect)
    # The readiness expression has many small subplans: compiling them takes seconds where running them
    # takes a tenth of one.
    with without_jit(session):
        groups = _groups(session, waiting, ready)
        total = sum(g.count for g in groups)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        first, last = (page - 1) * per_page, page * per_page
        gates: list[PendingGate] = []
        start = 0
        for group in groups:
            end = start + group.count
            if start < last and end > first:
                gates += _cards(session, waiting, ready, group, max(first - start, 0),
                                min(last, end) - max(first, start))
            start = end
    return DecisionsPage(gates=gates, groups=groups, total=total, ready=sum(g.count for g in groups if g.ready),
                         page=page, pages=pages)

""""My decisions": the gates waiting for a user's decision, grouped by portfolio and readiness, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from db.models import GateDecisionOwner, Initiative, Portfolio
from portfolio.gate_facts import benefit_facts, build_context, checklist_facts
from portfolio.i18n import Message
from portfolio.permissions import PERMISSIONS, Actor, Scope
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


def _waiting_gates(session: Session, actor: Actor) -> list[PendingGate]:
    """Every gate waiting for ``actor``, ordered by portfolio, ready ones first, then oldest stage first.

    The candidates are one SQL selection; the rules' facts are read by joining it in (a fixed number of
    queries whatever the count), and the rules are evaluated over those facts in Python.
    """
    owner_match = (
        select(GateDecisionOwner.initiative_id)
        .where(GateDecisionOwner.user_id == actor.user_id, GateDecisionOwner.gate == Initiative.stage,
               GateDecisionOwner.initiative_id == Initiative.id)
        .exists()
    )
    owns_portfolio = col(Initiative.portfolio_id).in_(
        select(Portfolio.id).where(Portfolio.owner_decides, col(Portfolio.id).in_(actor.owned_portfolios or {-1}))
    )
    conditions = (col(Initiative.stage).not_in(lifecycle.FINAL_STAGES), or_(owner_match, owns_portfolio),
                  or_(col(Initiative.lead_id).is_(None), Initiative.lead_id != actor.user_id))
    candidates = session.exec(
        select(Initiative.id, Initiative.title, Initiative.stage, Initiative.portfolio_id,
               Portfolio.name.label("portfolio"), Initiative.lead_id, Initiative.leads_since_last_gate,
               Initiative.need_description, Initiative.need_owner, Initiative.expected_effects,
               Initiative.org_unit_id, Initiative.stage_entered_at)
        .join(Portfolio, Portfolio.id == Initiative.portfolio_id)
        .where(*conditions)
    ).all()
    denials = PERMISSIONS["gate.decide"].denials
    candidates = [i for i in candidates if not any(denial.check(actor, Scope(
        lead_id=i.lead_id, leads_since_last_gate=frozenset(i.leads_since_last_gate or ()))) for denial in denials)]
    if not candidates:
        return []
    ids = select(Initiative.id).where(*conditions).correlate(None)  # a selection of its own, never correlated
    checklists = checklist_facts(session, ids)
    facts = benefit_facts(session, ids)
    process = load_process()
    pending = []
    for initiative in candidates:
        ctx = build_context(initiative, checklists.get(initiative.id, []), facts.get(initiative.id, BenefitFacts()))
        unmet = [r.message for r in evaluate(process.rules_for(initiative.stage), ctx) if r.message is not None]
        pending.append((initiative, PendingGate(
            PendingInitiative(initiative.id, initiative.title, initiative.stage, initiative.portfolio_id,
                              initiative.portfolio),
            ready=not unmet, unmet=unmet)))
    pending.sort(key=lambda p: (p[0].portfolio, p[0].portfolio_id, not p[1].ready, p[0].stage_entered_at,
                                p[0].id))
    return [gate for _, gate in pending]


def my_decisions_page(*, session: Session, actor: Actor, page: int = 1,
                      per_page: int = DECISIONS_PER_PAGE) -> DecisionsPage:
    """One page of the gates waiting for ``actor`` (pages count from 1; a page past the end shows the last
    one), with the count of every portfolio-and-readiness group over all pages.

    A gate waits for them where they are the recorded decision owner of the current gate, or the owner of
    a portfolio that lets owners decide; never on initiatives they lead or led since the last gate
    decision (the separation-of-duties denials of "gate.decide")."""
    gates = _waiting_gates(session, actor)
    groups: dict[tuple[int, bool], PendingGroup] = {}
    for gate in gates:
        key = (gate.initiative.portfolio_id, gate.ready)
        found = groups.get(key)
        groups[key] = PendingGroup(gate.initiative.portfolio_id, gate.initiative.portfolio, gate.ready,
                                   (found.count if found else 0) + 1)
    pages = max(1, -(-len(gates) // per_page))
    page = min(max(1, page), pages)
    return DecisionsPage(gates=gates[(page - 1) * per_page:page * per_page], groups=list(groups.values()),
                         total=len(gates), ready=sum(1 for g in gates if g.ready), page=page, pages=pages)

"""The initiative page's read model: one query, ``initiative_view``, returning frozen plain records.

The page never sees an ORM row. It gets an ``InitiativeView`` with the initiative's own fields, its
people, checklist, decisions and audit trail, the reader's permitted actions already judged
(``allowed``: ``{action: None or the refusal to show}``), and the part of the page that is open
(``tab``) filled in: the gate panel's options, the Benefits tab's figures, or the choice lists of the
forms. What a closed tab would need is not read at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Optional

from sqlmodel import Session, col, select

from db.models import (
    AuditEvent,
    Benefit,
    ChecklistItem,
    GateDecision,
    GateDecisionOwner,
    Indicator,
    Initiative,
    OrgUnit,
    Portfolio,
    User,
)
from db.settings import get_settings
from portfolio.audit_prose import Moment, Names, describe, references
from portfolio.benefits import CalculationView, IndicatorMoney, calculation_with_money
from portfolio.choices import Choice, Choices, reporting_unit_choices, unit_choices, user_choices
from portfolio.gates import Rework, decision_options, pending_rework
from portfolio.i18n import Message
from portfolio.indicator_figures import BenefitFigures, benefit_figures
from portfolio.locking import get_or_refuse
from portfolio.measurement_files import template_examples
from portfolio.permissions import Actor, initiative_permissions
from workflows.rules import FIX_AT, ChecklistFact, FixAt, RuleResult, incomplete_items


class Tab(StrEnum):
    """The tabs of the initiative page; each reads only what it shows."""

    GATE = "gate"
    CHECKLIST = "checklist"
    BENEFITS = "benefits"
    DETAILS = "details"
    OWNERS = "owners"
    HISTORY = "history"


@dataclass(frozen=True)
class InitiativeFacts:
    """The initiative's own fields, as the page shows and edits them."""

    id: int
    version: int
    title: str
    description: str
    need_description: str
    need_owner: str
    expected_effects: str
    stage: str
    on_hold: bool
    hold_review_date: Optional[date]
    estimated_cost: Optional[float]
    portfolio_id: int
    org_unit_id: Optional[int]
    lead_id: Optional[int]
    created_by_id: Optional[int]
    # What the transparency export leaves out (portfolio.initiatives.INTERNAL_FLAGS).
    internal: bool = False
    description_internal: bool = False
    need_description_internal: bool = False
    expected_effects_internal: bool = False
    stop_reason_internal: bool = False
    lessons_learned_internal: bool = False
    rationale_internal: bool = False


@dataclass(frozen=True)
class ChecklistRow:
    """One checklist item with the version an edit of it must name."""

    id: int
    version: int
    stage: str
    label: str
    required: bool
    status: str
    not_applicable_reason: str


@dataclass(frozen=True)
class DecisionRecord:
    """One gate decision as the history shows it (``decided``: when, in the organisation's time zone)."""

    id: int
    decided_at: datetime
    outcome: str
    from_stage: str
    to_stage: str
    decided_by: str
    rationale: str
    conditions: str
    conditions_met: bool
    hold_review_date: Optional[date]
    stop_reason: str
    lessons_learned: str
    decided: Optional[Moment] = None


@dataclass(frozen=True)
class AuditView:
    """One audit event as the reader may see it: ``before`` and ``after`` are None unless they may
    see what a change changed ("audit.detail"); ``sentence`` says what it did in words (``portfolio.audit_prose``),
    and nothing of what it changed to a reader without the detail; ``when`` is its time in the organisation's
    time zone."""

    at: datetime
    user: str
    action: str
    before: Optional[dict[str, Any]]
    after: Optional[dict[str, Any]]
    sentence: Optional[Message] = None
    when: Optional[Moment] = None


@dataclass(frozen=True)
class ReworkNote:
    """What a recycle sent back to be redone, who sent it back from which stage, and when (``decided``, in the
    organisation's time zone)."""

    text: str
    decided_by: str
    from_stage: str
    decided: Moment


@dataclass(frozen=True)
class GatePanel:
    """The gate of the current stage: the unmet rules, what a recycle sent back to be redone, and the
    decisions the reader may take now."""

    unmet_go: tuple[Message, ...]
    # None when the stage has no fast track; else its unmet rules (empty when it may be taken).
    unmet_fast_track: Optional[tuple[Message, ...]]
    outcomes: tuple[str, ...]
    refusal: Optional[Message]
    # What must be redone since a recycle, until the initiative leaves the stage (``gates.pending_rework``).
    rework: Optional[ReworkNote] = None
    # Four eyes: why the reader may not approve the gate (go, conditional go) or the fast track alone.
    second_person_go: Optional[Message] = None
    second_person_fast_track: Optional[Message] = None
    # Where each unmet rule is put right, in the order of ``unmet_go`` and of ``unmet_fast_track``.
    fix_go: tuple[FixAt, ...] = ()
    fix_fast_track: tuple[FixAt, ...] = ()


@dataclass(frozen=True)
class BenefitsPanel:
    """Everything the Benefits tab shows: the figures, the calculation, the money the indicators give (what
    each one lacks for it, and the money per year) and the import template's rows."""

    figures: BenefitFigures
    calculation: Optional[CalculationView]
    template_examples: tuple
    indicator_money: Optional[IndicatorMoney] = None


@dataclass(frozen=True)
class InitiativeView:
    """What the initiative page shows to one reader."""

    initiative: InitiativeFacts
    portfolio_name: str
    org_unit_name: Optional[str]
    lead: Optional[Choice]
    decision_owners: dict[str, Choice]
    # Whoever proposed the idea, shown as its contact while it has no implementation lead (else None).
    contact: Optional[Choice]
    checklist: tuple[ChecklistRow, ...]
    # For every action the page offers: None when the reader may take it, else the refusal to show.
    allowed: dict[str, Optional[Message]]
    tab: Tab
    gate: Optional[GatePanel] = None
    benefits: Optional[BenefitsPanel] = None
    # The org units and people the open tab's forms choose from (searched, never whole tables).
    units: Optional[Choices] = None
    users: Optional[Choices] = None
    decisions: tuple[DecisionRecord, ...] = ()
    # The audit trail, newest first; empty when the reader may not read it (allowed["audit.read"]).
    audit: tuple[AuditView, ...] = ()


def _facts(initiative: Initiative) -> InitiativeFacts:
    return InitiativeFacts(**{name: getattr(initiative, name) for name in InitiativeFacts.__dataclass_fields__})


def _rework_note(rework: Optional[Rework]) -> Optional[ReworkNote]:
    if rework is None:
        return None
    return ReworkNote(text=rework.text, decided_by=rework.decided_by, from_stage=rework.from_stage,
                      decided=Moment(rework.decided_at, get_settings().timezone))


def _gate_panel(session: Session, actor: Actor, initiative: Initiative) -> GatePanel:
    options = decision_options(session=session, actor=actor, initiative=initiative)
    fast = options.status.unmet("fast_track") if "fast_track" in options.status.results else None
    return GatePanel(unmet_go=tuple(options.status.unmet("go")),
                     unmet_fast_track=None if fast is None else tuple(fast),
                     outcomes=tuple(options.outcomes), refusal=options.refusal,
                     rework=_rework_note(pending_rework(session=session, initiative=initiative)),
                     second_person_go=options.second_person.get("go"),
                     second_person_fast_track=options.second_person.get("fast_track"),
                     fix_go=_fixes(session, initiative, options.status.results.get("go", [])),
                     fix_fast_track=_fixes(session, initiative, options.status.results.get("fast_track", [])))


# The places that stand for the first open required item of a checklist: the current stage's, or the fast
# track's. The link names that item (``item-<id>``), so that it opens the checklist at it.
OPEN_ITEM = {"open-item": None, "open-fast-track-item": "fast_track"}


def _fixes(session: Session, initiative: Initiative, results: list[RuleResult]) -> tuple[FixAt, ...]:
    fixes = []
    for fix in (FIX_AT[result.name] for result in results if not result.ok):
        if fix.anchor in OPEN_ITEM:
            item_id = _first_open_item(session, initiative.id, OPEN_ITEM[fix.anchor] or initiative.stage)
            fix = replace(fix, anchor=f"item-{item_id}") if item_id is not None else fix
        fixes.append(fix)
    return tuple(fixes)


def _first_open_item(session: Session, initiative_id: int, checklist: str) -> Optional[int]:
    rows = session.exec(
        select(ChecklistItem).where(ChecklistItem.initiative_id == initiative_id, ChecklistItem.stage == checklist)
        .order_by(col(ChecklistItem.position))
    ).all()
    facts = [ChecklistFact(row.stage, row.key, row.label, row.required, row.status, row.not_applicable_reason)
             for row in rows]
    still_open = incomplete_items(tuple(facts), checklist)
    return next((row.id for row, fact in zip(rows, facts) if fact in still_open), None)


def _history(session: Session, initiative_id: int,
             allowed: dict[str, Optional[Message]]) -> dict[str, Any]:
    zone = get_settings().timezone
    decisions = session.exec(
        select(GateDecision, User.display_name)
        .join(User, User.id == GateDecision.decided_by_id)
        .where(GateDecision.initiative_id == initiative_id)
        .order_by(col(GateDecision.id).desc())
    ).all()
    events = list(session.exec(
        select(AuditEvent).where(AuditEvent.initiative_id == initiative_id).order_by(col(AuditEvent.id).desc())
    ).all()) if allowed["audit.read"] is None else []
    detail = allowed["audit.detail"] is None
    names = _names(session, events)
    return {
        "decisions": tuple(
            DecisionRecord(id=d.id, decided_at=d.decided_at, outcome=d.outcome, from_stage=d.from_stage,
                           to_stage=d.to_stage, decided_by=name, rationale=d.rationale, conditions=d.conditions,
                           conditions_met=d.conditions_met, hold_review_date=d.hold_review_date,
                           stop_reason=d.stop_reason, lessons_learned=d.lessons_learned,
                           decided=Moment(d.decided_at, zone))
            for d, name in decisions),
        "audit": tuple(
            AuditView(e.at, names.users.get(e.user_id, "system") if e.user_id is not None else "system", e.action,
                      e.before if detail else None, e.after if detail else None,
                      describe(e, names, detail=detail), Moment(e.at, zone))
            for e in events),
    }


def _names(session: Session, events: list[AuditEvent]) -> Names:
    """The names of everything the events refer to by id: one query per kind of row, not one per event."""
    wanted = references(events)
    tables = {"users": User.display_name, "org_units": OrgUnit.name, "portfolios": Portfolio.name,
              "benefits": Benefit.title, "indicators": Indicator.name, "checklist_items": ChecklistItem.label}

    def named(kind: str) -> dict[int, str]:
        column = tables[kind]
        model = column.class_
        return dict(session.exec(select(model.id, column).where(col(model.id).in_(wanted[kind]))).all()) \
            if wanted[kind] else {}

    return Names(**{kind: named(kind) for kind in tables})


def initiative_view(*, session: Session, actor: Optional[Actor], initiative_id: int, tab: Tab | str = Tab.GATE,
                    unit_search: str = "", user_search: str = "") -> InitiativeView:
    """Everything the initiative page shows to ``actor`` with ``tab`` open, in a fixed number of queries.

    The forms of the open tab choose org units and people among those whose names contain
    ``unit_search`` and ``user_search`` (see ``portfolio.choices``)."""
    tab = Tab(tab)
    initiative = get_or_refuse(session, Initiative, initiative_id)
    allowed = initiative_permissions(session, actor, initiative)
    owners = session.exec(
        select(GateDecisionOwner.gate, User.id, User.display_name)
        .join(User, User.id == GateDecisionOwner.user_id)
        .where(GateDecisionOwner.initiative_id == initiative_id)
    ).all()
    checklist = session.exec(
        select(ChecklistItem)
        .where(ChecklistItem.initiative_id == initiative_id)
        .order_by(col(ChecklistItem.stage), col(ChecklistItem.position))
    ).all() if tab is Tab.CHECKLIST else []
    unit = session.get(OrgUnit, initiative.org_unit_id) if initiative.org_unit_id else None
    lead = session.get(User, initiative.lead_id) if initiative.lead_id else None
    contact = session.get(User, initiative.created_by_id) if lead is None and initiative.created_by_id else None
    parts: dict[str, Any] = {}
    if tab is Tab.GATE and actor is not None:
        parts["gate"] = _gate_panel(session, actor, initiative)
    if tab is Tab.BENEFITS:
        figures = benefit_figures(session=session, initiative_id=initiative_id)
        calculation, money = calculation_with_money(session=session, initiative_id=initiative_id)
        parts["benefits"] = BenefitsPanel(
            figures=figures, calculation=calculation, indicator_money=money,
            template_examples=tuple(template_examples(session, initiative_id)))
        parts["units"] = reporting_unit_choices(session=session, initiative_id=initiative_id,
                                                owning_unit_id=initiative.org_unit_id)
        parts["users"] = user_choices(session=session, search=user_search,
                                      keep=[item.benefit.owner_id for item in figures.benefits])
    if tab is Tab.DETAILS:
        parts["units"] = unit_choices(session=session, search=unit_search, keep=[initiative.org_unit_id])
        parts["users"] = user_choices(session=session, search=user_search, keep=[initiative.lead_id])
    if tab is Tab.OWNERS:
        parts["users"] = user_choices(session=session, search=user_search)
    if tab is Tab.HISTORY:
        parts.update(_history(session, initiative_id, allowed))
    return InitiativeView(
        initiative=_facts(initiative),
        portfolio_name=session.get(Portfolio, initiative.portfolio_id).name,
        org_unit_name=unit.name if unit else None,
        lead=Choice(lead.id, lead.display_name) if lead else None,
        contact=Choice(contact.id, contact.display_name) if contact else None,
        decision_owners={gate: Choice(user_id, name) for gate, user_id, name in owners},
        checklist=tuple(ChecklistRow(id=i.id, version=i.version, stage=i.stage, label=i.label, required=i.required,
                                     status=i.status, not_applicable_reason=i.not_applicable_reason)
                        for i in checklist),
        allowed=allowed,
        tab=tab,
        **parts,
    )

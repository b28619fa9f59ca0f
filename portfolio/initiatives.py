"""Initiatives: the new-idea action and its form's choices, and the details edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import func
from sqlmodel import Session, select

from db.models import (
    GateDecisionOwner,
    Initiative,
    OrgUnit,
    Portfolio,
    User,
)
from portfolio.audit import record, record_changes
from portfolio.checklists import create_checklist
from portfolio.choices import Choice, Choices, portfolio_choices, unit_choices
from portfolio.errors import FieldProblem, ValidationError, text_problems
from portfolio.i18n import N_, Message
from portfolio.locking import lock_for_edit
from portfolio.permissions import Actor, Scope, require
from workflows.lifecycle import FINAL_STAGES, STAGE_ORDER, STAGES
from workflows.vocabulary import InitiativeStatus

TITLE_MAX = 300
# The statuses and their label msgids for the overview's filter and the reports (ids in workflows.vocabulary).
STATUSES = tuple(InitiativeStatus)
STATUS_LABELS = InitiativeStatus.labels()
# What the transparency export leaves out (portfolio.public_export): the whole initiative, or one text.
INTERNAL_FLAGS = (
    "internal", "description_internal", "need_description_internal", "expected_effects_internal",
    "stop_reason_internal", "lessons_learned_internal", "rationale_internal",
)
EDITABLE_FIELDS = (
    "title", "description", "need_description", "need_owner", "expected_effects",
    "org_unit_id", "lead_id", "estimated_cost", *INTERNAL_FLAGS,
)


# Input of the new-idea form and the CLI.
@dataclass
class InitiativeCreate:
    title: str
    portfolio_id: Optional[int]
    description: str = ""
    need_description: str = ""
    need_owner: str = ""
    expected_effects: str = ""
    org_unit_id: Optional[int] = None
    estimated_cost: Optional[float] = None


def parse_stage(value: str) -> str:
    """A lifecycle stage id, or a ValidationError naming the valid ones."""
    if value not in STAGES:
        raise ValidationError([
            FieldProblem("stage", Message(
                N_("Unknown stage {stage}. The stages are: {stages}."),
                {"stage": repr(value), "stages": ", ".join(STAGES)},
            ))
        ])
    return value


def _check_fields(session: Session, values: dict[str, Any]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if "title" in values:
        title = (values["title"] or "").strip()
        if not title:
            problems.append(FieldProblem("title", Message(N_("The title must not be empty."))))
        elif len(title) > TITLE_MAX:
            problems.append(FieldProblem("title", Message(
                N_("The title may have at most {count} characters."), {"count": TITLE_MAX})))
    problems += text_problems(Initiative, values, length_checked=("title",))
    if "portfolio_id" in values:
        if values["portfolio_id"] is None or session.get(Portfolio, values["portfolio_id"]) is None:
            problems.append(FieldProblem("portfolio_id", Message(N_("Choose a portfolio."))))
    if values.get("org_unit_id") is not None and session.get(OrgUnit, values["org_unit_id"]) is None:
        problems.append(FieldProblem("org_unit_id", Message(N_("The org unit does not exist."))))
    if values.get("lead_id") is not None and session.get(User, values["lead_id"]) is None:
        problems.append(FieldProblem("lead_id", Message(N_("The implementation lead does not exist."))))
    problems += [FieldProblem(name, Message(N_("The field {field} must be true or false."), {"field": name}))
                 for name in INTERNAL_FLAGS if name in values and not isinstance(values[name], bool)]
    cost = values.get("estimated_cost")
    if cost is not None and (not isinstance(cost, (int, float)) or cost < 0):
        problems.append(FieldProblem("estimated_cost", Message(N_("The estimated cost must be zero or more."))))
    return problems


def default_decision_owner(session: Session, portfolio_id: int) -> Optional[int]:
    """The owner of the portfolio, or of the nearest parent portfolio that has one."""
    portfolio = session.get(Portfolio, portfolio_id)
    while portfolio is not None:
        if portfolio.owner_id is not None:
            return portfolio.owner_id
        portfolio = session.get(Portfolio, portfolio.parent_id) if portfolio.parent_id else None
    return None


def create_initiative(*, session: Session, actor: Actor, data: InitiativeCreate) -> Initiative:
    """Propose a new idea: validate all fields, create it with its checklists and decision owners."""
    require("initiative.create", actor)
    values = {k: getattr(data, k) for k in data.__dataclass_fields__}
    problems = _check_fields(session, values)
    if problems:
        raise ValidationError(problems)
    initiative = Initiative(
        **{**values, "title": data.title.strip()}, stage="idea", created_by_id=actor.user_id
    )
    session.add(initiative)
    session.flush()
    create_checklist(session=session, initiative_id=initiative.id, stage="idea")
    create_checklist(session=session, initiative_id=initiative.id, stage="fast_track")
    owner_id = default_decision_owner(session, initiative.portfolio_id)
    if owner_id is not None:
        for gate in STAGE_ORDER:
            session.add(GateDecisionOwner(initiative_id=initiative.id, gate=gate, user_id=owner_id))
    record(session=session, user_id=actor.user_id, action="initiative.create", entity="initiative",
           entity_id=initiative.id, initiative_id=initiative.id,
           after={**values, "title": initiative.title, "stage": "idea"})
    return initiative


def update_initiative(
    *, session: Session, actor: Actor, initiative_id: int, expected_version: int, changes: dict[str, Any]
) -> Initiative:
    """Edit the details (not the stage, which only a gate decision changes).

    Changing the implementation lead is the portfolio owner's or an administrator's decision, and
    the new lead joins ``leads_since_last_gate``: nobody who led the initiative since its last gate
    decision may decide the next gate, however briefly they led it. The change is audited with the
    other details."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError([
            FieldProblem(name, Message(N_("The field {field} cannot be edited here."), {"field": name}))
            for name in sorted(unknown)
        ])
    initiative = lock_for_edit(session, Initiative, initiative_id, expected_version)
    scope = Scope(portfolio_id=initiative.portfolio_id, lead_id=initiative.lead_id,
                  created_by_id=initiative.created_by_id)
    require("initiative.edit", actor, scope)
    lead_changes = "lead_id" in changes and changes["lead_id"] != initiative.lead_id
    if lead_changes:
        require("initiative.change_lead", actor, scope)
    problems = _check_fields(session, changes)
    if problems:
        raise ValidationError(problems)
    if "title" in changes:
        changes = {**changes, "title": changes["title"].strip()}
    if lead_changes:
        leads = [*(initiative.leads_since_last_gate or ()), initiative.lead_id, changes["lead_id"]]
        # In order of leading, once each; a list written before the history was kept may lack the lead.
        changes = {**changes, "leads_since_last_gate": list(dict.fromkeys(i for i in leads if i is not None))}
    record_changes(session=session, user_id=actor.user_id, row=initiative, values=changes,
                   action="initiative.update", entity="initiative", initiative_id=initiative.id)
    return initiative


def status_of(stage: str, on_hold: bool) -> str:
    """The status shown for an initiative: closed at a final stage, else on hold or active."""
    if stage in FINAL_STAGES:
        return "closed"
    return "on_hold" if on_hold else "active"



@dataclass(frozen=True)
class NewIdeaChoices:
    """The new-idea form's one read: the portfolios, and the org units found by the form's name search."""

    portfolios: Choices
    units: Choices


def new_idea_choices(*, session: Session, unit_search: str = "") -> NewIdeaChoices:
    """What the new-idea form chooses from."""
    return NewIdeaChoices(portfolios=portfolio_choices(session=session),
                          units=unit_choices(session=session, search=unit_search))


def ideas_with_title(*, session: Session, portfolio_id: Optional[int], title: str) -> tuple[Choice, ...]:
    """The initiatives of a portfolio whose title is ``title`` (ignoring case and surrounding spaces): a new
    idea with the same title is most likely proposed twice."""
    wanted = (title or "").strip().casefold()
    if portfolio_id is None or not wanted:
        return ()
    # SQLite's lower() knows only ASCII, so the database narrows by length and Python compares "Å" with "å".
    rows = session.exec(select(Initiative.id, Initiative.title).where(
        Initiative.portfolio_id == portfolio_id, func.length(func.trim(Initiative.title)) == len(title.strip()))
        .order_by(Initiative.id)).all()
    return tuple(Choice(row[0], row[1]) for row in rows if row[1].strip().casefold() == wanted)

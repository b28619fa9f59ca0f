"""Gate decisions: the rules panel, the decisions a user may take, and the one action that decides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Optional

from sqlmodel import Session, col, select
from statemachine.exceptions import TransitionNotAllowed

from db.models import ChecklistItem, GateDecision, GateDecisionOwner, Initiative, Portfolio, User, utcnow
from portfolio.audit import record, record_many
from portfolio.checklists import create_checklist
from portfolio.errors import FieldProblem, NotFound, PermissionDenied, RuleViolation, ValidationError, text_problems
from portfolio.i18n import N_, OUTCOME_LABELS, STAGE_LABELS, Message
from portfolio.locking import get_or_refuse, lock_for_edit, lock_initiative_of
from portfolio.permissions import Actor, Scope, initiative_scope, refusal, require
from workflows import lifecycle
from workflows.lifecycle import FORWARD_OUTCOMES
from workflows.process import Process, load_process
from portfolio.gate_facts import gate_context
from workflows.rules import ChecklistFact, RuleResult, evaluate, four_eyes
from workflows.vocabulary import ChecklistStatus, Outcome


@dataclass(frozen=True)
class GateStatus:
    """The rule results for the forward moves of the current stage."""

    stage: str
    results: dict[str, list[RuleResult]] = field(default_factory=dict)  # keyed by "go" / "fast_track"
    # The checklist facts the rules read (the current stage's and the fast-track list), for four eyes.
    checklist: tuple[ChecklistFact, ...] = ()

    def unmet(self, outcome: str) -> list[Message]:
        """The messages of the rules ``outcome`` breaks: the fast-track rules for a fast track, else the gate's."""
        key = "fast_track" if outcome == "fast_track" else "go"
        return [r.message for r in self.results.get(key, []) if r.message is not None]

    def ready(self, outcome: str = "go") -> bool:
        """True when every rule ``outcome`` is judged by holds."""
        return not self.unmet(outcome)


def gate_status(*, session: Session, initiative: Initiative) -> GateStatus:
    """The rule results of the initiative's current gate, and of fast track where it leads on."""
    if initiative.stage in lifecycle.FINAL_STAGES:
        return GateStatus(stage=initiative.stage)
    ctx = gate_context(session, initiative)
    process = load_process()
    results = {"go": evaluate(process.rules_for(initiative.stage), ctx)}
    if lifecycle.target_stage(initiative.stage, "fast_track"):
        results["fast_track"] = evaluate(process.rules_for("fast_track"), ctx)
    return GateStatus(stage=initiative.stage, results=results, checklist=ctx.checklist)


# ------------------------------------------------------------------ four eyes
#
# Four eyes is about who decides, not about the initiative, so it is no gate rule: a gate whose rules hold
# is ready (and waits in "My decisions") for everyone who may decide it; only the approval is refused to
# whoever completed any of the items it approves. Holding, recycling and stopping stay open to them.


def four_eyes_checklist(process: Process, stage: str, outcome: str) -> Optional[str]:
    """The checklist whose completers may not approve ``outcome`` alone, or None where four eyes does not apply.

    A go or conditional go approves the stage's checklist when the process has ``four_eyes`` on. A fast
    track approves the fast-track checklist and skips the concept and pilot gates, where a second person
    would otherwise look, so it always involves two people, whatever the process says."""
    if outcome == Outcome.FAST_TRACK:
        return Outcome.FAST_TRACK
    if process.four_eyes and outcome in FORWARD_OUTCOMES:
        return stage
    return None


def _second_person(session: Session, actor: Actor, initiative: Initiative, checklist: tuple[ChecklistFact, ...],
                   list_name: str, scope: Scope) -> Message:
    """Who else may confirm the gate: the decision owner, unless it is the actor, a lead since the last gate
    or someone who completed items too, and the portfolio's owners where they decide."""
    owner_id = scope.decision_owner_id
    owner_free = (owner_id is not None and owner_id != actor.user_id and owner_id not in scope.leads_since_last_gate
                  and four_eyes(checklist, list_name, owner_id) is None)
    portfolio = session.get(Portfolio, initiative.portfolio_id).name
    if owner_free:
        # Whoever may decide a gate they do not own is a portfolio owner of a portfolio whose owners decide.
        return Message(N_("the decision owner {name} or another portfolio owner of {portfolio}"),
                       {"name": session.get(User, owner_id).display_name, "portfolio": portfolio})
    if scope.owner_decides:
        if initiative.portfolio_id in actor.owned_portfolios:
            return Message(N_("another portfolio owner of {portfolio}"), {"portfolio": portfolio})
        return Message(N_("a portfolio owner of {portfolio}"), {"portfolio": portfolio})
    return Message(N_("someone an administrator makes the decision owner of this gate"))


def four_eyes_refusal(*, session: Session, actor: Actor, initiative: Initiative, outcome: str,
                      checklist: tuple[ChecklistFact, ...], scope: Optional[Scope] = None) -> Optional[Message]:
    """None when ``actor`` may approve the gate with ``outcome`` as far as four eyes goes (see
    ``four_eyes_checklist``); else why not, with how many items they completed and who else must confirm."""
    list_name = four_eyes_checklist(load_process(), initiative.stage, outcome)
    own = four_eyes(checklist, list_name, actor.user_id) if list_name is not None else None
    if own is None:
        return None
    scope = scope or initiative_scope(session, initiative)
    params = {"mine": own.mine, "completed": own.completed,
              "who": _second_person(session, actor, initiative, checklist, list_name, scope)}
    if list_name == Outcome.FAST_TRACK:
        return Message(N_("You completed items of the fast-track checklist yourself ({mine} of {completed}), and "
                          "a fast track always involves two people. Another person must confirm it: {who}."), params)
    return Message(N_("You completed checklist items of this gate yourself ({mine} of {completed}). "
                      "Another person must confirm this gate: {who}."), params)


@dataclass(frozen=True)
class DecisionOptions:
    """What the gate panel offers: the outcomes this user may take now, or why none."""

    outcomes: list[str]
    refusal: Optional[Message]
    status: GateStatus
    # Four eyes: why this user may not approve, keyed "go" (go and conditional go) and "fast_track".
    second_person: dict[str, Message] = field(default_factory=dict)


def decision_options(*, session: Session, actor: Actor, initiative: Initiative) -> DecisionOptions:
    """Only the outcomes the lifecycle allows, the user may take, whose rules hold and that four eyes lets
    this user approve."""
    status = gate_status(session=session, initiative=initiative)
    if initiative.stage in lifecycle.FINAL_STAGES:
        return DecisionOptions([], None, status)
    scope = initiative_scope(session, initiative)
    denied = refusal("gate.decide", actor, scope)
    if denied is not None:
        return DecisionOptions([], denied, status)
    second_person = {}
    for key in status.results:
        message = four_eyes_refusal(session=session, actor=actor, initiative=initiative, outcome=key,
                                    checklist=status.checklist, scope=scope)
        if message is not None:
            second_person[key] = message
    outcomes = [
        outcome
        for outcome in lifecycle.allowed_outcomes(initiative.stage)
        if outcome not in FORWARD_OUTCOMES
        or (status.ready(outcome) and ("fast_track" if outcome == "fast_track" else "go") not in second_person)
    ]
    return DecisionOptions(outcomes, None, status, second_person)


@dataclass(frozen=True)
class Rework:
    """What a recycle sent back to be redone: the note, who recycled and when (UTC), and from which stage."""

    text: str
    decided_by: str
    decided_at: datetime
    from_stage: str


def pending_rework(*, session: Session, initiative: Initiative) -> Optional[Rework]:
    """What the recycle that brought the initiative back to its current stage asks to redo, or None.

    It stands until the next decision that takes the initiative out of this stage: the go that judges the
    work redone, a stop, or another recycle. A hold leaves it standing (nothing was judged done), and so does
    completing the reopened checklist items: the note may ask for more than the checklist holds, and only
    the decision owner judges it done, at the gate."""
    if initiative.stage in lifecycle.FINAL_STAGES:
        return None
    row = session.exec(
        select(GateDecision, User.display_name)
        .join(User, User.id == GateDecision.decided_by_id)
        .where(GateDecision.initiative_id == initiative.id, GateDecision.from_stage != GateDecision.to_stage)
        .order_by(col(GateDecision.id).desc()).limit(1)
    ).first()
    if row is None:
        return None
    decision, name = row
    if decision.outcome != Outcome.RECYCLE or decision.to_stage != initiative.stage:
        return None
    decided_at = decision.decided_at
    if decided_at.tzinfo is None:  # SQLite hands time stamps back without their zone; they were written in UTC
        decided_at = decided_at.replace(tzinfo=timezone.utc)
    return Rework(text=decision.rework, decided_by=name, decided_at=decided_at, from_stage=decision.from_stage)


# Input of one gate decision.
@dataclass
class DecisionInput:
    outcome: str
    rationale: str = ""
    conditions: str = ""
    hold_review_date: Optional[date] = None
    stop_reason: str = ""
    lessons_learned: str = ""
    rework: str = ""  # a recycle: what must be redone


# A decision that moves an initiative, or ends it, says why: an auditor reads the rationale years later. A hold
# says when it will be looked at again instead.
NEEDS_RATIONALE = frozenset({"go", "conditional_go", "fast_track", "recycle", "stop"})
RATIONALE_MIN_WORDS = 3


def _check_decision_input(data: DecisionInput, stage: str, today: date) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not data.outcome:
        return [FieldProblem("outcome", Message(N_("Choose a decision first.")))]
    if data.outcome not in lifecycle.OUTCOMES:
        return [FieldProblem("outcome", Message(N_("Unknown decision {outcome}."), {"outcome": repr(data.outcome)}))]
    if lifecycle.target_stage(stage, data.outcome) is None:
        problems.append(FieldProblem("outcome", Message(
            N_("The decision {outcome} is not possible in stage {stage}."),
            {"outcome": Message(OUTCOME_LABELS[data.outcome]), "stage": Message(STAGE_LABELS[stage])},
        )))
    if data.outcome in NEEDS_RATIONALE and len((data.rationale or "").split()) < RATIONALE_MIN_WORDS:
        problems.append(FieldProblem("rationale", Message(
            N_("The decision needs a rationale of at least {count} words: say why."),
            {"count": RATIONALE_MIN_WORDS})))
    if data.outcome == "stop":
        if not data.stop_reason.strip():
            problems.append(FieldProblem("stop_reason", Message(N_("A stop needs a reason."))))
        if not data.lessons_learned.strip():
            problems.append(FieldProblem("lessons_learned", Message(N_("A stop needs the lessons learned."))))
    if data.outcome == "conditional_go" and not data.conditions.strip():
        problems.append(FieldProblem("conditions", Message(N_("A conditional go needs its conditions."))))
    if data.outcome == "recycle" and not data.rework.strip():
        problems.append(FieldProblem("rework", Message(N_("A recycle needs to say what must be redone."))))
    if data.outcome == "hold":
        if data.hold_review_date is None:
            problems.append(FieldProblem("hold_review_date", Message(N_("A hold needs a review date."))))
        elif data.hold_review_date <= today:
            problems.append(FieldProblem("hold_review_date", Message(N_("The review date must be in the future."))))
    return problems + text_problems(GateDecision, {"rationale": data.rationale, "conditions": data.conditions,
                                                   "stop_reason": data.stop_reason,
                                                   "lessons_learned": data.lessons_learned,
                                                   "rework": data.rework})


def record_gate_decision(
    *, session: Session, actor: Actor, initiative_id: int, expected_version: int, data: DecisionInput
) -> GateDecision:
    """Decide the current gate: permission, input, four eyes, rules, transition, decision row and audit, in
    one transaction.

    The initiative row is locked; a decision on a version other than ``expected_version`` is a
    conflict, so of two people deciding at once exactly one succeeds. A recycle reopens the checklist of
    the stage it returns to (each item audited) and keeps what must be redone (``pending_rework``).
    """
    initiative = lock_for_edit(session, Initiative, initiative_id, expected_version)
    if initiative.stage in lifecycle.FINAL_STAGES:
        raise ValidationError([FieldProblem("outcome", Message(
            N_("The initiative is closed ({stage}); it has no more gates to decide."),
            {"stage": Message(STAGE_LABELS[initiative.stage])}))])
    scope = initiative_scope(session, initiative)
    require("gate.decide", actor, scope)
    problems = _check_decision_input(data, initiative.stage, utcnow().date())
    if problems:
        raise ValidationError(problems)
    if data.outcome in FORWARD_OUTCOMES:
        status = gate_status(session=session, initiative=initiative)
        second_person = four_eyes_refusal(session=session, actor=actor, initiative=initiative,
                                          outcome=data.outcome, checklist=status.checklist, scope=scope)
        if second_person is not None:
            raise PermissionDenied(second_person)
        unmet = status.unmet(data.outcome)
        if unmet:
            raise RuleViolation(*unmet)

    from_stage = initiative.stage
    before = {"stage": from_stage, "on_hold": initiative.on_hold, "hold_review_date": initiative.hold_review_date}
    try:
        lifecycle.advance(initiative, data.outcome)
    except TransitionNotAllowed:  # checked above; the machine is the last word
        raise ValidationError([FieldProblem("outcome", Message(N_("This decision is not possible now.")))])
    initiative.on_hold = data.outcome == "hold"
    initiative.hold_review_date = data.hold_review_date if data.outcome == "hold" else None
    if initiative.stage != from_stage:
        initiative.stage_entered_at = utcnow()
    # A decision closes the period in which the leads were barred from deciding; the current lead
    # stays barred (LEAD_NEVER_DECIDES).
    initiative.leads_since_last_gate = [initiative.lead_id] if initiative.lead_id is not None else []
    initiative.version += 1
    session.add(initiative)
    if initiative.stage not in lifecycle.FINAL_STAGES:
        create_checklist(session=session, initiative_id=initiative.id, stage=initiative.stage)

    decision = GateDecision(
        initiative_id=initiative.id, outcome=data.outcome, from_stage=from_stage, to_stage=initiative.stage,
        decided_by_id=actor.user_id, rationale=data.rationale.strip(), conditions=data.conditions.strip(),
        hold_review_date=data.hold_review_date if data.outcome == "hold" else None,
        stop_reason=data.stop_reason.strip(), lessons_learned=data.lessons_learned.strip(),
        rework=data.rework.strip() if data.outcome == "recycle" else "",
    )
    session.add(decision)
    session.flush()
    record(
        session=session, user_id=actor.user_id, action=f"gate.{data.outcome}", entity="initiative",
        entity_id=initiative.id, initiative_id=initiative.id, before=before,
        after={"stage": initiative.stage, "on_hold": initiative.on_hold, "hold_review_date": initiative.hold_review_date,
               "decision_id": decision.id, "rationale": decision.rationale, "conditions": decision.conditions,
               "stop_reason": decision.stop_reason, "lessons_learned": decision.lessons_learned,
               "rework": decision.rework},
    )
    if data.outcome == "recycle":
        _reopen_checklist(session, actor, initiative, decision)
    return decision


def _reopen_checklist(session: Session, actor: Actor, initiative: Initiative, decision: GateDecision) -> None:
    """Reopen every settled item of the checklist a recycle returns to: the work is to be done again.

    Each item's earlier status and reason stay in its audit event, which names the decision."""
    items = session.exec(
        select(ChecklistItem)
        .where(ChecklistItem.initiative_id == initiative.id, ChecklistItem.stage == initiative.stage,
               ChecklistItem.status != ChecklistStatus.OPEN)
        .order_by(col(ChecklistItem.position)).with_for_update()
    ).all()
    now, events = utcnow(), []
    for item in items:
        before = {"key": item.key, "status": item.status, "not_applicable_reason": item.not_applicable_reason}
        item.status, item.not_applicable_reason = ChecklistStatus.OPEN, ""
        item.updated_by_id, item.updated_at = actor.user_id, now
        item.version += 1
        session.add(item)
        events.append(dict(user_id=actor.user_id, action="checklist.reopen", entity="checklist_item",
                           entity_id=item.id, initiative_id=initiative.id, before=before,
                           after={"key": item.key, "status": ChecklistStatus.OPEN.value, "not_applicable_reason": "",
                                  "decision_id": decision.id}))
    if events:
        record_many(session=session, events=events)


def mark_conditions_met(*, session: Session, actor: Actor, decision_id: int) -> GateDecision:
    """Record that the conditions of a conditional go are met."""
    lock_initiative_of(session, GateDecision, decision_id)
    decision = session.exec(select(GateDecision).where(GateDecision.id == decision_id).with_for_update()).first()
    if decision is None or decision.outcome != "conditional_go":
        raise NotFound(Message(N_("There is no conditional decision number {id}."), {"id": decision_id}))
    initiative = get_or_refuse(session, Initiative, decision.initiative_id)
    require("gate.conditions_met", actor, initiative_scope(session, initiative, gate=decision.from_stage))
    if decision.conditions_met:
        return decision
    decision.conditions_met = True
    session.add(decision)
    record(session=session, user_id=actor.user_id, action="gate.conditions_met", entity="gate_decision",
           entity_id=decision.id, initiative_id=initiative.id, before={"conditions_met": False},
           after={"conditions_met": True})
    return decision


def assign_decision_owner(
    *, session: Session, actor: Actor, initiative_id: int, expected_version: int, gate: str, user_id: int
) -> GateDecisionOwner:
    """Reassign who decides one gate (administrators only; audited). Bumps the initiative version."""
    initiative = lock_for_edit(session, Initiative, initiative_id, expected_version)
    require("decision_owner.assign", actor, Scope(portfolio_id=initiative.portfolio_id))
    problems = []
    if gate not in lifecycle.STAGE_ORDER:
        problems.append(FieldProblem("gate", Message(N_("Unknown gate {gate}."), {"gate": repr(gate)})))
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        problems.append(FieldProblem("user_id", Message(N_("The user does not exist."))))
    elif user_id == initiative.lead_id:
        problems.append(FieldProblem("user_id", Message(
            N_("The implementation lead of an initiative may not decide its gates."))))
    elif gate == initiative.stage and user_id in (initiative.leads_since_last_gate or ()):
        # The same rule as deciding: a lead since the last gate may not be given the next one either.
        problems.append(FieldProblem("user_id", Message(N_(
            "{name} was the implementation lead of this initiative since its last gate decision, "
            "so they may not decide this gate."), {"name": user.display_name})))
    elif user_id == actor.user_id:
        # Separation of duties: whoever assigns decision owners does not appoint themselves.
        problems.append(FieldProblem("user_id", Message(N_("You may not make yourself a decision owner."))))
    if problems:
        raise ValidationError(problems)
    owner = session.exec(
        select(GateDecisionOwner).where(
            GateDecisionOwner.initiative_id == initiative_id, GateDecisionOwner.gate == gate
        )
    ).first()
    before = {"gate": gate, "user_id": owner.user_id if owner else None}
    if owner is None:
        owner = GateDecisionOwner(initiative_id=initiative_id, gate=gate, user_id=user_id)
    else:
        owner.user_id = user_id
        owner.version += 1
    session.add(owner)
    initiative.version += 1
    session.add(initiative)
    session.flush()
    record(session=session, user_id=actor.user_id, action="decision_owner.assign", entity="gate_decision_owner",
           entity_id=owner.id, initiative_id=initiative_id, before=before, after={"gate": gate, "user_id": user_id})
    return owner

"""Checklists: created from the stage templates, updated item by item by the lead or the owner (and,
until a lead is appointed, by whoever proposed the idea)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlmodel import Session, col, select

from db.models import ChecklistItem, Initiative, utcnow
from portfolio.audit import record
from portfolio.errors import FieldProblem, ValidationError, text_problems
from portfolio.i18n import N_, Message
from portfolio.locking import get_or_refuse, stale, touch_initiative
from portfolio.permissions import Actor, Scope, require
from workflows.process import load_process
from workflows.vocabulary import ChecklistStatus, Outcome, Stage


def create_checklist(*, session: Session, initiative_id: int, stage: str) -> list[ChecklistItem]:
    """Create the template items of ``stage`` that the initiative does not have yet."""
    existing = set(
        session.exec(
            select(ChecklistItem.key).where(
                ChecklistItem.initiative_id == initiative_id, ChecklistItem.stage == stage
            )
        ).all()
    )
    items = [
        ChecklistItem(
            initiative_id=initiative_id, stage=stage, key=template.key, label=template.label,
            required=template.required, position=position,
        )
        for position, template in enumerate(load_process().checklist_for(stage))
        if template.key not in existing
    ]
    session.add_all(items)
    return items


# One change to one checklist item, with the version the user saw.
@dataclass(frozen=True)
class ChecklistChange:
    item_id: int
    expected_version: int
    status: str
    not_applicable_reason: str = ""


def entered_change(item, status: str, reason: str) -> Optional[ChecklistChange]:
    """The change that ``status`` and ``reason``, as entered for ``item`` (a row with id, version, status
    and not_applicable_reason, as the user saw it), make; None when they leave the item as it is saved.
    A reason counts only with "not applicable", the one status that keeps it."""
    reason = (reason or "").strip()
    same_reason = status != ChecklistStatus.NOT_APPLICABLE or reason == item.not_applicable_reason
    if status == item.status and same_reason:
        return None
    return ChecklistChange(item_id=item.id, expected_version=item.version, status=str(status),
                           not_applicable_reason=reason)


def editable_stages(stage: str) -> tuple[str, ...]:
    """The checklists that can change in ``stage``: its own, and the fast-track list at the idea stage."""
    return (stage, Outcome.FAST_TRACK) if stage == Stage.IDEA else (stage,)


def update_checklist(
    *, session: Session, actor: Actor, initiative_id: int, changes: list[ChecklistChange]
) -> list[ChecklistItem]:
    """Apply all changes or none; every problem is reported with the item it concerns (the problem's
    field is the item's id), so a page can show it beside the item. A change made from a version of
    the item that is no longer the saved one is refused as a conflict."""
    touch_initiative(session, initiative_id)
    initiative = get_or_refuse(session, Initiative, initiative_id)
    require("checklist.update", actor, Scope(portfolio_id=initiative.portfolio_id, lead_id=initiative.lead_id,
                                             created_by_id=initiative.created_by_id))
    ids = [change.item_id for change in changes]
    items = {
        item.id: item
        for item in session.exec(
            select(ChecklistItem).where(col(ChecklistItem.id).in_(ids)).with_for_update()
        ).all()
    }
    problems: list[FieldProblem] = []
    out_of_date = False
    for change in changes:
        item = items.get(change.item_id)
        if item is None or item.initiative_id != initiative_id:
            problems.append(FieldProblem(str(change.item_id), Message(
                N_("Checklist item {id} does not belong to this initiative."), {"id": change.item_id})))
            continue
        label, field = Message(item.label), str(item.id)
        if item.version != change.expected_version:
            out_of_date = True
        if item.stage not in editable_stages(initiative.stage):
            problems.append(FieldProblem(field, Message(
                N_("{item}: only the checklist of the current stage can be changed."), {"item": label})))
        if not ChecklistStatus.has(change.status):
            problems.append(FieldProblem(field, Message(
                N_("{item}: unknown status {status}."), {"item": label, "status": change.status})))
        if change.status == ChecklistStatus.NOT_APPLICABLE and not change.not_applicable_reason.strip():
            problems.append(FieldProblem(field, Message(
                N_("{item}: give a reason when an item is not applicable."), {"item": label})))
        problems += [FieldProblem(field, problem.message) for problem in
                     text_problems(ChecklistItem, {"not_applicable_reason": change.not_applicable_reason})]
    if out_of_date:
        raise stale(ChecklistItem)
    if problems:
        raise ValidationError(problems)
    updated = []
    for change in changes:
        item = items[change.item_id]
        reason = change.not_applicable_reason.strip() if change.status == ChecklistStatus.NOT_APPLICABLE else ""
        if (item.status, item.not_applicable_reason) == (change.status, reason):
            continue
        before = {"status": item.status, "not_applicable_reason": item.not_applicable_reason}
        item.status, item.not_applicable_reason = change.status, reason
        item.updated_by_id, item.updated_at = actor.user_id, utcnow()
        item.version += 1
        session.add(item)
        record(session=session, user_id=actor.user_id, action="checklist.update", entity="checklist_item",
               entity_id=item.id, initiative_id=initiative_id, before={"key": item.key, **before},
               after={"key": item.key, "status": item.status, "not_applicable_reason": reason})
        updated.append(item)
    return updated

"""Fetching the row an action works on: a missing row is NotFound, and a row to edit is locked
and compared with the version the user saw (optimistic locking), so a stale edit is a Conflict."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from db.models import Benefit, BenefitCalculation, ChecklistItem, Indicator, Initiative
from portfolio.errors import Conflict, NotFound
from portfolio.i18n import N_, Message

Row = TypeVar("Row", bound=SQLModel)

NOT_FOUND = {
    Initiative: N_("There is no initiative number {id}."),
    Benefit: N_("There is no benefit number {id}."),
    Indicator: N_("There is no indicator number {id}."),
}
# One sentence per kind of row: the languages inflect the noun, so each is its own catalogue entry.
STALE = {
    Initiative: N_("Someone else changed this initiative while you were working on it. "
                   "Nothing of yours was saved. Reload the page to see the latest version and try again."),
    Benefit: N_("Someone else changed this benefit while you were working on it. "
                "Nothing of yours was saved. Reload the page to see the latest version and try again."),
    Indicator: N_("Someone else changed this indicator while you were working on it. "
                  "Nothing of yours was saved. Reload the page to see the latest version and try again."),
    ChecklistItem: N_("Someone else changed this checklist while you were working on it. "
                      "Nothing of yours was saved. Reload the page to see the latest version and try again."),
    BenefitCalculation: N_("Someone else changed this benefit calculation while you were working on it. "
                           "Nothing of yours was saved. Reload the page to see the latest version and try again."),
}


def stale(model: type[SQLModel]) -> Conflict:
    """The refusal of an edit based on an out-of-date copy of a ``model`` row."""
    return Conflict(Message(STALE[model]))


def get_or_refuse(session: Session, model: type[Row], row_id: int) -> Row:
    """The row, or NotFound naming what is missing."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(Message(NOT_FOUND[model], {"id": row_id}))
    return row


def lock_for_edit(session: Session, model: type[Row], row_id: int, expected_version: int) -> Row:
    """Lock the row for this transaction (SELECT ... FOR UPDATE on PostgreSQL; SQLite write
    transactions are already exclusive) and refuse it when its version is not the one the user saw."""
    row = session.exec(select(model).where(model.id == row_id).with_for_update()).first()
    if row is None:
        raise NotFound(Message(NOT_FOUND[model], {"id": row_id}))
    if row.version != expected_version:
        raise stale(model)
    return row

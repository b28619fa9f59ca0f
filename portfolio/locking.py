"""Finding the row an action works on and locking it for an edit: a missing row is NotFound, and a
row to edit is locked and compared with the version the user saw (optimistic locking), so a stale
edit is a Conflict.

Locks are always taken in one order: first the write lock of the initiative the row belongs to
(``touch_initiative``), then the row itself, then the initiative's audit chain head (last, when
the action records what it did). Writers of one initiative therefore queue on one row and never
deadlock; writers of different initiatives do not wait for each other."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import event as sa_event, update
from sqlmodel import Session, SQLModel, select

from db.models import Benefit, BenefitCalculation, ChecklistItem, GateDecision, Indicator, Initiative, Measurement
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
    Measurement: N_("Someone else changed these figures while you were working on them. "
                    "Nothing of yours was saved. Reload the page to see the latest version and try again."),
}


def stale(model: type[SQLModel]) -> Conflict:
    """The refusal of an edit based on an out-of-date copy of a ``model`` row."""
    return Conflict(Message(STALE[model]))


# Row ids are 32-bit integer columns: a larger number (a hand-edited link, a typo) names no row, and
# PostgreSQL would refuse to compare it at all.
MAX_ID = 2**31 - 1


def get_or_refuse(session: Session, model: type[Row], row_id: int) -> Row:
    """The row, or NotFound naming what is missing."""
    row = session.get(model, row_id) if 0 < row_id <= MAX_ID else None
    if row is None:
        raise NotFound(Message(NOT_FOUND[model], {"id": row_id}))
    return row


# How to find the initiative a row belongs to, as one scalar query (no ORM object is loaded before
# the lock, so nothing read before it can be stale).
_INITIATIVE_OF = {
    Initiative: lambda row_id: select(Initiative.id).where(Initiative.id == row_id),
    ChecklistItem: lambda row_id: select(ChecklistItem.initiative_id).where(ChecklistItem.id == row_id),
    Benefit: lambda row_id: select(Benefit.initiative_id).where(Benefit.id == row_id),
    BenefitCalculation: lambda row_id: select(BenefitCalculation.initiative_id).where(BenefitCalculation.id == row_id),
    GateDecision: lambda row_id: select(GateDecision.initiative_id).where(GateDecision.id == row_id),
    Indicator: lambda row_id: select(Benefit.initiative_id).join(Indicator, Indicator.benefit_id == Benefit.id)
    .where(Indicator.id == row_id),
    Measurement: lambda row_id: select(Benefit.initiative_id).join(Indicator, Indicator.benefit_id == Benefit.id)
    .join(Measurement, Measurement.indicator_id == Indicator.id).where(Measurement.id == row_id),
}


def lock_initiative_of(session: Session, model: type[SQLModel], row_id: int) -> int | None:
    """Take the write lock of the initiative that owns this row (first, before any other lock)."""
    initiative_id = session.exec(_INITIATIVE_OF[model](row_id)).first()
    if initiative_id is not None:
        touch_initiative(session, initiative_id)
    return initiative_id


def lock_for_edit(session: Session, model: type[Row], row_id: int, expected_version: int) -> Row:
    """Lock the row for this transaction, after its initiative's write lock (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite write transactions are already exclusive), and refuse it when its version is
    not the one the user saw."""
    lock_initiative_of(session, model, row_id)
    row = session.exec(select(model).where(model.id == row_id).with_for_update()).first()
    if row is None:
        raise NotFound(Message(NOT_FOUND[model], {"id": row_id}))
    if row.version != expected_version:
        raise stale(model)
    return row


# ------------------------------------------------------------------ the initiative write lock


def touch_initiative(session: Session, initiative_id: int) -> None:
    """Take the initiative's write lock (once per transaction; ``audit.record`` bumps its data version).

    Every write to anything an initiative owns calls this first, so writers of one initiative queue
    on its row and never on each other's checklist, benefit or measurement rows in another order;
    writers of different initiatives never wait for each other. Several initiatives are locked in
    ascending id order (``lock_initiatives``)."""
    locked = session.info.setdefault("locked_initiatives", set())
    if initiative_id in locked:
        return
    table = Initiative.__table__
    session.execute(select(table.c.id).where(table.c.id == initiative_id).with_for_update())
    locked.add(initiative_id)


def bump_initiative_version(session: Session, initiative_id: int) -> None:
    """Bump the data version of an initiative (once per transaction), under its write lock."""
    touch_initiative(session, initiative_id)
    bumped = session.info.setdefault("bumped_initiatives", set())
    if initiative_id in bumped:
        return
    table = Initiative.__table__
    session.execute(update(table).where(table.c.id == initiative_id).values(data_version=table.c.data_version + 1))
    bumped.add(initiative_id)


def lock_initiatives(session: Session, initiative_ids: list[int]) -> None:
    """Take the write locks of several initiatives, always in ascending id order (no deadlock)."""
    for initiative_id in sorted(set(initiative_ids)):
        touch_initiative(session, initiative_id)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_locks(session, transaction) -> None:  # pragma: no cover - SQLAlchemy hook
    if transaction.parent is None:
        session.info.pop("locked_initiatives", None)
        session.info.pop("bumped_initiatives", None)

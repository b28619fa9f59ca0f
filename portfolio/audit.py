"""The append-only, hash-chained audit trail; the initiative write lock; the data versions that read
caches are keyed on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import event as sa_event, func, insert, update
from sqlmodel import Session, col, select

from db.audit_hash import GENESIS, link_hash
from db.models import AuditChain, AuditEvent, DataVersion, Initiative, User, utcnow


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}


def _chain_head(session: Session) -> AuditChain:
    """The last link of the chain, locked until the transaction ends (so appends are ordered).

    Actions append their audit events last, so this lock is held only for the end of a transaction."""
    return session.exec(select(AuditChain).where(AuditChain.id == 1).with_for_update()).one()


def record(
    *,
    session: Session,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    initiative_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event, linked into the hash chain, in the caller's transaction, and bump the
    data version of what it belongs to (the initiative, or the rest of the data)."""
    return record_many(session=session, events=[dict(
        user_id=user_id, action=action, entity=entity, entity_id=entity_id, initiative_id=initiative_id,
        before=before, after=after)])[0]


def record_many(*, session: Session, events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append several audit events (each a dict of ``record``'s arguments) in order, in one go."""
    initiative_ids = sorted({e["initiative_id"] for e in events if e.get("initiative_id") is not None})
    for initiative_id in initiative_ids:
        _bump_initiative_version(session, initiative_id)
    if any(e.get("initiative_id") is None for e in events):
        bump_data_version(session)
    head = _chain_head(session)
    seq, prev, now = head.seq, head.hash or GENESIS, utcnow()
    rows = []
    for values in events:
        seq += 1
        row = dict(
            seq=seq, at=now, user_id=values.get("user_id"), action=values["action"], entity=values["entity"],
            entity_id=values.get("entity_id"), initiative_id=values.get("initiative_id"),
            before=_jsonable(values.get("before")), after=_jsonable(values.get("after")), prev_hash=prev,
        )
        row["hash"] = link_hash(**row)
        prev = row["hash"]
        rows.append(row)
    head.seq, head.hash = seq, prev
    session.add(head)
    if len(rows) == 1:
        added = [AuditEvent(**rows[0])]
        session.add(added[0])
        session.flush()
        return added
    session.execute(insert(AuditEvent.__table__), rows)
    return [AuditEvent(**row) for row in rows]


def record_changes(
    *, session: Session, user_id: int, row: Any, values: dict[str, Any], action: str, entity: str,
    initiative_id: int | None,
) -> bool:
    """Apply the ``values`` that differ from ``row``, bump its version and audit before/after.

    Returns False (and writes nothing) when nothing differs.
    """
    before = {name: getattr(row, name) for name, value in values.items() if getattr(row, name) != value}
    if not before:
        return False
    after = {name: values[name] for name in before}
    for name, value in after.items():
        setattr(row, name, value)
    row.version += 1
    session.add(row)
    record(session=session, user_id=user_id, action=action, entity=entity, entity_id=row.id,
           initiative_id=initiative_id, before=before, after=after)
    return True


# ------------------------------------------------------------------ data versions and the initiative lock


def touch_initiative(session: Session, initiative_id: int) -> None:
    """Take the initiative's write lock (once per transaction; its data version is bumped by ``record``).

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


def _bump_initiative_version(session: Session, initiative_id: int) -> None:
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


def bump_data_version(session: Session) -> None:
    session.exec(update(DataVersion).where(DataVersion.id == 1).values(value=DataVersion.value + 1))


def data_version(session: Session, initiative_id: int | None = None) -> tuple[int, ...]:
    """A key that changes after every committed write that a read may show (the key of read caches).

    For one initiative: its own data version and the version of the shared data (users, units...).
    For lists: the shared version with the count and sum of every initiative's data version, which
    an aggregate reads without any writer ever queueing on a single row."""
    shared = session.exec(select(DataVersion.value).where(DataVersion.id == 1)).one()
    if initiative_id is not None:
        own = session.exec(select(Initiative.data_version).where(Initiative.id == initiative_id)).first()
        return (shared, own or 0)
    count, total = session.exec(select(func.count(), func.coalesce(func.sum(Initiative.data_version), 0))).one()
    return (shared, count, int(total))


# ------------------------------------------------------------------ the chain's proof


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found: how many events it checked, and the first broken one (or None)."""

    checked: int
    broken_seq: Optional[int] = None
    broken_id: Optional[int] = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(*, session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every link of the audit chain in order; name the first event that does not fit.

    A row edited behind the triggers' back changes its hash; a removed or inserted row breaks the
    numbering or the link to the row before; a removed tail no longer reaches the chain head."""
    prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        events = session.exec(select(AuditEvent).where(AuditEvent.seq > last_seq)
                              .order_by(col(AuditEvent.seq)).limit(batch)).all()
        if not events:
            break
        for e in events:
            if e.seq != expected_seq:
                return ChainReport(checked, e.seq, e.id, f"event {expected_seq} is missing before it")
            if e.prev_hash != prev:
                return ChainReport(checked, e.seq, e.id, "it does not link to the event before it")
            digest = link_hash(seq=e.seq, at=e.at, user_id=e.user_id, action=e.action, entity=e.entity,
                               entity_id=e.entity_id, initiative_id=e.initiative_id, before=e.before,
                               after=e.after, prev_hash=e.prev_hash)
            if digest != e.hash:
                return ChainReport(checked, e.seq, e.id, "its content does not match its hash")
            prev, expected_seq, checked = e.hash, expected_seq + 1, checked + 1
        last_seq = events[-1].seq
        session.expunge_all()
    head = session.exec(select(AuditChain).where(AuditChain.id == 1)).one()
    if head.seq != checked or (head.hash or GENESIS) != prev:
        return ChainReport(checked, checked + 1, None,
                           f"the chain head names event {head.seq}, but the trail ends at event {checked}")
    return ChainReport(checked)


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


AUDIT_CSV_COLUMNS = ["id", "at", "user", "action", "entity", "entity_id", "initiative_id", "before", "after"]


def export_audit_csv(*, session: Session, initiative_id: int | None = None) -> str:
    """The audit trail as CSV (oldest first), through the one export writer."""
    import json

    from portfolio.exports import csv_text

    query = (
        select(AuditEvent, User.username)
        .join(User, col(AuditEvent.user_id) == User.id, isouter=True)
        .order_by(col(AuditEvent.id))
    )
    if initiative_id is not None:
        query = query.where(AuditEvent.initiative_id == initiative_id)
    rows = ([
        event.id, _utc(event.at).isoformat(), username or "system", event.action, event.entity, event.entity_id,
        event.initiative_id if event.initiative_id is not None else "",
        json.dumps(event.before, ensure_ascii=False, sort_keys=True) if event.before is not None else "",
        json.dumps(event.after, ensure_ascii=False, sort_keys=True) if event.after is not None else "",
    ] for event, username in session.exec(query))
    return csv_text([AUDIT_CSV_COLUMNS, *rows])


def export_audit_for(*, session: Session, actor, initiative_id: int | None = None) -> str:
    """The audit CSV for a signed-in user: administrators and steering-group members only.

    (The ``portfolio export-audit`` command is the operator's tool on the server and needs no sign-in.)
    """
    from portfolio.permissions import require

    require("audit.export", actor)
    return export_audit_csv(session=session, initiative_id=initiative_id)

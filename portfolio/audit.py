"""The append-only, hash-chained audit trail; the initiative write lock; the data versions that read
caches are keyed on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from db.audit_hash import GENESIS, link_hash
from db.models import AuditChain, AuditEvent, DataVersion, Initiative, User, utcnow
from portfolio.locking import bump_initiative_version


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}


def _chain_head(session: Session, chain_id: int) -> AuditChain:
    """The last link of one chain, locked until the transaction ends (so its appends are ordered).

    An initiative's chain is only ever appended to under the initiative's own write lock, so this lock
    never makes writers of different initiatives wait; chain 0 (users, roles) is for rare admin work."""
    head = session.exec(select(AuditChain).where(AuditChain.id == chain_id).with_for_update()).first()
    if head is None:
        head = AuditChain(id=chain_id, seq=0, hash=GENESIS)
        session.add(head)
    return head


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
        bump_initiative_version(session, initiative_id)
    if any(e.get("initiative_id") is None for e in events):
        bump_data_version(session)
    rows = []
    heads: dict[int, AuditChain] = {}
    now = utcnow()
    for values in events:
        chain_id = values.get("initiative_id") or 0
        if chain_id not in heads:
            heads[chain_id] = _chain_head(session, chain_id)
        head = heads[chain_id]
        row = dict(
            chain_id=chain_id, seq=head.seq + 1, at=now, user_id=values.get("user_id"), action=values["action"],
            entity=values["entity"], entity_id=values.get("entity_id"), initiative_id=values.get("initiative_id"),
            before=_jsonable(values.get("before")), after=_jsonable(values.get("after")),
            prev_hash=head.hash or GENESIS,
        )
        row["hash"] = link_hash(**row)
        head.seq, head.hash = row["seq"], row["hash"]
        rows.append(row)
    session.add_all(heads.values())
    if len(rows) == 1:
        added = [AuditEvent(**rows[0])]
        session.add(added[0])
        session.flush()
        return added
    session.flush()
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


# ------------------------------------------------------------------ data versions


def bump_data_version(session: Session) -> None:
    """Change the data version after a write outside any initiative, so cached shared reads are read again."""
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
    """What ``verify_chain`` found: how many events it checked, and the first broken link (or None)."""

    checked: int
    chains: int = 0
    broken_chain: Optional[int] = None  # the initiative whose chain broke; 0 for events outside initiatives
    broken_seq: Optional[int] = None
    broken_id: Optional[int] = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when every link of every chain fits."""
        return self.broken_seq is None


def verify_chain(*, session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every link of every audit chain in order; name the first event that does not fit.

    A row edited behind the triggers' back changes its hash; a removed or inserted row breaks the
    numbering or the link to the row before; a removed tail no longer reaches its chain head; an
    initiative whose whole chain was removed has no chain left."""
    heads = {head.id: (head.seq, head.hash) for head in session.exec(select(AuditChain)).all()}
    checked, chain_id, prev, expected_seq = 0, None, GENESIS, 1
    seen_chains: set[int] = set()

    def broken(chain: int, seq: int, event_id: Optional[int], reason: str) -> ChainReport:
        return ChainReport(checked, len(seen_chains), chain, seq, event_id, reason)

    def tail_problem() -> Optional[ChainReport]:
        head_seq, head_hash = heads.get(chain_id, (None, None))
        if head_seq != expected_seq - 1 or head_hash != prev:
            return broken(chain_id, expected_seq, None, f"the chain head names event {head_seq}, "
                                                        f"but the chain ends at event {expected_seq - 1}")
        return None

    after = (-1, 0)
    while True:
        events = session.exec(
            select(AuditEvent).where((AuditEvent.chain_id > after[0])
                                     | ((AuditEvent.chain_id == after[0]) & (AuditEvent.seq > after[1])))
            .order_by(col(AuditEvent.chain_id), col(AuditEvent.seq)).limit(batch)).all()
        if not events:
            break
        for e in events:
            if e.chain_id != chain_id:
                if chain_id is not None and (problem := tail_problem()):
                    return problem
                chain_id, prev, expected_seq = e.chain_id, GENESIS, 1
                seen_chains.add(chain_id)
            if e.seq != expected_seq:
                return broken(chain_id, e.seq, e.id, f"event {expected_seq} is missing before it")
            if e.prev_hash != prev:
                return broken(chain_id, e.seq, e.id, "it does not link to the event before it")
            digest = link_hash(chain_id=e.chain_id, seq=e.seq, at=e.at, user_id=e.user_id, action=e.action,
                               entity=e.entity, entity_id=e.entity_id, initiative_id=e.initiative_id,
                               before=e.before, after=e.after, prev_hash=e.prev_hash)
            if digest != e.hash:
                return broken(chain_id, e.seq, e.id, "its content does not match its hash")
            prev, expected_seq, checked = e.hash, expected_seq + 1, checked + 1
        after = (events[-1].chain_id, events[-1].seq)
        session.expunge_all()
    if chain_id is not None and (problem := tail_problem()):
        return problem
    for head_id, (head_seq, _hash) in sorted(heads.items()):
        if head_seq and head_id not in seen_chains:
            return broken(head_id, 1, None, f"the chain head names event {head_seq}, but the chain has no events")
    # Every initiative is audited from its creation on; heads were checked against their events above.
    orphans = session.exec(select(Initiative.id).where(~select(AuditChain.id).where(
        AuditChain.id == Initiative.id, AuditChain.seq > 0).exists()).order_by(col(Initiative.id)).limit(1)).first()
    if orphans is not None:
        return broken(orphans, 1, None, "the initiative has no audit events at all")
    return ChainReport(checked, len(seen_chains))


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


AUDIT_CSV_COLUMNS = ["id", "at", "user", "action", "entity", "entity_id", "initiative_id", "before", "after"]


def export_audit_csv(*, session: Session, initiative_id: int | None = None, reader=None) -> str:
    """The audit trail as CSV (oldest first), through the one export writer.

    Without a ``reader`` this is the operator's full trail (the ``portfolio export-audit`` command).
    With one, only what the reader may read ("audit.read"): events of initiatives they may read,
    events that belong to no initiative only for administrators, and the before/after detail only
    where they hold "audit.detail" (elsewhere those cells are empty)."""
    import json

    from portfolio.exports import csv_text
    from portfolio.permissions import Scope, allowed, audit_readable

    query = (
        select(AuditEvent, User.username, Initiative.portfolio_id)
        .join(User, col(AuditEvent.user_id) == User.id, isouter=True)
        .join(Initiative, col(AuditEvent.initiative_id) == Initiative.id, isouter=True)
        .order_by(col(AuditEvent.id))
    )
    if initiative_id is not None:
        query = query.where(AuditEvent.initiative_id == initiative_id)
    readable = audit_readable(reader) if reader is not None else None
    if readable is not None:
        query = query.where(col(AuditEvent.initiative_id).is_not(None), readable)
    detail_in: dict[int | None, bool] = {}

    def detail(portfolio_id: int | None) -> bool:
        if reader is None:
            return True
        if portfolio_id not in detail_in:
            detail_in[portfolio_id] = allowed("audit.detail", reader, Scope(portfolio_id=portfolio_id))
        return detail_in[portfolio_id]

    def as_json(values: dict | None, shown: bool) -> str:
        return json.dumps(values, ensure_ascii=False, sort_keys=True) if values is not None and shown else ""

    rows = ([
        event.id, _utc(event.at).isoformat(), username or "system", event.action, event.entity, event.entity_id,
        event.initiative_id if event.initiative_id is not None else "",
        as_json(event.before, detail(portfolio_id)), as_json(event.after, detail(portfolio_id)),
    ] for event, username, portfolio_id in session.exec(query))
    return csv_text([AUDIT_CSV_COLUMNS, *rows])


def export_audit_for(*, session: Session, actor, initiative_id: int | None = None) -> str:
    """The audit CSV for a signed-in user ("audit.export": administrators and steering-group members),
    holding only what they may read (``export_audit_csv`` with them as the reader). For one
    initiative, the export is refused unless they may export that initiative's trail.

    (The ``portfolio export-audit`` command is the operator's tool on the server: unfiltered.)
    """
    from portfolio.permissions import initiative_scope, require
    from portfolio.locking import get_or_refuse

    if initiative_id is None:
        require("audit.export", actor)
    else:
        require("audit.export", actor, initiative_scope(session, get_or_refuse(session, Initiative, initiative_id)))
    return export_audit_csv(session=session, initiative_id=initiative_id, reader=actor)

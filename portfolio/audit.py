"""The append-only audit trail and the data version that read caches are keyed on."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.models import AuditEvent, DataVersion, User


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}


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
    """Append one audit event in the caller's transaction and bump the data version."""
    event = AuditEvent(
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        initiative_id=initiative_id,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(event)
    bump_data_version(session)
    return event


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


def bump_data_version(session: Session) -> None:
    session.exec(update(DataVersion).where(DataVersion.id == 1).values(value=DataVersion.value + 1))


def data_version(session: Session) -> int:
    """A number that changes after every committed write (the key of read caches)."""
    return session.exec(select(DataVersion.value).where(DataVersion.id == 1)).one()


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


AUDIT_CSV_COLUMNS = ["id", "at", "user", "action", "entity", "entity_id", "initiative_id", "before", "after"]


def export_audit_csv(*, session: Session, initiative_id: int | None = None) -> str:
    """The audit trail as CSV (oldest first)."""
    import json

    query = (
        select(AuditEvent, User.username)
        .join(User, col(AuditEvent.user_id) == User.id, isouter=True)
        .order_by(col(AuditEvent.id))
    )
    if initiative_id is not None:
        query = query.where(AuditEvent.initiative_id == initiative_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for event, username in session.exec(query):
        writer.writerow([
            event.id, _utc(event.at).isoformat(), username or "system", event.action, event.entity, event.entity_id,
            event.initiative_id if event.initiative_id is not None else "",
            json.dumps(event.before, ensure_ascii=False, sort_keys=True) if event.before is not None else "",
            json.dumps(event.after, ensure_ascii=False, sort_keys=True) if event.after is not None else "",
        ])
    return buffer.getvalue()


def export_audit_for(*, session: Session, actor, initiative_id: int | None = None) -> str:
    """The audit CSV for a signed-in user: administrators and steering-group members only.

    (The ``portfolio export-audit`` command is the operator's tool on the server and needs no sign-in.)
    """
    from portfolio.permissions import require

    require("audit.export", actor)
    return export_audit_csv(session=session, initiative_id=initiative_id)

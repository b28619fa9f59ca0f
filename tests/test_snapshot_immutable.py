"""Meeting snapshots are immutable in the database itself: a raw UPDATE, DELETE (and, on SQLite, INSERT OR
REPLACE; on PostgreSQL, TRUNCATE) of a ``report_snapshot`` row is refused by a trigger, on both databases,
and the row stays as it was."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import read_session, write_session
from db.models import ReportSnapshot
from tests.factories import make_portfolio, make_user

REFUSAL = "report_snapshot is immutable"


def _row(engine) -> int:
    """One snapshot row inserted directly (the trigger is the subject, not the action)."""
    with write_session(engine) as session:
        user = make_user(session)
        portfolio = make_portfolio(session)
        row = ReportSnapshot(portfolio_id=portfolio.id, meeting_name="Styrgrupp", meeting_date=date(2026, 12, 3),
                             period_from=date(2026, 1, 1), period_to=date(2026, 11, 30), language="sv",
                             payload='{"a": 1}', payload_version=1, content_hash="0" * 64, frozen_by_id=user.id)
        session.add(row)
        session.flush()
        return row.id


def _stored(engine) -> list[tuple]:
    with read_session(engine) as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT id, portfolio_id, meeting_name, meeting_date, period_from, period_to, language, payload, "
            "payload_version, content_hash, frozen_by_id, frozen_at FROM report_snapshot ORDER BY id")).all()]


@pytest.mark.parametrize("statement", [
    "UPDATE report_snapshot SET payload = '{}' WHERE id = :id",
    "UPDATE report_snapshot SET meeting_name = 'Another meeting' WHERE id = :id",
    "UPDATE report_snapshot SET content_hash = content_hash WHERE id = :id",
    "DELETE FROM report_snapshot WHERE id = :id",
    "DELETE FROM report_snapshot",
], ids=["update-payload", "update-name", "update-to-the-same", "delete-row", "delete-all"])
def test_the_database_refuses_changing_a_snapshot(engine, statement):
    snapshot_id = _row(engine)
    before = _stored(engine)
    with pytest.raises(DBAPIError, match=REFUSAL):
        with write_session(engine) as session:
            session.execute(text(statement), {"id": snapshot_id})
    assert _stored(engine) == before


def test_sqlite_refuses_replacing_a_snapshot_and_postgresql_truncating_one(engine):
    snapshot_id = _row(engine)
    before = _stored(engine)
    if engine.dialect.name == "sqlite":
        statements = [
            "INSERT OR REPLACE INTO report_snapshot SELECT * FROM report_snapshot WHERE id = :id",
            # A new id with the same meeting would replace the old row through the unique key.
            "INSERT OR REPLACE INTO report_snapshot (portfolio_id, meeting_name, meeting_date, period_from, "
            "period_to, language, payload, payload_version, content_hash, frozen_by_id, frozen_at) "
            "SELECT portfolio_id, meeting_name, meeting_date, period_from, period_to, language, '{}', "
            "payload_version, content_hash, frozen_by_id, frozen_at FROM report_snapshot WHERE id = :id",
        ]
    else:
        statements = ["TRUNCATE report_snapshot",
                      "INSERT INTO report_snapshot SELECT * FROM report_snapshot WHERE id = :id "
                      "ON CONFLICT (id) DO UPDATE SET payload = '{}'"]
    for statement in statements:
        with pytest.raises(DBAPIError, match=REFUSAL):
            with write_session(engine) as session:
                session.execute(text(statement), {"id": snapshot_id})
        assert _stored(engine) == before

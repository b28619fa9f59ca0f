"""The audit trail proves itself: the database refuses every way of rewriting it, and the hash chain
names the first event that was changed, removed or slipped in behind the guards' back."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import func, select

from db.engine import get_engine, read_session, write_session
from db.models import AuditChain, AuditEvent
from portfolio.audit import verify_chain
from portfolio.cli import main
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.initiatives import update_initiative
from tests.factories import World, actor


@pytest.fixture
def trail(engine):
    """A small organisation with a few audited actions: an edit, a decision, another edit."""
    with write_session(engine) as session:
        world = World(session)
        ids = {"initiative": world.initiative.id, "owner": world.owner.id, "lead": world.lead.id}
    with write_session(engine) as session:
        lead = actor(session, session.get(type(world.lead), ids["lead"]))
        update_initiative(session=session, actor=lead, initiative_id=ids["initiative"], expected_version=1,
                          changes={"description": "Första versionen"})
    with write_session(engine) as session:
        owner = actor(session, session.get(type(world.owner), ids["owner"]))
        record_gate_decision(session=session, actor=owner, initiative_id=ids["initiative"], expected_version=2,
                             data=DecisionInput(outcome="go", rationale="Behovet är tydligt"))
    with write_session(engine) as session:
        owner = actor(session, session.get(type(world.owner), ids["owner"]))
        update_initiative(session=session, actor=owner, initiative_id=ids["initiative"], expected_version=3,
                          changes={"description": "Andra versionen"})
    return ids


def _events(engine) -> list[AuditEvent]:
    with read_session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all())


def _verify(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner().invoke(main, ["verify-audit"], catch_exceptions=False)


def _drop_guards(engine) -> None:
    """What an attacker with database rights would do first (the test's way behind the guards)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
            connection.execute(text("DROP TRIGGER audit_event_no_truncate ON audit_event"))
        else:
            for name in ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_replace"):
                connection.execute(text(f"DROP TRIGGER {name}"))


def test_every_event_is_a_link_of_one_intact_chain(engine, trail, db_url, monkeypatch):
    events = _events(engine)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
    with read_session(engine) as session:
        assert verify_chain(session=session).ok
        head = session.get(AuditChain, 1)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    result = _verify(db_url, monkeypatch)
    assert (result.exit_code, result.stdout) == (0, f"audit chain intact: {len(events)} events\n")


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'nothing' WHERE seq = 2",
    "DELETE FROM audit_event WHERE seq = 2",
    "DELETE FROM audit_event",
])
def test_the_database_refuses_to_change_or_remove_events(engine, trail, statement):
    before = [(e.seq, e.action, e.hash) for e in _events(engine)]
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement))
    assert [(e.seq, e.action, e.hash) for e in _events(engine)] == before


def test_the_database_refuses_to_truncate_or_replace_events(engine, trail):
    before = [(e.seq, e.action, e.hash) for e in _events(engine)]
    first = _events(engine)[0]
    if engine.dialect.name == "postgresql":
        statements = ["TRUNCATE audit_event", "TRUNCATE audit_event CASCADE",
                      f"INSERT INTO audit_event (id, seq, at, action, entity, prev_hash, hash) VALUES "
                      f"({first.id}, {first.seq}, now(), 'forged', 'x', 'x', 'x') "
                      f"ON CONFLICT (id) DO UPDATE SET action = 'forged'"]
    else:
        statements = [f"INSERT OR REPLACE INTO audit_event (id, seq, at, action, entity, prev_hash, hash) "
                      f"VALUES ({first.id}, 999, '2026-01-01 00:00:00', 'forged', 'x', 'x', 'x')",
                      f"INSERT OR REPLACE INTO audit_event (seq, at, action, entity, prev_hash, hash) "
                      f"VALUES ({first.seq}, '2026-01-01 00:00:00', 'forged', 'x', 'x', 'x')",
                      f"REPLACE INTO audit_event (id, seq, at, action, entity, prev_hash, hash) "
                      f"VALUES ({first.id}, {first.seq}, '2026-01-01 00:00:00', 'forged', 'x', 'x', 'x')"]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    assert [(e.seq, e.action, e.hash) for e in _events(engine)] == before


def test_verify_audit_names_the_first_edited_event(engine, trail, db_url, monkeypatch):
    _drop_guards(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET before = NULL, after = NULL WHERE seq = 3"))
    broken = next(e for e in _events(engine) if e.seq == 3)
    result = _verify(db_url, monkeypatch)
    assert result.exit_code == 1
    assert result.stderr == (f"error: the audit chain is broken at event 3 (id {broken.id}): "
                             "its content does not match its hash\n2 events before it are intact\n")


def test_verify_audit_finds_a_removed_event_and_a_removed_tail(engine, trail, db_url, monkeypatch):
    events = _events(engine)
    _drop_guards(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = :seq"), {"seq": events[-1].seq})
    result = _verify(db_url, monkeypatch)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: the audit chain is broken at event {events[-1].seq}: the chain head "
                                    f"names event {events[-1].seq}, but the trail ends at event {events[-2].seq}")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    result = _verify(db_url, monkeypatch)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: the audit chain is broken at event 3 (id {events[2].id}): "
                                    "event 2 is missing before it")


def test_a_forged_event_with_a_recomputed_hash_still_breaks_the_next_link(engine, trail, db_url, monkeypatch):
    """Rewriting one event and its own hash is not enough: the next event links to the old hash."""
    from db.audit_hash import link_hash

    _drop_guards(engine)
    target = _events(engine)[1]
    forged_after = {"forged": True}
    digest = link_hash(seq=target.seq, at=target.at, user_id=target.user_id, action=target.action,
                       entity=target.entity, entity_id=target.entity_id, initiative_id=target.initiative_id,
                       before=target.before, after=forged_after, prev_hash=target.prev_hash)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET after = :after, hash = :hash WHERE seq = :seq"),
                           {"after": '{"forged": true}', "hash": digest, "seq": target.seq})
    result = _verify(db_url, monkeypatch)
    nxt = _events(engine)[2]
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: the audit chain is broken at event 3 (id {nxt.id}): "
                                    "it does not link to the event before it")


def test_the_migration_chains_events_written_before_it(empty_url):
    """Events written under revision 0002 are numbered and linked when 0003 runs."""
    from alembic import command

    from db.migrate import alembic_config

    command.upgrade(alembic_config(empty_url), "0002")
    engine = get_engine(empty_url)
    with engine.begin() as connection:
        for n in range(3):
            connection.execute(text(
                "INSERT INTO audit_event (at, action, entity, entity_id, after) "
                "VALUES (:at, 'user.create', 'user', :n, :after)"),
                {"at": f"2026-01-0{n + 1} 10:00:00.123456+00:00", "n": n, "after": '{"n": %d, "x": 1.5}' % n})
    command.upgrade(alembic_config(empty_url), "head")
    with read_session(engine) as session:
        report = verify_chain(session=session)
        assert (report.ok, report.checked) == (True, 3)
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == 3

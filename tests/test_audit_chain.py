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


def _events(engine, chain_id: int | None = None) -> list[AuditEvent]:
    """The events of one chain in order (default: every event, chain by chain)."""
    query = select(AuditEvent).order_by(AuditEvent.chain_id, AuditEvent.seq)
    if chain_id is not None:
        query = query.where(AuditEvent.chain_id == chain_id)
    with read_session(engine) as session:
        return list(session.exec(query).all())


def _verify(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner().invoke(main, ["verify-audit"], catch_exceptions=False)


def _drop_guards(engine) -> None:
    """What an attacker with database rights would do first (the test's way behind the guards)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
            connection.execute(text("DROP TRIGGER audit_event_no_truncate ON audit_event"))
            connection.execute(text("DROP TRIGGER audit_chain_no_delete ON audit_chain"))
        else:
            for name in ("audit_event_no_update", "audit_event_no_delete", "audit_event_no_replace",
                         "audit_chain_no_delete"):
                connection.execute(text(f"DROP TRIGGER {name}"))


def test_every_event_is_a_link_of_its_initiatives_intact_chain(engine, trail, db_url, monkeypatch):
    events = _events(engine, trail["initiative"])
    assert [e.action for e in events] == ["initiative.create", "initiative.update", "gate.go", "initiative.update"]
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
    with read_session(engine) as session:
        assert verify_chain(session=session).ok
        head = session.get(AuditChain, trail["initiative"])
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
        chains = len(set(session.exec(select(AuditEvent.chain_id)).all()))
    result = _verify(db_url, monkeypatch)
    assert (result.exit_code, result.stdout) == (
        0, f"audit chains intact: {len(_events(engine))} events in {chains} chains\n")


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'nothing' WHERE seq = 2",
    "DELETE FROM audit_event WHERE seq = 2",
    "DELETE FROM audit_event",
    "DELETE FROM audit_chain",
])
def test_the_database_refuses_to_change_or_remove_events(engine, trail, statement):
    before = [(e.seq, e.action, e.hash) for e in _events(engine)]
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement))
    assert [(e.seq, e.action, e.hash) for e in _events(engine)] == before


def test_the_database_refuses_to_truncate_or_replace_events(engine, trail):
    before = [(e.seq, e.action, e.hash) for e in _events(engine)]
    first = _events(engine, trail["initiative"])[0]
    chain = first.chain_id
    columns = "(id, chain_id, seq, at, action, entity, prev_hash, hash)"
    if engine.dialect.name == "postgresql":
        statements = ["TRUNCATE audit_event", "TRUNCATE audit_event CASCADE", "TRUNCATE audit_chain",
                      f"INSERT INTO audit_event {columns} VALUES "
                      f"({first.id}, {chain}, {first.seq}, now(), 'forged', 'x', 'x', 'x') "
                      f"ON CONFLICT (id) DO UPDATE SET action = 'forged'"]
    else:
        statements = [f"INSERT OR REPLACE INTO audit_event {columns} "
                      f"VALUES ({first.id}, {chain}, 999, '2026-01-01 00:00:00', 'forged', 'x', 'x', 'x')",
                      f"INSERT OR REPLACE INTO audit_event (chain_id, seq, at, action, entity, prev_hash, hash) "
                      f"VALUES ({chain}, {first.seq}, '2026-01-01 00:00:00', 'forged', 'x', 'x', 'x')",
                      f"REPLACE INTO audit_event {columns} "
                      f"VALUES ({first.id}, {chain}, {first.seq}, '2026-01-01 00:00:00', 'forged', 'x', 'x', 'x')"]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    assert [(e.seq, e.action, e.hash) for e in _events(engine)] == before


def test_verify_audit_names_the_first_edited_event(engine, trail, db_url, monkeypatch):
    _drop_guards(engine)
    initiative = trail["initiative"]
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET before = NULL, after = NULL "
                                "WHERE chain_id = :chain AND seq = 3"), {"chain": initiative})
    broken = _events(engine, initiative)[2]
    result = _verify(db_url, monkeypatch)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: the audit chain of initiative {initiative} is broken at event 3 (id {broken.id}): "
        "its content does not match its hash\n")


def test_verify_audit_finds_a_removed_event_a_removed_tail_and_a_removed_chain(engine, trail, db_url, monkeypatch):
    initiative = trail["initiative"]
    events = _events(engine, initiative)
    _drop_guards(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[-1].id})
    result = _verify(db_url, monkeypatch)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: the audit chain of initiative {initiative} is broken at event 4: "
                                    "the chain head names event 4, but the chain ends at event 3\n")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[1].id})
    result = _verify(db_url, monkeypatch)
    assert result.stderr.startswith(f"error: the audit chain of initiative {initiative} is broken at event 3 "
                                    f"(id {events[2].id}): event 2 is missing before it\n")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE chain_id = :chain"), {"chain": initiative})
        connection.execute(text("DELETE FROM audit_chain WHERE id = :chain"), {"chain": initiative})
    result = _verify(db_url, monkeypatch)
    assert result.stderr.startswith(f"error: the audit chain of initiative {initiative} is broken at event 1: "
                                    "the initiative has no audit events at all\n")


def test_a_forged_event_with_a_recomputed_hash_still_breaks_the_next_link(engine, trail, db_url, monkeypatch):
    """Rewriting one event and its own hash is not enough: the next event links to the old hash."""
    from db.audit_hash import link_hash

    _drop_guards(engine)
    initiative = trail["initiative"]
    target, following = _events(engine, initiative)[1:3]
    digest = link_hash(chain_id=target.chain_id, seq=target.seq, at=target.at, user_id=target.user_id,
                       action=target.action, entity=target.entity, entity_id=target.entity_id,
                       initiative_id=target.initiative_id, before=target.before, after={"forged": True},
                       prev_hash=target.prev_hash)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET after = :after, hash = :hash WHERE id = :id"),
                           {"after": '{"forged": true}', "hash": digest, "id": target.id})
    result = _verify(db_url, monkeypatch)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: the audit chain of initiative {initiative} is broken at event 3 "
                                    f"(id {following.id}): it does not link to the event before it\n")


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
        assert (report.ok, report.checked, report.chains) == (True, 3, 1)
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == 3

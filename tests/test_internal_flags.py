"""Internal flags: set through the details edit (permission, validation, write, audit), told in words in the
history, and added by migration 0009 without touching what is stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import select

from db.engine import get_engine, read_session, write_session
from db.migrate import alembic_config, upgrade
from db.models import AuditEvent, Initiative
from portfolio.audit_prose import Names, audit_sentence
from portfolio.errors import PermissionDenied, ValidationError
from portfolio.initiatives import INTERNAL_FLAGS, update_initiative
from tests.factories import World, actor, assert_refused

FLAGS_OFF = {flag: False for flag in INTERNAL_FLAGS}


@pytest.fixture
def world(engine) -> World:
    with write_session(engine) as session:
        return World(session)


def _flags(engine, initiative_id: int) -> dict[str, bool]:
    with read_session(engine) as session:
        row = session.get(Initiative, initiative_id)
        return {flag: getattr(row, flag) for flag in INTERNAL_FLAGS}


def _update(engine, world: World, who, changes: dict):
    with write_session(engine) as session:
        version = session.get(Initiative, world.initiative.id).version
        return update_initiative(session=session, actor=actor(session, who), initiative_id=world.initiative.id,
                                 expected_version=version, changes=changes)


def test_a_new_initiative_is_public(engine, world):
    assert _flags(engine, world.initiative.id) == FLAGS_OFF


@pytest.mark.parametrize("flag", INTERNAL_FLAGS)
def test_the_lead_marks_a_text_internal_and_the_trail_says_so(engine, world, flag):
    _update(engine, world, world.lead, {flag: True, "title": "Digital triage"})
    assert _flags(engine, world.initiative.id) == {**FLAGS_OFF, flag: True}
    with read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "initiative.update")).one()
    # Only what changed is recorded (the title is as it was).
    assert (event.before, event.after) == ({flag: False}, {flag: True})


@pytest.mark.parametrize(("flag", "language", "sentence"), [
    ("description_internal", "en", "Leif Ledare changed the visibility of the description from public to internal"),
    ("internal", "en", "Leif Ledare changed the visibility of the initiative from public to internal"),
    ("lessons_learned_internal", "en",
     "Leif Ledare changed the visibility of the lessons learned from public to internal"),
    ("rationale_internal", "en",
     "Leif Ledare changed the visibility of the decisions' rationales from public to internal"),
])
def test_the_history_tells_a_flag_in_words(engine, world, flag, language, sentence):
    _update(engine, world, world.lead, {flag: True})
    with read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "initiative.update")).one()
    names = Names(users={world.lead.id: "Leif Ledare"})
    said = audit_sentence(event, names, detail=True, zone="Europe/Stockholm").render(language)
    assert said.split(" (")[0] == sentence


def test_a_flag_that_is_not_true_or_false_is_refused_with_every_problem(engine, world):
    assert_refused(engine, world.initiative.id, ValidationError,
                   ["The title must not be empty.", "The field internal must be true or false.",
                    "The field rationale_internal must be true or false."],
                   lambda session: update_initiative(
                       session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                       expected_version=world.initiative.version,
                       changes={"title": " ", "internal": "yes", "rationale_internal": None}))
    assert _flags(engine, world.initiative.id) == FLAGS_OFF


def test_whoever_may_not_edit_may_not_mark_anything_internal(engine, world):
    assert_refused(engine, world.initiative.id, PermissionDenied,
                   ["Only the implementation lead, the portfolio owner or an administrator may edit this initiative."],
                   lambda session: update_initiative(
                       session=session, actor=actor(session, world.steering), initiative_id=world.initiative.id,
                       expected_version=world.initiative.version, changes={"internal": True}))
    assert _flags(engine, world.initiative.id) == FLAGS_OFF


def _columns(url: str) -> set[str]:
    engine = get_engine(url)
    names = {column["name"] for column in inspect(engine).get_columns("initiative")}
    engine.dispose()
    return names


def test_migration_0009_adds_the_flags_off_and_takes_them_away(empty_url):
    upgrade(empty_url, "0008")
    engine = get_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO portfolio (id, name, owner_decides, version) VALUES (1, 'P', false, 1)"))
        connection.execute(text(
            "INSERT INTO initiative (id, title, description, need_description, need_owner, expected_effects, "
            "portfolio_id, stage, on_hold, created_at, stage_entered_at, leads_since_last_gate, version) "
            "VALUES (1, 'Old idea', 'Stored before', '', '', '', 1, 'idea', false, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP, '[]', 1)"))
    engine.dispose()
    assert not set(INTERNAL_FLAGS) & _columns(empty_url)
    upgrade(empty_url, "0009")
    assert set(INTERNAL_FLAGS) <= _columns(empty_url)
    engine = get_engine(empty_url)
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT title, {', '.join(INTERNAL_FLAGS)} FROM initiative")).one()
    engine.dispose()
    assert tuple(row) == ("Old idea", *(False,) * len(INTERNAL_FLAGS))
    command.downgrade(alembic_config(empty_url), "0008")
    assert not set(INTERNAL_FLAGS) & _columns(empty_url)
    engine = get_engine(empty_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT title, description FROM initiative")).one() == ("Old idea",
                                                                                            "Stored before")
    engine.dispose()

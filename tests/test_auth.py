"""Sign-in and account creation; demo accounts work only in a demo database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import AuditEvent, User
from portfolio.auth import authenticate, create_user, hash_password, verify_password
from portfolio.demo import load_demo
from portfolio.errors import ValidationError
from tests.factories import assert_refused, make_user, snapshot

# Every user made by the factory has the password "secret-password".
PASSWORD = "secret-password"


@pytest.fixture(params=["real", "demo"])
def database(request, engine):
    """A database of real data, or one created as a demo database (through the demo loader)."""
    if request.param == "demo":
        with write_session(engine) as session:
            load_demo(session=session, initiatives=0, today=date(2026, 11, 2))
    return request.param


@pytest.fixture
def users(engine, database):
    # ``demo_owner`` in a real database stands for a demo account that an older version wrote there.
    with write_session(engine) as session:
        return {
            "active": make_user(session, username="anna"),
            "inactive": make_user(session, username="gone", is_active=False),
            "demo": make_user(session, username="demo_owner", is_demo=True),
            "demo_password": make_user(session, username="dora", password_hash=hash_password("demo")),
        }


def sign_in(engine, username: str, password: str, demo_mode: bool = True):
    with read_session(engine) as session:
        user = authenticate(session=session, username=username, password=password, demo_mode=demo_mode)
        return None if user is None else user.username


# (user name typed, password typed, PORTFOLIO_DEMO switch) -> who is signed in, in a real and in a demo database
SIGN_IN_TABLE = {
    ("anna", PASSWORD, True): ("anna", "anna"),
    ("  anna ", PASSWORD, True): ("anna", "anna"),
    ("anna", PASSWORD, False): ("anna", "anna"),
    ("anna", "wrong-password", True): (None, None),
    ("anna", "", True): (None, None),
    ("Anna", PASSWORD, True): (None, None),
    ("nobody", PASSWORD, True): (None, None),
    ("", PASSWORD, True): (None, None),
    ("anna\x00", PASSWORD, True): (None, None),
    ("gone", PASSWORD, True): (None, None),  # deactivated
    ("demo_owner", PASSWORD, True): (None, "demo_owner"),  # demo accounts: only in a demo database
    ("demo_owner", PASSWORD, False): (None, None),  # ... and not there when PORTFOLIO_DEMO=0
    ("demo_owner", "wrong-password", True): (None, None),
    ("dora", "demo", True): (None, "dora"),  # the password "demo": only in a demo database
    ("dora", "demo", False): (None, None),
}


def test_authenticate(engine, database, users):
    column = 0 if database == "real" else 1
    actual = {(name, password, demo): sign_in(engine, name, password, demo)
              for name, password, demo in SIGN_IN_TABLE}
    assert actual == {key: expected[column] for key, expected in SIGN_IN_TABLE.items()}


def test_password_hash_is_argon2_and_salted():
    first, second = hash_password("same-password"), hash_password("same-password")
    assert first.startswith("$argon2") and first != second
    assert verify_password(first, "same-password") and verify_password(second, "same-password")
    assert not verify_password(first, "other-password")
    assert not verify_password("not-a-hash", "same-password")


def test_create_user_then_sign_in(engine):
    with write_session(engine) as session:
        user = create_user(session=session, username="  bertil ", display_name=" Bertil B ", password="long-enough",
                           language="en")
    with read_session(engine) as session:
        stored = session.get(User, user.id)
        event = session.exec(select(AuditEvent).where(AuditEvent.entity == "user")).one()
    assert (stored.username, stored.display_name, stored.language, stored.is_demo) == ("bertil", "Bertil B", "en",
                                                                                      False)
    assert stored.password_hash.startswith("$argon2") and "long-enough" not in stored.password_hash
    assert (event.action, event.entity_id, event.after) == (
        "user.create", user.id, {"username": "bertil", "display_name": "Bertil B", "is_demo": False})
    assert sign_in(engine, "bertil", "long-enough") == "bertil"
    assert sign_in(engine, "bertil", "long-enougH") is None


def test_create_user_reports_every_problem_at_once(engine):
    def create(session):
        create_user(session=session, username="   ", display_name="", password="short", language="de")

    assert_refused(engine, None, ValidationError, [
        "The user name must not be empty.", "The name must not be empty.",
        "The password must have at least 8 characters.", "Unknown language de.",
    ], create)
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            create(session)
    assert [p.field for p in error.value.problems] == ["username", "display_name", "password", "language"]


def test_create_user_refuses_a_taken_name_and_a_short_password_together(engine, users):
    assert_refused(engine, None, ValidationError, [
        "The user name anna is already taken.", "The password must have at least 8 characters.",
    ], lambda s: create_user(session=s, username=" anna ", display_name="Another Anna", password="1234567"))


def test_create_user_refuses_control_characters_and_over_long_names(engine):
    assert_refused(engine, None, ValidationError, [
        "username must not contain control characters.", "display_name must not contain control characters.",
        "display_name may have at most 200 characters.",
    ], lambda s: create_user(session=s, username="an\x00na", display_name="\x1b[31m" + "x" * 200,
                             password="long-enough"))


def test_demo_accounts_are_created_only_in_a_demo_database(engine, database):
    def create(session):
        return create_user(session=session, username="visitor", display_name="Visitor", password="demo",
                           is_demo=True)

    if database == "real":
        assert_refused(engine, None, ValidationError, ["Demo accounts can only be created in a demo database."],
                       create)
        return
    with write_session(engine) as session:
        create(session)
    assert sign_in(engine, "visitor", "demo") == "visitor"
    assert sign_in(engine, "visitor", "demo", demo_mode=False) is None


def test_deactivated_user_can_no_longer_sign_in(engine, users):
    assert sign_in(engine, "anna", PASSWORD) == "anna"
    before = snapshot(engine)
    with write_session(engine) as session:
        session.get(User, users["active"].id).is_active = False
    assert sign_in(engine, "anna", PASSWORD) is None
    assert snapshot(engine)["audit_events"] == before["audit_events"]

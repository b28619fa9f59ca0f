"""Sign-in and account creation."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import AuditEvent, User
from portfolio.auth import authenticate, create_user, hash_password, verify_password
from portfolio.errors import ValidationError
from tests.factories import assert_refused, make_user, snapshot

# Every user made by the factory has the password "secret-password".
PASSWORD = "secret-password"


@pytest.fixture
def users(engine):
    with write_session(engine) as session:
        return {
            "active": make_user(session, username="anna"),
            "inactive": make_user(session, username="gone", is_active=False),
            "demo": make_user(session, username="demo_owner", is_demo=True),
        }


def sign_in(engine, username: str, password: str, demo_mode: bool = False):
    with read_session(engine) as session:
        user = authenticate(session=session, username=username, password=password, demo_mode=demo_mode)
        return None if user is None else user.username


# (username typed, password typed, demo mode) -> who is signed in (None: nobody)
SIGN_IN_TABLE = {
    ("anna", PASSWORD, False): "anna",
    ("  anna ", PASSWORD, False): "anna",
    ("anna", PASSWORD, True): "anna",
    ("anna", "wrong-password", False): None,
    ("anna", "", False): None,
    ("Anna", PASSWORD, False): None,
    ("nobody", PASSWORD, False): None,
    ("gone", PASSWORD, False): None,  # inactive
    ("gone", PASSWORD, True): None,
    ("demo_owner", PASSWORD, False): None,  # demo users only work in demo mode
    ("demo_owner", PASSWORD, True): "demo_owner",
    ("demo_owner", "wrong-password", True): None,
}


def test_authenticate(engine, users):
    actual = {(name, password, demo): sign_in(engine, name, password, demo)
              for name, password, demo in SIGN_IN_TABLE}
    assert actual == SIGN_IN_TABLE


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


def test_demo_users_may_have_short_passwords_but_only_sign_in_in_demo_mode(engine):
    with write_session(engine) as session:
        create_user(session=session, username="visitor", display_name="Visitor", password="demo", is_demo=True)
    assert sign_in(engine, "visitor", "demo", demo_mode=False) is None
    assert sign_in(engine, "visitor", "demo", demo_mode=True) == "visitor"


def test_deactivated_user_can_no_longer_sign_in(engine, users):
    assert sign_in(engine, "anna", PASSWORD) == "anna"
    with write_session(engine) as session:
        session.get(User, users["active"].id).is_active = False
    assert sign_in(engine, "anna", PASSWORD) is None
    assert snapshot(engine)["audit_events"] == 0

"""Server-side sessions: a sign-in reaches the browser through a one-time code, the cookie's token opens the
session until it is idle too long, signed out or its user deactivated; only hashes are stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import User, UserSession
from portfolio.auth import deactivate_user
from portfolio.errors import ValidationError
from portfolio.sessions import (
    HANDOFF_SECONDS,
    TOUCH_SECONDS,
    begin_session,
    end_session,
    establish_session,
    open_session,
    touch_session,
)
from tests.factories import make_user

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
IDLE = 8.0


@pytest.fixture
def user_id(engine) -> int:
    with write_session(engine) as session:
        return make_user(session, username="anna").id


def _signed_in(engine, user_id: int, at: datetime = T0) -> str:
    with write_session(engine) as session:
        code = begin_session(session=session, user_id=user_id, now=at)
    with write_session(engine) as session:
        token = establish_session(session=session, code=code, idle_hours=IDLE, now=at)
    assert token is not None
    return token


def _user_of(engine, token: str, at: datetime):
    with read_session(engine) as session:
        found = open_session(session=session, token=token, now=at)
    return None if found is None else found.user_id


def test_a_sign_in_opens_a_session_that_a_refresh_finds_again(engine, user_id):
    token = _signed_in(engine, user_id)
    assert _user_of(engine, token, T0 + timedelta(hours=1)) == user_id
    assert _user_of(engine, "someone-elses-guess", T0) is None
    assert _user_of(engine, "", T0) is None


def test_only_hashes_are_stored(engine, user_id):
    token = _signed_in(engine, user_id)
    with read_session(engine) as session:
        row = session.exec(select(UserSession)).one()
    assert (row.handoff_hash, len(row.token_hash)) == (None, 64)
    assert token not in row.token_hash


def test_a_handoff_code_works_once_and_for_a_minute(engine, user_id):
    with write_session(engine) as session:
        code = begin_session(session=session, user_id=user_id, now=T0)
        late = begin_session(session=session, user_id=user_id, now=T0)
    with write_session(engine) as session:
        assert establish_session(session=session, code=code, idle_hours=IDLE, now=T0) is not None
        assert establish_session(session=session, code=code, idle_hours=IDLE, now=T0) is None
        assert establish_session(session=session, code=late, idle_hours=IDLE,
                                 now=T0 + timedelta(seconds=HANDOFF_SECONDS)) is None
        assert establish_session(session=session, code="made-up", idle_hours=IDLE, now=T0) is None


def test_an_idle_session_ends_and_use_moves_its_end_on(engine, user_id):
    token = _signed_in(engine, user_id)
    assert _user_of(engine, token, T0 + timedelta(hours=IDLE) - timedelta(seconds=1)) == user_id
    assert _user_of(engine, token, T0 + timedelta(hours=IDLE)) is None
    # Used seven hours in, it lasts eight hours from then.
    used = T0 + timedelta(hours=7)
    with read_session(engine) as session:
        found = open_session(session=session, token=token, now=used)
    assert found.due_for_touch
    with write_session(engine) as session:
        touch_session(session=session, session_id=found.id, idle_hours=IDLE, now=used)
    assert _user_of(engine, token, used + timedelta(hours=IDLE) - timedelta(seconds=1)) == user_id
    with read_session(engine) as session:
        again = open_session(session=session, token=token, now=used + timedelta(seconds=TOUCH_SECONDS - 1))
    assert not again.due_for_touch


def test_sign_out_ends_the_session_only(engine, user_id):
    first, second = _signed_in(engine, user_id), _signed_in(engine, user_id)
    with write_session(engine) as session:
        assert end_session(session=session, token=first, now=T0) is True
        assert end_session(session=session, token=first, now=T0) is False
    assert (_user_of(engine, first, T0), _user_of(engine, second, T0)) == (None, user_id)
    with read_session(engine) as session:
        reasons = sorted(row.end_reason for row in session.exec(select(UserSession)).all())
    assert reasons == ["", "signed_out"]


def test_deactivating_a_user_ends_every_session_and_is_audited(engine, user_id):
    tokens = [_signed_in(engine, user_id) for _ in range(3)]
    with write_session(engine) as session:
        other = make_user(session).id
    other_token = _signed_in(engine, other)
    with write_session(engine) as session:
        assert deactivate_user(session=session, username=" anna ") == 3
    assert [_user_of(engine, token, T0) for token in tokens] == [None, None, None]
    assert _user_of(engine, other_token, T0) == other
    with read_session(engine) as session:
        assert session.get(User, user_id).is_active is False
        from db.models import AuditEvent
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.deactivate")).all()
    assert [(e.entity_id, e.before, e.after) for e in events] == [(user_id, {"is_active": True}, {"is_active": False})]


def test_a_session_of_a_user_deactivated_directly_opens_nothing(engine, user_id):
    token = _signed_in(engine, user_id)
    with write_session(engine) as session:
        session.get(User, user_id).is_active = False
    assert _user_of(engine, token, T0) is None


def test_deactivating_an_unknown_user_is_refused(engine, user_id):
    with write_session(engine) as session, pytest.raises(ValidationError) as refused:
        deactivate_user(session=session, username="nobody")
    assert refused.value.render("en") == ["There is no user named nobody."]

"""Local accounts: argon2 password hashes, throttled sign-in, and account creation.

Sign-in is an action: one transaction checks the wait a user name is under, verifies the password
and records a failure. After ``MAX_FAILURES`` failures for a user name within ``FAILURE_WINDOW``,
that name waits ``FIRST_WAIT``, and twice as long after each further failure (up to ``MAX_WAIT``),
whatever password comes next. Demo accounts and the demo password work only in a database that
was created as a demo database (``portfolio.demo``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlmodel import Session, col, select

from db.models import DatabaseInfo, RoleAssignment, SignInFailure, User, utcnow
from db.settings import get_settings
from portfolio.audit import record_changes
from portfolio.errors import FieldProblem, ValidationError, has_control_characters, text_problems
from portfolio.i18n import LANGUAGES, N_, Message
from portfolio.permissions import Actor, require
from portfolio.sessions import end_sessions_of

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
DEMO_PASSWORD = "demo"
# An unknown user name is checked against this hash, so that it takes as long as a known one.
_DUMMY_HASH = _hasher.hash("no account has this password")

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=60)
# The waits double: 1, 2, 4 ... minutes; 2**6 minutes is past MAX_WAIT.
_MAX_DOUBLINGS = 6
# How many of a name's latest failures are read; more than any streak needs to reach MAX_WAIT.
_HISTORY = 200

WRONG_CREDENTIALS = N_("Wrong user name or password.")
WAIT_ONE_MINUTE = N_("Too many failed sign-ins for this user name. Try again in 1 minute.")
WAIT_MINUTES = N_("Too many failed sign-ins for this user name. Try again in {minutes} minutes.")


def hash_password(password: str) -> str:
    """The Argon2 hash to store for a password, never the password itself."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored hash; a malformed hash matches nothing."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_demo_database(session: Session) -> bool:
    """True only for a database created as a demo database (``portfolio demo`` on an empty database)."""
    info = session.get(DatabaseInfo, 1)
    return bool(info is not None and info.is_demo)


def authenticate(*, session: Session, username: str, password: str, demo_mode: bool = True) -> User | None:
    """The active user with these credentials, or None. Writes nothing and does not throttle: pages
    sign people in through ``sign_in``.

    Demo accounts and the password ``demo`` work only in a demo database, and not even there when
    ``demo_mode`` is off (``PORTFOLIO_DEMO=0``). Nobody signs in with a local password while local
    sign-in is switched off (``PORTFOLIO_LOCAL_SIGNIN=0``, single sign-on only). Exactly one argon2
    verification runs whatever the outcome, so a wrong name takes as long as a wrong password."""
    username = username.strip()
    user = None
    if username and not has_control_characters(username):
        user = session.exec(select(User).where(User.username == username)).first()
    password_ok = verify_password(user.password_hash if user is not None else _DUMMY_HASH, password)
    if user is None or not password_ok or not user.is_active or not get_settings().local_sign_in:
        return None
    if (user.is_demo or password == DEMO_PASSWORD) and not (demo_mode and is_demo_database(session)):
        return None
    return user


@dataclass(frozen=True)
class SignInResult:
    """A signed-in user, or the refusal to show (never both)."""

    user: Optional[User] = None
    refusal: Optional[Message] = None


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive timestamps; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def failure_key(username: str) -> str:
    """The user name as failures are recorded and counted: stripped, control characters replaced,
    cut to the column's length (anything typed is recorded, not only names that exist)."""
    cleaned = "".join("\ufffd" if has_control_characters(ch) else ch for ch in username.strip())
    return cleaned[: SignInFailure.__table__.columns["username"].type.length]


def locked_until(failures: list[datetime], *, saturated: bool = False) -> Optional[datetime]:
    """The end of the wait that a user name's failures (oldest first) put it under, or None.

    A streak of failures starts a wait once ``MAX_FAILURES`` of them fall within ``FAILURE_WINDOW``;
    every failure after a wait has ended (and within ``FAILURE_WINDOW`` of its end) starts a wait
    twice as long. A failure recorded during a wait does not count, and a quiet ``FAILURE_WINDOW``
    after a wait ends the streak. ``saturated`` says the list is only the latest part of a longer
    streak, which is then treated as one that has reached ``MAX_WAIT``."""
    doublings = _MAX_DOUBLINGS if saturated else 0
    until = failures[0] if saturated and failures else None
    recent: list[datetime] = []
    for at in failures:
        if until is not None:
            if at < until:
                continue
            if at >= until + FAILURE_WINDOW:
                doublings, until, recent = 0, None, []
        recent = [r for r in recent if r > at - FAILURE_WINDOW] + [at]
        if until is not None or len(recent) >= MAX_FAILURES:
            until = at + min(FIRST_WAIT * 2 ** min(doublings, _MAX_DOUBLINGS), MAX_WAIT)
            doublings += 1
    return until


def _lock_user_name(session: Session, key: str) -> None:
    """Queue the sign-ins of one user name, so that parallel attempts cannot all slip in before any of
    them is counted (a SQLite write transaction is exclusive already)."""
    if session.get_bind().dialect.name == "postgresql":
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)
        session.exec(text("SELECT pg_advisory_xact_lock(:space, :key)").bindparams(space=0x51671, key=digest))


def sign_in_wait(*, session: Session, username: str, now: Optional[datetime] = None) -> Optional[timedelta]:
    """How long ``username`` must still wait before its next sign-in attempt, or None."""
    now = now or utcnow()
    rows = session.exec(
        select(SignInFailure.at).where(SignInFailure.username == failure_key(username))
        .order_by(col(SignInFailure.at).desc()).limit(_HISTORY + 1)
    ).all()
    failures = sorted(_as_utc(at) for at in rows[:_HISTORY])
    until = locked_until(failures, saturated=len(rows) > _HISTORY)
    return until - now if until is not None and until > now else None


def wait_message(wait: timedelta) -> Message:
    """The refusal of a sign-in attempt made during a wait, in whole minutes (rounded up)."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return Message(WAIT_ONE_MINUTE) if minutes == 1 else Message(WAIT_MINUTES, {"minutes": minutes})


def sign_in(
    *, session: Session, username: str, password: str, now: Optional[datetime] = None, demo_mode: bool = True
) -> SignInResult:
    """Sign in with a local account: the user, or the refusal to show. Run it in a write transaction:
    a failure is recorded (user name and time) and counts towards the wait. During a wait no password
    is checked, the right one included."""
    now = now or utcnow()
    key = failure_key(username)
    _lock_user_name(session, key)
    wait = sign_in_wait(session=session, username=username, now=now)
    if wait is not None:
        return SignInResult(refusal=wait_message(wait))
    user = authenticate(session=session, username=username, password=password, demo_mode=demo_mode)
    if user is not None:
        return SignInResult(user=user)
    session.add(SignInFailure(username=key, at=now))
    session.flush()
    wait = sign_in_wait(session=session, username=username, now=now)
    return SignInResult(refusal=wait_message(wait) if wait is not None else Message(WRONG_CREDENTIALS))


@dataclass(frozen=True)
class FailedSignIn:
    """One failed sign-in attempt: the user name as typed (cleaned) and when."""

    username: str
    at: datetime


def recent_sign_in_failures(
    *, session: Session, actor: Optional[Actor], now: Optional[datetime] = None, days: int = 7, limit: int = 500
) -> list[FailedSignIn]:
    """The failed sign-ins of the last ``days`` days, newest first (at most ``limit``). Administrators only."""
    require("signin.failures.read", actor)
    since = (now or utcnow()) - timedelta(days=days)
    rows = session.exec(
        select(SignInFailure.username, SignInFailure.at).where(SignInFailure.at >= since)
        .order_by(col(SignInFailure.at).desc(), col(SignInFailure.id).desc()).limit(limit)
    ).all()
    return [FailedSignIn(username=username, at=_as_utc(at)) for username, at in rows]


def create_user(
    *,
    session: Session,
    username: str,
    display_name: str,
    password: str,
    language: str = "sv",
    is_demo: bool = False,
) -> User:
    """Create a local account. Every problem with the input is reported at once."""
    from portfolio.audit import record

    problems: list[FieldProblem] = []
    username = username.strip()
    if not username:
        problems.append(FieldProblem("username", Message(N_("The user name must not be empty."))))
    elif not has_control_characters(username) and session.exec(
            select(User).where(User.username == username)).first() is not None:
        problems.append(
            FieldProblem("username", Message(N_("The user name {username} is already taken."), {"username": username}))
        )
    if not display_name.strip():
        problems.append(FieldProblem("display_name", Message(N_("The name must not be empty."))))
    if is_demo and not is_demo_database(session):
        problems.append(FieldProblem("is_demo", Message(
            N_("Demo accounts can only be created in a demo database."))))
    if len(password) < MIN_PASSWORD_LENGTH and not is_demo:
        problems.append(
            FieldProblem(
                "password",
                Message(N_("The password must have at least {count} characters."), {"count": MIN_PASSWORD_LENGTH}),
            )
        )
    problems += text_problems(User, {"username": username, "display_name": display_name})
    if language not in LANGUAGES:
        problems.append(FieldProblem("language", Message(N_("Unknown language {language}."), {"language": language})))
    if problems:
        raise ValidationError(problems)
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        language=language,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    record(session=session, user_id=None, action="user.create", entity="user", entity_id=user.id,
           after={"username": username, "display_name": user.display_name, "is_demo": is_demo})
    return user


def grant_role(
    *, session: Session, user_id: int, role: str, portfolio_id: int | None = None, org_unit_id: int | None = None
) -> RoleAssignment:
    """Give a user a role, in a portfolio or org unit where it has one, with an audit entry (for the CLI)."""
    from db.models import ROLES, OrgUnit, Portfolio
    from portfolio.audit import record

    problems = []
    if role not in ROLES:
        problems.append(FieldProblem("role", Message(N_("Unknown role {role}."), {"role": repr(role)})))
    if portfolio_id is not None and session.get(Portfolio, portfolio_id) is None:
        problems.append(FieldProblem("portfolio_id", Message(
            N_("There is no portfolio number {id}."), {"id": portfolio_id})))
    if org_unit_id is not None and session.get(OrgUnit, org_unit_id) is None:
        problems.append(FieldProblem("org_unit_id", Message(
            N_("There is no org unit number {id}."), {"id": org_unit_id})))
    if problems:
        raise ValidationError(problems)
    assignment = RoleAssignment(user_id=user_id, role=role, portfolio_id=portfolio_id, org_unit_id=org_unit_id)
    session.add(assignment)
    session.flush()
    record(session=session, user_id=None, action="role.grant", entity="role_assignment", entity_id=assignment.id,
           after={"user_id": user_id, "role": role, "portfolio_id": portfolio_id, "org_unit_id": org_unit_id})
    return assignment


def deactivate_user(*, session: Session, username: str) -> int:
    """Deactivate an account (the operator's command): it can no longer sign in, every browser signed in as it
    is signed out at its next click, and the change is audited. How many open sessions were ended."""
    username = username.strip()
    user = session.exec(select(User).where(User.username == username).with_for_update()).first()
    if user is None:
        raise ValidationError([FieldProblem("username", Message(N_("There is no user named {username}."),
                                                                {"username": username}))])
    ended = end_sessions_of(session=session, user_id=user.id, reason="deactivated")
    if user.is_active:
        record_changes(session=session, user_id=None, row=user, values={"is_active": False},
                       action="user.deactivate", entity="user", initiative_id=None)
    return ended


def set_own_language(*, session: Session, actor: Actor, language: str) -> User:
    """Change the signed-in user's language (sv, nb or en): every page and rerun follows it, and so does the
    next sign-in anywhere. Audited, as every change to an account is."""
    if language not in LANGUAGES:
        raise ValidationError([FieldProblem("language", Message(N_("Unknown language {language}."),
                                                                {"language": language}))])
    user = session.exec(select(User).where(User.id == actor.user_id).with_for_update()).one()
    if user.language != language:
        record_changes(session=session, user_id=actor.user_id, row=user, values={"language": language},
                       action="user.language", entity="user", initiative_id=None)
    return user

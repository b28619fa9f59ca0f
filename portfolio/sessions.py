"""Server-side sessions: a signed-in browser stays signed in across a refresh, a new tab or a shared link.

How a sign-in reaches the browser without a token ever standing in a URL:

1. The sign-in page checks the password (``auth.sign_in``) and calls ``begin_session``, which stores the
   hash of a one-time *handoff code* valid for a minute, and sends the browser to
   ``/session/start?code=...``.
2. That route (``portfolio/ui/server.py``) calls ``establish_session``: the code is spent, a fresh random
   session token is made, its hash stored, and the token goes to the browser in a cookie (HttpOnly,
   SameSite=Strict, Secure over HTTPS). The code cannot be used twice, and a token is never chosen by the
   browser, so a session cannot be fixed in advance.
3. Every page run asks ``open_session`` for the cookie's token: the user, as long as the session has not
   ended, has not been idle past its expiry and the user is still active; ``touch_session`` moves the
   expiry on, at most once a minute.

Only SHA-256 hashes of codes and tokens are stored, so a copy of the database opens no session. A session
ends at sign-out (``end_session``), after the idle time, and when its user is deactivated
(``end_sessions_of``, called by ``auth.deactivate_user``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlmodel import Session, col, select, update

from db.models import User, UserSession, utcnow

SESSION_COOKIE = "portfolio_session"
HANDOFF_SECONDS = 60
# A page run writes "last seen" at most this often, not on every click.
TOUCH_SECONDS = 60


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive times; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def begin_session(*, session: Session, user_id: int, now: Optional[datetime] = None) -> str:
    """Start a session for a user who has just signed in; the one-time code that carries it to the browser."""
    now = now or utcnow()
    code = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user_id, handoff_hash=_hash(code), created_at=now, last_seen_at=now,
                            expires_at=now + timedelta(seconds=HANDOFF_SECONDS)))
    session.flush()
    return code


def establish_session(*, session: Session, code: str, idle_hours: float,
                      now: Optional[datetime] = None) -> Optional[str]:
    """Spend a handoff code: the new session token for the browser's cookie, or None when the code is
    unknown, spent or older than a minute."""
    now = now or utcnow()
    row = session.exec(select(UserSession).where(UserSession.handoff_hash == _hash(code)).with_for_update()).first()
    if row is None or row.ended_at is not None or _as_utc(row.expires_at) <= now:
        return None
    token = secrets.token_urlsafe(32)
    row.handoff_hash = None
    row.token_hash = _hash(token)
    row.last_seen_at = now
    row.expires_at = now + timedelta(hours=idle_hours)
    session.add(row)
    session.flush()
    return token


@dataclass(frozen=True)
class OpenSession:
    """A live session: whose it is, and whether its "last seen" is old enough to be written again."""

    id: int
    user_id: int
    due_for_touch: bool


def open_session(*, session: Session, token: str, now: Optional[datetime] = None) -> Optional[OpenSession]:
    """The live session of a token, or None when it is unknown, ended, idle past its expiry, or its user is no
    longer active. A read: every page run asks, and only ``touch_session`` writes."""
    if not token:
        return None
    now = now or utcnow()
    found = session.exec(
        select(UserSession.id, UserSession.user_id, UserSession.last_seen_at, UserSession.expires_at)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _hash(token), col(UserSession.ended_at).is_(None), col(User.is_active))
    ).first()
    if found is None or _as_utc(found[3]) <= now:
        return None
    return OpenSession(id=found[0], user_id=found[1],
                       due_for_touch=now - _as_utc(found[2]) >= timedelta(seconds=TOUCH_SECONDS))


def touch_session(*, session: Session, session_id: int, idle_hours: float, now: Optional[datetime] = None) -> None:
    """Note that a session is in use: its idle time starts again (written at most once a minute)."""
    now = now or utcnow()
    session.exec(update(UserSession).where(col(UserSession.id) == session_id, col(UserSession.ended_at).is_(None))
                 .values(last_seen_at=now, expires_at=now + timedelta(hours=idle_hours)))


def end_session(*, session: Session, token: str, reason: str = "signed_out", now: Optional[datetime] = None) -> bool:
    """End the session of a token (sign-out); True when there was one to end."""
    if not token:
        return False
    result = session.exec(update(UserSession)
                          .where(UserSession.token_hash == _hash(token), col(UserSession.ended_at).is_(None))
                          .values(ended_at=now or utcnow(), end_reason=reason))
    return result.rowcount > 0


def end_sessions_of(*, session: Session, user_id: int, reason: str, now: Optional[datetime] = None) -> int:
    """End every open session of a user (deactivation, revocation); how many were ended."""
    result = session.exec(update(UserSession)
                          .where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
                          .values(ended_at=now or utcnow(), end_reason=reason))
    return result.rowcount

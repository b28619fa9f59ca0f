"""Running an action: one transaction, retried when the database asks for it, and every database
trouble turned into a message a person can read.

Pages, the command line, benchmarks and tests run their changes through ``perform``. A deadlock, a
serialization failure, a lock timeout or a unique-key race means the transaction was rolled back
whole, so running the action again from the start is safe: it re-reads everything, and its own
version checks turn a real conflict into the product's conflict message. What is left after the
retries, and a connection pool that stays exhausted, becomes a ``DomainError``; a raw driver error
never reaches a user.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from db.engine import get_engine, write_session
from portfolio.errors import Conflict, DomainError
from portfolio.i18n import N_, Message

Result = TypeVar("Result")

ATTEMPTS = 4
# SQLSTATEs after which the whole transaction may simply run again.
_RETRY_SQLSTATES = {
    "40P01",  # deadlock_detected
    "40001",  # serialization_failure
    "55P03",  # lock_not_available
    "23505",  # unique_violation: another writer inserted the same key first
}
BUSY = N_("Someone else was saving changes to the same data at the same moment. Nothing of yours was saved. "
          "Try again.")
UNREACHABLE = N_("The database cannot be reached; trying again.")


class DatabaseUnavailable(DomainError):
    """The database did not answer; nothing was saved."""


def _sqlstate(error: DBAPIError) -> str | None:
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)


def is_transient(error: BaseException) -> bool:
    """True when the failed transaction can run again from the start."""
    if isinstance(error, DBAPIError):
        if _sqlstate(error) in _RETRY_SQLSTATES:
            return True
        # SQLite: another connection held the write lock past the busy timeout.
        return "database is locked" in str(getattr(error, "orig", error))
    return False


# SQLite's words for a database file it cannot open or read (its errors carry no SQLSTATE).
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error")


def is_unreachable(error: BaseException) -> bool:
    """True when the database could not be reached at all (not a refusal of this statement)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    original = getattr(error, "orig", None)
    if type(original).__module__.startswith("sqlite3"):
        return any(words in str(original).lower() for words in _SQLITE_UNREACHABLE)
    # PostgreSQL: connection exceptions (class 08), the server shutting down (57P01-57P03), or no
    # SQLSTATE at all, which psycopg gives when it never got an answer.
    return _sqlstate(error) in (None, "08000", "08001", "08003", "08006", "57P01", "57P02", "57P03")


def database_reachable(engine: Engine | None = None) -> bool:
    """True when the database answers a trivial query now."""
    try:
        with (engine or get_engine()).connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError:
        return False
    return True


def perform(work: Callable[[Session], Result], *, engine: Engine | None = None, attempts: int = ATTEMPTS) -> Result:
    """Run ``work(session)`` in one write transaction and return its result.

    A transient failure runs it again (up to ``attempts`` times, with a short random pause); when
    the retries are used up the caller gets the product's conflict message. An exhausted connection
    pool gets the same message; an unreachable database gets ``DatabaseUnavailable``.
    """
    for attempt in range(1, attempts + 1):
        try:
            with write_session(engine) as session:
                return work(session)
        except DomainError:
            raise
        except PoolTimeout:
            raise Conflict(Message(BUSY))
        except (OperationalError, IntegrityError, DBAPIError) as error:
            if is_transient(error):
                if attempt < attempts:
                    time.sleep(random.uniform(0.01, 0.05) * attempt)
                    continue
                raise Conflict(Message(BUSY)) from error
            if is_unreachable(error):
                raise DatabaseUnavailable(Message(UNREACHABLE)) from error
            raise
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

"""The one path of a change: who acts, one transaction, the action, and its refusal as messages.

Pages, the command line and the tests run every change through a ``Dispatcher``::

    done = Dispatcher(user_id).run(record_gate_decision, initiative_id=42, expected_version=7, data=...)
    if not done.ok:
        show(done.problems)

The dispatcher loads the acting user once (in the first transaction it opens, so the roles checked are
the roles committed at that moment) and hands them to the action as ``actor``; ``perform`` gives the
action its transaction and retries it when the database asks for it. The action itself keeps the one
shape every action has: check the permission, validate every field, change, write the audit entry. A
``DomainError`` (a refusal, a validation problem, a conflict, an unreachable database) comes back as the
messages it carries, in ``Done.problems``; anything else is a bug and is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, Optional, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from portfolio.actions import perform
from portfolio.errors import DomainError
from portfolio.i18n import Message
from portfolio.permissions import Actor, load_actor

Result = TypeVar("Result")


@dataclass(frozen=True)
class Done(Generic[Result]):
    """What came of one action: its result, or every problem that refused it (and nothing was saved)."""

    result: Optional[Result] = None
    problems: tuple[Message, ...] = ()
    error: Optional[DomainError] = None

    @property
    def ok(self) -> bool:
        """True when the action ran and its transaction was committed."""
        return self.error is None


class Dispatcher:
    """Runs actions on behalf of one signed-in user (or of nobody, for signing in).

    Make one per page run or per command: the acting user is loaded once and kept, so a page that runs
    an action and then draws itself asks the database for the user once. A callback between two page
    runs makes a new one, so an action is checked against the user's roles as they are now.
    """

    def __init__(self, user_id: Optional[int], *, engine: Optional[Engine] = None,
                 actor: Optional[Actor] = None) -> None:
        self.user_id = user_id
        self.engine = engine
        self._actor = actor

    def actor(self, session: Session) -> Actor:
        """The acting user, loaded in ``session`` the first time and kept afterwards."""
        if self._actor is None:
            if self.user_id is None:
                raise AssertionError("an anonymous dispatcher runs only actions that take no actor")
            self._actor = load_actor(session=session, user_id=self.user_id)
        return self._actor

    def run(self, action: Callable[..., Result], /, **arguments) -> Done[Result]:
        """Run ``action(session=..., actor=..., **arguments)`` in one transaction; its result or problems.

        An anonymous dispatcher (no user) passes no ``actor``: that is for the actions a person runs
        before anyone is signed in (signing in, the single sign-on account lookup)."""
        def work(session: Session) -> Result:
            if self.user_id is None and self._actor is None:
                return action(session=session, **arguments)
            return action(session=session, actor=self.actor(session), **arguments)

        try:
            return Done(result=perform(work, engine=self.engine))
        except DomainError as error:
            return Done(problems=tuple(error.messages), error=error)

    def run_or_raise(self, action: Callable[..., Result], /, **arguments) -> Result:
        """Run ``action`` as ``run`` does, but raise its ``DomainError``: for tests and scripts that
        expect it to succeed, or that assert the exact error type."""
        done = self.run(action, **arguments)
        if done.error is not None:
            raise done.error
        return done.result

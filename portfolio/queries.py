"""Running a read: the pages' one way to the database for reading, as ``perform`` is for changes.

A page calls ``read(query, **arguments)``; the query is a domain function taking ``session`` as a
keyword (``initiative_view``, ``my_decisions_page``, ...). Nothing read is ever written back, and no
ORM session outlives the call, so a page never holds a connection while it draws.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable, TypeVar

from sqlalchemy import text
from sqlmodel import Session

from db.engine import read_session
from db.settings import Settings, get_settings, tune_interpreter

Result = TypeVar("Result")

__all__ = ["read", "without_jit", "Settings", "get_settings", "tune_interpreter"]


def read(query: Callable[..., Result], /, **arguments) -> Result:
    """``query(session=..., **arguments)`` in a read session of its own; its result."""
    with read_session() as session:
        return query(session=session, **arguments)


@contextmanager
def without_jit(session: Session) -> Iterator[None]:
    """PostgreSQL's JIT compiler off for the block, then as it was. For reads whose plans have many small
    subplans, or whose cost the planner overestimates: compiling them takes longer than running them."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = session.execute(text("SELECT current_setting('jit'), set_config('jit', 'off', true)")).one()[0]
    try:
        yield
    finally:
        session.execute(text("SELECT set_config('jit', :previous, true)"), {"previous": previous})

"""Running a read: the pages' one way to the database for reading, as ``perform`` is for changes.

A page calls ``read(query, **arguments)``; the query is a domain function taking ``session`` as a
keyword (``initiative_view``, ``my_decisions_page``, ...). Nothing read is ever written back, and no
ORM session outlives the call, so a page never holds a connection while it draws.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from db.engine import read_session
from db.settings import Settings, get_settings, tune_interpreter

Result = TypeVar("Result")

__all__ = ["read", "Settings", "get_settings", "tune_interpreter"]


def read(query: Callable[..., Result], /, **arguments) -> Result:
    """``query(session=..., **arguments)`` in a read session of its own; its result."""
    with read_session() as session:
        return query(session=session, **arguments)

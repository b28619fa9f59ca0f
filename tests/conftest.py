"""Test fixtures: every database test runs on the embedded SQLite *and* a real PostgreSQL server.

Each test gets a fresh database copied from a migrated template (a file copy for SQLite,
``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), so tests are isolated and fast.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess

import pytest
from sqlalchemy import create_engine, text

from db.engine import get_engine
from db.migrate import upgrade
from tests.pg import PostgresServer

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the whole session. A server that cannot start fails the run."""
    server = PostgresServer()
    server.start()
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE portfolio_template"))
    upgrade(server.url("portfolio_template"))
    get_engine(server.url("portfolio_template")).dispose()
    server.admin = admin
    yield server
    admin.dispose()
    server.stop()


@pytest.fixture
def own_pg_server():
    """A PostgreSQL server of the test's own, which the test may pause (an outage) and resume."""
    server = PostgresServer()
    server.start()
    yield server
    try:
        server.stop()
    except subprocess.CalledProcessError:
        pass  # already stopped by a failed test; its directory is removed all the same


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "portfolio.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    get_engine(url).dispose()
    return path


def _sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / f"portfolio-{next(_counter)}.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _pg_url(pg_server) -> str:
    name = f"portfolio_test_{next(_counter)}"
    with pg_server.admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE portfolio_template"))
    return pg_server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, sqlite_template, tmp_path):
    """A fresh, migrated database URL: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        url = _sqlite_url(sqlite_template, tmp_path)
    else:
        url = _pg_url(request.getfixturevalue("pg_server"))
    yield url
    get_engine(url).dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """A database with no schema at all (for migration tests): once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        name = f"portfolio_empty_{next(_counter)}"
        with server.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = server.url(name)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path):
    """A fresh, migrated SQLite database only (for UI tests, where the database is not the subject)."""
    url = _sqlite_url(sqlite_template, tmp_path)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def engine(db_url):
    return get_engine(db_url)

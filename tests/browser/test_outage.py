"""The database goes away under a signed-in user: the page says so in words, without the server's address,
and comes back by itself, without a click, once the database is back.

PostgreSQL only, on a server of the test's own: an outage is that server stopping and starting again, which
a SQLite file, always at hand, cannot have, and the session's shared server must not do.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from db.engine import get_engine, write_session
from db.migrate import upgrade
from tests.browser.conftest import serve, sign_in
from tests.factories import World

pytestmark = pytest.mark.browser

UNREACHABLE = "The database cannot be reached; trying again."


def test_the_page_recovers_by_itself_when_the_database_is_back(page: Page, own_pg_server):
    admin = get_engine(own_pg_server.url("postgres")).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE portfolio"))
    url = own_pg_server.url("portfolio")
    upgrade(url)
    with write_session(get_engine(url)) as session:
        World(session)
    get_engine(url).dispose()
    get_engine(own_pg_server.url("postgres")).dispose()

    with serve(url) as base:
        sign_in(page, base, "owner")

        own_pg_server.pause()
        page.get_by_role("link", name="My decisions").click()
        expect(page.get_by_text(UNREACHABLE)).to_be_visible()
        shown = page.locator("body").inner_text()
        for secret in ("127.0.0.1", str(own_pg_server.port), "postgres", "Traceback"):
            assert secret not in shown

        own_pg_server.resume()
        # No click from here on: the page tries again every few seconds by itself.
        expect(page.get_by_role("heading", name="My decisions")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(UNREACHABLE)).to_have_count(0)

"""A sign-in that survives a refresh, a new tab and a shared link; sign-out and deactivation end it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import UserSession
from portfolio.auth import deactivate_user
from tests.browser.conftest import serve, sign_in

pytestmark = pytest.mark.browser
SIGN_IN_HEADING = "Initiative portfolio"


def test_a_refresh_and_a_new_tab_keep_the_sign_in(page: Page, served_app, world, app_db):
    sign_in(page, served_app, "owner")
    page.reload()
    expect(page.get_by_role("heading", name="My decisions")).to_be_visible()
    second = page.context.new_page()
    second.goto(f"{served_app}/my-decisions")
    expect(second.get_by_role("heading", name="My decisions")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "portfolio_session")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)
    # The token stands in the cookie only: the database holds its hash, and no address holds either.
    with read_session(app_db) as session:
        stored = session.exec(select(UserSession.token_hash)).all()
    assert len(stored) == 1 and cookie["value"] not in stored[0] and cookie["value"] not in page.url

    second.get_by_role("button", name="Sign out").click()
    expect(second.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()


def test_a_shared_link_opens_after_signing_in(page: Page, served_app, world):
    sign_in(page, f"{served_app}/initiative?id={world.initiative.id}", "owner", heading="Digital triage")
    assert re.search(rf"/initiative\?id={world.initiative.id}\b", page.url)
    expect(page.get_by_text(re.compile(r"Stage:\s*Idea"))).to_be_visible()


def test_deactivation_signs_the_browser_out_at_its_next_click(page: Page, served_app, world, app_db):
    sign_in(page, served_app, "owner")
    with write_session(app_db) as session:
        assert deactivate_user(session=session, username="owner") == 1
    page.get_by_role("link", name="My decisions").click()
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()


def test_an_idle_session_ends(browser: Browser, db_url, world, app_db):
    # Idle time of about a second and a half, so the test can wait it out.
    with serve(db_url, env={"PORTFOLIO_SESSION_IDLE_HOURS": "0.0004"}) as base:
        page = browser.new_page()
        sign_in(page, base, "owner")
        page.wait_for_timeout(2500)
        page.reload()
        expect(page.get_by_role("heading", name=SIGN_IN_HEADING)).to_be_visible()
        page.close()

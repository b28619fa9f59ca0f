"""Proposing an idea in the browser: the form empties once it is saved, and the same title twice asks first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import read_session
from db.models import Initiative
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _titles(app_db) -> list[str]:
    with read_session(app_db) as session:
        return sorted(session.exec(select(Initiative.title)).all())


def test_proposing_an_idea_twice_warns_of_the_duplicate(page: Page, served_app, world, app_db):
    sign_in(page, f"{served_app}/new-idea", "lead", heading="New idea")
    page.get_by_role("textbox", name="Title").fill("  digital TRIAGE ")
    page.get_by_role("textbox", name="Need", exact=True).fill("Long queues on the phone")
    page.get_by_role("button", name="Propose idea").click()

    expect(page.get_by_text("An initiative with this title is already in the portfolio: "
                            f"#{world.initiative.id} Digital triage. Is this a new idea?")).to_be_visible()
    expect(page.get_by_role("link", name=f"Open idea {world.initiative.id}")).to_be_visible()
    assert _titles(app_db) == ["Digital triage"]  # nothing is saved before the answer

    page.get_by_role("button", name="Propose it anyway").click()
    expect(page.get_by_text("is registered as number")).to_be_visible()
    assert _titles(app_db) == ["Digital triage", "digital TRIAGE"]
    # The form is empty again, so a second click cannot save the same idea twice.
    expect(page.get_by_role("textbox", name="Title")).to_have_value("")

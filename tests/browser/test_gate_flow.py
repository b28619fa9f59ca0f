"""The owner signs in, opens an initiative whose gate is ready, approves it and sees the new stage."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import read_session
from db.models import GateDecision, Initiative
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_owner_approves_a_ready_gate(page: Page, world, app_db, served_app):
    sign_in(page, served_app, "owner")

    page.get_by_role("link", name="My decisions").click()
    expect(page.get_by_role("heading", name="My decisions")).to_be_visible()
    card = page.locator(f".st-key-gate_{world.initiative.id}")
    expect(card).to_contain_text("Digital triage")
    expect(card).to_contain_text("Ready")
    card.get_by_role("link", name="Open initiative").click()

    expect(page.get_by_role("heading", name="Digital triage")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stage:\s*Idea"))).to_be_visible()
    expect(page.get_by_text("Every rule of the gate holds.")).to_be_visible()
    # Nothing is chosen beforehand: the decision owner picks the decision.
    decision_box = page.get_by_role("combobox", name=re.compile("Decision"))
    expect(decision_box).to_have_value("")
    # The choices open below the box, so the box must not sit at the bottom of the window.
    page.set_viewport_size({"width": 1280, "height": 1600})
    decision_box.click()
    page.get_by_role("option", name="Go", exact=True).click()
    expect(decision_box).to_have_value("Go")
    page.get_by_role("textbox", name="Rationale").fill("The need is clear and has an owner.")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_text("The decision is recorded.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stage:\s*Concept"))).to_be_visible()
    with read_session(app_db) as session:
        assert session.get(Initiative, world.initiative.id).stage == "concept"
        decision = session.exec(select(GateDecision)).one()
    assert (decision.outcome, decision.rationale, decision.decided_by_id) == (
        "go", "The need is clear and has an owner.", world.owner.id)

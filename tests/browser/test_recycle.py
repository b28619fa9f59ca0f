"""The owner sends a concept back to the idea stage: the decision form asks what must be redone, the gate panel
shows it, and the idea's checklist is open again (a recycle used to be a plain undo, ready to pass at once)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import GateDecision, Initiative
from portfolio.checklists import create_checklist
from tests.browser.conftest import sign_in
from tests.factories import World, checklist_items, complete_checklist

pytestmark = pytest.mark.browser

REWORK = "Interview the reception staff again; the need analysis missed the evening shift."
IDEA_ITEMS = ("Need analysed with the staff and patients who have it",
              "Existing solutions in the organisation and nationally checked",
              "Head of unit supports further work")


@pytest.fixture
def concept(app_db) -> World:
    """ "Digital triage" in the concept stage, its idea checklist completed by its lead."""
    with write_session(app_db) as session:
        world = World(session, stage="concept", ready=True)
        initiative = session.get(Initiative, world.initiative.id)
        for earlier in ("idea", "fast_track"):
            create_checklist(session=session, initiative_id=initiative.id, stage=earlier)
        complete_checklist(session, initiative, "idea")
        return world


def test_owner_recycles_with_what_must_be_redone(page: Page, concept, app_db, served_app):
    initiative_id = concept.initiative.id
    sign_in(page, f"{served_app}/initiative?id={initiative_id}", "owner", heading="Digital triage")
    expect(page.get_by_text(re.compile(r"Stage:\s*Concept"))).to_be_visible()

    page.set_viewport_size({"width": 1280, "height": 1600})
    decision_box = page.get_by_role("combobox", name=re.compile("Decision"))
    decision_box.click()
    page.get_by_role("option", name="Recycle", exact=True).click()
    expect(decision_box).to_have_value("Recycle")
    page.get_by_role("textbox", name="Rationale").fill("The need is not understood well enough.")
    # A recycle without what must be redone is refused, and says so.
    rework_box = page.get_by_role("textbox", name="What must be redone")
    expect(rework_box).to_be_visible()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("A recycle needs to say what must be redone.")).to_be_visible()
    with read_session(app_db) as session:
        assert session.get(Initiative, initiative_id).stage == "concept"

    page.get_by_role("textbox", name="What must be redone").fill(REWORK)
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_text("The decision is recorded.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stage:\s*Idea"))).to_be_visible()
    note = page.get_by_role("alert").filter(has_text="What must be redone:")
    expect(note).to_contain_text(re.compile(r"Sent back from Concept by Olga Ägare \(.+\)\. What must be redone:"))
    expect(note).to_contain_text(REWORK)
    # The idea gate waits for its checklist again.
    expect(page.get_by_text(re.compile(r"The checklist for Idea is not complete: 3 required items are open"))
           ).to_be_visible()

    page.get_by_role("tab", name="Checklist").click()
    expect(page.get_by_role("heading", name="Checklist for Idea")).to_be_visible()
    for label in IDEA_ITEMS:
        expect(page.get_by_role("combobox", name=label)).to_have_value("Open")

    with read_session(app_db) as session:
        decision = session.exec(select(GateDecision)).one()
        items = checklist_items(session, initiative_id, "idea")
    assert (decision.outcome, decision.to_stage, decision.rework) == ("recycle", "idea", REWORK)
    assert [item.status for item in items] == ["open", "open", "open"]

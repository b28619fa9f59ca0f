"""The checklist in the browser: a status picked and saved at once is kept; a refused save shows its reason
beside the item, marks it "Not saved" and keeps every entry, and once put right both entries are saved.

The checklist is one form, so the Save click carries every entry with it (the grid it replaced lost a status
picked within about a second of the click). Each test reloads the page to see what the database holds.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from db.engine import read_session, write_session
from tests.browser.conftest import sign_in
from tests.factories import World, checklist_items

pytestmark = pytest.mark.browser

PLAN = "Pilot plan with start and end dates, test group and partners"
COST = "Cost of the pilot estimated"
REASON = "Covered by the regional plan"


@pytest.fixture
def concept(app_db) -> int:
    """An initiative in the concept stage whose checklist items are all open; "lead" leads it."""
    with write_session(app_db) as session:
        return World(session, stage="concept", ready=False).initiative.id


def _stored(app_db, initiative_id: int):
    with read_session(app_db) as session:
        return checklist_items(session, initiative_id, "concept")


def _open_checklist(page: Page, served_app: str, initiative_id: int) -> None:
    sign_in(page, f"{served_app}/initiative?id={initiative_id}&initiative_tabs=Checklist", "lead",
            heading="Digital triage")
    expect(page.get_by_role("heading", name="Checklist for Concept")).to_be_visible()


def _choose(page: Page, item: str, status: str) -> None:
    """Pick ``status`` for ``item`` as a person does: into the box, type a little of it, click it in the list."""
    _status(page, item).click()
    page.keyboard.type(status[:3])
    page.get_by_role("option", name=status, exact=True).click()


def _reload(page: Page) -> None:
    page.reload()
    expect(page.get_by_role("heading", name="Checklist for Concept")).to_be_visible()


def _item(page: Page, item_id: int):
    """The row of one checklist item: its label, status, reason and, when not saved, why."""
    return page.locator(f".st-key-checklist_item_{item_id}")


def _status(page: Page, item: str):
    return page.get_by_role("combobox", name=item)


def test_a_status_saved_at_once_is_kept(page: Page, concept, app_db, served_app):
    _open_checklist(page, served_app, concept)
    _choose(page, PLAN, "Done")
    # No pause: the click on Save comes straight after the choice.
    page.get_by_role("button", name="Save checklist").click()
    expect(page.get_by_text("The checklist is saved.")).to_be_visible()
    _reload(page)
    expect(_status(page, PLAN)).to_have_value("Done")
    expect(page.get_by_text("Not saved")).to_have_count(0)
    after = _stored(app_db, concept)
    assert [(i.status, i.version) for i in after] == [("done", 2)] + [("open", 1)] * (len(after) - 1)


def test_a_refused_entry_is_marked_beside_its_item_and_saved_once_put_right(page: Page, concept, app_db,
                                                                             served_app):
    _open_checklist(page, served_app, concept)
    before = _stored(app_db, concept)
    plan, cost = before[:2]
    _choose(page, PLAN, "Not applicable")
    _choose(page, COST, "Done")
    page.get_by_role("button", name="Save checklist").click()
    expect(page.get_by_text("Nothing in the checklist was saved. Correct the items marked below and save again.")
           ).to_be_visible()
    # The refusal stands beside the item it concerns; the other entry is not saved either, and says so.
    expect(_item(page, plan.id).get_by_role("alert").get_by_role("paragraph")).to_have_text(
        ["Not saved", f"{PLAN}: give a reason when an item is not applicable."])
    expect(_item(page, cost.id).get_by_role("alert").get_by_role("paragraph")).to_have_text(["Not saved"])
    expect(_status(page, PLAN)).to_have_value("Not applicable")
    expect(_status(page, COST)).to_have_value("Done")
    assert [(i.status, i.version) for i in _stored(app_db, concept)] == [(i.status, i.version) for i in before]

    page.get_by_role("textbox", name=f"Reason when not applicable: {PLAN}").fill(REASON)
    page.get_by_role("button", name="Save checklist").click()
    expect(page.get_by_text("The checklist is saved.")).to_be_visible()
    expect(page.get_by_text("Not saved")).to_have_count(0)
    _reload(page)
    expect(_status(page, PLAN)).to_have_value("Not applicable")
    expect(page.get_by_role("textbox", name=f"Reason when not applicable: {PLAN}")).to_have_value(REASON)
    expect(_status(page, COST)).to_have_value("Done")
    after = _stored(app_db, concept)
    assert [(i.status, i.not_applicable_reason, i.version) for i in after[:2]] == [
        ("not_applicable", REASON, 2), ("done", "", 2)]
    assert [(i.status, i.version) for i in after[2:]] == [(i.status, i.version) for i in before[2:]]

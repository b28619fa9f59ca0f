"""The checklist grid holds status ids and shows their labels: the lead marks an item not applicable, with a
reason, through the grid itself and saves the checklist.

The grid is Streamlit's Glide data grid, drawn on a canvas. Glide mirrors the cells' values in an
accessibility table (``glide-cell-{column}-{row}``), focuses the selected cell's mirror, and opens an editor
(a dropdown, a text box) in an overlay of real elements: the test moves with the keyboard and reads those.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from db.engine import read_session, write_session
from tests.browser.conftest import sign_in
from tests.factories import World, checklist_items

pytestmark = pytest.mark.browser

STATUS, REASON = 3, 4  # the grid's columns: list, item, required, status, reason
REASON_TEXT = "Covered by the regional plan"


@pytest.fixture
def concept(app_db) -> int:
    """An initiative in the concept stage whose checklist items are all open; "lead" leads it."""
    with write_session(app_db) as session:
        return World(session, stage="concept", ready=False).initiative.id


def _cell(page: Page, column: int, row: int = 0):
    return page.get_by_test_id(f"glide-cell-{column}-{row}")


def _select(page: Page, column: int) -> None:
    """Select the first row's cell in ``column``: a click on its first cell, then the arrow keys."""
    canvas = page.get_by_test_id("data-grid-canvas")
    box = canvas.bounding_box()
    # Streamlit draws 35-pixel rows under a 35-pixel header: the middle of the first row's first cell.
    page.mouse.click(box["x"] + 20, box["y"] + 35 + 17)
    expect(_cell(page, 0)).to_be_focused()
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    expect(_cell(page, column)).to_be_focused()


def test_lead_marks_an_item_not_applicable_through_the_grid(page: Page, concept, app_db, served_app):
    with read_session(app_db) as session:
        before = checklist_items(session, concept, "concept")
    # A link to the initiative's checklist survives signing in.
    sign_in(page, f"{served_app}/initiative?id={concept}&initiative_tabs=Checklist", "lead",
            heading="Digital triage")
    expect(page.get_by_role("heading", name="Checklist for Concept")).to_be_visible()
    expect(_cell(page, 1)).to_have_text("Pilot plan with start and end dates, test group and partners")
    # The cells hold status ids ...
    expect(_cell(page, STATUS)).to_have_text("open")

    _select(page, STATUS)
    page.keyboard.press("Enter")
    editor = page.locator("[id^='gdg-overlay']")
    options = page.get_by_role("listbox").get_by_role("option")
    # ... and the column shows their labels, in the cell and in its choices.
    expect(editor.locator("[class*='singleValue']")).to_have_text("Open")
    expect(options).to_have_text(["Open", "Done", "Not applicable"])
    page.keyboard.type("Not appl")
    expect(options).to_have_text(["Not applicable"])
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)
    expect(_cell(page, STATUS)).to_have_text("not_applicable")

    _select(page, REASON)
    page.keyboard.press("Enter")
    text_box = editor.locator("textarea")
    expect(text_box).to_be_focused()
    # Filled at once, as a paste is: text typed at machine speed, Enter at once, is sometimes lost by Glide.
    text_box.fill(REASON_TEXT)
    expect(text_box).to_have_value(REASON_TEXT)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)
    expect(_cell(page, REASON)).to_have_text(REASON_TEXT)

    page.get_by_role("button", name="Save checklist").click()
    expect(page.get_by_text("The checklist is saved.")).to_be_visible()
    with read_session(app_db) as session:
        after = checklist_items(session, concept, "concept")
    assert (after[0].id, after[0].status, after[0].not_applicable_reason) == (
        before[0].id, "not_applicable", REASON_TEXT)
    assert [(i.status, i.not_applicable_reason, i.version) for i in after[1:]] == [
        (i.status, i.not_applicable_reason, i.version) for i in before[1:]]

"""Each role lands on its worklist after signing in: the lead on the initiatives they lead, whose number opens
the initiative; the reporter on the figures of their units, whose one-screen form saves what was typed, and
keeps it after a reload.

The form is Streamlit's Glide data grid, drawn on a canvas: the test moves through it with the keyboard and
reads the accessibility mirror of its cells (``glide-cell-{column}-{row}``), as test_checklist_grid does.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import Measurement
from portfolio.benefits_math import format_period
from portfolio.worklists import due_period
from tests.browser.conftest import sign_in
from tests.factories import World, make_benefit, make_indicator
from workflows.vocabulary import Frequency

pytestmark = pytest.mark.browser

# The form's columns: the row number, then number, indicator, org unit, period, value, latest, due.
PERIOD, VALUE, DUE = 4, 5, 7


@pytest.fixture
def triage(app_db) -> int:
    """The world's idea "Digital triage": led by "lead", owned by the reporter's unit, with a monthly indicator
    nobody has reported yet."""
    with write_session(app_db) as session:
        world = World(session)
        make_indicator(session, make_benefit(session, world.initiative), code="WAIT", name="Waiting days",
                       frequency="month", valid_min=0)
        return world.initiative.id


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


def test_the_lead_lands_on_their_initiatives_and_the_number_opens_one(page: Page, triage, served_app):
    sign_in(page, served_app, "lead", heading="My initiatives")
    link = page.get_by_role("link", name=f"#{triage}", exact=True)
    expect(link).to_be_visible()
    expect(page.get_by_text("Digital triage", exact=True)).to_be_visible()
    expect(page.get_by_text("⚠ 1", exact=True)).to_be_visible()  # its indicator's measurement is overdue
    link.click()
    expect(page.get_by_role("heading", name="Digital triage")).to_be_visible()
    assert re.search(rf"/initiative\?id={triage}\b", page.url)


def test_the_reporter_lands_on_their_figures_and_the_form_keeps_what_it_saved(page: Page, triage, app_db,
                                                                              served_app):
    sign_in(page, served_app, "reporter", heading="Figures to report")
    period = due_period(Frequency.MONTH, date.today())
    expect(_cell(page, PERIOD)).to_have_text(format_period(Frequency.MONTH, period))
    expect(_cell(page, DUE)).to_have_text(re.compile("^⚠ "))  # overdue

    _select(page, VALUE)
    page.keyboard.press("Enter")
    editor = page.locator("[id^='gdg-overlay']")
    text_box = editor.locator("textarea")
    expect(text_box).to_be_focused()
    # A decimal comma, as a Swedish or Norwegian reporter writes it. Filled at once, as a paste is, and saved at
    # once: the click that closes the cell's editor hands its value to the form before the form is sent.
    text_box.fill("12,5")
    page.get_by_role("button", name="Save figures").click()
    expect(page.get_by_text("The figures are saved: 1 new, 0 corrected.")).to_be_visible()
    with read_session(app_db) as session:
        stored = session.exec(select(Measurement.period_start, Measurement.value, Measurement.source)).all()
    assert [tuple(row) for row in stored] == [(period, 12.5, "form")]

    page.reload()
    expect(page.get_by_role("heading", name="Figures to report")).to_be_visible()
    expect(_cell(page, VALUE)).to_have_text("12.5")
    expect(_cell(page, DUE)).not_to_have_text(re.compile("⚠"))

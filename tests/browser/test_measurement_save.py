"""The measurement grid in the browser: after a save the indicator stays open on its measurements, and the
confirmation below the grid says which values were saved (on SQLite and PostgreSQL).

The grid is Streamlit's Glide data grid, drawn on a canvas: a double click on a cell opens its editor (a real
input in an overlay), which the test fills.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import Measurement
from tests.browser.conftest import sign_in
from tests.factories import World, make_benefit, make_indicator, make_measurement, make_org_unit

pytestmark = pytest.mark.browser

MARCH = date(2026, 3, 1)
ROW, HEADER = 35, 35  # Streamlit's grid: 35-pixel rows under a 35-pixel header


@pytest.fixture
def pilot(app_db) -> int:
    """A pilot with one monthly indicator, "Waiting days", measured in March by two clinics."""
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        hospital = make_org_unit(session, name="Länssjukhuset")
        benefit = make_benefit(session, world.initiative, title="Shorter waits")
        waits = make_indicator(session, benefit, code="WAIT", name="Waiting days", unit="days", direction="lower",
                               frequency="month", aggregation="sum", baseline_value=120.0,
                               baseline_date=date(2026, 1, 1), target_value=60.0, target_date=date(2026, 12, 1))
        for name, value in (("Akutkliniken", 50.0), ("Ortopedkliniken", 40.0)):
            make_measurement(session, waits, period=MARCH, value=value,
                             org_unit=make_org_unit(session, name=name, parent=hospital))
        return world.initiative.id


def _type_value(page: Page, row: int, value: str) -> None:
    """Write ``value`` into the value cell (the last column) of ``row``."""
    editor = page.locator("[id^='gdg-overlay']").locator("input, textarea")
    canvas = page.get_by_test_id("data-grid-canvas")
    # The expander may still be opening, moving the grid, when the first double click lands: try again on
    # the grid's new place until the editor opens.
    for _attempt in range(5):
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        page.mouse.dblclick(box["x"] + box["width"] - 40, box["y"] + HEADER + ROW * row + ROW // 2)
        try:
            expect(editor).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            continue
    editor.fill(value)
    expect(editor).to_have_value(value)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)


def test_the_indicator_stays_open_and_says_what_was_saved(page: Page, pilot, app_db, served_app):
    sign_in(page, f"{served_app}/initiative?id={pilot}&initiative_tabs=Benefits", "owner", heading="Digital triage")
    indicator = page.get_by_test_id("stExpander").filter(has_text="Waiting days · WAIT")
    indicator.get_by_text("Waiting days · WAIT", exact=True).click()
    indicator.get_by_role("tab", name="Enter measurements").click()
    expect(page.get_by_role("button", name="Save measurements")).to_be_visible()

    _type_value(page, 0, "12")
    _type_value(page, 1, "7.5")
    # Save at once after the Enter that closed the last cell: the grid hands its edit over at once (a grid that
    # reruns the page does so 150 ms later, and this click used to leave the 7.5 behind).
    page.get_by_role("button", name="Save measurements").click()
    saved = indicator.get_by_role("status")
    expect(saved.get_by_role("paragraph")).to_have_text(
        ["The measurements are saved.", "2026-03: Akutkliniken 12 · Ortopedkliniken 7.5"])
    # The run the save caused left the indicator open on its measurements, the grid showing what is stored.
    expect(indicator.locator("details")).to_have_attribute("open", "")
    expect(indicator.get_by_role("tab", name="Enter measurements")).to_have_attribute("aria-selected", "true")
    expect(indicator.get_by_role("button", name="Save measurements")).to_be_visible()
    with read_session(app_db) as session:
        stored = session.exec(select(Measurement.value).where(Measurement.period_start == MARCH)
                              .order_by(col(Measurement.org_unit_id))).all()
    assert stored == [12.0, 7.5]

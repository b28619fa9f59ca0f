"""The benefit calculation fed by the indicators, in the browser: the lead gives the indicator the volume it
counts for, the money per year appears, and a calculation saved with its expected benefits left empty takes
them from the indicators, each year marked so, with realised money beside the planned.

The volumes and the years are Streamlit's Glide data grids, drawn on a canvas: the test moves through them with
the keyboard and reads the accessibility mirror of their cells (``glide-cell-{column}-{row}``), as
test_worklists does.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import CalculationYear, Indicator
from tests.browser.conftest import sign_in
from tests.factories import World, make_benefit, make_indicator, make_measurement

pytestmark = pytest.mark.browser

# The volumes grid's columns: indicator, unit, money per unit, volume per year, missing.
INDICATOR, VOLUME, MISSING = 0, 3, 4


@pytest.fixture
def waits(app_db) -> tuple[int, int]:
    """A pilot led by "lead": waiting minutes per visit, yearly, lower is better, from 40 on 2025-01-01 to 25
    on 2028-01-01, worth 850 SEK per minute and visit; 36 measured in 2026 and 31 in 2027. No volume yet."""
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        indicator = make_indicator(session, make_benefit(session, world.initiative, title="Shorter waits",
                                                         money_per_unit=850),
                                   code="WAIT", name="Waiting minutes", unit="minutes", direction="lower",
                                   frequency="year", aggregation="mean", baseline_value=40.0,
                                   baseline_date=date(2025, 1, 1), target_value=25.0, target_date=date(2028, 1, 1))
        make_measurement(session, indicator, period=date(2026, 1, 1), value=36.0)
        make_measurement(session, indicator, period=date(2027, 1, 1), value=31.0)
        return world.initiative.id, indicator.id


def _grid(page: Page, key: str):
    return page.locator(f".st-key-{key}")


def _cell(page: Page, key: str, column: int, row: int = 0):
    return _grid(page, key).get_by_test_id(f"glide-cell-{column}-{row}")


def _idle(page: Page) -> None:
    """Wait until the page's script run has ended (a click on a grid during a run may be lost)."""
    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_have_count(1)


def _open(page: Page, section: str) -> None:
    page.get_by_test_id("stExpander").get_by_text(section, exact=True).click()
    _idle(page)


def _edit(page: Page, key: str, column: int, text: str) -> None:
    """Type ``text`` into the first row's cell in ``column``: a click on its first cell, the arrow keys, Enter,
    the text, Enter."""
    canvas = _grid(page, key).get_by_test_id("data-grid-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    # Streamlit draws 35-pixel rows under a 35-pixel header: the middle of the first row's first cell.
    page.mouse.click(box["x"] + 20, box["y"] + 35 + 17)
    expect(_cell(page, key, 0)).to_be_focused()
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    expect(_cell(page, key, column)).to_be_focused()
    page.keyboard.press("Enter")
    editor = page.locator("[id^='gdg-overlay']")
    expect(editor.locator("textarea, input")).to_be_focused()
    editor.locator("textarea, input").fill(text)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)


def test_the_calculation_takes_its_benefits_from_the_indicators(page: Page, waits, app_db, served_app):
    initiative_id, indicator_id = waits
    sign_in(page, f"{served_app}/initiative?id={initiative_id}&initiative_tabs=Benefits", "lead",
            heading="Digital triage")
    expect(page.get_by_role("heading", name="Benefit calculation")).to_be_visible()
    expect(page.get_by_text("There is no benefit calculation yet.")).to_be_visible()

    _open(page, "Money from indicators")
    expect(_cell(page, "volume_editor", INDICATOR)).to_have_text("Waiting minutes · WAIT")
    expect(_cell(page, "volume_editor", MISSING)).to_have_text("It has no volume per year.")
    _edit(page, "volume_editor", VOLUME, "1200")
    expect(_cell(page, "volume_editor", VOLUME)).to_have_text("1200")
    # The click comes at once: it carries the edit even before the page has run with it.
    page.get_by_role("button", name="Save volumes").click()
    expect(page.get_by_text("The volumes are saved.")).to_be_visible()
    with read_session(app_db) as session:
        assert session.get(Indicator, indicator_id).volume_per_year == 1200
    # One minute is worth 850 × 1,200 = 1,020,000 a year: in 2026 5 minutes planned, 4 realised.
    expect(_cell(page, "volume_editor", MISSING)).to_have_text("")
    money = page.get_by_test_id("stDataFrame").last
    expect(money.get_by_text("5,100,000", exact=True)).to_have_count(1)
    expect(money.get_by_text("4,080,000", exact=True)).to_have_count(2)  # realised and expected

    # The years start from the indicators' years, each expected benefit empty: saved as they are.
    _open(page, "Years and discount rate")
    expect(_cell(page, "calculation_editor", 1, 3)).to_have_text("2028")
    page.get_by_role("button", name="Save calculation").click()
    expect(page.get_by_text("The benefit calculation is saved.")).to_be_visible()
    with read_session(app_db) as session:
        stored = session.exec(select(CalculationYear.year, CalculationYear.benefit,
                                     CalculationYear.benefit_from_indicators)
                              .order_by(col(CalculationYear.year))).all()
    assert [(year, round(benefit), marked) for year, benefit, marked in stored] == [
        (2025, 0, True), (2026, 4_080_000, True), (2027, 9_180_000, True), (2028, 15_300_000, True)]
    result = page.get_by_test_id("stDataFrame").first
    expect(result.get_by_text("From indicators", exact=True)).to_have_count(4)
    # 2027: the benefit used, the realised money and the net (no costs) are 9,180,000; the plan was 10,200,000.
    expect(result.get_by_text("9,180,000", exact=True)).to_have_count(3)
    expect(result.get_by_text("10,200,000", exact=True)).to_have_count(1)

"""The steering group's start page in Chromium: a steering member signs in and lands on the dashboard, chooses an
org unit (which takes in the units below it) and a stage, reloads and sees the same view (the filters live in the
address), and opens an initiative from a row of a list and from its point in the value/cost chart."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from db.engine import write_session
from portfolio.dashboard import organisation_today
from tests.browser.conftest import sign_in
from portfolio.benefits_math import CashflowYear
from tests.factories import World, make_calculation, make_initiative, make_org_unit

pytestmark = pytest.mark.browser


@pytest.fixture
def pilot(app_db) -> int:
    """In "Vårdcentralen Centrum": the world's idea "Digital triage", and a pilot "Robot pharmacy" 200 days in its
    stage (past the limit), with a benefit calculation. An idea in "Barnmottagningen", a unit below it, and one in
    "Tandvården", a unit elsewhere."""
    entered = datetime.combine(organisation_today() - timedelta(days=200), time(10), ZoneInfo("Europe/Stockholm"))
    with write_session(app_db) as session:
        world = World(session)
        pilot = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                stage="pilot", org_unit=world.unit, title="Robot pharmacy", estimated_cost=1_500_000,
                                stage_entered_at=entered.astimezone(timezone.utc))
        make_calculation(session, pilot, [CashflowYear(2026, investment=1_000_000),
                                          CashflowYear(2027, benefit=2_060_000)])
        for title, unit in (("Child clinic app", make_org_unit(session, name="Barnmottagningen", parent=world.unit)),
                            ("Dental booking", make_org_unit(session, name="Tandvården"))):
            make_initiative(session, portfolio=world.portfolio, creator=world.lead, org_unit=unit, title=title)
        return pilot.id


def _initiatives(page: Page):
    """The "Initiatives" figure at the top of the dashboard."""
    return page.get_by_test_id("stMetric").filter(has_text="Initiatives").get_by_test_id("stMetricValue")


def test_the_steering_member_lands_filters_reloads_and_opens_an_initiative(page: Page, pilot, served_app):
    sign_in(page, served_app, "steering", heading="Portfolio dashboard")
    expect(_initiatives(page)).to_have_text("4")

    # The health centre with the unit below it: three initiatives, not the dental one.
    page.get_by_role("combobox", name="Org unit").click()
    page.get_by_role("option", name="Vårdcentralen Centrum", exact=True).click()
    expect(_initiatives(page)).to_have_text("3")
    expect(page).to_have_url(re.compile(r"/dashboard\?(.*&)?unit=\d+"))

    page.get_by_role("combobox", name="Stage").click()
    page.get_by_role("option", name="Pilot", exact=True).click()
    expect(_initiatives(page)).to_have_text("1")
    expect(page).to_have_url(re.compile(r"/dashboard\?(.*&)?stage=pilot\b"))
    expect(page).to_have_url(re.compile(r"/dashboard\?(.*&)?unit=\d+"))

    filtered = page.url
    page.reload()
    expect(page.get_by_role("heading", name="Portfolio dashboard")).to_be_visible()
    expect(_initiatives(page)).to_have_text("1")
    expect(page.get_by_role("combobox", name="Stage")).to_have_value("Pilot")
    expect(page.get_by_role("combobox", name="Org unit")).to_have_value("Vårdcentralen Centrum")

    # The first list, "Past the stage limit", holds the pilot; choosing its row opens it in this tab.
    listing = page.get_by_test_id("stDataFrame").nth(1)
    expect(listing.get_by_test_id("glide-cell-2-0")).to_have_text("Robot pharmacy")
    listing.scroll_into_view_if_needed()
    box = listing.get_by_test_id("data-grid-canvas").bounding_box()
    # The row marker (its selection box) in the middle of the first row, under a 35-pixel header.
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    expect(page.get_by_role("heading", name="Robot pharmacy")).to_be_visible()
    assert re.search(rf"/initiative\?id={pilot}\b", page.url)

    # The filtered address, opened again, shows the same view; the pilot's point in the value/cost chart leads to
    # it too.
    page.goto(filtered)
    expect(_initiatives(page)).to_have_text("1")
    point = page.get_by_test_id("stVegaLiteChart").nth(1).locator("g.mark-symbol.role-mark path")
    expect(point).to_have_attribute("aria-label", re.compile(r"Title: Robot pharmacy; href: initiative\?id="))
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    # The chart's own drawing lies over its marks, so the click goes to where the point is drawn.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_role("heading", name="Robot pharmacy")).to_be_visible()
    assert re.search(rf"/initiative\?id={pilot}\b", page.url)

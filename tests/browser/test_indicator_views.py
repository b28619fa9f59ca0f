"""Follow-up by level in Chromium: a steering member opens a link with the unit and the operational level and sees
that view, the indicator's chart and its table of figures with their status, and the sub-unit's figure in it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from db.engine import write_session
from portfolio.benefits_math import format_period, period_start
from portfolio.dashboard import organisation_today
from tests.browser.conftest import sign_in
from tests.factories import make_benefit, make_indicator, make_measurement, make_org_unit
from workflows.vocabulary import Frequency

pytestmark = pytest.mark.browser


def test_a_link_with_the_level_and_unit_shows_the_chart_and_table(page: Page, world, app_db, served_app):
    today = organisation_today()
    with write_session(app_db) as session:
        ward = make_org_unit(session, name="Ward 3", parent=world.unit)
        indicator = make_indicator(session, make_benefit(session, world.initiative), name="Calls answered",
                                   frequency="day", aggregation="sum", direction="higher", baseline_value=10,
                                   target_value=10, baseline_date=today - timedelta(days=400),
                                   target_date=today - timedelta(days=200))
        make_measurement(session, indicator, period=today, value=7, org_unit=world.unit)
        make_measurement(session, indicator, period=today, value=5, org_unit=ward)
    week = format_period(Frequency.WEEK, period_start(Frequency.WEEK, today))
    sign_in(page, f"{served_app}/follow-up-by-level?unit={world.unit.id}&level=operational&span=2&group=week",
            "steering", heading="Follow-up by level")
    expect(page.get_by_text("Calls answered", exact=False).first).to_be_visible()
    # The chart is drawn (Vega renders into a canvas or SVG inside the chart element).
    expect(page.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible()
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    # The table is a canvas grid; its figures are read through the copy Streamlit keeps for assistive technology.
    expect(table).to_contain_text(week)
    expect(table).to_contain_text("12")
    expect(table).to_contain_text("On track")

"""A steering-group member freezes the benefit report for "Styrgrupp 2026-12-03" and opens it; after the owner
changes a figure and the title, the snapshot still shows them as they were. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import Initiative, Measurement, ReportSnapshot
from portfolio.benefit_report import benefit_report
from portfolio.initiatives import update_initiative
from tests.browser.conftest import sign_in
from tests.factories import actor, make_benefit, make_indicator, make_measurement

pytestmark = pytest.mark.browser

MEETING = "Styrgrupp 2026-12-03"


def _waiting_time(engine, world) -> int:
    """"Digital triage" measures its waiting time: 100 in October 2026."""
    with write_session(engine) as session:
        benefit = make_benefit(session, session.get(Initiative, world.initiative.id), title="Shorter waits")
        indicator = make_indicator(session, benefit, code="WAIT", name="Waiting time", direction="lower",
                                   baseline_value=120.0, baseline_date=date(2026, 1, 1), target_value=60.0,
                                   target_date=date(2027, 1, 1))
        return make_measurement(session, indicator, period=date(2026, 10, 1), value=100.0).id


def _report(page: Page):
    return page.frame_locator(f'iframe[title="The benefit report as frozen for {MEETING}"]')


def test_a_steering_member_freezes_the_report_for_a_meeting_and_opens_it(page: Page, world, app_db, served_app):
    measurement_id = _waiting_time(app_db, world)
    sign_in(page, f"{served_app}/meeting-snapshots", "steering", heading="Meeting snapshots")
    expect(page.get_by_role("link", name="Meeting snapshots")).to_be_visible()
    expect(page.get_by_text("No snapshot of this portfolio has been frozen yet.")).to_be_visible()

    page.get_by_role("textbox", name="Meeting", exact=True).fill(MEETING)
    # The date field has a spin button per part (year, month, day), typed into one after the other.
    for part, value in (("year", "2026"), ("month", "12"), ("day", "03")):
        field = page.get_by_role("spinbutton", name=f"{part}, Meeting date")
        field.click()
        field.press_sequentially(value)
    expect(page.get_by_role("spinbutton", name="day, Meeting date")).to_have_attribute("aria-valuenow", "3")
    page.get_by_role("button", name="Freeze the report").click()

    expect(page.get_by_text("The benefit report is frozen for the meeting Styrgrupp 2026-12-03 on 3 Dec 2026."))\
        .to_be_visible()
    report = _report(page)
    expect(report.get_by_role("heading", name=re.compile("Benefit report:"))).to_be_visible()
    expect(report.locator("body")).to_contain_text(re.compile(r"Waiting time: 100\b"))
    with read_session(app_db) as session:
        snapshot = session.exec(select(ReportSnapshot)).one()
    assert (snapshot.meeting_name, snapshot.meeting_date, snapshot.frozen_by_id) == (
        MEETING, date(2026, 12, 3), world.steering.id)

    # The owner corrects the figure and renames the initiative; a report made now shows both...
    with write_session(app_db) as session:
        session.get(Measurement, measurement_id).value = 75.0
        initiative = session.get(Initiative, world.initiative.id)
        update_initiative(session=session, actor=actor(session, world.owner), initiative_id=initiative.id,
                          expected_version=initiative.version, changes={"title": "Digital triage 2.0"})

    with read_session(app_db) as session:
        now = benefit_report(session, actor(session, world.steering), world.portfolio.id, snapshot.period_from,
                             snapshot.period_to)
    assert (now.initiatives[0].title, now.initiatives[0].indicators[0].latest_value) == ("Digital triage 2.0", 75.0)

    # ...the snapshot, opened again from its link, shows the meeting's figures.
    page.goto(f"{served_app}/meeting-snapshots?portfolio={world.portfolio.id}&snapshot={snapshot.id}")
    report = _report(page)
    body = report.locator("body")
    expect(body).to_contain_text(re.compile(r"Waiting time: 100\b"))
    expect(report.get_by_role("heading", name="Digital triage", exact=True)).to_be_visible()
    expect(body).not_to_contain_text("Waiting time: 75")
    expect(body).not_to_contain_text("Digital triage 2.0")

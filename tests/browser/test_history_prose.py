"""The History tab in Chromium: the audit trail reads as sentences in the reader's language and the
organisation's local time, with no action codes or JSON on the page (they stay in the CSV download)."""

from __future__ import annotations

import re
from datetime import date, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, User
from portfolio.benefits import BenefitInput, IndicatorInput, create_benefit, create_indicator, update_indicator
from portfolio.permissions import load_actor
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _lower_the_target(engine, world) -> str:
    """The lead adds an indicator and lowers its target from 30 to 25; the change's time in Stockholm (HH:MM)."""
    with write_session(engine) as session:
        lead = load_actor(session=session, user_id=world.lead.id)
        benefit = create_benefit(session=session, actor=lead, initiative_id=world.initiative.id, data=BenefitInput(
            title="Shorter waits", category="access_waiting_times", recipient="patients_citizens"))
        indicator = create_indicator(session=session, actor=lead, benefit_id=benefit.id, data=IndicatorInput(
            code="WAIT-1", name="Waiting time", direction="lower", baseline_value=42.0,
            baseline_date=date(2026, 1, 1), target_value=30.0, target_date=date(2027, 1, 1)))
        data = IndicatorInput(**{**indicator.model_dump(include=set(IndicatorInput.model_fields)),
                                 "target_value": 25.0})
        update_indicator(session=session, actor=lead, indicator_id=indicator.id, expected_version=indicator.version,
                         data=data)
    with read_session(engine) as session:
        at = session.exec(select(AuditEvent.at).where(AuditEvent.action == "indicator.update")
                          .order_by(col(AuditEvent.id).desc())).first()
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at
    return f"{at.astimezone(ZoneInfo('Europe/Stockholm')):%H:%M}"


def test_the_history_reads_as_sentences_in_the_readers_language(page: Page, browser: Browser, world, app_db,
                                                                 served_app):
    local = _lower_the_target(app_db, world)
    link = f"{served_app}/initiative?id={world.initiative.id}"
    sign_in(page, f"{link}&initiative_tabs=History", "owner", heading="Digital triage")
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text(re.compile(
        r"Leif Ledare changed the indicator “Waiting time”: the target from 30 to 25 "
        rf"\(\d{{1,2}} [A-Z][a-z]{{2}} \d{{4}}, {local}\)"))
    expect(main).to_contain_text("Leif Ledare proposed the initiative “Digital triage”")
    # Neither the action codes nor JSON: those are in the CSV download only.
    expect(main).not_to_contain_text("indicator.update")
    expect(main).not_to_contain_text('"target_value"')

    with write_session(app_db) as session:
        session.get(User, world.steering.id).language = "nb"
    norwegian = browser.new_context().new_page()
    sign_in(norwegian, f"{link}&initiative_tabs=Historikk", "steering", heading="Digital triage")
    expect(norwegian.get_by_role("heading", name="Revisjonslogg")).to_be_visible()
    expect(norwegian.locator('[data-testid="stMain"]')).to_contain_text(re.compile(
        r"Leif Ledare endret indikatoren «Waiting time»: målverdien fra 30 til 25 "
        rf"\(\d{{1,2}}\. [a-z]+\.? \d{{4}}, {local}\)"))
    norwegian.context.close()

"""From an unmet gate rule to the place that puts it right, in the browser: the link beside the rule opens the
tab at the form that fixes it, and the browser scrolls there. A first indicator takes five fields, and once it
is saved the rule is met. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import Indicator, Portfolio, User
from tests.browser.conftest import sign_in
from tests.factories import World, checklist_items, make_benefit, make_indicator, make_initiative

pytestmark = pytest.mark.browser

RULE = "No indicator has both a baseline and a target."


def _wait_for_run(page: Page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


@pytest.fixture
def concept(app_db) -> tuple[int, int]:
    """An initiative at the concept gate, led by "lead", with a benefit and no indicator yet."""
    with write_session(app_db) as session:
        world = World(session, stage="concept", ready=False)
        return world.initiative.id, make_benefit(session, world.initiative, title="Shorter waits").id


def test_the_rules_link_opens_the_add_indicator_form_and_five_fields_meet_the_rule(page: Page, concept, app_db,
                                                                                  served_app):
    initiative_id, benefit_id = concept
    # A window short enough that the form is below the fold unless the page scrolls to it.
    page.set_viewport_size({"width": 1280, "height": 700})
    sign_in(page, f"{served_app}/initiative?id={initiative_id}", "lead", heading="Digital triage")
    expect(page.get_by_text(RULE)).to_be_visible()

    page.get_by_role("link", name="Add an indicator").click()
    expect(page.get_by_role("tab", name="Benefits", selected=True)).to_be_visible()
    form = page.locator(f".st-key-open_add_indicator_{benefit_id}")
    fields = {"Name": "textbox", "Unit": "textbox", "Baseline": "spinbutton", "Target": "spinbutton"}
    for name, role in fields.items():
        expect(form.get_by_role(role, name=name, exact=True)).to_be_visible()
    expect(form.get_by_role("combobox", name=re.compile("Direction"))).to_be_visible()
    # The rest waits under "More fields", closed.
    expect(form.get_by_text("More fields")).to_be_visible()
    expect(form.get_by_role("textbox", name="Code")).to_be_hidden()
    # The browser is taken to the form, with the cursor in its first field; the address keeps the tab only.
    expect(form.get_by_role("textbox", name="Name")).to_be_in_viewport()
    expect(form.get_by_role("textbox", name="Name")).to_be_focused()
    expect(page).to_have_url(re.compile(rf"\?id={initiative_id}&initiative_tabs=Benefits$"))

    form.get_by_role("textbox", name="Name").fill("Waiting days")
    form.get_by_role("textbox", name="Unit").fill("days")
    form.get_by_role("combobox", name=re.compile("Direction")).click()
    page.get_by_role("option", name="Lower is better").click()
    form.get_by_role("spinbutton", name="Baseline").fill("40")
    form.get_by_role("spinbutton", name="Target").fill("30")
    form.get_by_role("button", name="Add indicator").click()
    expect(page.get_by_text("The indicator is added.")).to_be_visible()
    with read_session(app_db) as session:
        added = session.exec(select(Indicator)).one()
    assert (added.benefit_id, added.code, added.name, added.unit, added.direction, added.baseline_value,
            added.target_value, added.baseline_date, added.target_date) == (
        benefit_id, f"I{initiative_id:04d}-1", "Waiting days", "days", "lower", 40.0, 30.0, date.today(),
        date.today() + timedelta(days=365))

    page.get_by_role("tab", name="Gate").click()
    _wait_for_run(page)
    expect(page.get_by_role("heading", name="Gate: Concept")).to_be_visible()
    expect(page.get_by_text("The checklist for Concept is not complete", exact=False)).to_be_visible()
    expect(page.get_by_text(RULE)).to_have_count(0)


@pytest.fixture
def idea(app_db) -> tuple[int, int]:
    """An idea with nothing described, led by "lead"; its first checklist item is done, the second open."""
    with write_session(app_db) as session:
        world = World(session, ready=False)
        items = checklist_items(session, world.initiative.id, "idea")
        items[0].status = "done"
        session.add(items[0])
        return world.initiative.id, items[1].id


def test_the_need_and_the_checklist_links_open_their_place(page: Page, idea, served_app):
    initiative_id, open_item = idea
    page.set_viewport_size({"width": 1280, "height": 600})
    sign_in(page, f"{served_app}/initiative?id={initiative_id}", "lead", heading="Digital triage")

    page.get_by_role("link", name="Describe the need").click()
    expect(page.get_by_role("tab", name="Details", selected=True)).to_be_visible()
    need = page.locator(".st-key-details_need").get_by_role("textbox")
    expect(need).to_be_focused()
    expect(need).to_be_in_viewport()

    page.get_by_role("tab", name="Gate").click()
    _wait_for_run(page)
    # The first link to the checklist is the stage's own (the fast track's is in its expander).
    page.get_by_role("link", name="Open the checklist").first.click()
    expect(page.get_by_role("tab", name="Checklist", selected=True)).to_be_visible()
    item = page.locator(f".st-key-checklist_item_{open_item}")
    expect(item).to_be_in_viewport()
    expect(item.get_by_role("combobox")).to_be_focused()


def test_a_problem_under_more_fields_opens_them_and_names_the_field(page: Page, concept, app_db, served_app):
    initiative_id, benefit_id = concept
    code = f"I{initiative_id:04d}-1"
    with write_session(app_db) as session:
        # Another initiative's indicator was given, by hand, the code this one would suggest.
        lead = session.exec(select(User).where(User.username == "lead")).one()
        elsewhere = make_initiative(session, portfolio=session.exec(select(Portfolio)).one(), creator=lead,
                                    lead=lead, stage="concept")
        make_indicator(session, make_benefit(session, elsewhere), code=code)
    sign_in(page, f"{served_app}/initiative?id={initiative_id}", "lead", heading="Digital triage")
    page.get_by_role("link", name="Add an indicator").click()
    form = page.locator(f".st-key-open_add_indicator_{benefit_id}")
    form.get_by_role("textbox", name="Name").fill("Waiting days")
    form.get_by_role("spinbutton", name="Baseline").fill("40")
    form.get_by_role("spinbutton", name="Target").fill("50")
    form.get_by_role("button", name="Add indicator").click()
    expect(page.get_by_text(f"Code: The indicator code {code} is already used.")).to_be_visible()
    # "More fields" opens at the field at fault; what was typed stays.
    expect(form.get_by_role("textbox", name="Code")).to_be_visible()
    expect(form.get_by_role("textbox", name="Code")).to_have_value(code)
    expect(form.get_by_role("textbox", name="Name")).to_have_value("Waiting days")
    with read_session(app_db) as session:
        assert [i.code for i in session.exec(select(Indicator)).all()] == [code]

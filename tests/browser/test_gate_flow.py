"""The owner signs in, opens an initiative whose gate is ready, approves it and sees the new stage."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from db.engine import get_engine, read_session
from db.models import Initiative

pytestmark = pytest.mark.browser


def test_owner_approves_a_ready_gate(page: Page, served_app, sqlite_url):
    page.set_default_timeout(30_000)
    page.goto(served_app)
    page.get_by_role("button", name="owner – Portfolio owner and decision owner").click()
    expect(page.get_by_role("heading", name="Portfolio overview")).to_be_visible()

    page.get_by_role("link", name="My decisions").click()
    expect(page.get_by_role("heading", name="My decisions")).to_be_visible()
    card = page.locator(".st-key-gate_1")
    expect(card).to_contain_text("Digitalt vårdmöte i primärvården")
    expect(card).to_contain_text("Ready")
    card.get_by_role("button", name="Open initiative").click()

    expect(page.get_by_role("heading", name="Digitalt vårdmöte i primärvården")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stage:\s*Idea"))).to_be_visible()
    expect(page.get_by_text("Every rule of the gate holds.")).to_be_visible()
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_text("The decision is recorded.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stage:\s*Concept"))).to_be_visible()
    with read_session(get_engine(sqlite_url)) as session:
        assert session.get(Initiative, 1).stage == "concept"
